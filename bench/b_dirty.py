#!/usr/bin/env python3
"""Dirty logging (issue 15): harvest per GiB (clean, 10% dirty), write-protect fault,
PML-full exit, measured inside the guest in Bochs instructions (t_dirty_bench).

The logged region is 64 MiB (what a 256 MiB Bochs machine holds next to the guest): the
per-GiB rows are the 64 MiB figures times 16, which holds while the harvest's work is linear
in the bitmap's words and the set bits (it is: one pass over the words, one EPT walk per set
bit). Run alone: bench/b_dirty.py.
"""
import re


def rows(bochs, figures, row):
    print()
    print("## Dirty logging (Bochs, instructions; t_dirty_bench, 64 MiB region, x16 per GiB)")
    pml_out = bochs("config=dirty-bench")
    pml = figures(pml_out)
    wp_out = bochs("config=dirty-bench-wp")
    wp = figures(wp_out)
    for name, f in (("PML", pml), ("write-protect", wp)):
        for key, what in (("dirty_harvest_clean_64m", "clean"), ("dirty_harvest_10pct_64m", "10% dirty")):
            v = f.get(key)
            row("harvest per GiB, %s (%s)" % (what, name), v * 16 if v is not None else None,
                "64 MiB: %s" % v if v is not None else "")
    first, again = wp.get("dirty_first_writes_4096"), wp.get("dirty_again_writes_4096")
    row("write-protect fault (per first write)", (first - again) // 4096 if first and again else None,
        "4096 writes to clean pages less the same writes again")
    first, again = pml.get("dirty_first_writes_4096"), pml.get("dirty_again_writes_4096")
    full = re.search(r"(\d+) PML-full exits", pml_out)
    row("PML-full exit, drain included (per exit)", (first - again) // 8 if first and again else None,
        "4096 first writes log 4096 pages: 8 full logs of 512 (9 if the index stood low); "
        "the CPU's logging costs no instruction; %s PML-full exits in the run"
        % (full.group(1) if full else "n/a"))
    if "TEST dirty_bench PASS" not in wp_out or "TEST dirty_bench PASS" not in pml_out:
        print("(dirty_bench did not pass: see the run's output)")


if __name__ == "__main__":
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import bochs, figures, row  # noqa: E402
    rows(bochs, figures, row)
