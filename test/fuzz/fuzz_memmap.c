/*
 * libFuzzer target for mm/memmap.c: the input decodes into firmware entries and
 * exclusions; the carving must come out sorted, disjoint, page aligned, inside the
 * type-1 RAM, outside every reserved entry and exclusion, and maximal. abort() if not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "mm/memmap.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define MAX_FW 256
#define MAX_EX 32
#define PG     4096ULL

static struct mb2_mmap_entry fw[MAX_FW];
static struct mem_range ex[MAX_EX];
static unsigned nr_fw, nr_ex;
static struct memmap mm;

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t clip_end(uint64_t base, uint64_t len)
{
	return len > UINT64_MAX - base ? UINT64_MAX : base + len;
}

/* 17-byte records: base, len, kind (bit 7: an exclusion; else type = kind & 7). */
static void decode(const uint8_t *data, size_t size)
{
	bool small = size && (data[0] & 1); /* fold into 16 MiB so entries collide */

	nr_fw = nr_ex = 0;
	for (size_t off = 1; off + 17 <= size; off += 17) {
		uint64_t base = get64(data + off), len = get64(data + off + 8);
		uint8_t kind = data[off + 16];

		if (small)
			base &= 0xffffff, len &= 0x3fffff;
		if ((kind & 0x80) && nr_ex < MAX_EX)
			ex[nr_ex++] = (struct mem_range){base, clip_end(base, len), "ex"};
		else if (!(kind & 0x80) && nr_fw < MAX_FW)
			fw[nr_fw++] = (struct mb2_mmap_entry){base, len, kind & 7u};
	}
}

static bool overlaps(uint64_t s, uint64_t e, uint64_t s2, uint64_t e2)
{
	return s < e && s2 < e2 && s < e2 && s2 < e; /* empty ranges overlap nothing */
}

/* [s, e) touches no reserved entry and no exclusion. */
static bool clear_of_reserved(uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < nr_fw; i++)
		if (fw[i].type != 1 && overlaps(s, e, fw[i].base, clip_end(fw[i].base, fw[i].len)))
			return false;
	for (unsigned i = 0; i < nr_ex; i++)
		if (overlaps(s, e, ex[i].start, ex[i].end))
			return false;
	return true;
}

/* [s, e) is covered by the union of the type-1 entries. */
static bool covered_by_ram(uint64_t s, uint64_t e)
{
	while (s < e) {
		uint64_t best = s;

		for (unsigned i = 0; i < nr_fw; i++) {
			uint64_t fe = clip_end(fw[i].base, fw[i].len);

			if (fw[i].type == 1 && fw[i].base <= s && s < fe && fe > best)
				best = fe;
		}
		if (best == s)
			return false;
		s = best;
	}
	return true;
}

static bool in_list(const struct mem_range *r, unsigned n, uint64_t a)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].start <= a && a < r[i].end)
			return true;
	return false;
}

static void check_usable(void)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < mm.nr_usable; i++) {
		const struct mem_range *r = &mm.usable[i];

		CHECK(r->start < r->end && r->start % PG == 0 && r->end % PG == 0);
		CHECK(i == 0 || mm.usable[i - 1].end < r->start);
		CHECK(clear_of_reserved(r->start, r->end));
		CHECK(covered_by_ram(r->start, r->end));
		total += r->end - r->start;
	}
	CHECK(total == mm.total_usable);
	CHECK(mm.top == (mm.nr_usable ? mm.usable[mm.nr_usable - 1].end : 0));
}

static void check_reserved(void)
{
	for (unsigned i = 0; i < mm.nr_reserved; i++) {
		const struct mem_range *r = &mm.reserved[i];

		CHECK(r->start < r->end && r->label);
		CHECK(i == 0 || mm.reserved[i - 1].end <= r->start);
		for (unsigned j = 0; j < mm.nr_usable; j++)
			CHECK(!overlaps(r->start, r->end, mm.usable[j].start, mm.usable[j].end));
	}
}

/* A page inside one RAM entry and clear of everything reserved must be usable. */
static void check_page_maximal(uint64_t p)
{
	if (p > UINT64_MAX - PG)
		return;
	for (unsigned i = 0; i < nr_fw; i++)
		if (fw[i].type == 1 && fw[i].base <= p &&
		    p + PG <= clip_end(fw[i].base, fw[i].len) && clear_of_reserved(p, p + PG)) {
			CHECK(in_list(mm.usable, mm.nr_usable, p));
			return;
		}
}

static uint64_t page_up(uint64_t a)
{
	return a > UINT64_MAX - (PG - 1) ? UINT64_MAX & ~(PG - 1) : (a + PG - 1) & ~(PG - 1);
}

/* Candidate pages next to every boundary, and every start point's coverage. */
static void check_maximal(void)
{
	for (unsigned i = 0; i < nr_fw + nr_ex; i++) {
		uint64_t s = i < nr_fw ? fw[i].base : ex[i - nr_fw].start;
		uint64_t e = i < nr_fw ? clip_end(fw[i].base, fw[i].len) : ex[i - nr_fw].end;

		check_page_maximal(page_up(s));
		check_page_maximal(page_up(e));
		check_page_maximal((e & ~(PG - 1)) - PG);
		check_page_maximal((s & ~(PG - 1)) - PG);
		if (s < e)
			CHECK(in_list(mm.usable, mm.nr_usable, s) ||
			      in_list(mm.reserved, mm.nr_reserved, s));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ret;

	decode(data, size);
	ret = memmap_carve(fw, nr_fw, ex, nr_ex, &mm);
	CHECK(ret == 0 || ret == -E2BIG);
	CHECK(mm.nr_usable <= MEMMAP_MAX && mm.nr_reserved <= MEMMAP_MAX);
	check_usable();
	check_reserved();
	if (ret == 0)
		check_maximal();
	return 0;
}
