"""The integration test table (see run.py for the fields)."""
import re


def number(pattern, lo, hi, what):
    """A check: the first line matching `pattern` has a number (group 1) in [lo, hi]."""
    rx = re.compile(pattern)

    def fn(lines):
        for l in lines:
            m = rx.fullmatch(l)
            if m:
                v = int(m.group(1))
                return None if lo <= v <= hi else "%s: %d not in [%d, %d]" % (what, v, lo, hi)
        return "%s: no line matches %s" % (what, pattern)
    return fn


VMX_ALL = (r"vmx: VMX yes, EPT yes \(4-level yes, WB yes, 2M yes, 1G yes, A/D yes\), INVEPT yes, "
           r"VPID yes, unrestricted guest yes, preemption timer yes, TRUE MSRs yes")
BOOT_LINES = [
    r"kestrel: micro-hypervisor, loaded by GRUB .*",
    r"boot: cmdline \".*\"",
]


def mem_lines(src):
    return [
        r"mem: firmware map: %s, \d+ entries" % src,
        r"mem: usable   \[0x[0-9a-f]{9}\.\.0x[0-9a-f]{9}\) +\d+ KiB",
        r"mem: reserved \[0x000000000\.\.0x000100000\) first MiB",
        r"mem: reserved \[0x000200000\.\.0x[0-9a-f]{9}\) hypervisor image",
        r"mem: free blocks per order( \d+:\d+){19}",
        r"mem: largest free block \d+ KiB \(order \d+\)",
        r"mem: total usable \d+ KiB, free \d+ KiB",
    ]


TOTAL = r"mem: total usable (\d+) KiB, free \d+ KiB"
LARGEST = r"mem: largest free block \d+ KiB \(order (\d+)\)"

TESTS = [
    dict(name="boot-bochs-skylake-128m", machine="bochs", megs=128,
         expect=BOOT_LINES + mem_lines(r"multiboot2 memory map \(tag 6\)") +
         [VMX_ALL, r"boot: checks done in \d+ instructions"],
         forbid=[r"FATAL.*", r"PANIC.*", r"boot: mb2.*"],
         checks=[number(TOTAL, 120 * 1024, 128 * 1024, "usable KiB for megs=128"),
                 number(LARGEST, 13, 13, "largest order for megs=128")]),
    dict(name="boot-bochs-skylake-2048m", machine="bochs", megs=2048,
         expect=BOOT_LINES + mem_lines(r"multiboot2 memory map \(tag 6\)") + [VMX_ALL],
         forbid=[r"FATAL.*", r"PANIC.*"],
         checks=[number(TOTAL, 2000 * 1024, 2048 * 1024, "usable KiB for megs=2048"),
                 number(LARGEST, 17, 17, "largest order with megs=2048 (ACPI data sits at the top of the "
                        "second GiB, so no 1 GiB block)")]),
    dict(name="boot-bochs-icelake", machine="bochs", cpu="corei7_icelake_u", megs=256,
         expect=BOOT_LINES + [VMX_ALL]),
    dict(name="noept-bochs-penryn", machine="bochs", cpu="core2_penryn_t9600", megs=128,
         expect=BOOT_LINES + [r"cpu: CPU lacks EPT .*",
                              r"cpu: kestrel needs Intel VT-x with EPT; stopping"],
         status=1),
    dict(name="novmx-bochs-ryzen", machine="bochs", cpu="ryzen", megs=128,
         expect=BOOT_LINES + [r"cpu: CPU lacks VMX \(CPUID.1:ECX bit 5 is clear\).*"],
         status=1),
    dict(name="novmx-qemu-tcg", machine="qemu", megs=256,
         expect=BOOT_LINES + mem_lines(r"multiboot2 memory map \(tag 6\)") +
         [r"cpu: CPU lacks VMX \(CPUID.1:ECX bit 5 is clear\).*",
          r"cpu: kestrel needs Intel VT-x with EPT; stopping"],
         checks=[number(TOTAL, 240 * 1024, 256 * 1024, "usable KiB for -m 256")],
         status=1),
    dict(name="uefi-qemu-ovmf", machine="qemu", uefi=True, megs=256, timeout=120,
         expect=BOOT_LINES + mem_lines(r"EFI memory map \(tag 17\)") +
         [r"cpu: CPU lacks VMX .*"],
         checks=[number(TOTAL, 200 * 1024, 256 * 1024, "usable KiB under OVMF")],
         status=1),
    dict(name="bad-loglevel", machine="bochs", cmdline="loglevel=chatty",
         expect=[r"boot: loglevel=chatty unknown \(error, warn, info, debug\): keeping info"] +
         BOOT_LINES + [VMX_ALL]),
    dict(name="loglevel-error-quiet", machine="qemu", cmdline="loglevel=error",
         expect=[r"cpu: CPU lacks VMX .*"],
         forbid=[r"mem: .*", r"kestrel: micro-hypervisor.*"],
         status=1),
]
