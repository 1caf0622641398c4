/*
 * The hypervisor's physical memory: the global buddy allocator over all
 * usable RAM, the direct map (identity, 1 GiB pages where the CPU has them),
 * and the page interface of mm/page.h on top. Called from hv_main in order.
 */
#ifndef ARCH_X86_MM_H
#define ARCH_X86_MM_H

#include "mm/buddy.h"
#include "mm/memmap.h"

/* Put the buddy metadata in usable RAM below 4 GiB and free the rest. */
int mm_init(const struct memmap *map);
/* Replace the boot map by an identity map of [0, max(top, 4 GiB)). */
int mm_direct_map(uint64_t top);
/*
 * Map [start, start + len) uncached (UC) in the direct map, for device memory the
 * hypervisor writes (the framebuffer). -ERANGE when part of it is outside the direct
 * map, -ENOMEM when a page table cannot be allocated. @pre after mm_direct_map, before
 * the APs start (they take the BSP's CR3 and need no shootdown).
 */
int mm_map_uncached(uint64_t start, uint64_t len);
struct buddy *mm_buddy(void);
/* buddy_alloc under the allocator lock: safe from any CPU. */
int mm_alloc(unsigned order, owner_t owner, hpa_t *out);
/* [start, end) of the buddy metadata, for the reserved-ranges summary. */
struct mem_range mm_meta_range(void);
bool mm_has_1g_pages(void);

#endif
