"""Linux in a partition (docs/linux.md): Debian 12's stock cloud kernel and busybox-static,
fetched with apt-get download into build/linux (tools/fetch-linux.sh, once), booted under
kestrel in Bochs with an initramfs built here (tools/mkinitramfs.py, /init from
linux/init.sh). Each case has kind "linux": it runs tools/run.sh KERNEL (or, with "config",
an image of that built-in configuration) and checks the hypervisor's log as usual plus
"exit" (tools/run.sh's status). "type" steps type on COM1 (serialtype.py).
"""
import os
import re
import subprocess
import threading

from serialtype import run_typing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_fetch_lock = threading.Lock()
_fetched = {}


def fetch(root):
    """(kernel, busybox, release) in build/linux, fetched on first use."""
    with _fetch_lock:
        if not _fetched:
            out = subprocess.run([os.path.join(root, "tools", "fetch-linux.sh")],
                                 capture_output=True, text=True, check=True).stdout.split()
            rel = open(os.path.join(root, "build", "linux", "release")).read().strip()
            _fetched.update(kernel=out[0], busybox=out[1], release=rel)
        return _fetched["kernel"], _fetched["busybox"], _fetched["release"]


def initramfs(root, d, busybox):
    out = os.path.join(d, "initrd.gz")
    subprocess.run([os.path.join(root, "tools", "mkinitramfs.py"), out, busybox,
                    os.path.join(root, "test", "integration", "linux", "init.sh")], check=True)
    return out


def run_linux(t, d, root):
    try:
        kernel, busybox, release = fetch(root)
    except (subprocess.CalledProcessError, OSError) as e:
        return "", ["cannot fetch Debian's kernel and busybox: %s" % e]
    initrd = initramfs(root, d, busybox)
    if t.get("patch"):
        bad = os.path.join(d, "vmlinuz")
        with open(kernel, "rb") as f, open(bad, "wb") as g:
            g.write(t["patch"](f.read()))
        kernel = bad
    if t.get("initrd_mib"):
        initrd = os.path.join(d, "huge-initrd")
        with open(initrd, "wb") as g:
            g.write(os.urandom(t["initrd_mib"] << 20))
    env = dict(os.environ, RUN_DIR=os.path.join(d, "run"))
    if t.get("config"):
        iso = os.path.join(d, "image.iso")
        mods = ["%s:linux" % kernel, "%s:initrd" % initrd,
                os.path.join(root, "build", "guests", "testguest.elf") + ":testguest"]
        subprocess.run([os.path.join(root, "tools", "mkimage.sh"), iso,
                        os.path.join(root, "build", "hv.elf"),
                        "config=%s %s" % (t["config"], t.get("hvargs", ""))] + mods,
                       check=True, capture_output=True)
        env["BOCHS_DIR"] = os.path.join(d, "bochs")
        cmd = [os.path.join(root, "tools", "bochs.sh"), iso, "corei7_skylake_x",
               str(t.get("megs", 512)), str(t.get("cpus", 2)), str(t.get("timeout", 600))]
    else:
        cmd = [os.path.join(root, "tools", "run.sh"), "--initrd", initrd, "--timeout",
               str(t.get("timeout", 600)), "--cmdline", t.get("cmdline", "console=ttyS0"),
               "--ram", t.get("ram", "256M"), "--vcpus", str(t.get("vcpus", 1)), kernel]
    if t.get("type"):
        out = run_typing(cmd, env, t["type"], os.path.join(d, "serial.txt"))
        code = None
    else:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                           timeout=t.get("timeout", 600) + 60)
        out, code = p.stdout, p.returncode
    log = os.path.join(d, "run", "e9.txt")
    text = open(log, errors="replace").read() if os.path.exists(log) else out
    errors = []
    if "exit" in t and code is not None and code != t["exit"]:
        errors.append("exit %s, want %d" % (code, t["exit"]))
    return text, errors


def marker(ram_kib):
    """The KESTREL-LINUX line: our kernel's release, 1 CPU, MemTotal within the VM's RAM
    (the kernel's own code, data and reserved pages come off it: at most 48 MiB here)."""
    rx = re.compile(r".*KESTREL-LINUX release=(\S+) cpus=(\d+) memtotal_kb=(\d+)")

    def check(lines):
        for l in lines:
            m = rx.fullmatch(l)
            if m:
                kb = int(m.group(3))
                release = open(os.path.join(ROOT, "build", "linux", "release")).read().strip()
                if m.group(1) != release:
                    return "uname -r says %s, the fetched kernel is %s" % (m.group(1), release)
                if m.group(2) != "1":
                    return "Linux saw %s CPUs, want 1" % m.group(2)
                if not ram_kib - 48 * 1024 <= kb <= ram_kib:
                    return "MemTotal %d kB, want within 48 MiB below %d kB" % (kb, ram_kib)
                return None
        return "no KESTREL-LINUX line"
    return check


SHELL = r"\[linux\] "  # the hypervisor prefixes the guest's console lines with its VM name

def bad_image(name, patch, expect, ram="256M", initrd_mib=0):
    """tools/run.sh on a damaged copy of the kernel (or a huge initrd): refused by name."""
    return dict(name=name, kind="linux", ram=ram, exit=2, patch=patch, initrd_mib=initrd_mib,
                expect=[r"vm \"user\": guest image \"kernel\": bzImage: " + expect,
                        r"vm \"user\": not started"],
                forbid=[r"\[user\] .*", r"vm \"user\": loaded .*"], status=1, timeout=120)


def truncate(img):
    return img[:len(img) // 2]


def bad_magic(img):
    return img[:0x202] + b"HdrX" + img[0x206:]


def old_protocol(img):
    return img[:0x206] + bytes([0x04, 0x02]) + img[0x208:]


LINUX_TESTS = [
    dict(name="linux-boot", kind="linux", ram="256M", exit=0,
         cmdline="console=ttyS0",
         expect=[r"vm \"user\": loaded \"kernel\" .*bzImage.*",
                 r"\[user\] .*KESTREL-LINUX release=\S+ cpus=1 memtotal_kb=\d+",
                 r"\[user\] .*KESTREL-WORK sha256=same sum=2001000",
                 r"vm \"user\": stopped \(ACPI power-off \(S5\)\), status 0"],
         checks=[marker(256 * 1024)], timeout=900),
    # Two vCPUs: Linux starts its AP by INIT-SIPI-SIPI through the VM's local APIC and reports
    # cpus=2. About 3 minutes of Bochs with two CPUs: in make test-slow.
    dict(name="linux-smp2", kind="linux", ram="256M", exit=0, vcpus=2, slow=True,
         cmdline="console=ttyS0",
         expect=[r"\[user\] .*smp: Brought up 1 node, 2 CPUs",
                 r"\[user\] .*KESTREL-LINUX release=\S+ cpus=2 memtotal_kb=\d+",
                 r"\[user\] .*KESTREL-WORK sha256=same sum=2001000",
                 r"vm \"user\": stopped \(ACPI power-off \(S5\)\), status 0",
                 r"vm \"user\": vCPU 1 on CPU 1: INIT [1-9]\d*, SIPI [1-9]\d* .*"],
         timeout=2400),
    # reboot -f: Linux resets through the FADT's reset register (port 0xCF9); the VM's
    # policy (stop, for tools/run.sh's VM) ends it cleanly, status 0.
    dict(name="linux-reboot", kind="linux", slow=True, ram="256M", exit=0, cmdline="console=ttyS0 reboot=1",
         expect=[r"\[user\] .*KESTREL-WORK sha256=same sum=2001000",
                 r"\[user\] .*reboot: Restarting system",
                 r"vm \"user\": stopped \(guest reset through port 0xCF9\), status 0"],
         forbid=[r".*ACPI power-off.*"], timeout=900),
    # A shell you can type into: the host types on COM1, the VM with the console gets it.
    dict(name="linux-shell", kind="linux", slow=True, ram="256M", cmdline="console=ttyS0 shell=1",
         type=[(r"KESTREL-SHELL ready", b"echo typed-$((6*7))\r"),
               (r"^\[user\] typed-42$", b"exit\r")],
         expect=[r"console: input goes to vm \"user\" .*",
                 r"\[user\] KESTREL-SHELL ready",
                 r"\[user\] typed-42",
                 r"vm \"user\": stopped \(ACPI power-off \(S5\)\), status 0"],
         timeout=900),
    # Linux on CPU 0 next to the test guest on CPU 1 (config linux-pair): the board the
    # guest writes in shared memory, read by busybox devmem from reserved e820 memory.
    dict(name="linux-pair", kind="linux", slow=True, config="linux-pair", cpus=2, megs=512,
         expect=[r"vm \"linux\": loaded \"linux\" .*bzImage.*",
                 r"\[linux\] .*BIOS-e820: \[mem 0x00000000c0000000-0x00000000c01fffff\] reserved",
                 r"\[linux\] KESTREL-BOARD 0x4B455354 0x00000001 0x00000004 0x00000009 "
                 r"0x00000010 0x00000019 0x00000024 0x00000031 0x00000040 0x00000051 0x00000064 "
                 r"0x00000079 0x00000090 0x000000A9 0x000000C4 0x444F4E45",
                 r"vm \"linux\": stopped \(ACPI power-off \(S5\)\), status 0",
                 r"vm \"board\": stopped \(run ended\), status 0"],
         timeout=1200),
    bad_image("linux-bad-truncated", truncate,
              r"protected-mode kernel truncated: syssize says 0x[0-9a-f]+ bytes, the image has "
              r"0x[0-9a-f]+ after the setup"),
    bad_image("linux-bad-magic", bad_magic, r"no \"HdrS\" signature at 0x202 \(not a bzImage\)"),
    bad_image("linux-bad-protocol", old_protocol,
              r"boot protocol 2\.04 is older than 2\.06, the oldest kestrel loads"),
    bad_image("linux-bad-too-big", None,
              r"kernel area \[0x100000, 0x[0-9a-f]+\) is not all guest RAM", ram="32M"),
    bad_image("linux-bad-initrd", None, r"no room for an initrd of 0x5000000 bytes .*",
              ram="96M", initrd_mib=80),
]
