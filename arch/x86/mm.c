/*
 * Physical memory ownership for the hypervisor. Invariants: every usable
 * frame is in the buddy allocator or tagged with its owner; the direct map
 * is the identity (va == hpa), so hpa_to_va is a cast, and no page of it spans
 * two MTRR memory types (mm/mtrr.c decides where pages must be smaller).
 */
#include "arch/x86/mm.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/mtrr.h"

#define PTE_P	   BIT(0)
#define PTE_W	   BIT(1)
#define PTE_PWT	   BIT(3)
#define PTE_PCD	   BIT(4)
#define PTE_PS	   BIT(7)
#define PTE_ADDR   GENMASK(51, 12)
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

/*
 * The MTRRs as the direct map sees them (mm/mtrr.h). The map's PAT index is WB, so each
 * page's effective type is the MTRRs' type; a large page over two MTRR types is undefined
 * (SDM "Large Page Size Considerations"), so such a range gets smaller pages.
 */
#define MSR_MTRRCAP	   0xfe
#define MSR_MTRR_DEF_TYPE  0x2ff
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_FIX64K	   0x250
#define MSR_MTRR_FIX16K	   0x258
#define MSR_MTRR_FIX4K	   0x268
#define MTRRCAP_VCNT	   GENMASK(7, 0)
#define MTRRCAP_FIX	   BIT(8)
#define CPUID1_EDX_MTRR	   BIT(12)

static struct mtrr_state mtrrs;
static unsigned nr_pages[3]; /* 1 GiB, 2 MiB, 4 KiB pages of the direct map */

static void read_fixed(struct mtrr_state *m)
{
	static const uint32_t msrs[11] = {
	    MSR_MTRR_FIX64K,	MSR_MTRR_FIX16K,    MSR_MTRR_FIX16K + 1, MSR_MTRR_FIX4K,
	    MSR_MTRR_FIX4K + 1, MSR_MTRR_FIX4K + 2, MSR_MTRR_FIX4K + 3,	 MSR_MTRR_FIX4K + 4,
	    MSR_MTRR_FIX4K + 5, MSR_MTRR_FIX4K + 6, MSR_MTRR_FIX4K + 7};

	for (unsigned i = 0; i < 11; i++) {
		uint64_t v = rdmsr(msrs[i]);

		for (unsigned b = 0; b < 8; b++)
			m->fixed[i * 8 + b] = (uint8_t)(v >> (8 * b));
	}
}

static void read_mtrrs(struct mtrr_state *m)
{
	uint64_t cap;

	m->present = cpuid(1, 0).edx & CPUID1_EDX_MTRR;
	if (!m->present)
		return;
	cap = rdmsr(MSR_MTRRCAP);
	m->def_type = rdmsr(MSR_MTRR_DEF_TYPE);
	m->has_fixed = cap & MTRRCAP_FIX;
	m->nr_var = (unsigned)MIN(cap & MTRRCAP_VCNT, MTRR_MAX_VAR);
	m->maxphyaddr = cpuid(0x80000008, 0).eax & 0xff;
	if (m->has_fixed)
		read_fixed(m);
	for (unsigned i = 0; i < m->nr_var; i++) {
		m->base[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i);
		m->mask[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i + 1);
	}
}

/* 2 MiB at @base with 4 KiB pages: it spans two MTRR types. */
static int map_2m_with_4k(uint64_t *pde, uint64_t base)
{
	uint64_t *pt = table_alloc();

	if (!pt)
		return -ENOMEM;
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		pt[i] = (base + i * 4 * KiB) | PTE_P | PTE_W;
	*pde = (uint64_t)pt | PTE_P | PTE_W;
	nr_pages[2] += PT_ENTRIES;
	return 0;
}

/* Fill one PDPT's worth (1 GiB at @base) with 2 MiB pages, 4 KiB where types change. */
static int map_gib_with_2m(uint64_t *pdpte, uint64_t base)
{
	uint64_t *pd = table_alloc();

	if (!pd)
		return -ENOMEM;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t a = base + i * 2 * MiB;

		if (mtrr_type(&mtrrs, a, 2 * MiB) == MTRR_MIXED) {
			if (map_2m_with_4k(&pd[i], a))
				return -ENOMEM;
			continue;
		}
		pd[i] = a | PTE_P | PTE_W | PTE_PS;
		nr_pages[1]++;
	}
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
	read_mtrrs(&mtrrs);
	for (uint64_t a = 0; a < end; a += GiB) {
		unsigned i4 = (unsigned)(a >> 39) & 511, i3 = (unsigned)(a >> 30) & 511;
		if (i3 == 0) {
			pdpt = table_alloc();
			if (!pdpt)
				return -ENOMEM;
			pml4[i4] = (uint64_t)pdpt | PTE_P | PTE_W;
		}
		if (big && mtrr_type(&mtrrs, a, GiB) != MTRR_MIXED) {
			pdpt[i3] = a | PTE_P | PTE_W | PTE_PS;
			nr_pages[0]++;
		} else if (map_gib_with_2m(&pdpt[i3], a)) {
			return -ENOMEM;
		}
	}
	write_cr3((uint64_t)pml4);
	pr_debug("mm: direct map of %lu GiB: %u 1 GiB, %u 2 MiB, %u 4 KiB pages (MTRRs %s, %u "
		 "variable)\n",
		 end / GiB, nr_pages[0], nr_pages[1], nr_pages[2],
		 !mtrrs.present		       ? "absent"
		 : mtrrs.def_type & MTRR_DEF_E ? "on"
					       : "off",
		 mtrrs.nr_var);
	return 0;
}

/*
 * Replace the leaf at *e (a 1 GiB or 2 MiB page of @size bytes) by a table of 512
 * pages a level smaller with the same flags: the same memory, finer grained.
 */
static int split_leaf(uint64_t *e, uint64_t size)
{
	uint64_t *t = table_alloc(), base = *e & PTE_ADDR & ~(size - 1);
	uint64_t flags = *e & ~PTE_ADDR, small = size / PT_ENTRIES;

	if (!t)
		return -ENOMEM;
	if (small == PAGE_SIZE)
		flags &= ~PTE_PS; /* bit 7 of a 4 KiB PTE is PAT, not PS */
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		t[i] = (base + i * small) | flags;
	*e = (uint64_t)t | PTE_P | PTE_W;
	return 0;
}

/* The next level's entry for @a under the table entry *e, splitting a leaf on the way. */
static int walk_down(uint64_t *e, uint64_t size, uint64_t a, unsigned shift, uint64_t **next)
{
	int ret;

	if (!(*e & PTE_P))
		return -ERANGE;
	if ((*e & PTE_PS) && (ret = split_leaf(e, size)))
		return ret;
	*next = (uint64_t *)(*e & PTE_ADDR) + ((a >> shift) & (PT_ENTRIES - 1));
	return 0;
}

/*
 * PAT entry 3 (PCD and PWT set) is UC in the power-on PAT (SDM "PAT Memory Types"):
 * device memory such as a framebuffer must not be cached WB, whatever the MTRRs say.
 * Splits the direct map's large pages down to 4 KiB pages around [start, start + len).
 */
int mm_map_uncached(uint64_t start, uint64_t len)
{
	uint64_t *pml4 = (uint64_t *)(read_cr3() & PTE_ADDR);
	uint64_t end = ALIGN_UP(start + len, PAGE_SIZE);
	int ret = 0;

	if (len == 0 || start + len < start)
		return -EINVAL;
	for (uint64_t a = ALIGN_DOWN(start, PAGE_SIZE); a < end && !ret; a += PAGE_SIZE) {
		uint64_t *e3, *e2, *e1, *e4 = &pml4[(a >> 39) & (PT_ENTRIES - 1)];

		ret = walk_down(e4, 0, a, 30, &e3);
		if (!ret)
			ret = walk_down(e3, GiB, a, 21, &e2);
		if (!ret)
			ret = walk_down(e2, 2 * MiB, a, 12, &e1);
		if (!ret && !(*e1 & PTE_P))
			ret = -ERANGE;
		if (!ret)
			*e1 |= PTE_PCD | PTE_PWT;
	}
	write_cr3(read_cr3()); /* no global pages: this flushes every translation */
	return ret;
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
