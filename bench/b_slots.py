"""Run-time RAM slots (HC_SLOT_ADD / HC_SLOT_REMOVE), bench/run.py's rows for them.

One privileged VM adds a slot to itself and removes it again, measured in the guest
around each VMCALL (Bochs, one CPU, TSC = instructions). The add includes zeroing the
frames (page_alloc), the slot insert and the EPT leaves, and holding and releasing the
VM's vCPUs; the remove, the EPT teardown, the shoot-down and the scrub before the frames
go back to the buddy. 2 MiB: the average of 8; 1 GiB: one (it needs a 1 GiB aligned free
block, hence the 2048 MiB machine; without one it gets smaller blocks
and leaves, which the 1 GiB row's note shows).
"""
import re

MEGS = 2048


def rows(bochs, figures, row):
    out = bochs("config=slots-bench", megs=MEGS, timeout=900)
    f = figures(out)
    print("## Run-time RAM slots (Bochs, instructions, %d MiB machine)" % MEGS)
    row("HC_SLOT_ADD 2 MiB (zeroed, mapped)", f.get("slot_add_2m"), "average of 8")
    row("HC_SLOT_REMOVE 2 MiB (unmap, flush, scrub, free)", f.get("slot_remove_2m"),
        "average of 8")
    # the bench adds the 1 GiB slot once more and asks for HC_STATS: that audit shows its leaves
    m = re.findall(r"audit: vm \"slotbench\": (\d+) 4K frames in (\d+)\+(\d+)\+(\d+) leaves", out)
    m = max(m, key=lambda g: int(g[0])) if m else None
    row("HC_SLOT_ADD 1 GiB (zeroed, mapped)", f.get("slot_add_1g"),
        "one; the VM's leaves with it, 4K+2M+1G: %s" % ("+".join(m[1:]) if m else "?"))
    row("HC_SLOT_REMOVE 1 GiB (unmap, flush, scrub, free)", f.get("slot_remove_1g"), "one")
    if not f:
        print("(no BENCH lines: see the run's output)")
        print(out[-2000:])
