/*
 * Unit tests for vm/iobus.c: registration (overlaps refused in one space and
 * allowed across spaces, empty and wrapping ranges, a full table), lookups at
 * range edges and in gaps, and dispatch with offsets relative to the base.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "vm/iobus.h"

struct rec {
	uint64_t off, val;
	unsigned width, reads, writes;
};

static int rec_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	struct rec *r = dev;

	r->off = off;
	r->width = width;
	r->reads++;
	*val = 0x1234 + off;
	return 0;
}

static int rec_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct rec *r = dev;

	r->off = off;
	r->width = width;
	r->val = val;
	r->writes++;
	return 0;
}

static const struct iobus_ops rec_ops = {.read = rec_read, .write = rec_write};

static int reg(struct iobus *b, enum iobus_space sp, uint64_t base, uint64_t size, void *dev)
{
	struct io_range r = {base, size, &rec_ops, dev, "rec", 0};

	return iobus_register(b, sp, &r);
}

static void test_overlap_refused(void **state)
{
	struct iobus b;
	struct rec d = {0};

	iobus_init(&b);
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x1000, 0x1000, &d), 0);
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x1fff, 1, &d), -EEXIST); /* last byte */
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x0fff, 2, &d), -EEXIST); /* straddles the start */
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x0000, 0x10000, &d), -EEXIST); /* covers it */
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x1800, 0x10, &d), -EEXIST);    /* inside */
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x2000, 0x10, &d), 0);	     /* adjacent after */
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x0f00, 0x100, &d), 0);	     /* adjacent before */
	assert_int_equal(reg(&b, IOBUS_PIO, 0x1000, 0x1000, &d), 0);	     /* other space */
	assert_int_equal(b.nr[IOBUS_MMIO], 3);
	assert_int_equal(b.nr[IOBUS_PIO], 1);
}

static void test_bad_ranges(void **state)
{
	struct iobus b;
	struct rec d = {0};
	struct io_range no_ops = {0x10, 1, NULL, &d, "x", 0};

	iobus_init(&b);
	assert_int_equal(reg(&b, IOBUS_MMIO, 0x1000, 0, &d), -EINVAL);
	assert_int_equal(reg(&b, IOBUS_MMIO, ~0ULL - 1, 4, &d), -EINVAL);
	assert_int_equal(reg(&b, IOBUS_NR_SPACES, 0, 1, &d), -EINVAL);
	assert_int_equal(iobus_register(&b, IOBUS_PIO, &no_ops), -EINVAL);
	assert_int_equal(b.nr[IOBUS_MMIO] + b.nr[IOBUS_PIO], 0);
}

static void test_full_table(void **state)
{
	struct iobus b;
	struct rec d = {0};

	iobus_init(&b);
	for (unsigned i = 0; i < IOBUS_MAX_RANGES; i++)
		assert_int_equal(reg(&b, IOBUS_PIO, 0x100 * (IOBUS_MAX_RANGES - i), 8, &d), 0);
	assert_int_equal(reg(&b, IOBUS_PIO, 0x5000, 8, &d), -ENOSPC);
	for (unsigned i = 1; i < IOBUS_MAX_RANGES; i++)
		assert_true(b.ranges[IOBUS_PIO][i - 1].base < b.ranges[IOBUS_PIO][i].base);
}

static void test_lookup_edges(void **state)
{
	struct iobus b;
	struct rec d1 = {0}, d2 = {0}, d3 = {0};

	iobus_init(&b);
	assert_int_equal(reg(&b, IOBUS_PIO, 0x3f8, 8, &d2), 0);
	assert_int_equal(reg(&b, IOBUS_PIO, 0x20, 2, &d1), 0);
	assert_int_equal(reg(&b, IOBUS_PIO, 0xf4, 1, &d3), 0);
	assert_null(iobus_find(&b, IOBUS_PIO, 0x1f));
	assert_ptr_equal(iobus_find(&b, IOBUS_PIO, 0x20)->dev, &d1);
	assert_ptr_equal(iobus_find(&b, IOBUS_PIO, 0x21)->dev, &d1);
	assert_null(iobus_find(&b, IOBUS_PIO, 0x22));
	assert_null(iobus_find(&b, IOBUS_PIO, 0xf3));
	assert_ptr_equal(iobus_find(&b, IOBUS_PIO, 0xf4)->dev, &d3);
	assert_null(iobus_find(&b, IOBUS_PIO, 0xf5));
	assert_null(iobus_find(&b, IOBUS_PIO, 0x3f7));
	assert_ptr_equal(iobus_find(&b, IOBUS_PIO, 0x3f8)->dev, &d2);
	assert_ptr_equal(iobus_find(&b, IOBUS_PIO, 0x3ff)->dev, &d2);
	assert_null(iobus_find(&b, IOBUS_PIO, 0x400));
	assert_null(iobus_find(&b, IOBUS_MMIO, 0x3f8)); /* spaces are separate */
}

static void test_dispatch(void **state)
{
	struct iobus b;
	struct rec d = {0};
	uint64_t v = 0;

	iobus_init(&b);
	assert_int_equal(reg(&b, IOBUS_MMIO, 0xd0000000, 0x1000, &d), 0);
	assert_int_equal(iobus_write(&b, IOBUS_MMIO, 0xd0000010, 4, 0xabcd), 0);
	assert_int_equal(d.off, 0x10);
	assert_int_equal(d.width, 4);
	assert_int_equal(d.val, 0xabcd);
	assert_int_equal(iobus_read(&b, IOBUS_MMIO, 0xd0000fff, 1, &v), 0);
	assert_int_equal(d.off, 0xfff);
	assert_int_equal(v, 0x1234 + 0xfff);
	assert_int_equal(iobus_read(&b, IOBUS_MMIO, 0xd0001000, 1, &v), -ENODEV);
	assert_int_equal(iobus_write(&b, IOBUS_MMIO, 0xcfffffff, 1, 0), -ENODEV);
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.writes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlap_refused), cmocka_unit_test(test_bad_ranges),
	    cmocka_unit_test(test_full_table),	    cmocka_unit_test(test_lookup_edges),
	    cmocka_unit_test(test_dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
