"""Coalesced MMIO (issue 15, docs/emulation.md): config=coalesced, the test guest's scenario."""

# t_coalesced.c's accesses to the coalesced device: a write to TD_SEQ, 200 single writes with a read after
# every 90 (each batch fills the 64-entry ring once: a drain on full at the 65th write),
# then REP STOSD x8 and an ADD (its read drains), the checks' reads, and a last write left
# for the stop: 211 writes, drains 4 on read + 2 on full + 1 at stop.
COALESCED_TESTS = [
    dict(name="coalesced-mmio", machine="bochs", cpu="corei7_skylake_x", megs=256,
         cmdline="config=coalesced guestargs=test=coalesced",
         expect=[r"config: \"coalesced\" valid, 1 VM\(s\)",
                 r"  \[0x0d0003000\.\.0x0d0004000\) mmio-emul rw- hpa 0x000000000 traps "
                 r"\"testdev\", writes coalesced",
                 r"\[coal\] coalesced: 210 writes to each device; TD_SEQ (0x[0-9a-f]+) "
                 r"\(coalesced\) \1 \(plain\)",
                 r"\[coal\] TEST coalesced PASS", r"\[coal\] ALL PASS",
                 r"vm \"coal\": stopped \(debug-exit port\), status 0",
                 r"vm \"coal\": exits .*ept-violation:\d+ ept-misconfig:\d+.*",
                 r"vm \"coal\": coalesced MMIO: 211 writes, 211 drained in 7 drains \(4 on read, "
                 r"2 on full, 1 at stop\), 0 discarded, 0 refused"],
         forbid=[r"FATAL.*", r"PANIC.*", r"\[coal\] TEST .* FAIL.*", r".*INFO.*fail.*"]),
    # Boot 0 leaves 5 writes in the ring and restarts: the restart discards them with the
    # device's reset; boot 1's 3 writes drain on its read.
    dict(name="coalesced-restart", machine="bochs", cpu="corei7_skylake_x", megs=256,
         cmdline="config=coalesced-restart",
         expect=[r"\[coal\] coalesced_restart: boot 0 left 5 writes in the ring",
                 r"vm \"coal\": debug-exit port \(status 0\): restarting at TSC \d+",
                 r"\[coal\] coalesced_restart: boot 1 sees a fresh device",
                 r"\[coal\] TEST coalesced_restart PASS", r"\[coal\] ALL PASS",
                 r"vm \"coal\": coalesced MMIO: 8 writes, 3 drained in 1 drains \(1 on read, "
                 r"0 on full, 0 at stop\), 5 discarded, 0 refused"],
         forbid=[r"FATAL.*", r"PANIC.*", r"\[coal\] TEST .* FAIL.*", r".*INFO.*fail.*"]),
]
