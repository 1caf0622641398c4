"""Integration cases for the framebuffer console (drivers/fbcon.c), run by run.py (kind "fb").

Each case boots the image in QEMU without the isa-debug-exit device, as on a machine: a
failed run (no VMX under TCG) then halts with the screen left up. The case waits for the
log's "done" line, takes the screen through QEMU's monitor (screendump, a PPM, for a
graphics mode; pmemsave of the EGA buffer for text mode), reads it back with our own font
(test/integration/fbshot.py) and checks "screen": patterns that whole screen rows must
match, in order. "region" is a line rendered with our font and compared pixel by pixel
with the row it sits on. "scrolled": the first boot line must have gone off the top.
"gone": QEMU must end by itself (ACPI S5 power-off) before the timeout.
"""
import os
import re
import shutil
import subprocess
import time

import fbshot

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
HALTED = r"power: halted, not powered off: see above"
STOPPING = r"cpu: kestrel needs Intel VT-x with EPT; stopping"
FIRST = r"kestrel: micro-hypervisor, loaded by GRUB .*"
RGB_LINE = r"console: framebuffer \d+x\d+ RGB %s bpp at 0x[0-9a-f]+, \d+x\d+ characters"
EGA_LINE = r"console: framebuffer 80x25 EGA text 16 bpp at 0xb8000, 80x25 characters"
EGA_BYTES = 80 * 25 * 2


def _image(t, d, root):
    iso = os.path.join(d, "image.iso")
    env = dict(os.environ)
    if t.get("gfxpayload"):
        env["MKIMAGE_GFXPAYLOAD"] = t["gfxpayload"]
    subprocess.run([os.path.join(root, "tools", "mkimage.sh"), iso,
                    os.path.join(root, "build", "hv.elf"), t["cmdline"]],
                   check=True, capture_output=True, env=env)
    return iso


def _qemu(t, d, iso):
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-cdrom", iso,
           "-debugcon", "file:" + os.path.join(d, "e9.txt"),
           "-serial", "file:" + os.path.join(d, "serial.txt"), "-display", "none",
           "-no-reboot", "-monitor", "unix:%s,server,nowait" % os.path.join(d, "mon")]
    if t.get("uefi"):
        shutil.copy(OVMF_VARS, os.path.join(d, "vars.fd"))
        cmd += ["-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,file=" + os.path.join(d, "vars.fd")]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _log(d):
    p = os.path.join(d, "e9.txt")
    return open(p, errors="replace").read() if os.path.exists(p) else ""


def _wait(t, d, q):
    """Until the "done" line is logged or QEMU ends; False on timeout."""
    rx = re.compile(t["done"], re.M)
    deadline = time.time() + t.get("timeout", 120)
    while time.time() < deadline:
        if rx.search(_log(d)) or q.poll() is not None:
            return True
        time.sleep(0.5)
    return False


def _grab(t, d):
    """The screen's rows, read through the monitor; (rows, ppm path or None)."""
    mon = fbshot.Monitor(os.path.join(d, "mon"))
    try:
        if t["mode"] == "ega":
            dump = os.path.join(d, "ega.bin")
            mon.cmd('pmemsave 0xb8000 %d "%s"' % (EGA_BYTES, dump))
            return fbshot.read_ega(dump), dump
        ppm = os.path.join(d, "screen.ppm")
        mon.cmd("screendump " + ppm)
        return fbshot.read_screen(ppm), ppm
    finally:
        mon.close()


def _check_screen(t, rows, dump):
    errors, pos = [], 0
    for pat in t.get("screen", []):
        rx = re.compile(pat)
        for i in range(pos, len(rows)):
            if rx.fullmatch(rows[i]):
                pos = i + 1
                break
        else:
            errors.append("screen: no row (in order) matches " + pat)
    if t.get("scrolled") and rows and re.fullmatch(FIRST, rows[0]):
        errors.append("screen: the first boot line is still on the top row (no scroll)")
    if t.get("region"):
        if t["region"] not in rows:
            errors.append("screen: no row reads %r" % t["region"])
        elif not fbshot.line_region_matches(dump, rows.index(t["region"]), t["region"]):
            errors.append("screen: row of %r differs from our font's rendering" % t["region"])
    if t["mode"] == "ega":
        attrs = set(open(dump, "rb").read()[1::2])
        if attrs != {0x07}:
            errors.append("screen: EGA attributes %s, want only 0x07" % sorted(attrs))
    return errors


def run_fb(t, d, root):
    """Run a case of this file: (text to check, errors so far)."""
    iso = _image(t, d, root)
    q = _qemu(t, d, iso)
    errors = []
    try:
        if not _wait(t, d, q):
            errors.append("timeout waiting for " + t["done"])
        elif t.get("gone"):
            try:
                q.wait(timeout=30)
            except subprocess.TimeoutExpired:
                errors.append("QEMU still running: the run did not power off")
        elif q.poll() is not None:
            errors.append("QEMU ended (code %s): the screen was not left up" % q.returncode)
        else:
            try:
                rows, dump = _grab(t, d)
            except (OSError, ValueError) as e:
                return _log(d), errors + ["screen not read: %s" % e]
            with open(os.path.join(d, "screen.txt"), "w") as f:
                f.write("\n".join(rows) + "\n")
            errors += _check_screen(t, rows, dump)
    finally:
        if q.poll() is None:
            q.kill()
        q.wait()
        os.unlink(iso)
    return _log(d), errors


def fb(name, **kw):
    kw.setdefault("done", HALTED)
    kw.setdefault("status", 1)
    kw.setdefault("forbid", [r"FATAL.*", r"PANIC.*", r"console: framebuffer not used.*"])
    return dict(name=name, kind="fb", **kw)


FB_TESTS = [
    # UEFI GOP, the default log level: the whole boot fits, the reason for the stop is there.
    fb("fb-ovmf-gop", uefi=True, mode="rgb", cmdline="loglevel=info", timeout=180,
       expect=[FIRST, RGB_LINE % "(24|32)", STOPPING, HALTED],
       screen=[FIRST, r"boot: cmdline \"loglevel=info\"", r"mem: total usable \d+ KiB.*",
               RGB_LINE % "(24|32)",
               r"smp: 1 CPU online", STOPPING, r"kestrel: exit status 1", HALTED],
       region="cpu: kestrel needs Intel VT-x with EPT; stopping"),
    # SeaBIOS, GRUB in VGA text mode (tools/mkimage.sh), the debug log: it scrolls.
    fb("fb-seabios-ega", mode="ega", cmdline="loglevel=debug", scrolled=True,
       expect=[EGA_LINE, STOPPING, HALTED],
       screen=[STOPPING, r"kestrel: exit status 1", HALTED]),
    # SeaBIOS with VBE modes asked of GRUB: 32 bpp (30 rows, the debug log scrolls in
    # pixels) and 16 bpp (5-6-5).
    fb("fb-seabios-vbe32", mode="rgb", gfxpayload="640x480x32", cmdline="loglevel=debug",
       expect=[r"console: framebuffer 640x480 RGB 32 bpp at 0x[0-9a-f]+, 80x30 characters",
               STOPPING, HALTED],
       screen=[STOPPING, r"kestrel: exit status 1", HALTED], scrolled=True,
       region="kestrel: exit status 1"),
    fb("fb-seabios-vbe16", mode="rgb", gfxpayload="800x600x16", cmdline="loglevel=info",
       expect=[r"console: framebuffer 800x600 RGB 16 bpp at 0x[0-9a-f]+, 100x37 characters",
               STOPPING, HALTED],
       screen=[FIRST, STOPPING, r"kestrel: exit status 1", HALTED], region=HALTED),
    # fbcon=off: serial only, and a failed run powers off as before (ACPI S5 ends QEMU).
    fb("fb-off-poweroff", mode="ega", cmdline="loglevel=info fbcon=off",
       done=r"kestrel: exit status 1", gone=True,
       expect=[r"console: fbcon=off: serial and port 0xE9 only", STOPPING],
       forbid=[r"power: halted.*", r"console: framebuffer.*"]),
]
