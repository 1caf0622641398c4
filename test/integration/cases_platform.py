"""Integration cases for the PC platform (config=platform, VM "pc"; same dict format as
cases.py). Each boots the test guest with a few of its platform scenarios
(guests/testguest/t_apic*.c, t_pit.c, t_rtc.c, t_uart.c; docs/guests.md) and expects each
to pass. apic_regs and ioapic_regs check reset values: they run first in their VM.
platform-uart types a line on COM1 (run.py's "type" steps, through Bochs's socket) that the
hypervisor hands to the VM with the console's input.
"""
import re

from cases import number

TSC_LINE = r"\[pc\] pc: TSC (\d+) Hz \(PIT channel 2, \d+ ticks in 20 ms\)"


def has_line(pattern):
    """A check: some line matches @pattern (wherever it is)."""
    rx = re.compile(pattern)
    return lambda lines: None if any(rx.fullmatch(l) for l in lines) else "no line " + pattern


def platform(name, scenarios, extra=(), checks=(), timeout=120, pending=False, args=""):
    names = scenarios.split(",")
    return dict(name=name, machine="bochs", megs=256, timeout=timeout, pending=pending,
                cmdline="config=platform guestargs=test=%s%s" % (scenarios, args),
                expect=[r"config: \"platform\" valid, 1 VM\(s\)"] + list(extra) +
                [r"\[pc\] TEST %s PASS" % n for n in names] +
                [r"\[pc\] ALL PASS", r"vm \"pc\": stopped \(debug-exit port\), status 0"],
                forbid=[r"FATAL.*", r"PANIC.*", r"\[pc\] TEST .* FAIL.*", r"\[pc\] EXCEPTION .*"],
                checks=list(checks))


PLATFORM_TESTS = [
    platform("platform-apic-regs", "apic_regs"),
    platform("platform-x2apic", "x2apic"),
    platform("platform-apic-timer", "apic_timer_periodic,apic_timer_oneshot"),
    platform("platform-tsc-deadline", "apic_tsc_deadline"),
    platform("platform-self-ipi", "self_ipi_nested,spurious,apic_nmi",
             checks=[has_line(r"\[pc\] apic_nmi: 3 NMIs, deepest nesting 1")]),
    # Bochs's TSC runs at ips (1e7 a second of its emulated time); the guest measures it
    # against the PIT, which must keep that time too.
    platform("platform-pit-pic", "pit_pic",
             checks=[number(TSC_LINE, 9000000, 11000000, "guest TSC Hz against the PIT")]),
    platform("platform-pit-ioapic", "ioapic_regs,pit_ioapic"),
    platform("platform-rtc", "rtc_periodic"),
    # The host types a line on COM1 (Bochs's socket) once the guest asks for it.
    dict(platform("platform-uart", "uart_irq", args="+uart_rx=1",
                  extra=[r"console: input goes to vm \"pc\" .*",
                         r"\[pc\] uart_irq: this line was sent by THRE interrupts",
                         r"\[pc\] uart_irq: type now",
                         r"\[pc\] uart_irq: received \"kestrel rx\" and CR by \d+ interrupts"]),
         type=[(r"\[pc\] uart_irq: type now", b"kestrel rx\r")]),
    platform("platform-absent", "absent_device"),
]
