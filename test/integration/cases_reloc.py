"""Integration cases for the relocatable image (boot/header.S, boot/entry.S), kind "reloc".

GRUB honours the relocatable tag's min_addr, and kestrel takes 2 MiB whenever it is free, so
to make GRUB load the image elsewhere each case boots a copy of build/hv.elf whose tag asks
for at least "min" (the tag is not covered by the header checksum). The hypervisor must
then say where it runs, carve that range out of the free memory, start the other CPUs
through the trampoline, and run a VM (VM exits come back to the relocated host RIP).
"""
import os
import struct
import subprocess

from cases import passes

RELOC_TAG = struct.pack("<HHIII", 10, 0, 24, 0x200000, 0xc0000000)


def _patched_elf(src, dst, new_min):
    data = bytearray(open(src, "rb").read())
    at = data.find(RELOC_TAG, 0, 32768)
    if at < 0 or data.find(RELOC_TAG, at + 1, 32768) >= 0:
        raise ValueError("%s: not exactly one relocatable tag in the first 32 KiB" % src)
    struct.pack_into("<I", data, at + 8, new_min)
    open(dst, "wb").write(data)


def _modules(root):
    out = subprocess.run(["make", "-s", "-C", root, "print-guest-modules"],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def run_reloc(t, d, root):
    """Run a case of this file: (text to check, errors so far)."""
    elf, iso = os.path.join(d, "hv-moved.elf"), os.path.join(d, "image.iso")
    try:
        _patched_elf(os.path.join(root, "build", "hv.elf"), elf, t["min"])
    except ValueError as e:
        return "", [str(e)]
    subprocess.run([os.path.join(root, "tools", "mkimage.sh"), iso, elf, t["cmdline"]] +
                   (_modules(root) if t.get("guests") else []), check=True, capture_output=True)
    if t["machine"] == "bochs":
        env = dict(os.environ, BOCHS_DIR=d)
        p = subprocess.run([os.path.join(root, "tools", "bochs.sh"), iso, "corei7_skylake_x",
                            "256", str(t.get("cpus", 1)), "90"],
                           capture_output=True, text=True, errors="replace", env=env)
        text = p.stdout
    else:
        e9 = os.path.join(d, "e9.txt")
        subprocess.run(["qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-cdrom", iso,
                        "-smp", "2", "-debugcon", "file:" + e9, "-serial", "null",
                        "-display", "none", "-no-reboot",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
                       capture_output=True, timeout=90)
        text = open(e9, errors="replace").read() if os.path.exists(e9) else ""
    os.unlink(iso)
    return text, []


def moved(at):
    return [r"boot: image at \[0x%x\.\.0x[0-9a-f]+\), linked at 0x200000: loaded elsewhere by "
            r"the boot loader" % at,
            r"mem: reserved \[0x%09x\.\.0x[0-9a-f]{9}\) hypervisor image" % at]


RELOC_TESTS = [
    # 64 MiB, a VM in Bochs: VMX exits land on the relocated code.
    dict(name="reloc-bochs-64m-guest", kind="reloc", machine="bochs", min=0x4000000, guests=True,
         cmdline="loglevel=debug config=test guestargs=test=hello",
         expect=moved(0x4000000) + [r"config: \"test\" valid, 1 VM\(s\)"] + passes("hello") +
         [r"kestrel: exit status 0"],
         forbid=[r"FATAL.*", r"PANIC.*", r"mem: reserved \[0x000200000\.\..*"]),
    # 48 MiB under QEMU with two CPUs: the AP trampoline's patched jumps.
    dict(name="reloc-qemu-48m-smp", kind="reloc", machine="qemu", min=0x3000000,
         cmdline="loglevel=debug",
         expect=moved(0x3000000) + [r"smp: CPU 1 \(APIC ID 1\) online, no VMX, .*",
                                    r"smp: 2 CPUs online", r"cpu: CPU lacks VMX .*"],
         forbid=[r"FATAL.*", r"PANIC.*"], status=1),
]
