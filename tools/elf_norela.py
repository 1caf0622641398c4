#!/usr/bin/env python3
"""Retype the SHT_RELA/SHT_REL sections of a 64-bit little-endian ELF as SHT_PROGBITS, in place.

GRUB's multiboot2 loader refuses an ELF with any relocation section ("ELF files with relocs
are not supported yet"), even one it never needs to read: kestrel's image carries its
R_X86_64_RELATIVE table (.rela.dyn, inside a loaded segment) for boot/entry.S to apply
itself. The bytes stay; only the section's type changes. Usage: elf_norela.py FILE
"""
import struct
import sys

SHT_PROGBITS, SHT_RELA, SHT_REL = 1, 4, 9


def main(path):
    with open(path, "r+b") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
            sys.exit("elf_norela: %s is not a 64-bit little-endian ELF" % path)
        shoff, = struct.unpack_from("<Q", ehdr, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", ehdr, 0x3a)
        for i in range(shnum):
            at = shoff + i * shentsize + 4  # sh_type follows sh_name
            f.seek(at)
            sh_type, = struct.unpack("<I", f.read(4))
            if sh_type in (SHT_RELA, SHT_REL):
                f.seek(at)
                f.write(struct.pack("<I", SHT_PROGBITS))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
