#!/usr/bin/env python3
"""Self-test of tools/layers.py (run by make check): a planted folder cycle must
fail and name both offending includes; the same tree without it must pass."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(root, path, text):
    os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
    with open(os.path.join(root, path), "w") as f:
        f.write(text)


def run(root):
    p = subprocess.run([sys.executable, os.path.join(HERE, "layers.py"), root],
                       capture_output=True, text=True)
    return p.returncode, p.stdout


def main():
    with tempfile.TemporaryDirectory() as root:
        write(root, "lib/types.h", "")
        write(root, "mm/buddy.h", '#include "lib/types.h"\n')
        write(root, "vm/vm.c", '#include "mm/buddy.h"\n#include "arch/x86/cpu.h"\n')
        write(root, "arch/x86/cpu.h", '#include "lib/types.h"\n')
        write(root, "test/t.c", '#include "vm/vm.h"\n#include "lib/types.h"\n')
        rc, out = run(root)
        if rc != 0 or "no cycle" not in out:
            print("test_layers: a clean tree was refused:\n" + out)
            return 1
        write(root, "lib/types.h", '#include "vm/vm.h"\n')  # the planted cycle
        rc, out = run(root)
        want = ["lib/types.h:1: vm/vm.h", "vm/vm.c:1: mm/buddy.h", "mm/buddy.h:1: lib/types.h"]
        if rc != 1 or not all(w in out for w in want):
            print("test_layers: the planted cycle lib -> vm -> mm -> lib was not reported:\n" + out)
            return 1
    print("test_layers: a planted cycle fails and names its includes; a clean tree passes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
