/*
 * Guest kernel loading: byte access to a VM's guest-physical memory through its memslots,
 * an ELF32/ELF64 loader and Multiboot (v1 and v2) header scanners. Invariants: nothing is
 * written unless every byte of the destination lies in slots of the allowed kinds; an image
 * is checked whole before its first byte is copied. Called by the VM builder; host-tested.
 */
#ifndef VM_LOADER_H
#define VM_LOADER_H

#include "lib/types.h"
#include "vm/config.h"
#include "vm/memslot.h"

/* ---- guest memory accessor ---- */

/* Slot kinds an access may touch (@kinds below). MMIO slots are never touched. */
#define GMEM_RAM    (1u << REGION_RAM)
#define GMEM_ROM    (1u << REGION_ROM)
#define GMEM_SHARED (1u << REGION_SHARED)
#define GMEM_BACKED (GMEM_RAM | GMEM_ROM | GMEM_SHARED)
/* Also demand the slot's REGION_R (reads) or REGION_W (writes), as a guest access would. */
#define GMEM_RIGHTS (1u << 16)

/* True when every byte of [a, a + len) lies in slots of @kinds (true for len 0);
 * with GMEM_RIGHTS, in readable ones. */
bool gmem_covered(const struct memslots *ms, gpa_t a, uint64_t len, unsigned kinds);

/*
 * Copy between guest memory and a host buffer, or zero guest memory, across slot
 * boundaries. Returns 0, or -EFAULT with nothing copied when some byte of [a, a + len)
 * is outside slots of @kinds (or the range wraps). The loader passes GMEM_RAM | GMEM_ROM
 * to fill ROM; hypercall handlers pass GMEM_RAM | GMEM_SHARED | GMEM_RIGHTS.
 */
int gmem_read_kinds(const struct memslots *ms, gpa_t a, void *dst, size_t len, unsigned kinds);
int gmem_write_kinds(const struct memslots *ms, gpa_t a, const void *src, size_t len,
		     unsigned kinds);
int gmem_zero_kinds(const struct memslots *ms, gpa_t a, size_t len, unsigned kinds);

/* As the guest could: reads see RAM, ROM, shared; writes RAM, shared; slot rights apply. */
int gmem_read(const struct memslots *ms, gpa_t a, void *dst, size_t len);
int gmem_write(const struct memslots *ms, gpa_t a, const void *src, size_t len);
int gmem_zero(const struct memslots *ms, gpa_t a, size_t len);

/* ---- loading ---- */

#define LOADER_ERR_LEN	     128 /* room for any loader message */
#define LOADER_ELF_MAX_PHDRS 128 /* program headers an image may have */

struct load_result {
	uint64_t entry;	    /* where to start the guest */
	gpa_t lo, end;	    /* [lo, end): lowest loaded byte, one past the highest */
	unsigned bits;	    /* 32 (ELF32, a.out kludge) or 64 (ELF64) */
	bool align_modules; /* the image asks for 4 KiB-aligned modules */
};

/*
 * Load an ELF64 (x86-64) or ELF32 (i386) executable: each PT_LOAD's file bytes go to
 * p_paddr, the rest up to p_memsz is zeroed. Every segment must lie in guest RAM.
 * Returns 0; -EINVAL for a malformed image, -ENOTSUP for a well-formed one we do not run
 * (class, byte order, machine, type), -EFAULT when a segment lies outside guest RAM.
 * On failure @err holds one line naming the culprit and guest memory is untouched.
 * @err may be NULL when @errlen is 0.
 */
int loader_load_elf(const struct memslots *ms, const void *image, size_t size,
		    struct load_result *out, char *err, size_t errlen);

/* ---- Multiboot headers ("Multiboot Specification version 0.6.96", "... 2.0") ---- */

#define LOADER_MB1_MAGIC       0x1BADB002u
#define LOADER_MB1_SEARCH      8192
#define LOADER_MB1_ALIGN_MODS  BIT(0)  /* page-align modules */
#define LOADER_MB1_MEMINFO     BIT(1)  /* wants mem_* (always given) */
#define LOADER_MB1_VIDEO       BIT(2)  /* wants a video mode: optional, ignored */
#define LOADER_MB1_AOUT_KLUDGE BIT(16) /* the address fields are valid */
#define LOADER_MB1_KNOWN       (LOADER_MB1_ALIGN_MODS | LOADER_MB1_MEMINFO | LOADER_MB1_VIDEO)
#define LOADER_MB1_REQUIRED    GENMASK(15, 0)

#define LOADER_MB2_MAGIC  0xE85250D6u
#define LOADER_MB2_SEARCH 32768

/* Where to load a non-ELF image: the a.out kludge (v1) or the address tag (v2). */
struct loader_addrs {
	uint32_t header_addr;	/* GPA of the header */
	uint32_t load_addr;	/* GPA of the first loaded byte; v2: ~0 = from file start */
	uint32_t load_end_addr; /* end of the file bytes; 0 = to the end of the file */
	uint32_t bss_end_addr;	/* end of the zeroed tail; 0 = none */
};

struct mb1_header_info {
	uint32_t offset; /* of the header in the image */
	uint32_t flags;
	bool has_addrs; /* flags bit 16 */
	struct loader_addrs addrs;
	uint32_t entry_addr;
};

struct mb2_header_info {
	uint32_t offset; /* of the header in the image */
	uint32_t length; /* header_length */
	uint32_t arch;
	bool has_addrs; /* address tag (type 2) */
	struct loader_addrs addrs;
	bool has_entry; /* entry address tag (type 3) */
	uint32_t entry_addr;
	bool align_modules; /* module alignment tag (type 6) */
	uint16_t bad_tag;   /* on -ENOTSUP: the required tag we cannot honour (0: arch) */
	uint32_t bad_value; /* ... and the value at fault (arch or requested info type) */
};

/*
 * Find the Multiboot header: 4-byte aligned in the first 8192 bytes, magic and checksum.
 * Returns 0 with *out filled, -ENOENT when there is none, -EINVAL when its address
 * fields run past the search area, -ENOTSUP (*out filled) when it requires a feature
 * we lack (an unknown bit in 0..15).
 */
int loader_find_mb1_header(const void *image, size_t size, struct mb1_header_info *out);

/*
 * Find the Multiboot2 header: 8-byte aligned in the first 32768 bytes, magic and checksum.
 * Returns 0 with *out filled, -ENOENT when there is none, -EINVAL when its tags are
 * malformed, -ENOTSUP when it needs what we lack (architecture other than i386, a
 * required framebuffer or unknown tag, a required request for info we do not give).
 */
int loader_find_mb2_header(const void *image, size_t size, struct mb2_header_info *out);

/*
 * Load the image per the Multiboot header of protocol @proto: through the header's
 * address fields when present, else as ELF; the entry address tag overrides e_entry.
 * Returns as loader_load_elf(), plus -ENOENT when the image has no such header.
 */
int loader_load_image(const struct memslots *ms, enum boot_proto proto, const void *image,
		      size_t size, struct load_result *out, char *err, size_t errlen);

#endif
