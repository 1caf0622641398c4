/*
 * Unit tests for fw/mb2.c on malformed and truncated boot information: bad headers
 * and tag sizes, bad maps, overflowing tables, duplicates. Buffers are exact-length
 * heap copies, so ASan catches any read past what the parser was given.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fw/mb2.h"
#include "lib/errno.h"
#include "test/unit/mb2_fixture.h"

static void test_header_errors(void **state)
{
	struct mb b;
	size_t len;

	assert_int_equal(mb2_parse(NULL, 64, &info), -EINVAL);
	assert_error("0 bytes available");
	mb_init(&b);
	len = mb_finish(&b);
	assert_int_equal(parse(&b, 7), -EINVAL);
	assert_error("7 bytes available, the header needs 8");
	poke32(b.buf, 8);
	assert_int_equal(parse(&b, len), -EINVAL);
	assert_error("total_size 8 smaller than 16");
	poke32(b.buf, 24);
	assert_int_equal(parse(&b, len), -EINVAL);
	assert_error("total_size 24 larger than the 16 bytes available");
	assert_int_equal(info.nr_errors, 1);
	poke32(b.buf, 0xffffffffu);
	assert_int_equal(parse(&b, len), -EINVAL);
}

static void test_tag_size_below_8(void **state)
{
	struct mb b;

	mb_init(&b);
	string_tag(&b, 1, "kept");
	tag_begin(&b, 2);
	put32(&b, 0);
	tag_end_sized(&b, 4);
	string_tag(&b, 1, "never reached");
	assert_int_equal(parse(&b, mb_finish(&b)), -EINVAL);
	assert_string_equal(info.cmdline, "kept");
	assert_error("mb2: tag 2 (loader name) at +0x18: size 4 smaller than 8");
	assert_null(info.loader);
}

static void test_tag_runs_past_total(void **state)
{
	struct mb b;
	size_t len;

	mb_init(&b);
	tag_begin(&b, 4);
	put32(&b, 1);
	put32(&b, 2);
	tag_end(&b);
	tag_begin(&b, 1);
	putstr(&b, "x");
	tag_end_sized(&b, 4096);
	len = mb_finish(&b);
	assert_int_equal(parse(&b, len), -EINVAL);
	assert_true(info.has_meminfo);
	assert_int_equal(info.mem_upper, 2);
	assert_null(info.cmdline);
	assert_error("mb2: tag 1 (cmdline) at +0x18: size 4096 runs past total_size");
}

static void test_missing_end_tag(void **state)
{
	struct mb b;

	mb_init(&b);
	string_tag(&b, 1, "hv");
	poke32(b.buf, (uint32_t)b.off);
	assert_int_equal(parse(&b, b.off), -EINVAL);
	assert_string_equal(info.cmdline, "hv");
	assert_error("no end tag");

	/* A trailing 4 bytes: not even a tag header. */
	put32(&b, 0);
	poke32(b.buf, (uint32_t)b.off);
	assert_int_equal(parse(&b, b.off), -EINVAL);
	assert_error("tag header at +0x18 runs past total_size 28");
}

static void test_end_tag_size(void **state)
{
	struct mb b;
	size_t len;

	mb_init(&b);
	tag_begin(&b, 0);
	put32(&b, 0);
	tag_end(&b);
	len = b.off;
	poke32(b.buf, (uint32_t)len);
	assert_int_equal(parse(&b, len), 0);
	assert_error("tag 0 (end) at +0x8: size 12, expected 8");
}

static void test_unterminated_strings(void **state)
{
	struct mb b;
	size_t len;

	mb_init(&b);
	tag_begin(&b, 1);
	put32(&b, 0x41414141); /* "AAAA", no NUL */
	tag_end(&b);
	tag_begin(&b, 2); /* empty: size 8 */
	tag_end(&b);
	tag_begin(&b, 3);
	put32(&b, 0x100000);
	put32(&b, 0x200000);
	put8(&b, 'm');
	tag_end(&b);
	tag_begin(&b, 4);
	put32(&b, 1);
	put32(&b, 2);
	tag_end(&b);
	len = mb_finish(&b);
	/* The padding after each tag holds zeros: the size must bound the search. */
	assert_int_equal(parse(&b, len), 0);
	assert_null(info.cmdline);
	assert_null(info.loader);
	assert_int_equal(info.nr_modules, 0);
	assert_true(info.has_meminfo);
	assert_int_equal(info.nr_errors, 3);
	assert_error(
	    "tag 1 (cmdline) at +0x8: string not NUL-terminated within the tag's 12 bytes");
	assert_error("tag 2 (loader name) at +0x18: string not NUL-terminated");
	assert_error(
	    "tag 3 (module) at +0x20: string not NUL-terminated within the tag's 17 bytes");
}

static void test_mmap_bad_entry_size(void **state)
{
	static const struct {
		uint32_t esize;
		const char *msg;
	} cases[] = {
	    {12, "mb2: tag 6 (mmap) at +0x8: entry_size 12 smaller than 24"},
	    {0, "entry_size 0 smaller than 24"},
	    {28, "entry_size 28 not a multiple of 8"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mb b;

		mb_init(&b);
		tag_begin(&b, 6);
		put32(&b, cases[i].esize);
		put32(&b, 0);
		mmap_entry(&b, 0, 0x1000, 1);
		mmap_entry(&b, 0x100000, 0x1000, 1);
		tag_end(&b);
		string_tag(&b, 1, "after");
		assert_int_equal(parse(&b, mb_finish(&b)), 0);
		assert_error(cases[i].msg);
		assert_false(info.has_mmap);
		assert_int_equal(info.nr_mmap, 0);
		assert_string_equal(info.cmdline, "after");
	}
}

static void test_mmap_trailing_and_too_many(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 6);
	put32(&b, 24);
	put32(&b, 0);
	mmap_entry(&b, 0x1000, 0x2000, 1);
	put32(&b, 7); /* a partial entry */
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_mmap, 1);
	assert_error("4 trailing bytes after 1 entries");

	mb_init(&b);
	tag_begin(&b, 6);
	put32(&b, 24);
	put32(&b, 0);
	for (unsigned i = 0; i < MB2_MAX_MMAP + 5; i++)
		mmap_entry(&b, (uint64_t)i << 20, 0x1000, 1 + i % 5);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_mmap, MB2_MAX_MMAP);
	assert_entry(&info.mmap[MB2_MAX_MMAP - 1], (uint64_t)(MB2_MAX_MMAP - 1) << 20, 0x1000,
		     1 + (MB2_MAX_MMAP - 1) % 5);
	assert_error("261 entries, only the first 256 kept");
}

static void test_module_errors(void **state)
{
	struct mb b;
	char name[16];

	mb_init(&b);
	module_tag(&b, 0x300000, 0x200000, "backwards");
	for (int i = 0; i < MB2_MAX_MODULES + 1; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		module_tag(&b, 0x1000000u * (uint32_t)i, 0x1000000u * (uint32_t)i + 0x1000, name);
	}
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_error("tag 3 (module) at +0x8: start 0x300000 above end 0x200000");
	assert_error("more than 16 modules, \"m16\" ignored");
	assert_int_equal(info.nr_errors, 2);
	assert_int_equal(info.nr_modules, MB2_MAX_MODULES);
	assert_string_equal(info.modules[0].string, "m0");
	assert_string_equal(info.modules[15].string, "m15");
	assert_int_equal(info.modules[15].end, 0xf001000);
}

/* A tag of @size bytes whose fixed part does not fit. */
static void check_short_tag(uint32_t type, uint32_t size, const char *msg)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, type);
	for (uint32_t i = 8; i < size; i++)
		put8(&b, 0x11);
	tag_end(&b);
	string_tag(&b, 2, "after");
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_error(msg);
	assert_int_equal(info.nr_errors, 1);
	assert_string_equal(info.loader, "after");
}

static void test_fixed_parts(void **state)
{
	check_short_tag(3, 15, "tag 3 (module) at +0x8: size 15 smaller than its fixed part 16");
	check_short_tag(4, 12,
			"tag 4 (basic meminfo) at +0x8: size 12 smaller than its fixed part 16");
	assert_false(info.has_meminfo);
	check_short_tag(6, 8, "tag 6 (mmap) at +0x8: size 8 smaller than its fixed part 16");
	check_short_tag(8, 30, "size 30 smaller than its fixed part 32");
	assert_false(info.fb.present);
	check_short_tag(12, 12, "size 12 smaller than its fixed part 16");
	assert_false(info.has_efi64);
	check_short_tag(14, 27,
			"tag 14 (ACPI old RSDP) at +0x8: size 27 smaller than its fixed part 28");
	check_short_tag(15, 28,
			"tag 15 (ACPI new RSDP) at +0x8: size 28 smaller than its fixed part 44");
	assert_null(info.rsdp.bytes);
	check_short_tag(17, 12, "size 12 smaller than its fixed part 16");
	check_short_tag(21, 11,
			"tag 21 (load base) at +0x8: size 11 smaller than its fixed part 12");
	assert_false(info.has_load_base);
}

static void test_efi_descriptor_size(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 17);
	put32(&b, 32);
	put32(&b, 1);
	efi_descr(&b, EFI_CONVENTIONAL_MEMORY, 0x100000, 16);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_error("tag 17 (EFI mmap) at +0x8: descriptor_size 32 smaller than 40");
	assert_false(info.has_efi_mmap);
	assert_int_equal(info.nr_efi_mmap, 0);
	assert_null(info.best_mmap);

	mb_init(&b);
	tag_begin(&b, 17);
	put32(&b, 48);
	put32(&b, 1);
	efi_descr(&b, EFI_CONVENTIONAL_MEMORY, 0x100000, 16);
	put32(&b, 7);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_error("4 trailing bytes after 1 descriptors");
	assert_int_equal(info.nr_efi_mmap, 1);
}

static void test_efi_pages_overflow(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 17);
	put32(&b, 48);
	put32(&b, 1);
	efi_descr(&b, EFI_CONVENTIONAL_MEMORY, 0x100000, UINT64_MAX);
	efi_descr(&b, EFI_RESERVED_MEMORY, 0xfffffffffffff000ULL, 2);
	efi_descr(&b, EFI_CONVENTIONAL_MEMORY, 0x5000, 0); /* empty: dropped */
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_efi_mmap, 2);
	assert_entry(&info.efi_mmap[0], 0x100000, UINT64_MAX - 0x100000, 1);
	assert_entry(&info.efi_mmap[1], 0xfffffffffffff000ULL, 0xfff, 2);
}

static void test_efi_too_many(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 17);
	put32(&b, 40);
	put32(&b, 1);
	for (unsigned i = 0; i < 300; i++) { /* alternating types: nothing merges */
		put32(&b, i % 2 ? EFI_RUNTIME_SERVICES_DATA : EFI_CONVENTIONAL_MEMORY);
		put32(&b, 0);
		put64(&b, (uint64_t)i << 12);
		put64(&b, 0);
		put64(&b, 1);
		put64(&b, 0);
	}
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_efi_descr, 300);
	assert_int_equal(info.nr_efi_mmap, MB2_MAX_MMAP);
	assert_entry(&info.efi_mmap[255], 255 << 12, 0x1000, 2);
	assert_error("EFI mmap: more than 256 entries after merging");
}

static void test_duplicates_and_rsdp_order(void **state)
{
	struct mb b;

	mb_init(&b);
	string_tag(&b, 1, "first");
	rsdp_tag(&b, 15, 2, 36);
	rsdp_tag(&b, 14, 0, 20); /* old after new: new wins */
	string_tag(&b, 1, "second");
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_string_equal(info.cmdline, "first");
	assert_error("tag 1 (cmdline) at +0x");
	assert_error("duplicate tag ignored");
	assert_int_equal(info.nr_errors, 1);
	assert_int_equal(info.rsdp.tag, 15);
	assert_int_equal(info.rsdp.revision, 2);
	assert_int_equal(info.rsdp.len, 36);
	assert_ptr_equal(info.rsdp.bytes, copy + 8 + 16 + 8);
}

static void test_error_overflow(void **state)
{
	struct mb b;

	mb_init(&b);
	for (int i = 0; i < MB2_MAX_ERRORS + 3; i++)
		module_tag(&b, 2, 1, "bad");
	string_tag(&b, 1, "still parsed");
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_errors, MB2_MAX_ERRORS);
	assert_int_equal(info.nr_errors_dropped, 3);
	assert_string_equal(info.cmdline, "still parsed");
	for (int i = 0; i < MB2_MAX_ERRORS; i++)
		assert_non_null(memchr(info.errors[i], '\0', MB2_ERROR_LEN));
}

/* Every pointer the parser hands out lies inside [copy, copy + n) and is terminated. */
static void assert_inside(const void *p, size_t n)
{
	const uint8_t *q = p;

	if (!p)
		return;
	assert_true(q >= copy && q < copy + n);
	assert_non_null(memchr(q, '\0', (size_t)(copy + n - q)));
}

static void test_truncations(void **state)
{
	struct bios_offsets o;
	struct mb b;
	size_t len = build_bios(&b, &o);

	for (size_t n = 0; n < len; n++) {
		/* The caller's bound is short: the header must refuse. */
		assert_int_equal(parse(&b, n), -EINVAL);
		assert_int_equal(info.nr_errors, 1);
		assert_null(info.cmdline);
	}
	for (size_t n = 16; n < len; n++) {
		/* total_size itself is short: keep every tag that ends inside it. */
		struct mb t = b;

		poke32(t.buf, (uint32_t)n);
		assert_int_equal(parse(&t, n), -EINVAL);
		assert_true(info.nr_errors >= 1);
		assert_inside(info.cmdline, n);
		assert_inside(info.loader, n);
		for (unsigned i = 0; i < info.nr_modules; i++)
			assert_inside(info.modules[i].string, n);
		assert_int_equal(info.cmdline != NULL, n >= o.cmdline);
		assert_int_equal(info.loader != NULL, n >= o.loader);
		assert_int_equal(info.nr_modules, (n >= o.mod1) + (n >= o.mod2));
		assert_int_equal(info.has_meminfo, n >= o.meminfo);
		assert_int_equal(info.nr_mmap, n >= o.mmap ? 7 : 0);
		assert_int_equal(info.fb.present, n >= o.fb);
		assert_int_equal(info.rsdp.bytes != NULL, n >= o.rsdp);
		if (info.rsdp.bytes)
			assert_true(info.rsdp.bytes + info.rsdp.len <= copy + n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_header_errors, teardown),
	    cmocka_unit_test_teardown(test_tag_size_below_8, teardown),
	    cmocka_unit_test_teardown(test_tag_runs_past_total, teardown),
	    cmocka_unit_test_teardown(test_missing_end_tag, teardown),
	    cmocka_unit_test_teardown(test_end_tag_size, teardown),
	    cmocka_unit_test_teardown(test_unterminated_strings, teardown),
	    cmocka_unit_test_teardown(test_mmap_bad_entry_size, teardown),
	    cmocka_unit_test_teardown(test_mmap_trailing_and_too_many, teardown),
	    cmocka_unit_test_teardown(test_module_errors, teardown),
	    cmocka_unit_test_teardown(test_fixed_parts, teardown),
	    cmocka_unit_test_teardown(test_efi_descriptor_size, teardown),
	    cmocka_unit_test_teardown(test_efi_pages_overflow, teardown),
	    cmocka_unit_test_teardown(test_efi_too_many, teardown),
	    cmocka_unit_test_teardown(test_duplicates_and_rsdp_order, teardown),
	    cmocka_unit_test_teardown(test_error_overflow, teardown),
	    cmocka_unit_test_teardown(test_truncations, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
