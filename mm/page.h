/*
 * The one page interface through which host-buildable code (mm/, ept/, emul/,
 * vm/) gets memory. The hypervisor implements it over the buddy allocator and
 * its direct map (arch/x86/page.c); host tests replace it (test/unit/fake_page.c).
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include "lib/types.h"

/* Owner tags: who may map a frame. */
typedef uint16_t owner_t;
#define OWNER_FREE	   ((owner_t)0)
#define OWNER_RESERVED	   ((owner_t)1) /* not RAM, firmware, or not ours */
#define OWNER_HYP	   ((owner_t)2) /* hypervisor code and data */
#define OWNER_VM_BASE	   ((owner_t)0x100)
#define OWNER_SHARED_BASE  ((owner_t)0x200)
#define OWNER_VM(n)	   ((owner_t)(OWNER_VM_BASE + (n)))
#define OWNER_SHARED(n)	   ((owner_t)(OWNER_SHARED_BASE + (n)))
#define OWNER_IS_VM(o)	   ((o) >= OWNER_VM_BASE && (o) < OWNER_SHARED_BASE)
#define OWNER_IS_SHARED(o) ((o) >= OWNER_SHARED_BASE && (o) < 0x300)

/*
 * Allocate 2^order contiguous zeroed frames tagged with @owner.
 * @pre order <= 18. Returns the host-virtual address, or NULL when out of memory;
 * *out gets the host-physical address when out != NULL.
 */
void *page_alloc(unsigned order, owner_t owner, hpa_t *out);
/* @pre va came from page_alloc with the same order and owner. */
void page_free(void *va, unsigned order, owner_t owner);
/* Owner tag of the frame holding @a (OWNER_RESERVED outside managed memory). O(1). */
owner_t page_owner(hpa_t a);
/*
 * page_owner(), and in *len the bytes from @a to the end of the run the tag is
 * known to cover: the allocator block holding @a, or at least the rest of @a's
 * 4 KiB frame. Lets a range be checked one block at a time.
 */
owner_t page_owner_run(hpa_t a, uint64_t *len);
void *hpa_to_va(hpa_t a);
hpa_t va_to_hpa(const void *va);

#endif
