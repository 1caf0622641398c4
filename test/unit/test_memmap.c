/*
 * Unit tests for mm/memmap.c: hand-made firmware maps with their expected carving,
 * then random maps checked against a byte-granular bitmap model (256-byte units,
 * a page usable iff all its units are RAM and none is reserved or excluded).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/memmap.h"

#define E(b, l, t) ((struct mb2_mmap_entry){(b), (l), (t)})
#define X(s, e, l) ((struct mem_range){(s), (e), (l)})
#define N(a)	   ((unsigned)(sizeof(a) / sizeof((a)[0])))

static struct memmap mm;

/* The invariants every result must hold, whatever the input. */
static void check_shape(const struct memmap *m)
{
	uint64_t total = 0;

	assert_true(m->nr_usable <= MEMMAP_MAX && m->nr_reserved <= MEMMAP_MAX);
	for (unsigned i = 0; i < m->nr_usable; i++) {
		const struct mem_range *r = &m->usable[i];

		assert_true(r->start < r->end);
		assert_int_equal(r->start % 4096, 0);
		assert_int_equal(r->end % 4096, 0);
		if (i)
			assert_true(m->usable[i - 1].end < r->start); /* merged when adjacent */
		total += r->end - r->start;
	}
	assert_int_equal(m->total_usable, total);
	assert_int_equal(m->top, m->nr_usable ? m->usable[m->nr_usable - 1].end : 0);
	for (unsigned i = 0; i < m->nr_reserved; i++) {
		const struct mem_range *r = &m->reserved[i];

		assert_true(r->start < r->end);
		assert_non_null(r->label);
		if (i)
			assert_true(m->reserved[i - 1].end <= r->start);
		for (unsigned j = 0; j < m->nr_usable; j++)
			assert_true(r->end <= m->usable[j].start || r->start >= m->usable[j].end);
	}
}

static void assert_range(const struct mem_range *r, uint64_t start, uint64_t end)
{
	if (r->start != start || r->end != end)
		fail_msg("range [%#lx, %#lx), expected [%#lx, %#lx)", (unsigned long)r->start,
			 (unsigned long)r->end, (unsigned long)start, (unsigned long)end);
}

static void assert_reserved(unsigned i, uint64_t start, uint64_t end, const char *label)
{
	assert_true(i < mm.nr_reserved);
	assert_range(&mm.reserved[i], start, end);
	assert_string_equal(mm.reserved[i].label, label);
}

static int carve(const struct mb2_mmap_entry *fw, unsigned nr_fw, const struct mem_range *ex,
		 unsigned nr_ex)
{
	int ret = memmap_carve(fw, nr_fw, ex, nr_ex, &mm);

	check_shape(&mm);
	return ret;
}

/* A QEMU-like BIOS map with the hypervisor's usual exclusions. */
static void test_bios_map(void **state)
{
	const struct mb2_mmap_entry fw[] = {
	    E(0, 0x9fc00, 1),
	    E(0x9fc00, 0x400, 2),
	    E(0xf0000, 0x10000, 2),
	    E(0x100000, 0x7fee0000, 1),
	    E(0x7ffe0000, 0x20000, 2),
	    E(0xfffc0000, 0x40000, 2),
	    E(0x100000000ULL, 0x80000000ULL, 1),
	};
	const struct mem_range ex[] = {
	    X(0, 0x100000, "first MiB"),
	    X(0x1000000, 0x1234567, "hypervisor"),
	    X(0x9000, 0x9800, "boot info"),
	    X(0x200000, 0x280000, "module linux"),
	};

	assert_int_equal(carve(fw, N(fw), ex, N(ex)), 0);
	assert_int_equal(mm.nr_usable, 4);
	assert_range(&mm.usable[0], 0x100000, 0x200000);
	assert_range(&mm.usable[1], 0x280000, 0x1000000);
	assert_range(&mm.usable[2], 0x1235000, 0x7ffe0000);
	assert_range(&mm.usable[3], 0x100000000ULL, 0x180000000ULL);
	assert_int_equal(mm.total_usable,
			 0x100000 + 0xd80000 + (0x7ffe0000 - 0x1235000) + 0x80000000ULL);
	assert_int_equal(mm.top, 0x180000000ULL);
	assert_int_equal(mm.nr_reserved, 6);
	assert_reserved(0, 0, 0x100000, "first MiB"); /* boot info inside: first label wins */
	assert_reserved(1, 0x200000, 0x280000, "module linux");
	assert_reserved(2, 0x1000000, 0x1234567, "hypervisor");
	assert_reserved(3, 0x1234567, 0x1235000, "unaligned");
	assert_reserved(4, 0x7ffe0000, 0x80000000, "reserved");
	assert_reserved(5, 0xfffc0000, 0x100000000ULL, "reserved");
}

static void test_overlapping_unsorted(void **state)
{
	struct mb2_mmap_entry fw[] = {
	    E(0x400000, 0x100000, 2),			   /* reserved first, inside RAM */
	    E(0x800000, 0x1800000, 1), E(0, 0x1000000, 1), /* overlaps the previous one */
	    E(0x1f00000, 0x200000, 3),			   /* straddles the RAM's end */
	};
	struct memmap first;

	assert_int_equal(carve(fw, N(fw), NULL, 0), 0);
	assert_int_equal(mm.nr_usable, 2);
	assert_range(&mm.usable[0], 0, 0x400000);
	assert_range(&mm.usable[1], 0x500000, 0x1f00000);
	assert_int_equal(mm.nr_reserved, 2);
	assert_reserved(0, 0x400000, 0x500000, "reserved");
	assert_reserved(1, 0x1f00000, 0x2100000, "ACPI reclaimable");
	first = mm;

	/* Every order of the same entries gives the same carving. */
	for (int perm = 0; perm < 24; perm++) {
		struct mb2_mmap_entry p[4], pool[4];
		int k = perm;

		memcpy(pool, fw, sizeof(pool));
		for (int i = 4; i > 0; i--) {
			int pick = k % i;

			k /= i;
			p[4 - i] = pool[pick];
			memmove(&pool[pick], &pool[pick + 1],
				sizeof(pool[0]) * (size_t)(i - 1 - pick));
		}
		assert_int_equal(carve(p, 4, NULL, 0), 0);
		assert_int_equal(mm.nr_usable, first.nr_usable);
		assert_memory_equal(mm.usable, first.usable, sizeof(mm.usable[0]) * mm.nr_usable);
	}
}

static void test_reserved_wins(void **state)
{
	const struct mb2_mmap_entry fw[] = {
	    E(0x100000, 0x100000, 1),
	    E(0x100000, 0x100000, 2), /* the same range, reserved */
	    E(0x300000, 0x100000, 1),
	    E(0x2ff000, 0x2000, 4), /* the first page of RAM at 0x300000 */
	    E(0x3ff000, 0x1000, 5), /* its last page */
	    E(0x380800, 0x100, 2),  /* a sliver: costs the whole page */
	};

	assert_int_equal(carve(fw, N(fw), NULL, 0), 0);
	assert_int_equal(mm.nr_usable, 2);
	assert_range(&mm.usable[0], 0x301000, 0x380000);
	assert_range(&mm.usable[1], 0x381000, 0x3ff000);
	assert_reserved(0, 0x100000, 0x200000, "reserved");
	assert_reserved(1, 0x2ff000, 0x301000, "ACPI NVS");
	assert_reserved(2, 0x380000, 0x380800, "unaligned");
	assert_reserved(3, 0x380800, 0x380900, "reserved");
	assert_reserved(4, 0x380900, 0x381000, "unaligned");
	assert_reserved(5, 0x3ff000, 0x400000, "bad RAM");
	assert_int_equal(mm.nr_reserved, 6);
}

static void test_exclusions_at_edges(void **state)
{
	const struct mb2_mmap_entry fw[] = {E(0x100000, 0x400000, 1)};
	const struct mem_range ex[] = {
	    X(0x0ff000, 0x100000, "touches start"), /* adjacent, removes nothing */
	    X(0x100000, 0x101000, "first page"),    X(0x4ff000, 0x500000, "last page"),
	    X(0x500000, 0x600000, "touches end"),   X(0x200000, 0x200000, "empty"),
	    X(0x300000, 0x300001, "one byte"),
	};

	assert_int_equal(carve(fw, N(fw), ex, N(ex)), 0);
	assert_int_equal(mm.nr_usable, 2);
	assert_range(&mm.usable[0], 0x101000, 0x300000);
	assert_range(&mm.usable[1], 0x301000, 0x4ff000);
	assert_reserved(0, 0x0ff000, 0x100000, "touches start");
	assert_reserved(1, 0x100000, 0x101000, "first page");
	assert_reserved(2, 0x300000, 0x300001, "one byte");
	assert_reserved(3, 0x300001, 0x301000, "unaligned");
	assert_reserved(4, 0x4ff000, 0x500000, "last page");
	assert_reserved(5, 0x500000, 0x600000, "touches end");

	/* An exclude covering the whole RAM leaves nothing; overlapping excludes are fine. */
	const struct mem_range all[] = {X(0, 0x300000, "a"), X(0x200000, 0x600000, "b")};

	assert_int_equal(carve(fw, N(fw), all, N(all)), 0);
	assert_int_equal(mm.nr_usable, 0);
	assert_int_equal(mm.top, 0);
	assert_reserved(0, 0, 0x300000, "a");
	assert_reserved(1, 0x300000, 0x600000, "b");
}

static void test_modules_inside_ram(void **state)
{
	const struct mb2_mmap_entry fw[] = {E(0x100000, 0x3ff00000, 1)};
	const struct mem_range ex[] = {
	    X(0x2000000, 0x2400000, "module linux"),
	    X(0x2400000, 0x2480000, "module initrd"), /* adjacent to the previous */
	    X(0x2480000, 0x2480000, "module empty"),
	    X(0x3000100, 0x3000200, "module tiny"),
	};

	assert_int_equal(carve(fw, N(fw), ex, N(ex)), 0);
	assert_int_equal(mm.nr_usable, 3);
	assert_range(&mm.usable[0], 0x100000, 0x2000000);
	assert_range(&mm.usable[1], 0x2480000, 0x3000000);
	assert_range(&mm.usable[2], 0x3001000, 0x40000000);
	assert_reserved(0, 0x2000000, 0x2400000, "module linux");
	assert_reserved(1, 0x2400000, 0x2480000, "module initrd");
	assert_reserved(2, 0x3000000, 0x3000100, "unaligned");
	assert_reserved(3, 0x3000100, 0x3000200, "module tiny");
}

static void test_high_and_overflowing(void **state)
{
	const struct mb2_mmap_entry fw[] = {
	    E(0x100000000ULL, 0x400000000ULL, 1),
	    E(0x200000000ULL, 0x1000, 2),
	    E(0xfffffff000000000ULL, UINT64_MAX, 1), /* wraps: clipped */
	    E(UINT64_MAX, 1, 1),		     /* wraps, and empty once clipped */
	    E(0xffffffffffff0000ULL, 0x8000, 2),
	};

	assert_int_equal(carve(fw, N(fw), NULL, 0), 0);
	assert_int_equal(mm.nr_usable, 4);
	assert_range(&mm.usable[0], 0x100000000ULL, 0x200000000ULL);
	assert_range(&mm.usable[1], 0x200001000ULL, 0x500000000ULL);
	assert_range(&mm.usable[2], 0xfffffff000000000ULL, 0xffffffffffff0000ULL);
	assert_range(&mm.usable[3], 0xffffffffffff8000ULL, 0xfffffffffffff000ULL);
	assert_int_equal(mm.top, 0xfffffffffffff000ULL);
	assert_reserved(mm.nr_reserved - 1, 0xfffffffffffff000ULL, UINT64_MAX, "unaligned");
}

static void test_alignment(void **state)
{
	const struct mb2_mmap_entry fw[] = {
	    E(0x1234, 0x5678 - 0x1234, 1),
	    E(0x10001, 0xffe, 1),			/* inside one page: nothing usable */
	    E(0x20000, 0x800, 1), E(0x20800, 0x800, 1), /* two halves make a page */
	};

	assert_int_equal(carve(fw, N(fw), NULL, 0), 0);
	assert_int_equal(mm.nr_usable, 2);
	assert_range(&mm.usable[0], 0x2000, 0x5000);
	assert_range(&mm.usable[1], 0x20000, 0x21000);
	assert_reserved(0, 0x1234, 0x2000, "unaligned");
	assert_reserved(1, 0x5000, 0x5678, "unaligned");
	assert_reserved(2, 0x10001, 0x10fff, "unaligned");
	assert_int_equal(mm.nr_reserved, 3);
}

static void test_merging_and_types(void **state)
{
	const struct mb2_mmap_entry fw[] = {
	    E(0x200000, 0x100000, 1), E(0x100000, 0x100000, 1), E(0x300000, 0, 2), /* empty */
	    E(0x300000, 0x100000, 1), E(0x400000, 0x1000, 0),			   /* type 0 */
	    E(0x401000, 0x1000, 7),   E(0x402000, 0x1000, 2),	E(0x403000, 0x1000, 2),
	};

	assert_int_equal(carve(fw, N(fw), NULL, 0), 0);
	assert_int_equal(mm.nr_usable, 1);
	assert_range(&mm.usable[0], 0x100000, 0x400000);
	assert_string_equal(mm.usable[0].label, "usable");
	assert_int_equal(mm.nr_reserved, 2);
	assert_reserved(0, 0x400000, 0x402000, "unknown"); /* types 0 and 7 */
	assert_reserved(1, 0x402000, 0x404000, "reserved");
}

static void test_empty_and_invalid(void **state)
{
	const struct mb2_mmap_entry fw[] = {E(0x100000, 0x100000, 1)};
	const struct mem_range bad[] = {X(0x2000, 0x1000, "inverted")};

	assert_int_equal(carve(NULL, 0, NULL, 0), 0);
	assert_int_equal(mm.nr_usable + mm.nr_reserved, 0);
	assert_int_equal(carve(fw, 0, NULL, 0), 0);
	assert_int_equal(mm.nr_usable, 0);
	assert_int_equal(memmap_carve(fw, 1, bad, 1, &mm), -EINVAL);
	assert_int_equal(memmap_carve(NULL, 1, NULL, 0, &mm), -EINVAL);
	assert_int_equal(memmap_carve(fw, 1, NULL, 1, &mm), -EINVAL);
	assert_int_equal(memmap_carve(fw, 1, NULL, 0, NULL), -EINVAL);
	/* A NULL label is named, never left NULL. */
	const struct mem_range nolabel[] = {X(0x100000, 0x101000, NULL)};
	assert_int_equal(carve(fw, 1, nolabel, 1), 0);
	assert_reserved(0, 0x100000, 0x101000, "excluded");
}

static void test_too_many(void **state)
{
	static struct mb2_mmap_entry fw[300];
	unsigned n = 0;

	for (unsigned i = 0; i < MEMMAP_MAX + 10; i++) /* RAM pages with holes between */
		fw[n++] = E((uint64_t)i * 0x2000, 0x1000, 1);
	assert_int_equal(carve(fw, n, NULL, 0), -E2BIG);
	assert_int_equal(mm.nr_usable, MEMMAP_MAX);
	assert_range(&mm.usable[MEMMAP_MAX - 1], (MEMMAP_MAX - 1) * 0x2000ULL,
		     (MEMMAP_MAX - 1) * 0x2000ULL + 0x1000);
	assert_int_equal(mm.total_usable, MEMMAP_MAX * 0x1000ULL);

	n = 0; /* exactly MEMMAP_MAX fits */
	for (unsigned i = 0; i < MEMMAP_MAX; i++)
		fw[n++] = E((uint64_t)i * 0x2000, 0x1000, 1);
	assert_int_equal(carve(fw, n, NULL, 0), 0);
	assert_int_equal(mm.nr_usable, MEMMAP_MAX);

	n = 0; /* too many reserved pieces with alternating labels */
	for (unsigned i = 0; i < MEMMAP_MAX + 10; i++)
		fw[n++] = E((uint64_t)i * 0x1000, 0x1000, 2 + i % 2);
	assert_int_equal(carve(fw, n, NULL, 0), -E2BIG);
	assert_int_equal(mm.nr_reserved, MEMMAP_MAX);
}

/* ---- randomized check against a bitmap model ---- */

#define UNIT	 256ULL
#define UNITS	 2048 /* 128 pages */
#define PER_PAGE (4096 / UNIT)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

struct model {
	bool ram[UNITS], res[UNITS];
	const char *label[UNITS]; /* what reserved[] must call this unit */
};

static void model_build(struct model *m, const struct mb2_mmap_entry *fw, unsigned nr_fw,
			const struct mem_range *ex, unsigned nr_ex)
{
	static const char *const names[] = {"unknown",		"available", "reserved",
					    "ACPI reclaimable", "ACPI NVS",  "bad RAM"};

	memset(m, 0, sizeof(*m));
	for (unsigned u = 0; u < UNITS; u++) {
		uint64_t a = u * UNIT;
		const char *ex_label = NULL, *fw_label = NULL;

		/* Backwards, so the first covering entry has the last word. */
		for (unsigned i = nr_ex; i-- > 0;)
			if (ex[i].start <= a && a < ex[i].end)
				ex_label = ex[i].label;
		for (unsigned i = nr_fw; i-- > 0;) {
			if (!(fw[i].base <= a && a < fw[i].base + fw[i].len))
				continue;
			if (fw[i].type == 1)
				m->ram[u] = true;
			else
				fw_label = names[fw[i].type < 6 ? fw[i].type : 0];
		}
		m->res[u] = ex_label || fw_label;
		m->label[u] = ex_label ? ex_label : fw_label;
	}
}

static bool page_usable(const struct model *m, unsigned page)
{
	for (unsigned u = page * PER_PAGE; u < (page + 1) * PER_PAGE; u++)
		if (!m->ram[u] || m->res[u])
			return false;
	return true;
}

/* Which output list holds @addr: 'u', 'r' or 0; *label gets the range's label. */
static char lookup(uint64_t addr, const char **label)
{
	for (unsigned i = 0; i < mm.nr_usable; i++)
		if (mm.usable[i].start <= addr && addr < mm.usable[i].end)
			return 'u';
	for (unsigned i = 0; i < mm.nr_reserved; i++)
		if (mm.reserved[i].start <= addr && addr < mm.reserved[i].end) {
			*label = mm.reserved[i].label;
			return 'r';
		}
	return 0;
}

static void check_against_model(const struct model *m)
{
	for (unsigned u = 0; u < UNITS; u++) {
		const char *label = NULL;
		char where = lookup(u * UNIT, &label);
		bool usable = page_usable(m, u / PER_PAGE);

		if (usable) {
			assert_int_equal(where, 'u');
		} else if (m->res[u]) {
			assert_int_equal(where, 'r');
			assert_string_equal(label, m->label[u]);
		} else if (m->ram[u]) {
			assert_int_equal(where, 'r');
			assert_string_equal(label, "unaligned");
		} else {
			assert_int_equal(where, 0);
		}
	}
}

static void test_random_vs_model(void **state)
{
	static const char *const ex_names[] = {"ex0", "ex1", "ex2", "ex3"};
	static struct model m;

	for (int iter = 0; iter < 3000; iter++) {
		struct mb2_mmap_entry fw[12];
		struct mem_range ex[4];
		unsigned nr_fw = (unsigned)rnd(13), nr_ex = (unsigned)rnd(5);
		bool coarse = rnd(2); /* page-aligned boundaries half of the time */

		for (unsigned i = 0; i < nr_fw; i++) {
			uint64_t b = rnd(UNITS - 256), l = rnd(400);
			uint32_t t = rnd(3) ? 1 : (uint32_t)(rnd(7));

			if (coarse)
				b -= b % PER_PAGE, l -= l % PER_PAGE;
			fw[i] = E(b * UNIT, l * UNIT, t);
		}
		for (unsigned i = 0; i < nr_ex; i++) {
			uint64_t s = rnd(UNITS - 256), l = rnd(64);

			ex[i] = X(s * UNIT, (s + l) * UNIT, ex_names[i]);
		}
		model_build(&m, fw, nr_fw, ex, nr_ex);
		assert_int_equal(carve(fw, nr_fw, ex, nr_ex), 0);
		check_against_model(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bios_map),	       cmocka_unit_test(test_overlapping_unsorted),
	    cmocka_unit_test(test_reserved_wins),      cmocka_unit_test(test_exclusions_at_edges),
	    cmocka_unit_test(test_modules_inside_ram), cmocka_unit_test(test_high_and_overflowing),
	    cmocka_unit_test(test_alignment),	       cmocka_unit_test(test_merging_and_types),
	    cmocka_unit_test(test_empty_and_invalid),  cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_random_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
