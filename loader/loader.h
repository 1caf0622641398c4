/*
 * Guest kernel loading: ELF32/ELF64, or by Multiboot (v1/v2) header; includes mm/gmem.h and
 * loader/mbheader.h for its users. Invariant: an image is checked whole before its first byte is
 * copied, so a refused image leaves guest memory untouched. Called by the VM builder.
 */
#ifndef VM_LOADER_H
#define VM_LOADER_H

#include "lib/types.h"
#include "config/config.h"
#include "mm/gmem.h"
#include "loader/mbheader.h"
#include "mm/memslot.h"

#define LOADER_ERR_LEN	     128 /* room for any loader message */
#define LOADER_ELF_MAX_PHDRS 128 /* program headers an image may have */

struct load_result {
	uint64_t entry;	       /* where to start the guest */
	gpa_t lo, end;	       /* [lo, end): lowest loaded byte, one past the highest */
	unsigned bits;	       /* 32 (ELF32, a.out kludge) or 64 (ELF64) */
	bool align_modules;    /* the image asks for 4 KiB-aligned modules */
	enum boot_proto proto; /* the protocol it was loaded by (BOOT_AUTO resolved) */
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

/*
 * The protocol an image asks for: BOOT_MULTIBOOT2 when it has a Multiboot2
 * header (even a malformed one: loading it then says what is wrong), else
 * BOOT_MULTIBOOT1 for a Multiboot header, else BOOT_LINUX for a bzImage's setup
 * header (boot flag and "HdrS"), else BOOT_AUTO (none found). A Multiboot header
 * wins over a bzImage's: its author asked for that protocol, and an image that
 * booted before bzImages were detected boots the same way.
 */
enum boot_proto loader_detect_proto(const void *image, size_t size);

/*
 * Load the image per the Multiboot header of protocol @proto (BOOT_AUTO: the one
 * loader_detect_proto finds): through the header's address fields when present,
 * else as ELF; the entry address tag overrides e_entry. Returns as
 * loader_load_elf(), plus -ENOENT when the image has no such header, -ENOTSUP for
 * BOOT_LINUX (a bzImage goes through linux_load(), loader/linux.h).
 */
int loader_load_image(const struct memslots *ms, enum boot_proto proto, const void *image,
		      size_t size, struct load_result *out, char *err, size_t errlen);

#endif
