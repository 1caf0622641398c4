"""Checkpoint benchmark rows (issue 15): a 32 MiB VM (test guest ckpt_bench) touches all of
its RAM above 4 MiB, takes a full checkpoint, writes 1% of its pages and takes an
incremental one, writes 1% more and triple-faults; the rollback policy puts the checkpoint
back. The hypervisor prints what each cost (vm/ckpt.c, hv/lifecycle.c), in TSC ticks: Bochs
instructions. Called by bench/run.py's main."""
import re


def rows(bochs, row):
    print("## Checkpoints (Bochs, instructions)")
    out = bochs("vm=ck,ram=32M,image=testguest,policy=rollback,checkpoint=64M,"
                "cmdline=test=ckpt_bench")
    full = re.search(r"vm \"ck\": checkpoint 1 \(full\): (\d+) pages copied, (\d+) TSC", out)
    incr = re.search(r"vm \"ck\": checkpoint 2 \(incremental\): (\d+) pages copied, (\d+) TSC",
                     out)
    dirty = re.search(r"\[ck\] ckpt_bench: (\d+) pages written", out)
    back = re.search(r"vm \"ck\": rolled back to checkpoint 2: (\d+) RAM pages restored in "
                     r"(\d+) TSC ticks", out)
    row("checkpoint, full (32 MiB VM)", int(full.group(2)) if full else None,
        "%s pages copied" % full.group(1) if full else "")
    row("checkpoint, incremental (~1% written)", int(incr.group(2)) if incr else None,
        "%s pages copied for %s written" % (incr.group(1), dirty.group(1) if dirty else "?")
        if incr else "")
    row("rollback (~1% written since)", int(back.group(2)) if back else None,
        "%s pages restored, state and EPT flush" % back.group(1) if back else "")
    if not (full and incr and back):
        print(out[-2000:])
    print()
