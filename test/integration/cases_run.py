"""Integration cases for tools/run.sh and the product image's menu (run.py loads them).

Each case has a "kind":
  run.sh  runs tools/run.sh with "args" ({B}: build/, {D}: the case's directory) and checks
          its exit code ("exit") besides the usual expect/forbid/status on the hypervisor log;
  menu    reads build/hv.iso's grub.cfg and checks it lists the user-facing configurations;
  table   feeds fabricated hypervisor logs to tools/run.sh --status-from.
A case may be marked "pending" (run only with run.py --pending) while the hypervisor lacks
what it needs; none is now.
"""
import os
import pty
import re
import select
import subprocess
import time

from cases import BOOT_LINES

USER_FACING = ["demo", "mb1", "pair", "hostile", "secret", "watchdog", "heartbeat"]
TEST_ONLY = ["test", "bad-overlap", "bad-module", "bad-huge", "bad-image"]


def _subst(args, root, d):
    b = os.path.join(root, "build")
    return [a.replace("{B}", b).replace("{D}", d) for a in args]


def _run_sh(t, d, root):
    for name, data in t.get("files", {}).items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    env = dict(os.environ, RUN_DIR=os.path.join(d, "run"))
    cmd = [os.path.join(root, "tools", "run.sh")] + _subst(t["args"], root, d)
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                       timeout=t.get("wall", 400))
    log = os.path.join(d, "run", "e9.txt")
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    errors = []
    if p.returncode != t["exit"]:
        errors.append("tools/run.sh exit %d, want %d (stderr: %s)"
                      % (p.returncode, t["exit"], p.stderr.strip()[-300:]))
    return text, errors


def _grub_cfg(d, root):
    out = os.path.join(d, "grub.cfg")
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", os.path.join(root, "build", "hv.iso"),
                    "-extract", "/boot/grub/grub.cfg", out], capture_output=True, check=True)
    return open(out).read()


def _menu(t, d, root):
    text = _grub_cfg(d, root)
    errors = []
    titles = re.findall(r'^menuentry "kestrel: ([^"]+)" \{$', text, re.M)
    configs = re.findall(r"^  multiboot2 /boot/kestrel\.elf config=(\S+)$", text, re.M)
    if titles != USER_FACING or configs != USER_FACING:
        errors.append("menu entries %s / config= %s, want %s" % (titles, configs, USER_FACING))
    for n in TEST_ONLY:
        if re.search(r"\b%s\b" % re.escape(n), text):
            errors.append("test-only configuration %s in the menu" % n)
    listed = subprocess.run([os.path.join(root, "build", "listconfigs")], capture_output=True,
                            text=True, check=True).stdout.split()
    if listed != USER_FACING:
        errors.append("build/listconfigs prints %s, want %s" % (listed, USER_FACING))
    for want in (r"^set timeout=5$", r"^set default=0$"):
        if not re.search(want, text, re.M):
            errors.append("grub.cfg lacks %s" % want)
    return text, errors


def _table(t, d, root):
    errors = []
    for i, (lines, want) in enumerate(t["rows"]):
        log = os.path.join(d, "log%d.txt" % i)
        with open(log, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        got = subprocess.run([os.path.join(root, "tools", "run.sh"), "--status-from", log]).returncode
        if got != want:
            errors.append("log %s: status %d, want %d" % (lines, got, want))
    return "", errors


def _run_sh_tty(t, d, root):
    """tools/run.sh at a terminal (a pty): what the user types reaches the guest's COM1."""
    env = dict(os.environ, RUN_DIR=os.path.join(d, "run"))
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(os.path.join(root, "tools", "run.sh"),
                  ["run.sh"] + _subst(t["args"], root, d), env)
    buf, step, end = b"", 0, time.time() + t.get("wall", 400)
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 1)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        buf += data
        if step < len(t["type"]) and re.search(t["type"][step][0], buf):
            os.write(fd, t["type"][step][1])
            step += 1
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    with open(os.path.join(d, "terminal.txt"), "wb") as f:
        f.write(buf)
    log = os.path.join(d, "run", "e9.txt")
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    errors = [] if code == t["exit"] else ["tools/run.sh exit %d, want %d" % (code, t["exit"])]
    if step < len(t["type"]):
        errors.append("the terminal never showed %r" % t["type"][step][0])
    return text, errors


def run_kind(t, d, root):
    """Run a case of this file: (text to check, errors so far)."""
    return {"run.sh": _run_sh, "run.sh-tty": _run_sh_tty, "menu": _menu,
            "table": _table}[t["kind"]](t, d, root)


def run(name, args, exit, expect=(), forbid=(), status=0, pending=False, **kw):
    return dict(name=name, kind="run.sh", args=args, exit=exit, expect=list(expect),
                forbid=[r"FATAL.*", r"PANIC.*"] + list(forbid), status=status, pending=pending,
                **kw)


HELLO = "{B}/guests/hello.elf"
HELLO2 = "{B}/guests/hello-mb2.elf"
STOP = r"vm \"user\": stopped \(debug-exit port\), status %d"
OK = r"kestrel: exit status 0"
GARBAGE = bytes((i * 167 + 13) & 0xff for i in range(65536))

RUN_TESTS = [
    dict(name="menu-user-facing", kind="menu", status=None),
    dict(name="run-status-table", kind="table", status=None, rows=[
        (["kestrel: exit status 0"], 0),
        (['vm "user": stopped (debug-exit port), status 0', "kestrel: exit status 0"], 1),
        (['vm "user": stopped (debug-exit port), status 1', "kestrel: exit status 0"], 3),
        (['vm "user": stopped (debug-exit port), status 127', "kestrel: exit status 0"], 255),
        (['vm "user": stopped (debug-exit port), status 128', "kestrel: exit status 0"], 1),
        (['vm "demo": stopped (debug-exit port), status 5', "kestrel: exit status 0"], 0),
        (["[user] kestrel: exit status 0", "kestrel: exit status 1"], 2),
        (["kestrel: exit status 1\r"], 2),
        (['vm "user": stopped (triple fault), status -1', "kestrel: exit status 3"], 4),
        (["FATAL: exception 14", "kestrel: exit status 2"], 6),
        (["kestrel: exit status 9"], 6),
        (["boot: cmdline \"\"", "vm \"user\": loaded"], 8),
        ([], 8),
    ]),
    run("run-usage-no-kernel", ["{D}/nosuch.elf"], 10, status=None, pending=False),
    run("run-usage-bad-ram", ["--ram", "12Q", HELLO], 10, status=None, pending=False),
    run("run-timeout", ["--timeout", "1"], 8, status=None, pending=False),
    run("run-demo-image", [], 0, expect=[r"\[demo\] ALL PASS", r"vm \"demo\": stopped "
                                         r"\(debug-exit port\), status 0", OK], pending=False),
    # ---- your own kernel: vm= words, the protocol detected, exit statuses ----
    run("run-hello-pass", [HELLO], 1,
        expect=BOOT_LINES[1:] + [r"\[user\] hello from my kernel \(multiboot\)",
                                 r"\[user\] hello: exit 0", STOP % 0, OK]),
    run("run-hello-fail", ["--cmdline", "fail", HELLO], 3,
        expect=[r"boot: cmdline \"vm=user,cpus=0,ram=256M,image=kernel,cmdline=fail\"",
                r"\[user\] hello: exit 1", STOP % 1, OK]),
    run("run-hello-fault", ["--cmdline", "fault", HELLO], 4,
        expect=[r"\[user\] hello: triple fault", r"vm \"user\": triple fault at RIP .*",
                r"vm \"user\": stopped \(triple fault\), status .*", r"kestrel: exit status 3"],
        status=3),
    run("run-hello-halt", ["--cmdline", "halt", HELLO], 0,
        expect=[r"\[user\] hello: halting", r"vm \"user\": stopped \(.*\), status 0", OK],
        forbid=[r"vm \"user\": stopped \(debug-exit port\).*"]),
    run("run-hello-mb2", ["--cmdline", "x fail y", HELLO2], 3,
        expect=[r"\[user\] hello from my kernel \(multiboot2\)", r"\[user\] hello: exit 1",
                STOP % 1, OK]),
    run("run-cmdline-verbatim", ["--cmdline", "console=ttyS0,115200 a$b;c fail", HELLO], 3,
        expect=[r"boot: cmdline \"vm=user,cpus=0,ram=256M,image=kernel,"
                r"cmdline=console=ttyS0,115200 a\$b;c fail\"", STOP % 1]),
    run("run-mb1-initrd", ["--initrd", "{B}/guests/testrom.bin", "--cmdline", "hello there",
                           "--ram", "64M", "{B}/guests/mb1.elf"], 1,
        expect=[r"\[user\] MB1 cmdline \"hello there\"", r"\[user\] MB1 modules 1",
                r"\[user\] MB1 module 0 \"initrd\" at 0x[0-9a-f]{8} size 65536 bytes "
                r"4b 53 54 4c 52 4f 4d 31", r"\[user\] MB1 PASS", STOP % 0, OK]),
    run("run-testguest-mb2", ["--cmdline", "test=hello", "{B}/guests/testguest.elf"], 1,
        expect=[r"\[user\] TEST hello PASS", STOP % 0, OK]),
    run("run-refused-garbage", ["{D}/garbage.elf"], 2, files={"garbage.elf": GARBAGE},
        expect=[r"vm \"user\": .*", r"kestrel: exit status 1"], status=1,
        forbid=[r"\[user\].*"]),
    run("run-refused-ram", ["--ram", "999999M", HELLO], 2,
        expect=[r"config: .*(exceeds free RAM|covers the PC platform's IOAPIC page).*",
                r"kestrel: exit status 1"], status=1),
    # make run at a terminal: the keyboard is the guest's COM1 (Bochs COM1 in mode=term)
    dict(run("run-typed-at-terminal",
             ["--cmdline", "test=uart_irq uart_rx=1", "{B}/guests/testguest.elf"], 1,
             expect=[r"console: input goes to vm \"user\" .*", r"\[user\] uart_irq: type now",
                     r"\[user\] uart_irq: received \"kestrel rx\" and CR by \d+ interrupts",
                     r"\[user\] TEST uart_irq PASS", STOP % 0, OK]),
         kind="run.sh-tty", type=[(rb"uart_irq: type now", b"kestrel rx\r")]),
    # VCPUS=2: a VM of two vCPUs; hello never starts its AP, which waits for a SIPI
    run("run-hello-vcpus2", ["--vcpus", "2", HELLO], 1,
        expect=[r"boot: cmdline \"vm=user,cpus=0-1,ram=256M,image=kernel\"",
                r"\[user\] hello: exit 0", STOP % 0,
                r"vm \"user\": vCPU 1 on CPU 1: INIT 0, SIPI 0 \(ignored 0\), .*", OK]),
]
