/*
 * Boot information for guests: the Multiboot2 and Multiboot (v1) information structures,
 * built in guest RAM from a VM's configuration and module list. Invariants: everything
 * lies inside [at, at + size) below 4 GiB, in RAM; on failure nothing is written.
 * Called by the VM builder after the kernel is loaded; host-tested against fw/mb2.c.
 */
#ifndef VM_BOOTINFO_H
#define VM_BOOTINFO_H

#include "lib/types.h"
#include "config/config.h"
#include "mm/memslot.h"

#define BOOTINFO_MB1_MAGIC     0x2BADB002u /* EAX at a Multiboot (v1) entry */
#define BOOTINFO_MB2_MAGIC     0x36d76289u /* EAX at a Multiboot2 entry */
#define BOOTINFO_LOADER	       "kestrel"   /* boot loader name we report */
#define BOOTINFO_MEM_LOWER_MAX (640 * KiB)

/* A module handed to the guest, already in its RAM at [start, start + size). */
struct guest_module {
	gpa_t start;
	uint64_t size;
	const char *string; /* "name args..."; NULL reads as "" */
};

/*
 * Build the Multiboot2 information at @at (8-byte aligned), at most @max bytes: command
 * line (cfg->cmdline, or ""), boot loader name, basic memory information, a memory map of
 * every region of @cfg (RAM available, everything else reserved) sorted by address, one
 * module tag per @mods entry, end tag. *size_out gets total_size (also on -ENOSPC: the
 * size needed). Returns 0, -EINVAL (@at misaligned), -ERANGE (a module or the
 * information itself not below 4 GiB), -ENOSPC (more than @max bytes), -EFAULT (the
 * target is not all RAM).
 * @pre cfg passed vm_config_validate(); nr_mods == 0 or mods != NULL.
 */
int bootinfo_mb2(const struct memslots *ms, gpa_t at, size_t max, const struct vm_config *cfg,
		 const struct guest_module *mods, unsigned nr_mods, uint32_t *size_out);

/*
 * Build the Multiboot (v1) information at @at: the fixed structure (flags: mem, cmdline,
 * mods, mmap, boot loader name), then the module list, the memory map in v1's format and
 * the strings, all inside [at, at + *size_out). Returns as bootinfo_mb2().
 */
int bootinfo_mb1(const struct memslots *ms, gpa_t at, size_t max, const struct vm_config *cfg,
		 const struct guest_module *mods, unsigned nr_mods, uint32_t *size_out);

/* A guest-physical range [start, end) the guest's image or a module occupies. */
struct gpa_span {
	uint64_t start, end;
};

/*
 * Where @size bytes of boot information go: @pref when [pref, pref + size) is RAM of @cfg,
 * below 4 GiB and overlaps none of @busy (the image's loaded range, the modules); else the
 * lowest such place that starts at a RAM region or right after a busy range (8-byte
 * aligned, never in the first 4 KiB). 0 and *at, or -ENOSPC when there is none.
 */
int bootinfo_place(const struct vm_config *cfg, const struct gpa_span *busy, unsigned nr_busy,
		   uint64_t size, uint64_t pref, gpa_t *at);

/* KiB of RAM from 0 (at most 640) and from 1 MiB, as both protocols report them. */
uint32_t bootinfo_mem_lower(const struct vm_config *cfg);
uint32_t bootinfo_mem_upper(const struct vm_config *cfg);

#endif
