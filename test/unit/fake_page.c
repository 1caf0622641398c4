/*
 * Host replacement for the page interface (mm/page.h): frames come from
 * aligned_alloc, "host-physical" addresses are the pointers themselves, and
 * owner tags live in a small table so tests can check what the code asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "mm/page.h"
#include "test/unit/fake_page.h"

#define FAKE_MAX 65536

static struct {
	uintptr_t base;
	uint64_t size;
	owner_t owner;
} fake[FAKE_MAX];
static unsigned fake_nr;
unsigned long fake_page_allocs;
unsigned long fake_page_limit = ~0UL;
bool (*fake_page_owner_hook)(hpa_t a, owner_t *owner, uint64_t *len);

void *page_alloc(unsigned order, owner_t owner, hpa_t *out)
{
	uint64_t size = PAGE_SIZE << order;
	void *p;

	if (fake_page_allocs >= fake_page_limit || fake_nr >= FAKE_MAX)
		return NULL;
	p = aligned_alloc(size > 2 * MiB ? 2 * MiB : size, size);
	if (!p)
		return NULL;
	memset(p, 0, size);
	fake[fake_nr].base = (uintptr_t)p;
	fake[fake_nr].size = size;
	fake[fake_nr].owner = owner;
	fake_nr++;
	fake_page_allocs++;
	if (out)
		*out = hpa((uint64_t)(uintptr_t)p);
	return p;
}

void page_free(void *va, unsigned order, owner_t owner)
{
	for (unsigned i = 0; i < fake_nr; i++) {
		if (fake[i].base == (uintptr_t)va) {
			fake[i] = fake[--fake_nr];
			fake_page_allocs--;
			free(va);
			return;
		}
	}
	abort(); /* freeing something never allocated is a test failure */
}

owner_t page_owner_run(hpa_t a, uint64_t *len)
{
	owner_t o;

	*len = PAGE_SIZE - (a.v & (PAGE_SIZE - 1));
	if (fake_page_owner_hook && fake_page_owner_hook(a, &o, len))
		return o;
	for (unsigned i = 0; i < fake_nr; i++)
		if (a.v >= fake[i].base && a.v - fake[i].base < fake[i].size) {
			*len = fake[i].base + fake[i].size - a.v;
			return fake[i].owner;
		}
	return OWNER_RESERVED;
}

owner_t page_owner(hpa_t a)
{
	uint64_t len;

	return page_owner_run(a, &len);
}

void *hpa_to_va(hpa_t a)
{
	return (void *)(uintptr_t)a.v;
}
hpa_t va_to_hpa(const void *va)
{
	return hpa((uint64_t)(uintptr_t)va);
}

void fake_page_reset(void)
{
	while (fake_nr)
		page_free((void *)fake[fake_nr - 1].base, 0, 0);
	fake_page_limit = ~0UL;
}
