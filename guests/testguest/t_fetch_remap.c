/*
 * fetch_remap: the MMIO path's cached instruction fetch must follow the guest's page
 * tables. One linear code page is pointed at two physical pages in turn (a PTE write and
 * INVLPG, CR3 unchanged), each holding a store to the test device from a different
 * register; every store must reach the device with the register of the page mapped then.
 * The stores go to one scratch word each and are read back at the end: a device read
 * in between would be an MMIO exit of its own, from other code, and replace the cached
 * walk the next store should find.
 */
#include "guests/testguest/guest.h"
#include "lib/string.h"

#define VA_FETCH (VA_LO_DEV + 0x10000) /* a 4 KiB page of its own, next to VA_LO_DEV's */
#define ROUNDS	 5

/* mov %eax, (%rdi); ret  and  mov %ecx, (%rdi); ret */
static const uint8_t stores[2][3] = {{0x89, 0x07, 0xc3}, {0x89, 0x0f, 0xc3}};
static uint8_t code[2][4096] __aligned(4096);

/* The 4 KiB leaf entry of @va, or NULL. */
static uint64_t *leaf_of(uint64_t va)
{
	uint64_t *t = (uint64_t *)(read_cr3() & PTE_ADDR);

	for (unsigned shift = 39; shift > 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = (uint64_t *)(e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

void t_fetch_remap(void)
{
	volatile uint32_t *dev = (volatile uint32_t *)(uintptr_t)(GPA_TESTDEV + TD_SCRATCH);
	static const unsigned order[ROUNDS] = {0, 0, 1, 1, 0}; /* a repeat, then each change */
	uint64_t *pte;
	int err;

	memcpy(code[0], stores[0], sizeof(stores[0]));
	memcpy(code[1], stores[1], sizeof(stores[1]));
	err = pt_map(VA_FETCH, (uint64_t)(uintptr_t)code[0], 4 * KiB, 0);
	if (err || !(pte = leaf_of(VA_FETCH))) {
		t_fail("cannot map the code page (%d)", err);
		return;
	}
	for (unsigned i = 0; i < ROUNDS; i++) {
		*pte = (uint64_t)(uintptr_t)code[order[i]] | PTE_P;
		__asm__ volatile("invlpg (%0)" : : "r"(VA_FETCH) : "memory");
		__asm__ volatile("call *%0"
				 :
				 : "r"(VA_FETCH), "a"(0xa0a00000 + i), "c"(0xc0c00000 + i),
				   "D"(dev + i)
				 : "memory", "cc");
	}
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint32_t want = (order[i] ? 0xc0c00000 : 0xa0a00000) + i;

		if (dev[i] != want)
			t_fail("store %u (page %u): the device got 0x%x, not 0x%x", i, order[i],
			       dev[i], want);
	}
}
