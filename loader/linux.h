/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst): a bzImage's
 * protected-mode kernel, its zero page (struct boot_params with an e820 map), command line,
 * GDT and initrd placed in a VM's guest RAM for the 32-bit entry. Invariant: everything is
 * checked and placed before the first byte is written, so a refusal leaves guest memory
 * untouched. Called by the VM builder; host-built and host-tested, no VMX here.
 *
 * Entry state the caller (VMX code) sets, per boot.rst "32-bit Boot Protocol":
 *   32-bit protected mode, paging off (CR0.PE=1, CR0.PG=0, EFER.LME=0), interrupts off;
 *   GDTR = gdt_base / gdt_limit; CS = LINUX_BOOT_CS (flat 4 GiB code, execute/read);
 *   DS = ES = SS = LINUX_BOOT_DS (flat 4 GiB data, read/write; FS/GS too, harmless);
 *   ESI = zero_page; EBX = EBP = EDI = 0; RIP = entry (code32_start as loaded).
 */
#ifndef LOADER_LINUX_H
#define LOADER_LINUX_H

#include "lib/types.h"
#include "config/config.h"
#include "mm/memslot.h"

/* Where kestrel puts things (guest-physical). */
#define LINUX_ZERO_PAGE_GPA 0x7000ULL	/* struct boot_params, 4 KiB */
#define LINUX_GDT_GPA	    0x8000ULL	/* the boot GDT, right after the zero page */
#define LINUX_CMDLINE_GPA   0x20000ULL	/* the command line, NUL-terminated */
#define LINUX_LOW_END	    0x9F000ULL	/* low RAM ends here; [this, 1 MiB) is reported reserved */
#define LINUX_LOAD_GPA	    0x100000ULL /* the protected-mode kernel (relocatable kernels) */
#define LINUX_INITRD_MIN    0x100000ULL /* the initrd never goes below 1 MiB */

#define LINUX_BOOT_CS	   0x10 /* __BOOT_CS */
#define LINUX_BOOT_DS	   0x18 /* __BOOT_DS */
#define LINUX_GDT_LIMIT	   0x1F /* four descriptors: null, null, code, data */
#define LINUX_MIN_PROTO	   0x0206
#define LINUX_E820_MAX	   128 /* entries the zero page holds */
#define LINUX_RESERVED_MAX 4   /* ranges a caller may mark in the map */

/* e820 types (ACPI "System Address Map Interfaces"). */
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3 /* ACPI reclaimable: the tables */
#define E820_NVS      4
#define E820_UNUSABLE 5

struct linux_range {
	uint64_t gpa, size;
	uint32_t type; /* E820_RESERVED .. E820_UNUSABLE */
};

struct linux_boot {
	/* in */
	const void *image; /* the bzImage file */
	size_t size;
	const void *initrd; /* may be NULL when initrd_size is 0 */
	size_t initrd_size;
	const char *cmdline; /* the whole command line; NULL reads as "" */
	uint64_t rsdp;	     /* the ACPI RSDP's GPA, 0 for none */
	struct linux_range reserved[LINUX_RESERVED_MAX]; /* e.g. the ACPI tables (E820_ACPI) */
	unsigned nr_reserved;
	/* out */
	uint64_t entry;			/* RIP: the protected-mode kernel's load address */
	uint64_t zero_page;		/* ESI */
	uint64_t gdt_base;		/* GDTR */
	uint16_t gdt_limit;		/* GDTR */
	uint64_t kernel_lo, kernel_end; /* [lo, end): loaded bytes and both init_size areas */
	uint64_t initrd_gpa;		/* 0 without an initrd */
	uint64_t cmdline_gpa;
	uint16_t version;  /* the kernel's boot protocol, e.g. 0x020f */
	unsigned nr_e820;  /* entries in the zero page's map */
	bool rsdp_dropped; /* an rsdp was given but the protocol is older than 2.14 */
};

/* True when @img carries the boot flag 0xAA55 at 0x1FE and "HdrS" at 0x202. */
bool linux_is_bzimage(const void *img, size_t size);

/*
 * Load lb->image per the Linux boot protocol into the RAM of @ms, the memory map of @cfg's
 * regions (docs/linux.md says what is checked and where everything goes), and fill the
 * out fields of @lb. Returns 0; -EINVAL a malformed image or reserved range, -ENOTSUP a
 * well-formed image kestrel does not load (protocol < 2.06, zImage), -E2BIG the command
 * line is too long, -EFAULT a part does not lie in guest RAM, -EBUSY a part overlaps a
 * reserved range, -ENOSPC the initrd does not fit or the map needs too many entries.
 * On failure @err holds one line naming the culprit and guest memory is untouched.
 * @err may be NULL when @errlen is 0.
 * @pre @ms holds the slots built from @cfg's regions.
 */
int linux_load(const struct memslots *ms, const struct vm_config *cfg, struct linux_boot *lb,
	       char *err, size_t errlen);

/* ---- the e820 map (loader/linux_e820.c) ---- */

struct linux_e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __packed;
static_assert(sizeof(struct linux_e820_entry) == 20, "struct boot_e820_entry");

/*
 * The map a Linux guest of @cfg sees, sorted by address, adjacent equal entries merged:
 * RAM is E820_RAM but [LINUX_LOW_END, 1 MiB) reserved, as a PC BIOS reports it; ROM,
 * shared and MMIO regions E820_RESERVED; holes absent; each @res range overrides what lies
 * under it with its own type. Writes up to @max entries to @out (may be NULL when @max is 0)
 * and returns how many the whole map has.
 * @pre the ranges of @res do not overlap each other.
 */
unsigned linux_e820(const struct vm_config *cfg, const struct linux_range *res, unsigned nr_res,
		    struct linux_e820_entry *out, unsigned max);

/* The same map, entry @i handed to @sink in order (@sink may be NULL: count only). */
typedef void (*linux_e820_sink)(void *arg, unsigned i, const struct linux_e820_entry *e);
unsigned linux_e820_walk(const struct vm_config *cfg, const struct linux_range *res,
			 unsigned nr_res, linux_e820_sink sink, void *arg);

#endif
