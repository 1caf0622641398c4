"""Integration cases for VMs with several vCPUs (issue 13; same dict format as cases.py), and
a runner for the same guest scenarios on bare Bochs, without the hypervisor.

Hypervisor cases (run.py): the test guest's SMP scenarios (guests/testguest/t_smp*.c) in VM
"smp" of config=vcpus2 / vcpus3 (one VM, testguest, platform=pc, RAM at 0, 128 MiB, vCPUs on
CPUs 0-1 / 0-2, policy restart) or the same VM from vm= words, on Bochs with 2 or 3 CPUs.
They run in make test.

Bare cases: run.py boots only hypervisor images, so they have their own runner here:
    python3 test/integration/cases_vcpus.py [-k SUBSTRING] [--list]
It builds a GRUB ISO of build/guests/testguest.elf (GRUB's "serial" sets COM1 to 8N1 with
its FIFO on: after reset Bochs's UART sends 5-bit characters), boots it in Bochs
(tools/bochs.sh) with 2 and 3 CPUs, stops Bochs once the guest printed its last line (the
guest's exit port means nothing there) and checks the lines like run.py does. The bare runs
pass bochs_quirks=1: Bochs's x2APIC departs from the SDM (guests/testguest/t_smp_ipi.c).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build", "test")
ALL = "smp_start,smp_ipi,smp_lock,smp_bench"
FORBID = [r"FATAL.*", r"PANIC.*", r".*FAIL.*", r".*EXCEPTION .*", r".*survived.*"]


def madt(n, p=""):
    return [r"%ssmp: the MADT lists %d enabled CPUs; the BSP has APIC ID 0" % (p, n)] + \
        [r"%sAP %d: APIC ID %d" % (p, i, i) for i in range(1, n)]


def start_lines(n, p=""):
    return madt(n, p) + \
        [r"%ssmp_start: AP %d \(APIC ID %d\) started by SIPI [12], first instruction \d+ TSC "
         r"ticks after the first SIPI's ICR write" % (p, i, i) for i in range(1, n)] + \
        [p + r"smp_start: a SIPI to each running AP was ignored", p + r"smp_start: %d CPUs up" % n,
         p + r"TEST smp_start PASS"]


def ipi_lines(n, p="", quirks=False):
    x2 = [p + r"smp_ipi: bochs_quirks: the x2APIC LDRs read 0: LDR and cluster checks skipped",
          p + r"smp_ipi: x2APIC physical, shorthand and self IPIs checked",
          p + r"smp_ipi: bochs_quirks: every CPU stays in x2APIC mode"] if quirks else \
        [p + r"smp_ipi: x2APIC physical, cluster, shorthand and self IPIs checked"]
    return [p + r"smp_ipi: lowest priority went to CPU \d"] + x2 + \
        [p + r"smp_ipi: %d CPUs, every IPI taken exactly once where it was sent" % n,
         p + r"TEST smp_ipi PASS"]


def lock_lines(n, iters, p=""):
    t = n * iters
    return [p + r"smp_lock: %d CPUs x %d: xchg lock %d, cmpxchg lock %d, xadd %d, overlaps 0"
            % (n, iters, t, t, t), p + r"TEST smp_lock PASS"]


def bench_lines(n, p=""):
    return [p + r"smp_bench: AP %d start-up: \d+ TSC ticks \(\d+ us\) from the first SIPI's ICR "
            r"write to its first instruction" % i for i in range(1, n)] + \
        [p + r"smp_bench: IPI round trip CPU 0 -> 1 -> 0: min \d+ avg \d+ max \d+ TSC ticks "
         r"\(avg \d+ us\) over \d+ rounds", p + r"TEST smp_bench PASS"]


# ---- under the hypervisor (run.py) ----

P = r"\[smp\] "
STOP = r"vm \"smp\": stopped \(exit hypercall\), status 0"


def vm_words(n, test):
    return ("vm=smp,cpus=0-%d,ram=128M,image=testguest,platform=pc,policy=restart,"
            "cmdline=test=%s" % (n - 1, test))


def hv(name, n, test, lines, words=False, args="", timeout=900):
    cmdline = vm_words(n, test + args.replace("+", " ")) if words else \
        "config=vcpus%d guestargs=test=%s%s" % (n, test, args)
    valid = r"config: \"cmdline\" valid, 1 VM\(s\)" if words else \
        r"config: \"vcpus%d\" valid, 1 VM\(s\)" % n
    return dict(name=name, machine="bochs", cpus=n, megs=256, timeout=timeout, pending=False,
                cmdline=cmdline, expect=[valid] + lines + [P + r"ALL PASS", STOP],
                forbid=FORBID)


def fault_case(n, how):
    return dict(hv("vcpus%d-fault-%s" % (n, how), n, "smp_fault",
                   madt(n, P) + [P + r"SMP FAULT AP %d: %s" % (n - 1, {
                       "triple": "triple fault", "oob": r"read outside the VM's map"}[how]),
                    r"vm \"smp\": .*restarting at TSC \d+",
                    P + r"smp_fault: second boot \(restarts 1\): %d CPUs up again" % n,
                    P + r"TEST smp_fault PASS"], args="+smp_fault=%s" % how))


def secret_case(n):
    planted = [P + r"smp_secret: CPU %d: state and 64 bytes at 0x%x planted" % (c, 0x900000 + c * 4096)
               for c in range(n)]
    checked = [P + r"smp_secret: CPU %d: state after the restart checked" % c for c in range(n)]
    return hv("vcpus%d-secret" % n, n, "smp_secret",
              [P + r"smp_secret: restarts 0, %d CPUs" % n] + planted + [P + r"SMP SECRET written",
               r"vm \"smp\": debug-exit port \(status 7\): restarting at TSC \d+",
               P + r"secret: \d+ KiB of RAM scanned, 0 words not zero",
               P + r"smp_secret: restarts 1, %d CPUs" % n] + checked + [P + r"TEST smp_secret PASS"])


VCPUS_TESTS = [
    # one vCPU: the guest finds the VM's MADT and it lists exactly that vCPU
    dict(hv("vcpus1-madt", 1, "smp_start", madt(1, P) + [P + r"smp_start: 1 CPUs up",
                                                         P + r"TEST smp_start PASS"],
            words=True), cpus=1),
]
for _n in (2, 3):
    VCPUS_TESTS += [
        hv("vcpus%d-smp-all" % _n, _n, ALL,
           start_lines(_n, P) + ipi_lines(_n, P) + lock_lines(_n, 5000, P) + bench_lines(_n, P),
           args="+smp_iters=5000"),
        hv("vcpus%d-vm-words" % _n, _n, "smp_start,smp_lock", start_lines(_n, P) +
           lock_lines(_n, 2000, P), words=True, args="+smp_iters=2000"),
        fault_case(_n, "triple"),
        fault_case(_n, "oob"),
        secret_case(_n),
    ]


# A VM of two vCPUs (CPUs 0-1) next to a VM of one (CPU 2, in the background): both run, the
# one-vCPU VM keeps its heartbeat while the other starts its AP and locks.
VCPUS_TESTS.append(dict(
    name="vcpus-pair", machine="bochs", cpus=3, megs=256, timeout=900,
    cmdline="config=vcpus-pair guestargs=test=smp_start,smp_lock+smp_iters=2000",
    expect=[r"config: \"vcpus-pair\" valid, 2 VM\(s\)"] + start_lines(2, P) +
    lock_lines(2, 2000, P) + [P + r"ALL PASS", STOP,
                              r"vm \"smp\": vCPU 1 on CPU 1: INIT [1-9]\d*, SIPI [1-9]\d* .*",
                              r"vm \"one\": stopped \(run ended\), status 0",
                              r"audit: vm \"smp\": .* 0 violation\(s\)",
                              r"audit: vm \"one\": .* 0 violation\(s\)"],
    forbid=FORBID))


# ---- bare Bochs (this file's runner) ----

def bare(name, n, test, lines, args=""):
    return dict(name=name, cpus=n, cmdline="test=%s bochs_quirks=1%s" % (test, args),
                expect=lines + [r"ALL PASS"], forbid=FORBID)


BARE_TESTS = [
    bare("bare-bochs-%dcpu" % n, n, "smp_start,smp_lock,smp_bench,smp_fault,smp_ipi",
         start_lines(n) + lock_lines(n, 5000) + bench_lines(n) +
         [r"smp_fault: no hypervisor: the fault part is skipped", r"TEST smp_fault PASS"] +
         ipi_lines(n, quirks=True), args=" smp_iters=5000") for n in (2, 3)
] + [
    # the failure path: one CPU has no IPI to check
    dict(name="bare-bochs-1cpu", cpus=1, cmdline="test=smp_start,smp_ipi",
         expect=madt(1) + [r"TEST smp_start PASS", r"TEST smp_ipi FAIL one CPU: no IPI to check",
                           r"FAILED 1"], forbid=[r".*EXCEPTION .*", r"AP \d.*"]),
]
LAST_LINE = re.compile(r"(ALL PASS|FAILED \d+)")


def grub_iso(d, cmdline):
    tree = os.path.join(d, "iso")
    os.makedirs(os.path.join(tree, "boot", "grub"))
    for f in ("testguest.elf", "testrom.bin"):
        shutil.copy(os.path.join(ROOT, "build", "guests", f), os.path.join(tree, "boot"))
    with open(os.path.join(tree, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("set timeout=0\nset default=0\nserial --unit=0 --speed=115200\n"
                "terminal_output --append serial\nmenuentry \"testguest\" {\n"
                "\tmultiboot2 /boot/testguest.elf %s\n\tmodule2 /boot/testrom.bin testrom\n"
                "\tboot\n}\n" % cmdline)
    iso = os.path.join(d, "bare.iso")
    subprocess.run(["grub-mkrescue", "-o", iso, tree], check=True, capture_output=True)
    return iso


def run_bare(t, wall=600):
    """Boot t bare in Bochs; return (serial lines, errors)."""
    d = os.path.join(OUT, t["name"])
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    iso = grub_iso(d, t["cmdline"])
    bx = os.path.join(d, "bochs")
    serial = os.path.join(bx, "serial.txt")
    p = subprocess.Popen([os.path.join(ROOT, "tools", "bochs.sh"), iso, "corei7_skylake_x", "128",
                          str(t["cpus"]), str(wall)], env=dict(os.environ, BOCHS_DIR=bx),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    lines, done = [], False
    while p.poll() is None and not done:
        time.sleep(1)
        if os.path.exists(serial):
            lines = open(serial, errors="replace").read().replace("\r", "").splitlines()
            done = any(LAST_LINE.fullmatch(l) for l in lines)
    if p.poll() is None:
        os.killpg(p.pid, 15)  # bochs.sh's group; timeout(1) runs Bochs in a group of its own
        subprocess.run(["pkill", "-TERM", "-s", str(p.pid)], check=False)
        p.wait()
    return lines, [] if done else ["no ALL PASS / FAILED line within %d s" % wall]


def check(t, lines):
    errors, pos = [], 0
    for pat in t["expect"]:
        rx = re.compile(pat)
        for i in range(pos, len(lines)):
            if rx.fullmatch(lines[i]):
                pos = i + 1
                break
        else:
            errors.append("missing line (in order): " + pat)
    for pat in t["forbid"]:
        bad = [l for l in lines if re.fullmatch(pat, l)]
        if bad:
            errors.append("forbidden line: " + bad[0])
    return errors


def main():
    ap = argparse.ArgumentParser(description="the SMP scenarios on bare Bochs")
    ap.add_argument("-k", default="")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    tests = [t for t in BARE_TESTS if args.k in t["name"]]
    if args.list:
        print("\n".join(t["name"] for t in tests))
        return 0
    failed = 0
    for t in tests:
        start = time.time()
        lines, errors = run_bare(t)
        errors += check(t, lines)
        print("%s %s (%.1fs)" % ("FAIL" if errors else "PASS", t["name"], time.time() - start))
        for e in errors:
            print("    " + e)
        if errors:
            for l in lines[-15:]:
                print("    | " + l)
        failed += bool(errors)
    print("bare bochs: %d passed, %d failed" % (len(tests) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
