/*
 * Multiboot2 boot information: the wire layout of the tags GRUB hands over and a
 * parser that turns them into struct mb2_info. Invariants: every pointer in mb2_info
 * points into the caller's buffer, inside the tag it came from, and every string is
 * NUL-terminated there. Called once by boot/main.c; host-built for tests and fuzzing.
 */
#ifndef BOOT_MB2_H
#define BOOT_MB2_H

#include "lib/types.h"

/* Value in EAX when a Multiboot2 loader jumps to the image. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* ---- wire format ("Multiboot2 Specification version 2.0", Boot information format) ---- */

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_BOOTDEV = 5,
	MB2_TAG_MMAP = 6,
	MB2_TAG_VBE = 7,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ELF_SECTIONS = 9,
	MB2_TAG_APM = 10,
	MB2_TAG_EFI32 = 11,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_SMBIOS = 13,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_NETWORK = 16,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS = 18,
	MB2_TAG_EFI32_IH = 19,
	MB2_TAG_EFI64_IH = 20,
	MB2_TAG_LOAD_BASE_ADDR = 21,
	MB2_TAG_NR
};

#define MB2_TAG_ALIGN 8

/* Multiboot memory map types, also used for the converted EFI map. */
#define MB2_MMAP_AVAILABLE	  1
#define MB2_MMAP_RESERVED	  2
#define MB2_MMAP_ACPI_RECLAIMABLE 3
#define MB2_MMAP_NVS		  4
#define MB2_MMAP_BADRAM		  5

struct mb2_info_header {
	uint32_t total_size; /* bytes, including this header and the end tag */
	uint32_t reserved;
} __packed;

struct mb2_tag {
	uint32_t type;
	uint32_t size; /* bytes, including this header, excluding the padding to 8 */
} __packed;

/* Types 1 (command line) and 2 (boot loader name): a NUL-terminated string follows. */
struct mb2_tag_string {
	struct mb2_tag hdr;
	char string[];
} __packed;

struct mb2_tag_module {
	struct mb2_tag hdr;
	uint32_t mod_start;
	uint32_t mod_end; /* one past the last byte, as GRUB fills it */
	char string[];
} __packed;

struct mb2_tag_basic_meminfo {
	struct mb2_tag hdr;
	uint32_t mem_lower; /* KiB from 0 */
	uint32_t mem_upper; /* KiB from 1 MiB */
} __packed;

struct mb2_tag_mmap {
	struct mb2_tag hdr;
	uint32_t entry_size;
	uint32_t entry_version;
	/* entries of entry_size bytes, each starting with struct mb2_mmap_raw_entry */
} __packed;

struct mb2_mmap_raw_entry {
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
} __packed;

/* GRUB's layout: a 16-bit reserved field, so the colour info starts at +32. */
struct mb2_tag_framebuffer {
	struct mb2_tag hdr;
	uint64_t addr;
	uint32_t pitch;
	uint32_t width;
	uint32_t height;
	uint8_t bpp;
	uint8_t fb_type; /* MB2_FB_TYPE_* */
	uint16_t reserved;
} __packed;

/* The type-specific colour info (palette or RGB layout) starts after the fixed part. */
#define MB2_FB_INFO_OFF 32
/* Physical addresses stop at 2^52 (SDM "Physical Address Width"): a framebuffer ends below. */
#define MB2_FB_ADDR_LIMIT BIT(52)

#define MB2_FB_TYPE_INDEXED 0
#define MB2_FB_TYPE_RGB	    1
#define MB2_FB_TYPE_EGA	    2

struct mb2_fb_rgb {
	uint8_t red_pos, red_size;
	uint8_t green_pos, green_size;
	uint8_t blue_pos, blue_size;
} __packed;

struct mb2_tag_efi64 {
	struct mb2_tag hdr;
	uint64_t pointer; /* EFI system table */
} __packed;

/* Types 14 and 15: a byte copy of the ACPI RSDP follows the header. */
#define MB2_RSDP_V1_LEN 20
#define MB2_RSDP_V2_LEN 36

struct mb2_tag_efi_mmap {
	struct mb2_tag hdr;
	uint32_t descr_size;
	uint32_t descr_vers;
	/* EFI_MEMORY_DESCRIPTORs, descr_size bytes apart */
} __packed;

/* UEFI specification, EFI_BOOT_SERVICES.GetMemoryMap(): EFI_MEMORY_DESCRIPTOR. */
struct efi_memory_descriptor {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages; /* 4 KiB pages */
	uint64_t attribute;
} __packed;

enum efi_memory_type {
	EFI_RESERVED_MEMORY = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_RUNTIME_SERVICES_CODE = 5,
	EFI_RUNTIME_SERVICES_DATA = 6,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
	EFI_MEMORY_MAPPED_IO = 11,
	EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
	EFI_PAL_CODE = 13,
	EFI_PERSISTENT_MEMORY = 14,
};

struct mb2_tag_load_base {
	struct mb2_tag hdr;
	uint32_t load_base_addr;
} __packed;

static_assert(sizeof(struct mb2_info_header) == 8, "mb2 info header");
static_assert(sizeof(struct mb2_tag) == 8, "mb2 tag header");
static_assert(sizeof(struct mb2_tag_string) == 8, "mb2 string tag");
static_assert(sizeof(struct mb2_tag_module) == 16, "mb2 module tag");
static_assert(offsetof(struct mb2_tag_module, string) == 16, "mb2 module string");
static_assert(sizeof(struct mb2_tag_basic_meminfo) == 16, "mb2 meminfo tag");
static_assert(sizeof(struct mb2_tag_mmap) == 16, "mb2 mmap tag");
static_assert(sizeof(struct mb2_mmap_raw_entry) == 24, "mb2 mmap entry");
static_assert(offsetof(struct mb2_mmap_raw_entry, type) == 16, "mb2 mmap entry type");
static_assert(sizeof(struct mb2_tag_framebuffer) == 32, "mb2 framebuffer tag");
static_assert(offsetof(struct mb2_tag_framebuffer, bpp) == 28, "mb2 framebuffer bpp");
static_assert(offsetof(struct mb2_tag_framebuffer, fb_type) == 29, "mb2 framebuffer type");
static_assert(sizeof(struct mb2_fb_rgb) == 6, "mb2 framebuffer colour info");
static_assert(sizeof(struct mb2_tag_efi64) == 16, "mb2 EFI64 tag");
static_assert(sizeof(struct mb2_tag_efi_mmap) == 16, "mb2 EFI mmap tag");
static_assert(sizeof(struct efi_memory_descriptor) == 40, "EFI memory descriptor");
static_assert(offsetof(struct efi_memory_descriptor, num_pages) == 24, "EFI descriptor pages");
static_assert(sizeof(struct mb2_tag_load_base) == 12, "mb2 load base tag");

/* ---- parsed form ---- */

#define MB2_MAX_MODULES 16
#define MB2_MAX_MMAP	256 /* per map; the EFI map is coalesced before counting */
#define MB2_MAX_ERRORS	8
#define MB2_ERROR_LEN	112

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type; /* MB2_MMAP_* (other values: treat as reserved) */
};

struct mb2_module {
	uint64_t start, end; /* [start, end) physical */
	const char *string;  /* "name args...", never NULL for a listed module */
};

/* Present only when every field passed its check (fw/mb2.c, parse_framebuffer). */
struct mb2_framebuffer {
	bool present;
	uint64_t addr, size; /* size: pitch * height bytes, addr + size <= MB2_FB_ADDR_LIMIT */
	uint32_t pitch, width, height;
	uint8_t bpp, type;     /* MB2_FB_TYPE_* */
	struct mb2_fb_rgb rgb; /* valid when type == MB2_FB_TYPE_RGB */
};

struct mb2_rsdp {
	const uint8_t *bytes; /* the copy inside the tag; NULL when absent */
	uint32_t len;	      /* bytes of the copy */
	uint8_t revision;     /* RSDP byte 15: 0 for ACPI 1.0, 2 for 2.0+ */
	uint8_t tag;	      /* MB2_TAG_ACPI_OLD or MB2_TAG_ACPI_NEW */
};

/*
 * Invariants: nr_* never exceed their arrays; best_mmap is NULL, mmap or efi_mmap
 * (so an mb2_info must not be copied by value: best_mmap would point into the old one).
 * It is large (about 13 KiB): keep it static, not on a small stack.
 */
struct mb2_info {
	uint32_t info_size; /* total_size */
	const char *cmdline;
	const char *loader;

	bool has_meminfo;
	uint32_t mem_lower, mem_upper; /* KiB */

	bool has_mmap; /* tag 6 present and well-formed */
	uint32_t mmap_entry_version;
	unsigned nr_mmap;
	struct mb2_mmap_entry mmap[MB2_MAX_MMAP];

	bool has_efi_mmap; /* tag 17 present and well-formed */
	uint32_t efi_descr_size, efi_descr_version;
	unsigned nr_efi_descr; /* raw descriptors at efi_descr */
	const uint8_t *efi_descr;
	unsigned nr_efi_mmap; /* converted, adjacent same-type entries merged */
	struct mb2_mmap_entry efi_mmap[MB2_MAX_MMAP];

	/* The map to carve from: tag 6 if it has entries, else the converted tag 17. */
	const struct mb2_mmap_entry *best_mmap;
	unsigned nr_best_mmap;

	unsigned nr_modules;
	struct mb2_module modules[MB2_MAX_MODULES];

	struct mb2_framebuffer fb;
	struct mb2_rsdp rsdp; /* the new (tag 15) copy when given, else the old (tag 14) */

	bool has_efi64;
	uint64_t efi64_systab;
	bool efi_bs_not_terminated; /* tag 18: boot services still own their memory */
	bool has_load_base;
	uint64_t load_base;

	unsigned nr_errors;	    /* messages kept in errors[] */
	unsigned nr_errors_dropped; /* further messages not kept */
	char errors[MB2_MAX_ERRORS][MB2_ERROR_LEN];
};

/*
 * Parse the boot information at @info; at most @avail bytes may be read there.
 * Returns 0 when the whole structure was walked to its end tag (malformed tags are
 * then reported in out->errors[] and ignored), -EINVAL when it cannot be walked
 * (bad header, a tag running past total_size, missing end tag): out then holds
 * what was parsed before the fault, and errors[] says where.
 * @pre out != NULL.
 */
int mb2_parse(const void *info, size_t avail, struct mb2_info *out);

/* "available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad RAM" or "unknown". */
const char *mb2_mmap_type_name(uint32_t type);

/* The first module whose string's first word is @name, or NULL. */
const struct mb2_module *mb2_find_module(const struct mb2_info *info, const char *name);

/* Multiboot type for an EFI memory type (see docs/boot-info.md for the table). */
uint32_t mb2_efi_type_to_mmap(uint32_t efi_type, bool boot_services_running);

#endif
