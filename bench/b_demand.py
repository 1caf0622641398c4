"""make bench: demand-faulted RAM (issue 15), the cost of a first touch in Bochs instructions.

The guest (test=demand bench=N) times each first write to a page of its demand region with
the TSC (one tick per instruction under Bochs's sync=none) and prints the mean; the
hypervisor's statistics line gives its own share per fault (take a block from the buddy,
zero it, map it, all under the VM's locks). Called by bench/run.py's main.
"""
import re

from run import bochs, row

CASES = [  # name, vm= word, region size, touches, note
    ("demand fault, 4 KiB block (same 2 MiB)", "demand4k", 0x40000, 64,
     "64 pages in one 2 MiB: the chunk's map page and EPT table exist after the first"),
    ("demand fault, 4 KiB block (new 2 MiB each)", "demand4k", 0x10000000, 64,
     "one page per 4 MiB: each also takes a map page and an EPT page table"),
    ("demand fault, 2 MiB block", "demand", 0x10000000, 16,
     "one page per 16 MiB: each takes and zeroes a 2 MiB block, one 2 MiB leaf"),
]


def one(word, size, n):
    out = bochs("vm=d,ram=16M,%s=0x20000000:0x%x,image=testguest,cmdline=test=demand "
                "dgpa=0x20000000 dsize=0x%x bench=%d" % (word, size, size, n))
    guest = re.search(r"demand: bench (\d+) first touches, (\d+) TSC each", out)
    hv = re.search(r"demand RAM: (\d+) faults \((\d+) TSC each\)", out)
    return (int(guest.group(2)) if guest else None, int(hv.group(2)) if hv else None,
            int(hv.group(1)) if hv else None)


def rows():
    print("## Demand-faulted RAM (Bochs, instructions per first touch)")
    for name, word, size, n, note in CASES:
        guest, hv, faults = one(word, size, n)
        row(name, guest, "%s; hypervisor's share %s per fault (%s faults)"
            % (note, "n/a" if hv is None else hv, "n/a" if faults is None else faults))


if __name__ == "__main__":
    rows()
