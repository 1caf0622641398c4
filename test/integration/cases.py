"""The integration test table (see run.py for the fields)."""
import re



def any_line(pattern):
    """A check: some line matches @pattern, wherever it is (lines of two CPUs interleave)."""
    rx = re.compile(pattern)
    return lambda lines: None if any(rx.fullmatch(l) for l in lines) else "no line " + pattern

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


def demand_returned(vm, kib):
    """A check: @vm's demand RAM went back to the buddy as exactly @kib KiB of frames."""
    rx = re.compile(r'vm "%s": demand RAM returned \d+ blocks; buddy free (\d+) KiB -> (\d+) KiB' % vm)

    def fn(lines):
        for l in lines:
            m = rx.fullmatch(l)
            if m:
                got = int(m.group(2)) - int(m.group(1))
                return None if got == kib else "vm %s: %d KiB returned, want %d" % (vm, got, kib)
        return "vm %s: no demand RAM returned line" % vm
    return fn


def in_order_for(vm, pats):
    """A check: @vm's lines (those naming it) match @pats in order, whatever other VMs print."""
    def check(lines):
        mine = [l for l in lines if ('[%s]' % vm) in l or ('"%s"' % vm) in l]
        pos = 0
        for pat in pats:
            rx = re.compile(pat)
            hit = next((i for i in range(pos, len(mine)) if rx.fullmatch(mine[i])), None)
            if hit is None:
                return "vm %s: missing line (in order): %s" % (vm, pat)
            pos = hit + 1
        return None
    return check


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
    # A control the CPU lacks (the hook hides "load IA32_EFER") is refused by name, not dropped.
    dict(name="bad-control-missing", machine="bochs", cmdline="inject=missing-control", modules=[],
         expect=[r"cpu: CPU lacks the VM-exit control \"load IA32_EFER\" \(bit 21; its "
                 r"capability MSR does not allow 1\)",
                 r"cpu: kestrel needs Intel VT-x with EPT; stopping"],
         forbid=[r"vmx: cannot enter VMX root.*", r"vm \".*\": .*"], status=1),
    dict(name="hv-exception-pf", machine="bochs", cmdline="inject=hv-pagefault", modules=[],
         expect=[r"FATAL: exception 14 \(#PF page fault\) error code 0x2",
                 r"  RIP 0008:[0-9a-f]{16} RFLAGS [0-9a-f]{16} CR2 0000100000000000",
                 r"  RAX [0-9a-f]{16} RBX .*", r"  R12 .*", r"  CR0 [0-9a-f]{16} CR3 .*"],
         status=2),
    dict(name="hv-exception-gp", machine="qemu", cmdline="inject=hv-gp", modules=[],
         expect=[r"FATAL: exception 13 \(#GP general protection\) error code 0x0",
                 r"  RIP 0008:[0-9a-f]{16} RFLAGS .*"], forbid=[r"cpu: .*"], status=2),
    dict(name="bad-loglevel", machine="bochs", cmdline="loglevel=chatty",
         expect=[r"boot: loglevel=chatty unknown \(error, warn, info, debug\): keeping info"] +
         BOOT_LINES + [VMX_ALL]),
    dict(name="loglevel-error-quiet", machine="qemu", cmdline="loglevel=error",
         expect=[r"cpu: CPU lacks VMX .*"],
         forbid=[r"mem: .*", r"kestrel: micro-hypervisor.*"],
         status=1),
]


# ---- guests (issue 3): one test per guest scenario, in Bochs with VMX and EPT ----

def guest(name, scenarios, expect, status=0, forbid=(), cmdline="", megs=256, cpu="corei7_skylake_x"):
    return dict(name=name, machine="bochs", cpu=cpu, megs=megs,
                cmdline=("config=test guestargs=test=%s %s" % (scenarios, cmdline)).strip(),
                expect=[r"config: \"test\" valid, 1 VM\(s\)"] + expect,
                forbid=[r"FATAL.*", r"PANIC.*", r"\[test\] TEST .* FAIL.*"] + list(forbid),
                status=status)


def passes(*names):
    return [r"\[test\] TEST %s PASS" % n for n in names] + [
        r"\[test\] ALL PASS", r"vm \"test\": stopped \(debug-exit port\), status 0"]


# A fault's report: the guest's registers, control and segment state, and its code at RIP.
GUEST_DUMP = [
    r"vm \"test\": guest state of vCPU 0:",
    r"vm \"test\":   RAX [0-9a-f]{16} RCX [0-9a-f]{16} RDX [0-9a-f]{16} RBX [0-9a-f]{16}",
    r"vm \"test\":   R12 [0-9a-f]{16} R13 [0-9a-f]{16} R14 [0-9a-f]{16} R15 [0-9a-f]{16}",
    r"vm \"test\":   RIP [0-9a-f]{16} RFLAGS [0-9a-f]{8} CR0 [0-9a-f]{8} CR2 [0-9a-f]{16} CR3 [0-9a-f]{16}",
    r"vm \"test\":   CR4 [0-9a-f]{8} EFER [0-9a-f]{8} GDTR .*",
    r"vm \"test\":   CS   sel [0-9a-f]{4} base [0-9a-f]{16} limit [0-9a-f]{8} ar [0-9a-f]{5}",
    r"vm \"test\":   code at RIP:( [0-9a-f]{2})+ .*",
]


def stopped_by(diag, reason="EPT violation", code=None):
    dump = GUEST_DUMP[:-1] + [code] if code else GUEST_DUMP
    return [diag] + dump + [r"vm \"test\": stopped \(%s\), status -1" % reason,
                            r"kestrel: vm \"test\" ended on a fault \(%s\)" % reason]


MAP = [
    r"vm \"test\": guest-physical map \(\d+ slots\)",
    r"  \[0x000000000\.\.0x008000000\) ram       rwx hpa 0x[0-9a-f]{9} mapped on first touch",
    r"  \[0x0c0000000\.\.0x0c0200000\) shared    rw- hpa 0x[0-9a-f]{9} first leaf 2M \"shm0\"",
    r"  \[0x0d0000000\.\.0x0d0001000\) mmio-emul rw- hpa 0x000000000 traps \"testdev\"",
    r"  \[0x0d0100000\.\.0x0d0101000\) mmio-pass r-- hpa 0x0000c0000 first leaf 4K",
    r"  \[0x0fff00000\.\.0x0fff10000\) rom       r-x hpa 0x[0-9a-f]{9} first leaf 4K \"testrom\"",
    r"  EPT: tables: \d+ pages",
    r"vm \"test\": loaded \"testguest\" \[0x100000\.\.0x[0-9a-f]+\) entry 0x[0-9a-f]+, "
    r"multiboot2 info at 0x10000, cmdline \"test=hello\"",
]

TESTS += [
    guest("guest-hello", "hello", MAP + [
        r"\[test\] hello: loader \"kestrel\" cmdline \"test=hello\"",
        r"\[test\] MMAP 0x0000000000000000-0x0000000008000000 type 1",
        r"\[test\] MMAP 0x00000000fff00000-0x00000000fff10000 type 2"] + passes("hello") + [
        r"vm \"test\": exits .*io:\d+.*", r"kestrel: exit status 0"]),
    guest("guest-cpuid", "cpuid", [
        r"\[test\] cpuid: 1\.ecx 0x[0-9a-f]+; 40000000: 0x40000001 0x7473654b 0x486c6572 0x00000056"]
        + passes("cpuid") + [r"vm \"test\": exits .*cpuid:\d+.*"]),
    guest("guest-hypercall", "hypercall", [
        r"\[test\] hypercall: hello through HC_CONSOLE_WRITE",
        r"\[test\] hypercall: vm_info version 3 id 0 ram 134217728 name \"test\" restarts 0 cpu 0"]
        + passes("hypercall") + [r"vm \"test\": exits .*vmcall:\d+.*"]),
    guest("guest-msr", "msr", passes("msr") + [r"vm \"test\": exits .*rdmsr:\d+.*"]),
    guest("stats-on-request", "stats", [
        r"stats: requested by vm \"test\"",
        r"stats: vm \"test\" cpu 0: \d+ exits, 0 restarts, 0 watchdog fires, .*",
        r"audit: vm \"test\": \d+ 4K frames in .*, 0 violation\(s\)",
        r"\[test\] stats: HC_STATS -> 0"] + passes("stats")),
    guest("guest-vmxon-ud", "vmxon", passes("vmxon") + [r"vm \"test\": exits .*vmxon:1.*"]),
    guest("guest-mmio", "mmio", passes("mmio") +
          [r"vm \"test\": exits .*ept-violation:\d+ ept-misconfig:\d+"]),
    guest("guest-mmio-extra", "mmio_extra,mmio_uart", passes("mmio_extra", "mmio_uart")),
    # The MMIO path's cached fetch follows a remapped code page (vmx/mmio.c, fetch_hit).
    guest("guest-mmio-fetch-remap", "fetch_remap", passes("fetch_remap")),
    guest("fault-nx-exec", "nx_exec", stopped_by(
        r"vm \"test\": EPT violation: instruction fetch at GPA 0xc0000000 \(fetch from "
        r"non-executable memory\).*\[access X, entry rw-\]"), status=3),
    guest("guest-regions", "rom,shared,passthrough",
          [r"\[test\] rom: magic \"KSTLROM1\" length \d+ checksum 0x[0-9a-f]+",
           r"\[test\] TEST rom PASS", r"\[test\] TEST shared PASS",
           r"\[test\] passthrough: option ROM signature 0xaa55, \d+ blocks of 512 bytes"]
          + passes("passthrough")),
    guest("fault-oob-read", "oob_read", stopped_by(
        r"vm \"test\": EPT violation: read at GPA 0x40000000 \(outside the VM's memory map\), "
        r"RIP 0x[0-9a-f]+, qualification 0x[0-9a-f]+ \[access R, entry ---\]",
        code=r"vm \"test\":   code at RIP: 48 8b 34 25 00 00 00 40( [0-9a-f]{2})+ \(MOV load, 8 bytes\)")
        + [r"kestrel: exit status 3"], status=3),
    guest("fault-oob-write", "oob_write", stopped_by(
        r"vm \"test\": EPT violation: write at GPA 0xe0000000 \(outside the VM's memory map\).*"
        r"\[access W, entry ---\]"), status=3),
    guest("fault-pt-in-mmio", "pt_in_mmio", stopped_by(
        r"vm \"test\": EPT violation: read at GPA 0xd0001000 \(guest paging-structure access "
        r"to emulated MMIO\), RIP 0x[0-9a-f]+, qualification 0x[0-9a-f]+ \[access R, entry ---\]"),
        status=3),
    guest("fault-oob-exec", "oob_exec", stopped_by(
        r"vm \"test\": EPT violation: instruction fetch at GPA 0x40000000 \(outside the VM's "
        r"memory map\), RIP 0x40000000.*\[access X, entry ---\]",
        code=r"vm \"test\":   code at RIP: not readable through the guest's page tables"), status=3),
    guest("fault-rom-write", "rom_write", stopped_by(
        r"vm \"test\": EPT violation: write at GPA 0xfff00000 \(write to read-only memory\).*"
        r"\[access W, entry r-x\]"), status=3),
    guest("fault-triple", "triple_fault", stopped_by(
        r"vm \"test\": triple fault at RIP 0x[0-9a-f]+ \(CR0 0x[0-9a-f]+ CR3 0x[0-9a-f]+ CR4 0x[0-9a-f]+\)",
        "triple fault")[:1] + [
        r"vm \"test\": exception chain: #DF \(vector 8\), then a fault while delivering it"] +
        stopped_by("", "triple fault")[1:-1] + [r"vm \"test\": exits exception-nmi:1 triple-fault:1 .*",
                                               stopped_by("", "triple fault")[-1]],
        status=3),
    guest("entry-fail-guest-state", "hello", [
        r"vm \"test\": VM entry failed: invalid guest state \(exit reason 33\)",
        r"vm \"test\":   audit: guest RFLAGS: bit 1 must be 1, bits 3, 5, 15 and 63:22 must be 0",
        r"vm \"test\":   audit: 1 problem\(s\) found; .*",
        r"vm \"test\": stopped \(VM entry failed\), status -1"], cmdline="inject=bad-guest-state",
        status=3),
    guest("entry-fail-control", "hello", [
        r"vm \"test\": VMLAUNCH failed, VM-instruction error 7",
        r"vm \"test\":   VM-instruction error 7: VM entry with invalid control field\(s\)",
        r"vm \"test\":   audit: processor-based controls violate their capability MSR",
        r"vm \"test\": stopped \(VM entry failed\), status -1"], cmdline="inject=bad-control",
        status=3),
    dict(name="guest-mb1", machine="bochs", megs=256, cmdline="config=mb1",
         expect=[r"vm \"legacy\": module 0 \"testrom\" at 0x[0-9a-f]+, 65536 bytes",
                 r"vm \"legacy\": module 1 \"testguest\" at 0x[0-9a-f]+, \d+ bytes",
                 r"vm \"legacy\": loaded \"mb1guest\" .* multiboot info at 0x10000.*",
                 r"\[legacy\] MB1 magic ok",
                 r"\[legacy\] MB1 cmdline \"hello from kestrel\"",
                 r"\[legacy\] MB1 modules 2",
                 r"\[legacy\] MB1 module 0 \"testrom\" at 0x[0-9a-f]{8} size 65536 bytes "
                 r"4b 53 54 4c 52 4f 4d 31",
                 r"\[legacy\] MB1 module 1 \"testguest\" at 0x[0-9a-f]{8} size \d+ bytes "
                 r"7f 45 4c 46 02 01 01 00",
                 r"\[legacy\] MB1 PASS",
                 r"vm \"legacy\": stopped \(debug-exit port\), status 0"],
         forbid=[r"FATAL.*", r"PANIC.*"]),
    dict(name="config-overlap", machine="bochs", cmdline="config=bad-overlap",
         expect=[r"config: vm \"rt0\": region 1 \[0x100000\.\.0x300000\) overlaps region 0 "
                 r"\[0x0\.\.0x200000\)", r"config: \"bad-overlap\" rejected; no VM was started"],
         forbid=[r"vm \"rt0\": loaded.*"], status=1),
    dict(name="config-missing-module", machine="bochs", cmdline="config=bad-module",
         expect=[r"config: vm \"lost\": .*nosuchkernel.*",
                 r"config: \"bad-module\" rejected; no VM was started"], status=1),
    dict(name="config-too-big", machine="bochs", cmdline="config=bad-huge",
         expect=[r"config: config \"bad-huge\": guest memory 0x1000000000 \(ram 0x1000000000 \+ rom "
                 r"0x0 \+ shared 0x0\) exceeds free RAM 0x[0-9a-f]+",
                 r"config: \"bad-huge\" rejected; no VM was started"],
         status=1),
    # platform hardware is never passed through: the host's IOAPIC (MADT), HPET (the default
    # page: Bochs lists no HPET table), local APIC, and the BIOS's reserved e820 range
    dict(name="config-pass-ioapic", machine="bochs",
         cmdline="vm=x,ram=16M,image=testguest,pass=0xd0000000:4K:0xfec00000",
         expect=[r"config: vm \"x\": region 1 \[0xd0000000\.\.0xd0001000\) passthrough "
                 r"\[0xfec00000\.\.0xfec01000\) covers the host's IOAPIC at 0xfec00000",
                 r"config: \"cmdline\" rejected; no VM was started"],
         forbid=[r"vm \"x\": loaded.*"], status=1),
    dict(name="config-pass-platform", machine="bochs",
         cmdline="vm=x,ram=16M,image=testguest,pass=0xd0000000:4K:0xc0000,"
                 "pass=0xd0100000:4K:0xfed00000",
         expect=[r"config: vm \"x\": region 2 \[0xd0100000\.\.0xd0101000\) passthrough "
                 r"\[0xfed00000\.\.0xfed01000\) covers the host's HPET at 0xfed00000",
                 r"config: \"cmdline\" rejected; no VM was started"], status=1),
    dict(name="config-pass-lapic", machine="bochs",
         cmdline="vm=x,ram=16M,image=testguest,pass=0xd0000000:64K:0xfedf8000",
         expect=[r"config: vm \"x\": region 1 \[0xd0000000\.\.0xd0010000\) passthrough "
                 r"\[0xfedf8000\.\.0xfee08000\) covers the host's local APIC at 0xfee00000"],
         status=1),
    dict(name="config-pass-firmware", machine="bochs",
         cmdline="vm=x,ram=16M,image=testguest,pass=0xd0000000:4K:0xffffe000",
         expect=[r"config: vm \"x\": region 1 \[0xd0000000\.\.0xd0001000\) passthrough "
                 r"\[0xffffe000\.\.0xfffff000\) covers the host's firmware-reserved range "
                 r"\(reserved\) \[0x[0-9a-f]+\.\.0x100000000\)"],
         status=1),
    # one past a runtime table is refused by the validator, never cut short or left to the
    # builder: 7 emulated devices (8 instances a VM, 2 the platform's), 65 buddy blocks
    dict(name="config-limit-devices", machine="bochs",
         cmdline="vm=x,ram=16M,image=testguest," +
                 ",".join("mmio=0x%x:4K:uart" % (0xd0000000 + i * 0x1000) for i in range(7)),
         expect=[r"config: vm \"x\": 7 emulated devices, limit 6 \(8 per VM, 2 of them the "
                 r"platform's\)", r"config: \"cmdline\" rejected; no VM was started"],
         forbid=[r"vm \"x\": loaded.*"], status=1),
    dict(name="config-limit-ram-blocks", machine="bochs",
         # 255 pages from an odd frame: blocks of 1, 2, 4, ... 128 pages, 8 a region
         cmdline="vm=x,ram=16M,image=testguest," +
                 ",".join("ram=0x%x:0xFF000" % (0x1001000 + k * 0x100000) for k in range(8)),
         expect=[r"config: vm \"x\": RAM and ROM take more than 64 buddy blocks by region 8 "
                 r"\(align regions to their size\)",
                 r"config: \"cmdline\" rejected; no VM was started"],
         forbid=[r"vm \"x\": loaded.*"], status=1),
    dict(name="config-limit-guestargs", machine="bochs", cmdline="guestargs=" + "a" * 128,
         expect=[r"config: guestargs= longer than 127 characters: refused, not cut short"],
         forbid=[r"vm \"demo\": loaded.*"], status=1),
    dict(name="guest-image-malformed", machine="bochs", cmdline="config=bad-image",
         expect=[r"vm \"garbled\": guest image \"testrom\": multiboot2: no header in the first "
                 r"32768 bytes", r"vm \"garbled\": not started"],
         forbid=[r"FATAL.*", r"\[garbled\].*"], status=1),
    dict(name="config-unknown", machine="bochs", cmdline="config=nope",
         expect=[r"config: no configuration named \"nope\"; built in: demo mb1 pair hostile secret "
                 r"watchdog heartbeat; or describe VMs with vm= words \(docs/config.md\)"],
         forbid=[r"config: no configuration .* (test|bad-\S+)( .*|;.*)"], status=1),
    dict(name="run-demo", machine="bochs", megs=256, cmdline="",
         expect=[r"config: \"demo\" valid, 1 VM\(s\)", r"\[demo\] ALL PASS",
                 r"vm \"demo\": stopped \(debug-exit port\), status 0"],
         forbid=[r"FATAL.*", r"PANIC.*", r"\[demo\] TEST .* FAIL.*"]),
    # The default log (loglevel=info) fits one screen before the guest speaks; detail waits
    # for loglevel=debug. The guest's console is shown at every level.
    dict(name="boot-log-one-screen", machine="bochs", megs=256, cmdline="loglevel=info",
         expect=[r"kestrel: micro-hypervisor, loaded by GRUB .*", r"mem: total usable \d+ KiB.*",
                 r"config: \"demo\" valid, 1 VM\(s\)", r"vm \"demo\": loaded .*",
                 r"\[demo\] ALL PASS", r"vm \"demo\": stopped \(debug-exit port\), status 0"],
         forbid=[r"mem: usable .*", r"mem: reserved .*", r"  EPT: .*", r"  \[0x.*", r"boot: module .*",
                 r"audit: .*", r"stats: vm .*"],
         checks=[lambda lines: None if next(i for i, l in enumerate(lines) if l.startswith("[demo]"))
                 <= 20 else "more than 20 hypervisor lines before the guest's first"]),
    # config=probe: the machine's CPUs, memory map and a starter vm= line, at any log level
    dict(name="config-probe", machine="bochs", megs=256, cpus=2, cmdline="config=probe loglevel=error",
         expect=[r"probe: CPUs \(ACPI MADT\): 2 enabled, 0 disabled, 2 online; local APIC at 0xfee00000",
                 r"probe:   cpu 0: APIC ID 0, boot CPU", r"probe:   cpu 1: APIC ID 1",
                 r"probe:   IOAPIC id \d+ at 0xfec00000, GSI base 0",
                 r"probe: firmware memory map \(\d+ entries\):",
                 r"probe:   \[0x000100000\.\.0x00fff0000\) usable RAM",
                 r"probe: RAM kestrel manages: \d+ MiB, \d+ MiB free for VMs",
                 r"probe:   vm=guest,cpus=1,ram=\d+M,image=kernel,cmdline=console=ttyS0",
                 r"kestrel: exit status 0"],
         forbid=[r"config: .*", r"vm \".*"]),
    dict(name="guest-console-at-loglevel-error", machine="bochs", megs=256, cmdline="loglevel=error",
         expect=[r"\[demo\] ALL PASS", r"kestrel: exit status 0"],
         forbid=[r"config: .*", r"vm \"demo\": .*"]),
]


# ---- partitioning (issue 4), one VM at a time ----
TESTS += [
    dict(name="restart-scrubs-secret", machine="bochs", megs=256, cmdline="config=secret",
         expect=[r"\[keeper\] secret: CPU state planted \(6 MSRs, DR0-3, CR2, XMM0/7/15, MXCSR\)",
                 r"\[keeper\] SECRET written",
                 r"vm \"keeper\": debug-exit port \(status 7\): restarting at TSC \d+",
                 r"vm \"keeper\": loaded \"testguest\" .*",
                 r"\[keeper\] secret: restarts 1, 3 places",
                 r"\[keeper\] secret: CPU state after the restart checked",
                 r"\[keeper\] secret: 32768 KiB of RAM scanned, 0 words not zero",
                 r"\[keeper\] TEST secret PASS",
                 r"vm \"keeper\": stopped \(exit hypercall\), status 0",
                 r"vm \"keeper\": cpu 0, restarts 1, watchdog fires 0, .*"],
         forbid=[r"FATAL.*", r".*FAIL.*"]),
    # The largest VM Bochs allows (megs is capped at 2048): RAM zeroed 2 MiB at a time on
    # first touch, the scan of its first GiB (all the guest maps) finds no byte of the boot before.
    dict(name="restart-scrubs-secret-1536m", machine="bochs", megs=2048, timeout=900,
         cmdline="vm=keeper,ram=1536M,image=testguest,policy=restart,cmdline=test=secret",
         expect=[r"\[keeper\] SECRET written",
                 r"vm \"keeper\": debug-exit port \(status 7\): restarting at TSC \d+",
                 r"\[keeper\] secret: restarts 1, 3 places",
                 r"\[keeper\] secret: \d+ KiB of RAM scanned, 0 words not zero",
                 r"\[keeper\] TEST secret PASS",
                 r"vm \"keeper\": RAM zeroed on first touch: \d+ x 2 MiB by the guest .*",
                 r"audit: vm \"keeper\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*"]),
    # Two VMs on two CPUs restart at once: each boot's secret is gone for the next one.
    # Two VMs on two CPUs restart at once: each boot's secret is gone for the next one.
    dict(name="restart-scrubs-secret-smp", machine="bochs", megs=256, cpus=2, timeout=180,
         cmdline="vm=keeper,cpus=0,ram=32M,image=testguest,policy=restart,cmdline=test=secret "
                 "vm=holder,cpus=1,ram=64M,image=testguest,policy=restart,cmdline=test=secret",
         expect=[r"smp: 2 CPUs online"],
         checks=[in_order_for("keeper", [r"\[keeper\] SECRET written",
                                         r"vm \"keeper\": debug-exit port \(status 7\): restarting at TSC \d+",
                                         r"\[keeper\] secret: restarts 1, 3 places",
                                         r"\[keeper\] secret: \d+ KiB of RAM scanned, 0 words not zero",
                                         r"\[keeper\] TEST secret PASS",
                                         r"vm \"keeper\": cpu 0, restarts 1, .*"]),
                 in_order_for("holder", [r"\[holder\] SECRET written",
                                         r"vm \"holder\": debug-exit port \(status 7\): restarting at TSC \d+",
                                         r"\[holder\] secret: restarts 1, 3 places",
                                         r"\[holder\] secret: \d+ KiB of RAM scanned, 0 words not zero",
                                         r"\[holder\] TEST secret PASS",
                                         r"vm \"holder\": cpu 1, restarts 1, .*"])],
         forbid=[r"FATAL.*", r".*FAIL.*"]),
    # Demand-faulted RAM (issue 15): a 512 MiB region on a 256 MiB machine, 4 KiB blocks only;
    # the guest touches 3 pages and that costs 3 blocks (and 3 map pages), all returned at stop.
    dict(name="demand-3-pages", machine="bochs", megs=256, timeout=120,
         cmdline="vm=d,ram=16M,demand4k=0x20000000:512M,image=testguest,"
                 "cmdline=test=demand dgpa=0x20000000 dsize=0x20000000 touch=3",
         expect=[r"config: \"cmdline\" valid, 1 VM\(s\)",
                 r"  \[0x020000000\.\.0x040000000\) ram +rwx hpa 0x000000000 demand-faulted",
                 r"\[d\] demand: 3 pages read zero first, then back what was written: 0 bad",
                 r"\[d\] TEST demand PASS",
                 r"vm \"d\": stopped \(exit hypercall\), status 0",
                 r"vm \"d\": demand RAM: 3 faults \(\d+ TSC each\), 0 blocks taken by the host; "
                 r"took 3 x 4K \+ 0 x 2M \(0 2M fallbacks, 0 out of memory\); holds 0 x 4K \+ 0 x 2M "
                 r"= 0 KiB \(peak 12 KiB\), 0 map pages; 3 blocks returned"],
         forbid=[r"FATAL.*", r".*FAIL.*"],
         # the buddy gets back 36 KiB: the 3 frames, their 3 map pages, and the 3 EPT page
         # tables (one per 2 MiB touched) their leaves needed; nothing else moved
         checks=[demand_returned("d", 36)]),
    # 2 MiB blocks; the first boot writes its 3 pages and restarts, the next reads zeros:
    # every block went back to the buddy at the restart and the VM faults in again.
    dict(name="demand-restart", machine="bochs", megs=256, timeout=120,
         cmdline="vm=d,ram=16M,demand=0x20000000:64M,image=testguest,policy=restart,"
                 "cmdline=test=demand dgpa=0x20000000 dsize=0x4000000 touch=3 restart=1",
         expect=[r"\[d\] demand: restarts 0, 3 pages of \[0x20000000\.\.0x24000000\)",
                 r"vm \"d\": debug-exit port \(status 7\): restarting at TSC \d+",
                 r"\[d\] demand: restarts 1, 3 pages of \[0x20000000\.\.0x24000000\)",
                 r"\[d\] demand: 3 pages read zero first, then back what was written: 0 bad",
                 r"\[d\] TEST demand PASS",
                 r"vm \"d\": demand RAM: 6 faults \(\d+ TSC each\), 0 blocks taken by the host; "
                 r"took 0 x 4K \+ 6 x 2M \(0 2M fallbacks, 0 out of memory\); holds 0 x 4K \+ 0 x 2M "
                 r"= 0 KiB \(peak 6144 KiB\), 0 map pages; 6 blocks returned",
                 r"audit: vm \"d\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*"]),
    # A demand region larger than the machine's free memory, written page by page: the VM
    # stops out of memory with a named error; its neighbour on the other CPU goes on, and
    # its own demand region faults in from what the stopped VM gave back.
    dict(name="demand-out-of-memory", machine="bochs", megs=128, cpus=2, timeout=180,
         cmdline="vm=hog,cpus=0,ram=16M,demand=0x10000000:768M,image=testguest,"
                 "cmdline=test=demand dgpa=0x10000000 dsize=0x30000000 touch=all "
                 "vm=nb,cpus=1,ram=16M,demand4k=0x20000000:512M,image=testguest,"
                 "cmdline=test=demand dgpa=0x20000000 dsize=0x20000000 touch=3 wait=10000000",
         expect=[r"\[hog\] demand: writing at 0x10000000",
                 r"vm \"hog\": demand region 1 at GPA 0x10000000: out of memory \(no block for "
                 r"GPA 0x[0-9a-f]+; it holds \d+ KiB of 0x30000000 bytes\)",
                 # every free frame was the hog's: all of it comes back
                 r"vm \"hog\": demand RAM returned \d+ blocks; buddy free 0 KiB -> \d+ KiB",
                 r"vm \"hog\": stopped \(demand RAM out of memory\), status -12",
                 r"vm \"hog\": demand RAM: \d+ faults .* [1-9]\d* x 2M .* 1 out of memory\).*",
                 r"\[nb\] demand: 3 pages read zero first, then back what was written: 0 bad",
                 r"\[nb\] TEST demand PASS",
                 r"vm \"nb\": stopped \(exit hypercall\), status 0",
                 r"vm \"nb\": demand RAM: 3 faults .* took 3 x 4K \+ 0 x 2M \(0 2M fallbacks, 0 out "
                 r"of memory\).*",
                 r"kestrel: vm \"hog\" ended on a fault \(demand RAM out of memory\)"],
         forbid=[r"FATAL.*", r"PANIC.*", r"\[hog\] .*FAIL.*", r"\[nb\] .*FAIL.*",
                 r"vm \"nb\": demand region .*"],
         status=3),
    dict(name="watchdog-stops-spinner", machine="bochs", megs=256, cmdline="config=watchdog",
         expect=[r"\[sleepy\] ATTEMPT spin without heartbeat",
                 r"vm \"sleepy\": watchdog: no heartbeat within 2000000 us = \d+ TSC ticks \(RIP 0x[0-9a-f]+\)",
                 r"vm \"sleepy\": stopped \(watchdog\), status -1",
                 r"vm \"sleepy\": cpu 0, restarts 0, watchdog fires 1, .*"],
         forbid=[r"FATAL.*"]),
    dict(name="watchdog-fed-by-heartbeat", machine="bochs", megs=256, cmdline="config=heartbeat",
         expect=[r"\[lively\] TEST heartbeat PASS",
                 r"vm \"lively\": stopped \(debug-exit port\), status 0",
                 r"vm \"lively\": cpu 0, restarts 0, watchdog fires 0, .*"],
         forbid=[r"FATAL.*", r".*watchdog: no heartbeat.*"]),
]


# ---- partitioning (issue 4), two VMs on two CPUs ----

def victim_alive_through_attacks(min_windows):
    """The victim's lines keep coming while the attacker is restarted again and again, with
    the checksum of its memory unchanged, and still after the last attack."""
    attack = re.compile(r"\[attacker\] ATTACK (\d+)/(\d+) .*")
    alive = re.compile(r"\[victim\] VICTIM alive \d+ checksum (0x[0-9a-f]+) ok")

    def fn(lines):
        last, total, windows, sums = -1, None, set(), set()
        for l in lines:
            m = attack.fullmatch(l)
            if m:
                last, total = int(m.group(1)), int(m.group(2))
            m = alive.fullmatch(l)
            if m:
                windows.add(last)
                sums.add(m.group(1))
        if len(sums) != 1:
            return "victim checksums differ: %s" % sorted(sums)
        if total is None or total - 1 not in windows:
            return "no victim line after the last attack (windows %s)" % sorted(windows)
        if len(windows) < min_windows:
            return "victim output in only %d attack windows: %s" % (len(windows), sorted(windows))
        return None
    return fn


def own_boots(name, cpu):
    """Boots 0..10 of @name each said its command line and boot information were its own."""
    rx = re.compile(r"\[%s\] restart_loop: boot (\d+)/10 on cpu %d: command line and boot "
                    r"information are its own" % (name, cpu))

    def fn(lines):
        boots = [int(m.group(1)) for m in (rx.fullmatch(l) for l in lines) if m]
        if boots != list(range(11)):
            return "%s's boots %s, want 0..10 in order" % (name, boots)
        if not any(re.fullmatch(r"\[%s\] TEST restart_loop PASS" % name, l) for l in lines):
            return "no PASS line from %s" % name
        return None
    return fn


def restarts_overlap(lines):
    """The two loops ran at the same time: beta booted between alpha's first and last boot."""
    a = [i for i, l in enumerate(lines) if l.startswith("[alpha] restart_loop: boot")]
    b = [i for i, l in enumerate(lines) if l.startswith("[beta] restart_loop: boot")]
    if not a or not b or not any(a[0] < i < a[-1] for i in b):
        return "the restart loops did not overlap"
    return None


def nmis_all_counted(lines):
    """As many NMIs counted on the attacker's CPU as the hook sent it."""
    sent = [int(m.group(1)) for m in (re.fullmatch(r"inject: (\d+) NMI\(s\) to cpu 1, .*", l)
                                      for l in lines) if m]
    got = [int(m.group(1)) for m in (re.fullmatch(r"stats: cpu 1: (\d+) host NMIs .*", l)
                                     for l in lines) if m]
    if len(sent) != 1 or not got or got[-1] != sent[0]:
        return "NMIs sent to cpu 1 %s, counted %s" % (sent, got)
    return None


TESTS += [
    dict(name="pair-ring-doorbell", machine="bochs", megs=256, cpus=2, cmdline="config=pair",
         expect=[r"smp: 2 CPUs online", r"config: \"pair\" valid, 2 VM\(s\)",
                 r"audit: vm \"ping\": .* 0 violation\(s\)", r"audit: vm \"pong\": .* 0 violation\(s\)",
                 r"\[ping\] RING sent 1000", r"\[pong\] TEST ring_consumer PASS",
                 r"\[ping\] TEST ring_producer PASS",
                 r"stats: vm \"ping\" cpu 0: \d+ exits, 0 restarts, 0 watchdog fires, .*",
                 r"stats: vm \"pong\" cpu 1: \d+ exits, 0 restarts, 0 watchdog fires, .*",
                 r"stats: cpu 0: \d+ exits", r"stats: cpu 1: \d+ exits"],
         forbid=[r"FATAL.*", r".*FAIL.*", r"audit: .* [1-9]\d* violation\(s\)"],
         checks=[number(r"\[pong\] RING received (\d+) checksum 0x[0-9a-f]+", 1000, 1000,
                        "messages received")], timeout=120),
    # Physical NMIs: one to the boot CPU in VMX root before any VM runs, then to the
    # attacker's CPU until one arrives while its guest runs (the others land in root).
    # Each is counted on its CPU, none is fatal, none reaches a guest, the run goes on.
    dict(name="nmi-host-survives", machine="bochs", megs=256, cpus=2,
         cmdline="config=hostile inject=nmi",
         expect=[r"smp: 2 CPUs online",
                 r"inject: NMI to cpu 0 in VMX root: 1 taken, the boot goes on",
                 r"inject: \d+ NMI\(s\) to cpu 1, running vm \"attacker\": 1 arrived in its guest",
                 r"\[attacker\] HOSTILE DONE 43", r"\[attacker\] TEST hostile PASS",
                 r"vm \"victim\": stopped \(run ended\), status 0",
                 r"stats: cpu 0: 1 host NMIs \(counted, none fatal, none given to a guest\)",
                 r"stats: cpu 1: \d+ host NMIs \(counted, none fatal, none given to a guest\)"],
         forbid=[r"FATAL.*", r".*FAIL.*", r"\[victim\] VICTIM checksum changed.*"],
         checks=[nmis_all_counted, victim_alive_through_attacks(20)], timeout=200),
    # Two VMs restarting at once, 10 times each on their own CPUs: every boot checks that
    # its command line and boot information are its own (t_restart.c). The loops overlap.
    dict(name="restart-concurrent-own-cmdline", machine="bochs", megs=256, cpus=2,
         cmdline="vm=alpha,cpus=0,ram=4M,image=testguest,policy=restart,"
                 "cmdline=test=restart_loop self=alpha boots=10 mib=4 "
                 "vm=beta,cpus=1,ram=6M,image=testguest,policy=restart,"
                 "cmdline=test=restart_loop self=beta boots=10 mib=6",
         expect=[r"\[alpha\] restart_loop: boot 10/10 on cpu 0: command line and boot "
                 r"information are its own",
                 r"vm \"alpha\": cpu 0, restarts 10, watchdog fires 0, .*"],
         forbid=[r"FATAL.*", r".*FAIL.*", r".*fail:.*"],
         checks=[any_line(r"vm \"beta\": cpu 1, restarts 10, watchdog fires 0, .*"),
                 restarts_overlap, own_boots("alpha", 0), own_boots("beta", 1)],
         timeout=200),
    dict(name="hostile-neighbour", machine="bochs", megs=256, cpus=2, cmdline="config=hostile",
         expect=[r"smp: 2 CPUs online",
                 r"\[attacker\] ATTACK survived-ok HC_DOORBELL a VM its peers do not name -> -EPERM",
                 r"\[attacker\] ATTACK 0 done: \d+ probes answered as promised",
                 r"vm \"attacker\": EPT violation: read at GPA 0x1000000 \(outside the VM's memory map\).*",
                 r"vm \"attacker\": triple fault at RIP .*",
                 r"vm \"attacker\": watchdog: no heartbeat within 2000000 us = \d+ TSC ticks .*",
                 r"\[attacker\] HOSTILE DONE 43", r"\[attacker\] TEST hostile PASS",
                 r"vm \"attacker\": stopped \(exit hypercall\), status 0",
                 # MONITOR and MWAIT exited (intercepted) and the guest got #UD for each
                 r"vm \"attacker\": exits .* mwait:1 monitor:1 .*",
                 r"vm \"attacker\": cpu 1, restarts 43, watchdog fires 1, .*",
                 r"vm \"victim\": stopped \(run ended\), status 0",
                 r"audit: vm \"victim\": .* 0 violation\(s\)",
                 r"audit: vm \"attacker\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*", r"\[victim\] VICTIM checksum changed.*"],
         checks=[victim_alive_through_attacks(20)], timeout=200),
    # the same attacks from a VM of two vCPUs (CPUs 1 and 2) on the PC platform
    dict(name="hostile-neighbour-2vcpu", machine="bochs", megs=256, cpus=3,
         cmdline="config=hostile2",
         expect=[r"smp: 3 CPUs online",
                 r"\[attacker\] ATTACK 0 done: \d+ probes answered as promised",
                 r"vm \"attacker\": triple fault at RIP .*",
                 r"\[attacker\] HOSTILE DONE 43", r"\[attacker\] TEST hostile PASS",
                 r"vm \"attacker\": stopped \(exit hypercall\), status 0",
                 r"vm \"attacker\": vCPU 1 on CPU 2: .*",
                 r"vm \"victim\": stopped \(run ended\), status 0",
                 r"audit: vm \"victim\": .* 0 violation\(s\)",
                 r"audit: vm \"attacker\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*", r"\[victim\] VICTIM checksum changed.*"],
         checks=[victim_alive_through_attacks(20)], timeout=300),
]


# ---- checkpoints and the rollback policy (issue 15, vm/ckpt.c, t_ckpt.c) ----
# Both VMs on the PC platform: its device blocks and the local APIC's page are checkpointed.
def rollback_continues(lines):
    """After its rollback, "ck" prints what the undisturbed "ref" printed after the same
    checkpoint (count 9): the same sum at every later count and at the end. (Bochs's own log
    lines can land inside a guest line; such a line is left out, not compared.)"""
    rx = re.compile(r"ckpt: (count \d+|done at count \d+) sum (0x[0-9a-f]+)")

    def after(name, marker):
        own = [l[len(name) + 3:] for l in lines if l.startswith("[%s] " % name)]
        idx = [i for i, l in enumerate(own) if l == marker]
        if not idx:
            return None
        return dict(m.groups() for m in (rx.fullmatch(l) for l in own[idx[-1] + 1:]) if m)
    ck = after("ck", "ckpt: resumed from the checkpoint at count 9")
    ref = after("ref", "ckpt: checkpoint taken at count 9")
    if ck is None or ref is None:
        return "no resumed line from ck or no checkpoint line from ref"
    want = ["count %d" % i for i in range(10, 20)] + ["done at count 20"]
    if any(k not in ck and k not in ref for k in want) or len(set(ck) & set(ref)) < 8:
        return "counts after the checkpoint missing: ck %s, ref %s" % (sorted(ck), sorted(ref))
    diff = [k for k in want if k in ck and k in ref and ck[k] != ref[k]]
    if diff or set(ck) - set(want) or set(ref) - set(want):
        return "ck after rollback differs from ref at %s" % (diff or sorted(set(ck) ^ set(ref)))
    return None


TESTS += [
    dict(name="ckpt-rollback", machine="bochs", megs=128, cpus=2,
         cmdline="vm=ck,cpus=0,ram=16M,image=testguest,platform=pc,policy=rollback,restarts=3,"
                 "checkpoint=16908K,cmdline=test=ckpt fault=14 other=1 nospc=1 "
                 "vm=ref,cpus=1,ram=16M,image=testguest,platform=pc,checkpoint=16908K,"
                 "cmdline=test=ckpt nospc=1",
         expect=[r"vm \"ck\": checkpoints: 16908 KiB reserved \(RAM mirror 16384 KiB, state 2 x "
                 r"24 KiB, bitmaps 12 KiB, staging 464 KiB\), period 0 us",
                 r"\[ck\] ckpt: checkpoint taken at count 9",
                 r"vm \"ck\": triple fault \(status -1\): restarting at TSC \d+",
                 r"vm \"ck\": rolled back to checkpoint 2: \d+ RAM pages restored in \d+ TSC "
                 r"ticks; the guest's clock jumps forward",
                 r"\[ck\] ckpt: resumed from the checkpoint at count 9",
                 r"\[ck\] ckpt: done at count 20 sum 0x[0-9a-f]+",
                 r"vm \"ck\": checkpoint refused: \d+ KiB written since the last one, the staging "
                 r"area holds 464 KiB \(reserved 16908 KiB\); checkpoint 2 stands",
                 r"\[ck\] ckpt: refused with -28", r"\[ck\] TEST ckpt PASS",
                 r"vm \"ck\": checkpoints 2 \(full 1, .*\), refused 1, rollbacks 1; .*"],
         forbid=[r".*FAIL.*", r"FATAL.*"], checks=[rollback_continues], timeout=120),
]


# ---- dirty logging (issue 15, item 1): the same guest on the PML and write-protect paths ----
def dirty_case(name, cpu, path, cmdline="", wp_faults="0", pml_full="0"):
    want = [r"\[dirty\] dirty: first writes: harvest of region 1: 7 pages: 0 1 7 64 511 512 1023",
            r"\[dirty\] dirty: again: harvest of region 1: 0 pages:",
            r"\[dirty\] dirty: after the harvest: harvest of region 1: 2 pages: 7 300",
            r"\[dirty\] dirty: in split 2 MiB leaves: harvest of region 2: 3 pages: 3 600 1000",
            r"\[dirty\] dirty: after the harvest: harvest of region 2: 1 pages: 3",
            r"\[dirty\] dirty: nothing lost by the refused harvests: harvest of region 1: 1 pages: 5",
            r"\[dirty\] dirty: sweep: harvest of region 1: 1024 pages: 0 1 2 3 .*",
            r"\[dirty\] dirty: after the sweep: harvest of region 1: 0 pages:",
            r"\[dirty\] TEST dirty PASS", r"\[dirty\] ALL PASS",
            r"vm \"dirty\": dirty log \(%s\): %s write-protect faults, %s PML-full exits, .*"
            % (path, wp_faults, pml_full)]
    return dict(name=name, machine="bochs", cpu=cpu, megs=256,
                cmdline=cmdline or "config=dirty",
                expect=[r"config: \"dirty(-wp)?\" valid, 1 VM\(s\)"] + want,
                forbid=[r"FATAL.*", r"PANIC.*", r".*FAIL.*"])


TESTS += [
    # Skylake-X has PML: the log drains into the bitmaps (the sweep's 1024 pages fill it
    # twice); no write-protect faults at all
    dirty_case("dirty-log-pml", "corei7_skylake_x", "PML", pml_full="[1-9]"),
    # the same CPU, region 1 not logged from boot: the VM takes write-protection; 7 + 2 +
    # 3 + 1 + 1 first writes and the sweep's 1024, each one fault
    dirty_case("dirty-log-wp", "corei7_skylake_x", "write-protect", "config=dirty-wp",
               wp_faults="1038"),
    # Haswell has no PML: write-protection without being asked
    dirty_case("dirty-log-haswell", "corei7_haswell_4770", "write-protect", wp_faults="1038"),
]

# Run-time RAM slots (issue 15): slotctl (privileged, CPU 0) adds a 2 MiB slot to slotee while
# slotee runs on CPU 1; slotee reads zeros, writes and reads it back; slotctl removes it, and
# slotee's next read there stops it as outside its map (the fault its configuration expects).
TESTS += [
    dict(name="slots-add-remove-neighbour", machine="bochs", megs=256, cpus=2,
         cmdline="config=slots",
         expect=[r"smp: 2 CPUs online",
                 r"\[slotee\] SLOTS refused unprivileged add: -1",
                 r"\[slotee\] SLOTS refused unprivileged remove: -1",
                 r"\[slotctl\] SLOTS ctl: target is vm 1",
                 r"\[slotctl\] SLOTS refused unaligned gpa: -22",
                 r"\[slotctl\] SLOTS refused no rights: -95",
                 r"\[slotctl\] SLOTS refused rights bit 63: -95",
                 r"\[slotctl\] SLOTS refused wrap: -34",
                 r"\[slotctl\] SLOTS refused above 2\^48: -34",
                 r"\[slotctl\] SLOTS refused overlaps RAM: -17",
                 r"\[slotctl\] SLOTS refused overlaps shm0: -17",
                 r"\[slotctl\] SLOTS refused beyond 2 GiB of run-time RAM: -7",
                 r"\[slotctl\] SLOTS refused no such VM: -19",
                 r"\[slotctl\] SLOTS refused id's upper bits: -19",
                 r"\[slotctl\] SLOTS refused remove configured RAM: -14",
                 r"\[slotctl\] SLOTS refused remove nothing: -2",
                 r"\[slotctl\] SLOTS refused remove unaligned: -22",
                 r"\[slotctl\] SLOTS refused remove no such VM: -19",
                 r"\[slotctl\] SLOTS ctl slot at 0x40000000: zeros, then wrote and read back, "
                 r"sum 0x[0-9a-f]+",
                 r"\[slotctl\] SLOTS refused add it twice: -17",
                 r"\[slotctl\] SLOTS ctl: added \[0x40000000\.\.0x40200000\) to vm 1",
                 r"\[slotee\] SLOTS target slot at 0x40000000: zeros, then wrote and read back, "
                 r"sum 0x[0-9a-f]+",
                 r"\[slotctl\] SLOTS refused remove it twice: -2",
                 r"\[slotctl\] SLOTS ctl: removed the slot of vm 1 \(target read sum 0x[0-9a-f]+\)",
                 r"\[slotctl\] TEST slots PASS",
                 r"\[slotee\] ATTEMPT read the removed slot at gpa 0x40000000",
                 r"vm \"slotee\": EPT violation: read at GPA 0x40000000 \(outside the VM's memory "
                 r"map\).*",
                 r"vm \"slotctl\": run-time slots: 1 added \(2097152 bytes\), 1 removed "
                 r"\(2097152 bytes\), 0 dropped by restart or stop, 0 refused; 0 bytes now",
                 r"vm \"slotee\": run-time slots: 1 added \(2097152 bytes\), 1 removed "
                 r"\(2097152 bytes\), 0 dropped by restart or stop, 14 refused; 0 bytes now",
                 r"audit: vm \"slotctl\": .* 0 violation\(s\)",
                 r"audit: vm \"slotee\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*", r"\[slotee\] .*survived.*",
                 r"audit: .* [1-9]\d* violation\(s\)"],
         timeout=120),
]

# The restart drops run-time slots: slotee faults while its slot is there, restarts, the slot
# is gone (slotctl's remove finds none; slotee's read there faults outside its map).
TESTS += [
    dict(name="slots-dropped-by-restart", machine="bochs", megs=256, cpus=2,
         cmdline="config=slots-drop",
         expect=[r"\[slotctl\] SLOTS ctl: added \[0x40000000\.\.0x40200000\) to vm 1",
                 r"\[slotee\] SLOTS target slot at 0x40000000: zeros, then wrote and read back, "
                 r"sum 0x[0-9a-f]+",
                 r"\[slotee\] ATTEMPT write gpa 0xe0000000 with the slot still there",
                 r"vm \"slotee\": EPT violation: write at GPA 0xe0000000 \(outside the VM's "
                 r"memory map\).*",
                 r"\[slotctl\] SLOTS refused remove after the target's restart: -2",
                 r"\[slotctl\] SLOTS refused restarted target's RAM still configured: -14",
                 r"\[slotctl\] TEST slots PASS",
                 r"\[slotee\] ATTEMPT read gpa 0x40000000 after the restart",
                 r"vm \"slotee\": EPT violation: read at GPA 0x40000000 \(outside the VM's memory "
                 r"map\).*",
                 r"vm \"slotee\": run-time slots: 1 added \(2097152 bytes\), 1 removed "
                 r"\(2097152 bytes\), 1 dropped by restart or stop, 15 refused; 0 bytes now",
                 r"audit: vm \"slotee\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*", r"\[slotee\] .*survived.*",
                 r"audit: .* [1-9]\d* violation\(s\)"],
         timeout=120),
]

# Run-time slots with a VM of two vCPUs: vCPU 0 adds a slot to its own VM while vCPU 1 runs and
# uses it; the remove holds vCPU 1 (spinning in its guest) and flushes its CPU: its next read of
# the slot faults outside the VM's map.
TESTS += [
    dict(name="slots-smp-self", machine="bochs", megs=256, cpus=2, cmdline="config=slots-smp",
         expect=[r"smp: 2 CPUs online",
                 r"\[slotsmp\] SLOTS smp slot at 0x40000000: zeros, then wrote and read back, "
                 r"sum 0x[0-9a-f]+",
                 r"\[slotsmp\] SLOTS smp: vCPU 1 used the slot \d+ times, then spun \d+ times "
                 r"around the remove",
                 r"\[slotsmp\] ATTEMPT vCPU 1 reads the removed slot at gpa 0x40000000",
                 r"vm \"slotsmp\": EPT violation: read at GPA 0x40000040 \(outside the VM's memory "
                 r"map\).*",
                 r"vm \"slotsmp\": run-time slots: 1 added \(2097152 bytes\), 1 removed "
                 r"\(2097152 bytes\), 0 dropped by restart or stop, 0 refused; 0 bytes now",
                 r"audit: vm \"slotsmp\": .* 0 violation\(s\)"],
         forbid=[r"FATAL.*", r".*FAIL.*", r".*survived.*", r"audit: .* [1-9]\d* violation\(s\)"],
         timeout=120),
]
