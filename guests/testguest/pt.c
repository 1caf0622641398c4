/*
 * The guest's own 4-level page tables beyond entry.S's identity GiB: identity 2 MiB pages
 * over the device regions, the test device at other virtual addresses through 4 KiB pages,
 * and aliases through 1 GiB pages (2 MiB without CPUID 80000001H:EDX[26]), so that the
 * hypervisor must walk these tables to emulate MMIO. Tables come from a static pool.
 */
#include "guests/testguest/guest.h"
#include "lib/errno.h"

#define PT_POOL_PAGES 24
#define PT_ENTRIES    512
#define CPUID_EXT_1G  BIT(26)

static uint64_t pt_pool[PT_POOL_PAGES][PT_ENTRIES] __aligned(4096);
static unsigned pt_used;
bool pt_have_1g;

/* The table an entry points to, allocating it when the entry is empty; NULL for a leaf. */
static uint64_t *pt_next(uint64_t *table, unsigned idx)
{
	uint64_t e = table[idx];

	if (e & PTE_P)
		return (e & PTE_PS) ? NULL : (uint64_t *)(e & PTE_ADDR);
	if (pt_used == PT_POOL_PAGES)
		return NULL;
	table[idx] = (uint64_t)pt_pool[pt_used] | PTE_P | PTE_W;
	return pt_pool[pt_used++];
}

/* Map [va, va + page_size) to pa with one leaf of page_size (4 KiB, 2 MiB or 1 GiB). */
int pt_map(uint64_t va, uint64_t pa, uint64_t page_size, uint64_t flags)
{
	unsigned leaf_shift = page_size == GiB ? 30 : page_size == 2 * MiB ? 21 : 12;
	uint64_t *t = (uint64_t *)(read_cr3() & PTE_ADDR);
	unsigned idx;

	if (!IS_ALIGNED(va | pa, page_size))
		return -EINVAL;
	for (unsigned shift = 39; shift > leaf_shift; shift -= 9) {
		t = pt_next(t, (va >> shift) & (PT_ENTRIES - 1));
		if (!t)
			return -ENOMEM;
	}
	idx = (va >> leaf_shift) & (PT_ENTRIES - 1);
	if (t[idx] & PTE_P)
		return (t[idx] & PTE_ADDR & ~(page_size - 1)) == pa ? 0 : -EEXIST;
	t[idx] = pa | flags | PTE_P | (leaf_shift > 12 ? PTE_PS : 0);
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return 0;
}

int pt_lookup(uint64_t va, uint64_t *pa)
{
	const uint64_t *t = (const uint64_t *)(read_cr3() & PTE_ADDR);

	for (unsigned shift = 39;; shift -= 9) {
		uint64_t e = t[(va >> shift) & (PT_ENTRIES - 1)];

		if (!(e & PTE_P))
			return -ENOENT;
		if (shift == 12 || (e & PTE_PS)) {
			*pa =
			    (e & PTE_ADDR & ~((1ULL << shift) - 1)) | (va & ((1ULL << shift) - 1));
			return 0;
		}
		t = (const uint64_t *)(e & PTE_ADDR);
	}
}

/* The page size asked for, or smaller ones where that range already holds a table. */
int pt_map_identity(uint64_t pa, uint64_t page_size)
{
	uint64_t got;
	int err = -EINVAL;

	if (!pt_lookup(pa, &got))
		return got == pa ? 0 : -EEXIST;
	for (uint64_t size = page_size; size >= 4 * KiB; size >>= 9) {
		err = pt_map(ALIGN_DOWN(pa, size), ALIGN_DOWN(pa, size), size, PTE_W);
		if (err != -EEXIST)
			return err;
	}
	return err;
}

static bool cpu_has_1g_pages(void)
{
	if (cpuid(0x80000000, 0).eax < 0x80000001)
		return false;
	return cpuid(0x80000001, 0).edx & CPUID_EXT_1G;
}

static void pt_map_or_die(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	int err = pt_map(va, pa, size, flags);

	if (err)
		gprintf("WARN pt_map va=0x%llx pa=0x%llx: %d\n", (unsigned long long)va,
			(unsigned long long)pa, err);
}

static void pt_map_aliases(void)
{
	if (pt_have_1g) {
		pt_map_or_die(VA_ALIAS, 0, GiB, PTE_W);
		pt_map_or_die(VA_ALIAS + 3 * GiB, 3 * GiB, GiB, PTE_W | PTE_UC);
		return;
	}
	for (uint64_t a = 0; a < GiB; a += 2 * MiB)
		pt_map_or_die(VA_ALIAS + a, a, 2 * MiB, PTE_W);
	pt_map_or_die(VA_DEV_ALIAS, GPA_TESTDEV, 2 * MiB, PTE_W | PTE_UC);
}

void pt_init(void)
{
	pt_have_1g = cpu_has_1g_pages();
	/* Identity 2 MiB pages over the regions above the first GiB. */
	pt_map_or_die(GPA_SHM, GPA_SHM, 2 * MiB, PTE_W);
	pt_map_or_die(GPA_TESTDEV, GPA_TESTDEV, 2 * MiB, PTE_W | PTE_UC);
	pt_map_or_die(ALIGN_DOWN(GPA_IOAPIC, 2 * MiB), ALIGN_DOWN(GPA_IOAPIC, 2 * MiB), 2 * MiB,
		      PTE_W | PTE_UC);
	pt_map_or_die(ALIGN_DOWN(GPA_ROM, 2 * MiB), ALIGN_DOWN(GPA_ROM, 2 * MiB), 2 * MiB, PTE_W);
	/* The test device elsewhere, 4 KiB pages: high, swapped, and low (RIP-relative reach). */
	pt_map_or_die(VA_HI_DEV, GPA_TESTDEV, 4 * KiB, PTE_W | PTE_UC);
	pt_map_or_die(VA_HI_DEV + 0x1000, GPA_TESTDEV_SLOW, 4 * KiB, PTE_W | PTE_UC);
	pt_map_or_die(VA_HI_DEV + 0x2000, GPA_MMIO_UART, 4 * KiB, PTE_W | PTE_UC);
	pt_map_or_die(VA_HI_SWAP, GPA_TESTDEV_SLOW, 4 * KiB, PTE_W | PTE_UC);
	pt_map_or_die(VA_HI_SWAP + 0x1000, GPA_TESTDEV, 4 * KiB, PTE_W | PTE_UC);
	pt_map_or_die(VA_LO_DEV, GPA_TESTDEV, 4 * KiB, PTE_W | PTE_UC);
	pt_map_or_die(VA_LO_DEV + 0x1000, GPA_TESTDEV_SLOW, 4 * KiB, PTE_W | PTE_UC);
	pt_map_aliases();
}
