"""Integration cases for ACPI and AP bring-up (same dict format as cases.py).

Bochs takes the CPU count from "cpus"; the QEMU cases need "smp" (passed as `-smp N`
by the QEMU runner). Bochs runs its CPUs in lockstep quanta and its TSC advances with
them, so a TSC tick there is about one instruction of each CPU.
"""
import re

from cases import BOOT_LINES, VMX_ALL, number

CHATTER = 20
ACPI_BOCHS = [
    r"acpi: RSDP rev 0 \"BOCHS \", RSDT at 0x[0-9a-f]+ with \d+ tables; MADT yes, FADT yes",
    r"acpi: PM1a_CNT 0xb004, PM timer 0xb008 \(24-bit\), \\_S5 SLP_TYP 0 \(DSDT\)",
]
ACPI_QEMU = [
    r"acpi: RSDP rev \d \"BOCHS \", [RX]SDT at 0x[0-9a-f]+ with \d+ tables; MADT yes, FADT yes",
    r"acpi: PM1a_CNT 0x[0-9a-f]+, PM timer 0x[0-9a-f]+ \(24-bit\), \\_S5 SLP_TYP 0 \(DSDT\)",
]


def bsp_line(n):
    return (r"smp: CPU 0 \(APIC ID 0\) is the boot CPU; the MADT lists %d enabled, 0 disabled; "
            r"xAPIC" % n)


def ap_line(vmx):
    # SVR 0x1ff: the AP software-enabled its APIC (bit 8), spurious vector 0xff
    return (r"smp: CPU 1 \(APIC ID 1\) online, %s, in C \d+ TSC ticks after the first SIPI, "
            r"APIC SVR 0x1ff" % vmx)


SIPI_TO_C = (r"smp: CPU 1 \(APIC ID 1\) online, VMX root, in C (\d+) TSC ticks after the first SIPI, "
             r"APIC SVR 0x1ff")
ROUND_TRIP = r"smp: empty work item on CPU 1: (\d+) TSC ticks from post to return \(0\)"


def chatter_whole(cpus):
    """Every CPU's chatter lines present, whole and in order; none mangled."""
    rx = re.compile(r"smp: chatter from CPU (\d+), line (\d+) of %d" % CHATTER)

    def fn(lines):
        seen = {c: [] for c in range(cpus)}
        for l in lines:
            if "chatter" not in l:
                continue
            m = rx.fullmatch(l)
            if not m or int(m.group(1)) not in seen:
                return "mangled console line: %r" % l
            seen[int(m.group(1))].append(int(m.group(2)))
        want = list(range(1, CHATTER + 1))
        bad = [c for c, got in seen.items() if got != want]
        return "chatter lines of CPU(s) %s missing or out of order" % bad if bad else None
    return fn


SELFTEST = [
    r"smp: 2 CPUs online",
    r"smp: hello from CPU 1 \(APIC ID 1\)",
    r"smp: work on CPU 1: started \d+, returned \d+ TSC ticks after posting",
    ROUND_TRIP,
]
NO_SECOND_CPU = [r"smp: CPU 1 .*", r"smp: hello.*", r"smp: .*CPUs online"]

SMP_TESTS = [
    # Two CPUs: ACPI, bring-up, a work item on CPU 1, both CPUs printing at once, then
    # a VM still runs to its end on the boot CPU.
    dict(name="smp-bochs-2cpu", machine="bochs", cpus=2, megs=256,
         cmdline="smptest config=test guestargs=test=hello",
         expect=BOOT_LINES + ACPI_BOCHS + [bsp_line(2), ap_line("VMX root")] + SELFTEST +
         [VMX_ALL, r"config: \"test\" valid, 1 VM\(s\)", r"\[test\] TEST hello PASS",
          r"\[test\] ALL PASS", r"vm \"test\": stopped \(debug-exit port\), status 0"],
         forbid=[r"FATAL.*", r"PANIC.*", r"acpi: .*(checksum|cannot|want).*",
                 r"smp: .*(did not start|cannot post|was accepted).*"],
         checks=[number(SIPI_TO_C, 30, 2000, "instructions from the first SIPI to ap_main"),
                 number(ROUND_TRIP, 10, 20000, "empty work item round trip"),
                 chatter_whole(2)]),
    dict(name="smp-bochs-1cpu", machine="bochs", cpus=1, cmdline="smptest config=nope",
         expect=BOOT_LINES + ACPI_BOCHS + [bsp_line(1), r"smp: 1 CPU online", VMX_ALL],
         forbid=[r"FATAL.*", r"PANIC.*"] + NO_SECOND_CPU,
         checks=[chatter_whole(1)], status=1),
    dict(name="smp-bochs-acpi-off", machine="bochs", cpus=2, cmdline="acpi=off config=nope",
         expect=BOOT_LINES + [r"acpi: acpi=off on the command line: no ACPI tables used",
                              r"smp: no ACPI MADT: assuming one CPU", r"smp: 1 CPU online"],
         forbid=[r"FATAL.*", r"PANIC.*", r"acpi: RSDP.*"] + NO_SECOND_CPU, status=1),
    # ACPI S5 first: Bochs's PIIX4 powers off on PM1a_CNT (from the FADT, SLP_TYP from \_S5).
    dict(name="poweroff-acpi-bochs", machine="bochs", cpus=2, cmdline="poweroff=acpi config=nope",
         expect=BOOT_LINES + ACPI_BOCHS + [r"smp: 2 CPUs online", r"kestrel: exit status 1"],
         forbid=[r"power: ACPI S5 did not power off"], status=1),
    # QEMU TCG has no VMX: both CPUs come up without it, then the CPU check stops.
    dict(name="smp-qemu-tcg-2cpu", machine="qemu", smp=2, megs=256, cmdline="smptest",
         expect=BOOT_LINES + ACPI_QEMU + [bsp_line(2), ap_line("no VMX")] + SELFTEST +
         [r"cpu: CPU lacks VMX .*"],
         forbid=[r"FATAL.*", r"PANIC.*"], checks=[chatter_whole(2)], status=1),
    dict(name="smp-qemu-ovmf-2cpu", machine="qemu", uefi=True, smp=2, megs=256, timeout=120,
         cmdline="smptest",
         expect=BOOT_LINES + [r"mem: firmware map: EFI memory map \(tag 17\), \d+ entries"] +
         ACPI_QEMU + [bsp_line(2), ap_line("no VMX")] + SELFTEST + [r"cpu: CPU lacks VMX .*"],
         forbid=[r"FATAL.*", r"PANIC.*"], checks=[chatter_whole(2)], status=1),
]
