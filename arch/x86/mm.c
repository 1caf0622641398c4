/*
 * Physical memory ownership for the hypervisor. Invariants: every usable
 * frame is in the buddy allocator or tagged with its owner; the direct map
 * is the identity (va == hpa), so hpa_to_va is a cast.
 */
#include "arch/x86/mm.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define PTE_P	   BIT(0)
#define PTE_W	   BIT(1)
#define PTE_PS	   BIT(7)
#define PTE_NX	   BIT(63)
#define PT_ENTRIES 512

static struct buddy hv_buddy;
static spinlock_t buddy_lock = SPINLOCK_INIT; /* VMs on several CPUs allocate at run time */
static struct mem_range meta_range;

struct buddy *mm_buddy(void)
{
	return &hv_buddy;
}
struct mem_range mm_meta_range(void)
{
	return meta_range;
}

bool mm_has_1g_pages(void)
{
	return cpuid(0x80000001, 0).edx & BIT(26);
}

/* First usable range below 4 GiB that holds @size bytes. */
static int find_meta_home(const struct memmap *map, uint64_t size, uint64_t *at)
{
	for (unsigned i = 0; i < map->nr_usable; i++) {
		const struct mem_range *r = &map->usable[i];
		if (r->end - r->start >= size && r->start + size <= 4 * GiB) {
			*at = r->start;
			return 0;
		}
	}
	return -ENOMEM;
}

static int add_free_except(const struct mem_range *r, const struct mem_range *hole)
{
	int ret = 0;

	if (r->start < hole->start)
		ret = buddy_add_free(&hv_buddy, hpa(r->start), hpa(MIN(r->end, hole->start)));
	if (!ret && r->end > hole->end)
		ret = buddy_add_free(&hv_buddy, hpa(MAX(r->start, hole->end)), hpa(r->end));
	return ret;
}

int mm_init(const struct memmap *map)
{
	uint64_t nr_frames = map->top >> PAGE_SHIFT;
	uint64_t size = ALIGN_UP(buddy_meta_size(nr_frames), PAGE_SIZE), at;
	int ret;

	ret = find_meta_home(map, size, &at);
	if (ret) {
		pr_err("mm: no room below 4 GiB for %lu KiB of frame metadata\n", size / KiB);
		return ret;
	}
	meta_range = (struct mem_range){at, at + size, "frame metadata"};
	ret = buddy_init(&hv_buddy, (void *)at, size, pfn(0), nr_frames);
	for (unsigned i = 0; !ret && i < map->nr_usable; i++)
		ret = add_free_except(&map->usable[i], &meta_range);
	if (ret)
		pr_err("mm: buddy setup failed (%d)\n", ret);
	return ret;
}

static uint64_t *table_alloc(void)
{
	return page_alloc(0, OWNER_HYP, NULL);
}

/* Fill one PDPT's worth (1 GiB at @base) with 2 MiB pages. */
static int map_gib_with_2m(uint64_t *pdpte, uint64_t base)
{
	uint64_t *pd = table_alloc();

	if (!pd)
		return -ENOMEM;
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		pd[i] = (base + i * 2 * MiB) | PTE_P | PTE_W | PTE_PS;
	*pdpte = (uint64_t)pd | PTE_P | PTE_W;
	return 0;
}

int mm_direct_map(uint64_t top)
{
	uint64_t end = ALIGN_UP(MAX(top, 4 * GiB), GiB);
	bool big = mm_has_1g_pages();
	uint64_t *pml4 = table_alloc(), *pdpt = NULL;

	if (!pml4 || end > 512 * 512 * GiB)
		return -ENOMEM;
	for (uint64_t a = 0; a < end; a += GiB) {
		unsigned i4 = (unsigned)(a >> 39) & 511, i3 = (unsigned)(a >> 30) & 511;
		if (i3 == 0) {
			pdpt = table_alloc();
			if (!pdpt)
				return -ENOMEM;
			pml4[i4] = (uint64_t)pdpt | PTE_P | PTE_W;
		}
		if (big)
			pdpt[i3] = a | PTE_P | PTE_W | PTE_PS;
		else if (map_gib_with_2m(&pdpt[i3], a))
			return -ENOMEM;
	}
	write_cr3((uint64_t)pml4);
	pr_debug("mm: direct map of %lu GiB with %s pages\n", end / GiB, big ? "1 GiB" : "2 MiB");
	return 0;
}

/* ---- the page interface (mm/page.h) over the buddy allocator ---- */

int mm_alloc(unsigned order, owner_t owner, hpa_t *out)
{
	int ret;

	spin_lock(&buddy_lock);
	ret = buddy_alloc(&hv_buddy, order, owner, out);
	spin_unlock(&buddy_lock);
	return ret;
}

void *page_alloc(unsigned order, owner_t owner, hpa_t *out)
{
	hpa_t a;

	if (mm_alloc(order, owner, &a))
		return NULL;
	memset((void *)a.v, 0, PAGE_SIZE << order);
	if (out)
		*out = a;
	return (void *)a.v;
}

void page_free(void *va, unsigned order, owner_t owner)
{
	int ret;

	spin_lock(&buddy_lock);
	ret = buddy_free(&hv_buddy, va_to_hpa(va), order, owner);
	spin_unlock(&buddy_lock);
	BUG_ON(ret);
}

/* Lock-free: one load of the frame's descriptor (mm/buddy.c), as a locked read would see. */
owner_t page_owner(hpa_t a)
{
	return buddy_owner(&hv_buddy, a);
}

owner_t page_owner_run(hpa_t a, uint64_t *len)
{
	uint64_t frames;
	owner_t o;

	spin_lock(&buddy_lock);
	o = buddy_owner_run(&hv_buddy, a, &frames);
	spin_unlock(&buddy_lock);
	*len = (frames << PAGE_SHIFT) - (a.v & (PAGE_SIZE - 1));
	return o;
}
void *hpa_to_va(hpa_t a)
{
	return (void *)a.v;
}
hpa_t va_to_hpa(const void *va)
{
	return hpa((uint64_t)va);
}
