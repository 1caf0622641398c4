/*
 * Multiboot header scanners ("Multiboot Specification version 0.6.96", "... 2.0"): find the
 * v1 / v2 header in a guest image and report what it asks for. Invariant: reads stay within
 * the image's search area. Called by the loader; host-tested and fuzzed through it.
 */
#ifndef VM_MBHEADER_H
#define VM_MBHEADER_H

#include "lib/types.h"

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

/* Multiboot2 header tag types; mb2_header_info.bad_tag holds one of these. */
enum mb2h_type {
	MB2H_END = 0,
	MB2H_INFO_REQUEST = 1,
	MB2H_ADDRESS = 2,
	MB2H_ENTRY = 3,
	MB2H_CONSOLE = 4,
	MB2H_FRAMEBUFFER = 5,
	MB2H_MODULE_ALIGN = 6,
	MB2H_EFI_BS = 7,
	MB2H_ENTRY_EFI32 = 8,
	MB2H_ENTRY_EFI64 = 9,
	MB2H_RELOCATABLE = 10,
};

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

#endif
