"""Coalesced MMIO rows of make bench (issue 15): a write to a coalesced test device against
the same write to a plain one, both on the EPT-misconfiguration path (the first trap marks
each page), and what a drain costs per entry. Figures come from the guest's BENCH lines
(t_coalesced.c), exact Bochs instruction counts."""
import re


def rows():
    from run import bochs, figures, row  # bench/run.py's helpers (it calls this)

    print("## Coalesced MMIO, measured inside the guest (Bochs, instructions per access)")
    out = bochs("config=coalesced guestargs=test=coalesced_bench")
    f = figures(out)
    plain, coal = f.get("mmio_plain_write"), f.get("mmio_coalesced_write")
    entry, empty = f.get("mmio_coalesced_drain_entry"), f.get("mmio_coalesced_read_empty")
    row("MMIO write, plain test device (EPT misconfiguration)", plain)
    row("MMIO write, coalesced test device (same path)", coal,
        "%.2fx plain; a write finding the 64-entry ring full drains it" % (coal / plain)
        if coal and plain else "")
    row("  less its share of the drains (one per entry)", coal - entry if coal and entry else None,
        "the exit, decode and append alone")
    row("drain, per entry (a read draining 63 writes)", entry,
        "the device model's write handler and the ring's bookkeeping, no exit")
    row("read of a coalesced device, ring empty", empty, "a plain MMIO read plus the drain check")
    m = re.search(r'vm "coal": coalesced MMIO: (.*)', out)
    print("ring statistics of the run: %s" % (m.group(1) if m else "n/a"))
    print()
