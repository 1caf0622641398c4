#!/usr/bin/env python3
"""Build a gzip-compressed newc cpio initramfs: busybox (static) as /bin/busybox with its
applets linked in /bin, /dev/console, and an /init script.

Usage: mkinitramfs.py OUT.cpio.gz BUSYBOX INIT_SCRIPT [NAME=FILE ...]
Each NAME=FILE adds FILE to the archive as NAME (mode 0755). No cpio(1) needed: the newc
format is a 110-byte ASCII header, the name and the data, each padded to 4 bytes
(the kernel's Documentation/driver-api/early-userspace/buffer-format.rst).
"""
import gzip
import sys

APPLETS = ["sh", "mount", "echo", "cat", "uname", "nproc", "grep", "devmem", "poweroff",
           "reboot", "sleep", "ls", "dd", "md5sum", "sha256sum", "seq", "wc", "head", "tr",
           "awk", "sed", "cut", "date", "hwclock", "dmesg", "sync"]


class Archive:
    def __init__(self):
        self.out = bytearray()
        self.ino = 100

    def entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        self.ino += 1
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0]
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += hdr + name.encode() + b"\0"
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def bytes(self):
        self.entry("TRAILER!!!", 0)
        return bytes(self.out)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    out, busybox, init = argv[1], argv[2], argv[3]
    a = Archive()
    for d in ("bin", "dev", "proc", "sys", "tmp"):
        a.entry(d, 0o040755, nlink=2)
    a.entry("dev/console", 0o020600, rdev=(5, 1))
    a.entry("dev/mem", 0o020600, rdev=(1, 1))
    a.entry("bin/busybox", 0o100755, open(busybox, "rb").read())
    for app in APPLETS:
        a.entry("bin/" + app, 0o120777, b"busybox")
    a.entry("init", 0o100755, open(init, "rb").read())
    for spec in argv[4:]:
        name, path = spec.split("=", 1)
        a.entry(name, 0o100755, open(path, "rb").read())
    with open(out, "wb") as f:
        f.write(gzip.compress(a.bytes(), 9, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
