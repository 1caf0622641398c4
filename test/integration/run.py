#!/usr/bin/env python3
"""Integration tests: boot images in Bochs (VMX emulated), QEMU TCG and QEMU+OVMF.

Each test names an image (hypervisor command line + modules), a machine, the
lines it expects in order (regular expressions matched against whole lines),
lines that must not appear, numeric checks, and the exit status. A timeout is a
failure. Tests run in parallel; each gets its own directory under build/test/.
Cases with a "kind" (cases_run.py) run another way: tools/run.sh on a kernel, or a look
at the product image's menu. Cases marked "pending" wait for hypervisor support and run
only with --pending.
Usage: run.py [-j N] [-k PATTERN] [--list] [--pending]
"""
import argparse
import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(BUILD, "test")
HV = os.path.join(BUILD, "hv.elf")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import TESTS  # noqa: E402
from cases_smp import SMP_TESTS  # noqa: E402
from cases_run import RUN_TESTS, run_kind  # noqa: E402
from cases_platform import PLATFORM_TESTS  # noqa: E402
from cases_linux import LINUX_TESTS, run_linux  # noqa: E402
from cases_vcpus import VCPUS_TESTS  # noqa: E402
from cases_fb import FB_TESTS, run_fb  # noqa: E402
from cases_reloc import RELOC_TESTS, run_reloc  # noqa: E402
from cases_coalesced import COALESCED_TESTS  # noqa: E402
from serialtype import run_typing  # noqa: E402

# The slowest first (Linux: minutes each), so the pool's tail is made of short boots.
TESTS = sorted(LINUX_TESTS, key=lambda t: -t.get("timeout", 0)) + TESTS + SMP_TESTS + RUN_TESTS + \
    PLATFORM_TESTS + VCPUS_TESTS + FB_TESTS + RELOC_TESTS + COALESCED_TESTS
RUNNERS = {"linux": run_linux, "fb": run_fb, "reloc": run_reloc}


def guest_modules():
    """The modules every test image carries: what guests/guests.mk lists."""
    try:
        out = subprocess.run(["make", "-s", "-C", ROOT, "print-guest-modules"],
                             capture_output=True, text=True, check=True).stdout
        return out.split()
    except subprocess.CalledProcessError:
        return []


def build_image(name, cmdline, modules):
    """The cases check the boot log's detail lines: loglevel=debug unless a case sets one."""
    if "loglevel=" not in cmdline:
        cmdline = ("loglevel=debug " + cmdline).strip()
    iso = os.path.join(OUT, name, "image.iso")
    os.makedirs(os.path.dirname(iso), exist_ok=True)
    subprocess.run([os.path.join(ROOT, "tools", "mkimage.sh"), iso, HV, cmdline] + modules,
                   check=True, capture_output=True)
    return iso


def run_bochs(t, iso, d):
    env = dict(os.environ, BOCHS_DIR=d)
    cmd = [os.path.join(ROOT, "tools", "bochs.sh"), iso, t.get("cpu", "corei7_skylake_x"),
           str(t.get("megs", 128)), str(t.get("cpus", 1)), str(t.get("timeout", 60))]
    if not t.get("type"):
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env)
        return p.stdout, None
    return run_typing(cmd, env, t["type"], os.path.join(d, "serial.txt")), None


def run_qemu(t, iso, d):
    e9 = os.path.join(d, "e9.txt")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(t.get("megs", 256)), "-cdrom", iso,
           "-debugcon", "file:" + e9, "-serial", "file:" + os.path.join(d, "serial.txt"),
           "-display", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
           "-smp", str(t.get("smp", 1))]
    if t.get("uefi"):
        vars_copy = os.path.join(d, "vars.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        cmd += ["-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,file=" + vars_copy]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=t.get("timeout", 60))
        code = p.returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
    text = open(e9, errors="replace").read() if os.path.exists(e9) else ""
    return text, code


def check(t, text, qemu_code):
    """Return a list of failure reasons (empty when the test passes)."""
    lines = [l.rstrip("\r") for l in text.splitlines()]
    errors, pos = [], 0
    for pat in t.get("expect", []):
        rx = re.compile(pat)
        for i in range(pos, len(lines)):
            if rx.fullmatch(lines[i]):
                pos = i + 1
                break
        else:
            errors.append("missing line (in order): " + pat)
    for pat in t.get("forbid", []):
        rx = re.compile(pat)
        bad = [l for l in lines if rx.fullmatch(l)]
        if bad:
            errors.append("forbidden line: " + bad[0])
    for fn in t.get("checks", []):
        msg = fn(lines)
        if msg:
            errors.append(msg)
    want = t.get("status", 0)
    m = [re.fullmatch(r"kestrel: exit status (\d+)", l) for l in lines]
    got = [int(x.group(1)) for x in m if x]
    if want is not None and got != [want]:
        errors.append("exit status lines %s, want [%d]" % (got, want))
    if qemu_code is not None and qemu_code != (want << 1 | 1):
        errors.append("qemu exit code %s, want %d" % (qemu_code, want << 1 | 1))
    return errors


def run_one(t, modules):
    d = os.path.join(OUT, t["name"])
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    start = time.time()
    if t.get("kind"):
        text, errors = RUNNERS.get(t["kind"], run_kind)(t, d, ROOT)
        with open(os.path.join(d, "output.txt"), "w") as f:
            f.write(text)
        return t["name"], errors + check(t, text, None), time.time() - start, text
    try:
        iso = build_image(t["name"], t.get("cmdline", ""), t.get("modules", modules))
    except subprocess.CalledProcessError as e:
        return t["name"], ["image build failed: %s" % (e.stderr or b"").decode(errors="replace")[-300:]], \
            time.time() - start, ""
    runner = run_qemu if t.get("machine", "bochs") == "qemu" else run_bochs
    text, code = runner(t, iso, d)
    with open(os.path.join(d, "output.txt"), "w") as f:
        f.write(text)
    os.unlink(iso)
    return t["name"], check(t, text, code), time.time() - start, text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", type=int, default=max(2, os.cpu_count() or 2))
    ap.add_argument("-k", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--pending", action="store_true",
                    help="also run the cases waiting for hypervisor support")
    ap.add_argument("--slow", action="store_true",
                    help="run the slow cases (make test-slow) instead of the others")
    args = ap.parse_args()
    tests = [t for t in TESTS if args.k in t["name"] and (args.pending or not t.get("pending"))
             and bool(t.get("slow")) == args.slow]
    if args.list:
        print("\n".join(t["name"] for t in tests))
        return 0
    modules = guest_modules()
    passed = failed = 0
    with cf.ThreadPoolExecutor(args.j) as ex:
        futs = [ex.submit(run_one, t, modules) for t in tests]
        for fut in cf.as_completed(futs):
            name, errors, secs, text = fut.result()
            if errors:
                failed += 1
                print("FAIL %s (%.1fs)" % (name, secs))
                for e in errors:
                    print("    " + e)
                print("    --- last output lines (build/test/%s/output.txt) ---" % name)
                for l in text.splitlines()[-15:]:
                    print("    | " + l)
            else:
                passed += 1
                print("PASS %s (%.1fs)" % (name, secs))
            sys.stdout.flush()
    print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
