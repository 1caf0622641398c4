/*
 * Usable RAM carved from the firmware memory map: type-1 RAM minus everything the
 * firmware reserves and everything the caller excludes, in whole pages. Called once at
 * boot (boot/main.c) before the page allocator is fed; host-built for tests and fuzzing.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include "fw/mb2.h"
#include "lib/types.h"

#define MEMMAP_MAX 128

/* [start, end), physical; label is a static or caller-owned string. */
struct mem_range {
	uint64_t start, end;
	const char *label;
};

/*
 * Invariants after memmap_carve: usable[] is sorted, disjoint, non-adjacent, page
 * aligned and non-empty; reserved[] is sorted and disjoint from each other and from
 * usable[]; together they cover every byte some firmware entry or exclude covers.
 */
struct memmap {
	struct mem_range usable[MEMMAP_MAX];
	unsigned nr_usable;
	struct mem_range reserved[MEMMAP_MAX];
	unsigned nr_reserved;
	uint64_t total_usable; /* bytes */
	uint64_t top;	       /* highest usable end, 0 when none */
};

/*
 * Carve usable RAM: the union of the type-1 entries of @fw, minus the union of every
 * other entry (reserved wins over available, whatever the order or overlap), minus
 * @exclude (each [start, end) with its label), then shrunk to whole pages.
 * reserved[] names what is not usable: the exclude's label where an exclude covers it,
 * else the type name of the first non-type-1 firmware entry covering it, else
 * "unaligned" for the partial pages of RAM lost to alignment. Holes are not listed.
 * Entries may be unsorted, overlapping, zero-length; base + len past 2^64 is clipped.
 * Returns 0, -EINVAL (NULL arrays with counts, out == NULL, an exclude with
 * start > end) or -E2BIG (more than MEMMAP_MAX ranges: out keeps the first ones).
 */
int memmap_carve(const struct mb2_mmap_entry *fw, unsigned nr_fw, const struct mem_range *exclude,
		 unsigned nr_exclude, struct memmap *out);

#endif
