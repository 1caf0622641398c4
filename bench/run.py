#!/usr/bin/env python3
"""make bench: benchmark tables.

Bochs runs with one CPU and `clock: sync=none`, so its TSC advances exactly one
per retired instruction: every figure in the first tables is an exact, repeatable
instruction count. The host table is wall-clock (ns), noisy: compare its rows with
each other, not across runs.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")


def modules():
    out = subprocess.run(["make", "-s", "-C", ROOT, "print-guest-modules"], capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def bochs(cmdline, megs=256, cpus=1, timeout=300):
    cmdline = "loglevel=debug " + cmdline  # the figures come from detail lines too
    iso = os.path.join(B, "bench.iso")
    subprocess.run([os.path.join(ROOT, "tools/mkimage.sh"), iso, os.path.join(B, "hv.elf"), cmdline]
                   + modules(), check=True)
    out = subprocess.run([os.path.join(ROOT, "tools/bochs.sh"), iso, "corei7_skylake_x", str(megs),
                          str(cpus), str(timeout)], capture_output=True, text=True, errors="replace").stdout
    os.unlink(iso)
    return out


def last_tick(log):
    """Bochs's instruction count when it stopped: the prefix of its log's last line."""
    lines = open(log, errors="replace").read().splitlines() if os.path.exists(log) else []
    m = re.match(r"(\d+)", lines[-1]) if lines else None
    return int(m.group(1)) if m else None


def linux_boot():
    """Debian's kernel to its marker and ACPI power-off, under kestrel and on bare Bochs."""
    d = os.path.join(B, "bench", "linux")
    os.makedirs(d, exist_ok=True)
    kernel, busybox = subprocess.run([os.path.join(ROOT, "tools", "fetch-linux.sh")],
                                     capture_output=True, text=True, check=True).stdout.split()
    initrd = os.path.join(d, "initrd.gz")
    subprocess.run([os.path.join(ROOT, "tools", "mkinitramfs.py"), initrd, busybox,
                    os.path.join(ROOT, "test", "integration", "linux", "init.sh")], check=True)
    # bare: GRUB boots the kernel itself, same command line, 256 MiB machine
    iso_dir = os.path.join(d, "iso")
    os.makedirs(os.path.join(iso_dir, "boot", "grub"), exist_ok=True)
    for src, name in ((kernel, "vmlinuz"), (initrd, "initrd.gz")):
        subprocess.run(["cp", src, os.path.join(iso_dir, "boot", name)], check=True)
    with open(os.path.join(iso_dir, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("set timeout=0\nmenuentry linux {\n  linux /boot/vmlinuz console=ttyS0\n"
                "  initrd /boot/initrd.gz\n}\n")
    iso = os.path.join(d, "bare.iso")
    subprocess.run(["grub-mkrescue", "-o", iso, iso_dir], check=True, capture_output=True)
    bare_dir = os.path.join(d, "bare")
    subprocess.run([os.path.join(ROOT, "tools", "bochs.sh"), iso, "corei7_skylake_x", "256", "1",
                    "900"], env=dict(os.environ, BOCHS_DIR=bare_dir), capture_output=True)
    bare_serial = open(os.path.join(bare_dir, "serial.txt"), errors="replace").read()
    bare = last_tick(os.path.join(bare_dir, "bochs.log")) if "KESTREL-LINUX" in bare_serial else None
    # kestrel: the same kernel and initramfs as a 256 MiB VM (tools/run.sh)
    run_dir = os.path.join(d, "kestrel")
    subprocess.run([os.path.join(ROOT, "tools", "run.sh"), "--initrd", initrd, "--timeout", "900",
                    "--cmdline", "console=ttyS0", kernel],
                   env=dict(os.environ, RUN_DIR=run_dir), capture_output=True)
    log = open(os.path.join(run_dir, "e9.txt"), errors="replace").read()
    ok = "KESTREL-LINUX" in log and "ACPI power-off" in log
    kes = last_tick(os.path.join(run_dir, "bochs", "bochs.log")) if ok else None
    exits = re.search(r'vm "user": exits (.*)', log)
    return bare, kes, exits.group(1) if exits else None


def figures(text):
    got = {}
    for line in text.splitlines():
        m = re.search(r"BENCH (\S+) (\d+)", line)
        if m:
            got[m.group(1)] = int(m.group(2))
    return got


def row(name, value, note=""):
    v = "n/a" if value is None else str(value)
    print("| %-44s | %12s | %s" % (name, v, note))


# The exit rows: key, name, target (issue 14; None: the reference itself).
EXIT_ROWS = [("vmcall_null_min", "VMCALL HC_NULL_MIN (bare-minimum reference)", None),
             ("vmcall_null", "VMCALL HC_NULL (null exit, full handler path)", 60),
             ("cpuid_hv", "CPUID exit (leaf 0x40000000)", 70),
             ("pio_out80", "port write (out 0x80)", 90),
             ("mmio_slow", "MMIO write via EPT violation", 450),
             ("mmio_fast", "MMIO write via EPT misconfiguration", 350)]


def exit_rows(f):
    """Each exit figure with its target and its ratio to the bare-minimum reference."""
    print("## Exit round trips, measured inside the guest (Bochs, instructions per iteration)")
    ref = f.get("vmcall_null_min")
    for key, name, target in EXIT_ROWS:
        v = f.get(key)
        note = []
        if target is not None:
            note.append("target <= %d%s" % (target, "" if v is None else
                                             (" (met)" if v <= target else " (NOT met)")))
        if v and ref:
            note.append("%.2fx reference" % (v / ref))
        row(name, v, ", ".join(note))


def target(value, limit):
    """'target <= N (x.xx of it)': where a figure stands against issue 14's target."""
    if value is None:
        return "target <= %s" % fmt(limit)
    return "target <= %s (%.2fx of it)%s" % (fmt(limit), value / limit,
                                             "" if value <= limit else ", MISSED")


def fmt(n):
    return "%.3g M" % (n / 1e6) if n >= 1e6 else "%.3g K" % (n / 1e3) if n >= 1e4 else str(n)


def secret_run(mib, megs):
    """A VM of @mib MiB RAM running the secret test: boot, restart, first touches of 2 MiB."""
    out = bochs("bench vm=keeper,ram=%dM,image=testguest,policy=restart,cmdline=test=secret"
                % mib, megs=megs, timeout=900)
    f = figures(out)
    fault = re.search(r"restarting at TSC (\d+)", out)
    boots = [int(x) for x in re.findall(r"\[keeper\] kestrel testguest: entry tsc (\d+)", out)]
    touch = re.search(r'RAM zeroed on first touch: (\d+) x 2 MiB by the guest \((\d+) TSC each\), '
                      r'(\d+) by the host', out)
    ok = "[keeper] TEST secret PASS" in out
    boot = boots[0] - f["hv_entry_tsc"] - f.get("bench_hooks_tsc", 0) if boots and "hv_entry_tsc" in f else None
    later = [b for b in boots if fault and b > int(fault.group(1))]
    restart = later[0] - int(fault.group(1)) if later else None
    return dict(boot=boot, restart=restart, ok=ok,
                touches=int(touch.group(1)) if touch else None,
                per_touch=int(touch.group(2)) if touch else None,
                host=int(touch.group(3)) if touch else None)


def scaling():
    """Boot and restart against guest RAM; what the first touch of 2 MiB costs the guest."""
    print("## Scaling with guest RAM (Bochs, instructions; secret test VM, RAM zeroed on first touch)")
    print("| %-8s | %12s | %12s | %14s | %10s | %s" % ("RAM", "boot", "restart", "first touches",
                                                       "each", "secret test"))
    got = {}
    for mib in (32, 128, 512, 1536):
        r = secret_run(mib, 2048)  # one machine size: the slope is the guest RAM's alone
        got[mib] = r
        print("| %-8s | %12s | %12s | %14s | %10s | %s" % (
            "%d MiB" % mib, r["boot"] or "n/a", r["restart"] or "n/a",
            "%s + %s host" % (r["touches"], r["host"]) if r["touches"] is not None else "n/a",
            r["per_touch"] or "n/a", "PASS" if r["ok"] else "FAIL"))
    lo, hi = got[32], got[1536]
    if lo["boot"] and hi["boot"]:
        slope = (hi["boot"] - lo["boot"]) / (1536 - 32)
        row("boot slope per MiB of guest RAM", int(slope), target(slope, 10000))
    if lo["restart"]:
        row("restart, fault -> first instruction, 32 MiB", lo["restart"], target(lo["restart"], 500000))
    if hi["restart"]:
        row("restart, fault -> first instruction, 1536 MiB", hi["restart"],
            target(hi["restart"], 2000000))
    print("The first touches are the guest's own work moved out of boot and restart: each is one EPT")
    print("violation that zeroes and maps 2 MiB, counted over both boots (the test scans up to 1 GiB).")


def restart_row():
    out = bochs("config=secret")
    fault = re.search(r"restarting at TSC (\d+)", out)
    boots = [int(x) for x in re.findall(r"\[keeper\] kestrel testguest: entry tsc (\d+)", out)]
    later = [b for b in boots if fault and b > int(fault.group(1))]
    restart = later[0] - int(fault.group(1)) if later else None
    row("restart: fault -> guest's first instruction", restart,
        "32 MiB VM, RAM unmapped (zeroed on first touch), image and boot info reloaded; " +
        target(restart, 500000))


def main():
    if "--exits" in sys.argv[1:]:  # only the exit rows: one Bochs run
        exit_rows(figures(bochs("bench config=test guestargs=test=bench")))
        return 0
    print("## Boot and allocator (Bochs, instructions)")
    out = bochs("bench config=test guestargs=test=bench")
    f = figures(out)
    boot = re.search(r"boot: checks done in (\d+) instructions", out)
    row("hypervisor entry -> end of boot checks", int(boot.group(1)) if boot else None,
        "256 MiB machine")
    row("buddy order-0 alloc+free pair", f.get("buddy_order0_pair"),
        target(f.get("buddy_order0_pair"), 150))
    row("buddy 2 MiB alloc+free pair", f.get("buddy_2m_pair"),
        "one chunk tag each way (5,899 when every frame was tagged); near the old cost: " +
        target(f.get("buddy_2m_pair"), 201))
    row("owner of one frame (page_owner)", f.get("owner_lookup"),
        target(f.get("owner_lookup"), 20) + "; the loop's address arithmetic included")
    if "first_insn_tsc" in f and "hv_entry_tsc" in f:
        # Less the allocator benchmarks above, which run on the way (bench_hooks_tsc).
        first = f["first_insn_tsc"] - f["hv_entry_tsc"] - f.get("bench_hooks_tsc", 0)
        row("hypervisor entry -> guest first instruction", first,
            "128 MiB guest (EPT built, image loaded, RAM zeroed on first touch), less the "
            "%s of the benchmarks above; " % fmt(f.get("bench_hooks_tsc", 0)) +
            target(first, 15000000))
    if sys.argv[1:] == ["memory"]:  # bench/run.py memory: the memory rows alone, no Linux
        print()
        print("## Partitioning (Bochs)")
        restart_row()
        print()
        scaling()
        return 0
    print()
    exit_rows(f)
    if not f:
        print("(no BENCH lines: see the run's output)")
        print(out[-3000:])
    print()
    __import__("b_coalesced").rows()  # issue 15: coalesced MMIO (bench/b_coalesced.py)
    print("## PC platform, measured inside the guest (Bochs, instructions)")
    f = figures(bochs("config=platform guestargs=test=pc_bench"))
    for key, name in [("timer_deadline_to_handler_spin", "TSC deadline -> handler's first instruction (guest spinning)"),
                      ("timer_deadline_to_handler_hlt", "TSC deadline -> handler's first instruction (guest in HLT)"),
                      ("eoi_xapic", "EOI write, xAPIC page (per write)"),
                      ("eoi_x2apic", "EOI write, x2APIC MSR 0x80B (per write)"),
                      ("self_ipi_rtt_xapic", "self-IPI round trip, xAPIC ICR -> handler -> back"),
                      ("self_ipi_rtt_x2apic", "self-IPI round trip, x2APIC SELF IPI MSR"),
                      ("cr8_write", "MOV to CR8 (per write; 0 exits under a TPR shadow)"),
                      ("tpr_read_xapic", "TPR read, xAPIC page 0xFEE00080 (per read)"),
                      ("id_read_xapic", "ID read, xAPIC page 0xFEE00020 (per read)"),
                      ("tpr_read_x2apic", "TPR read, x2APIC MSR 0x808 (per read)"),
                      ("pit_port_read", "PIT port read (in 0x40, per read)"),
                      ("rtc_port_read", "RTC port read (in 0x71, per read)")]:
        row(name, f.get(key))
    print()
    print("## Linux: power-on -> marker -> ACPI power-off (Bochs instructions, same kernel and initramfs)")
    bare, kes, exits = linux_boot()
    row("bare Bochs (GRUB boots Linux)", bare)
    row("under kestrel (GRUB boots kestrel, kestrel boots Linux)", kes,
        "%.2fx bare" % (kes / bare) if bare and kes else "")
    print("exits during the boot: %s" % (exits or "n/a"))
    print()
    print("## Partitioning (Bochs)")
    restart_row()
    out = bochs("config=pair", cpus=2)
    f = figures(out)
    row("doorbell round trip between two VMs", f.get("doorbell_rtt"),
        "TSC ticks with 2 CPUs (Bochs runs CPUs in lockstep: ~1 instruction of each)")
    print()
    print("## Several vCPUs in one VM (Bochs, 2 CPUs: TSC ticks, ~1 instruction of each CPU)")
    out = bochs("config=vcpus2 guestargs=test=smp_start,smp_bench", cpus=2)
    m = re.search(r"smp_bench: AP 1 start-up: (\d+) TSC ticks", out)
    row("AP start-up: SIPI's ICR write -> AP's first instruction", int(m.group(1)) if m else None,
        "guest-measured; the SIPI is taken in root, a VMCS set up in real mode")
    m = re.search(r"smp_bench: IPI round trip CPU 0 -> 1 -> 0: min (\d+) avg (\d+) max (\d+)", out)
    row("IPI round trip between two vCPUs (avg)", int(m.group(2)) if m else None,
        "min %s max %s; fixed IPI, handler answers with one" % (m.group(1), m.group(3))
        if m else "")
    sd = re.findall(r"vCPU (\d): last start (\d+) TSC ticks from SIPI to VMCS ready; (\d+) EPT "
                    r"shoot-downs sent, (\d+) TSC ticks each on average, (\d+) at most", out)
    row("AP start in root: SIPI taken -> VMCS ready", int(sd[1][1]) if len(sd) > 1 else None,
        "hypervisor-measured, vCPU 1")
    sent = [(int(n), int(avg), int(mx)) for _, _, n, avg, mx in sd if int(n)]
    row("INVEPT shoot-down over 2 vCPUs (average)", sent[0][1] if sent else None,
        "%d sent by vCPU 0 (MMIO markers), at most %d: INVEPT, kick, wait for the other's"
        % (sent[0][0], sent[0][2]) if sent else "")

    __import__("b_dirty").rows(bochs, figures, row)  # bench/b_dirty.py: dirty logging

    scaling()
    print()
    __import__("b_ckpt").rows(bochs, row)  # bench/b_ckpt.py: checkpoints and rollback
    __import__("b_demand").rows()  # bench/b_demand.py: demand-faulted RAM
    __import__("b_slots").rows(bochs, figures, row)
    print()
    print("## Host allocator microbenchmark (ns, wall clock, noisy)")
    subprocess.run(["make", "-s", "-C", ROOT, "build/bench/host_buddy"], check=True)
    subprocess.run([os.path.join(B, "bench", "host_buddy")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
