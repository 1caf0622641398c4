/*
 * Unit tests for fw/mb2.c on well-formed boot information: the BIOS and UEFI layouts
 * GRUB produces, field by field, map selection, module lookup and type names.
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
#include "test/unit/mb2_fixture.h"

static void test_bios_layout(void **state)
{
	struct mb b;
	size_t len = build_bios(&b, NULL);

	assert_int_equal(parse(&b, len), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.info_size, len);
	assert_string_equal(info.cmdline, "hv console=com1 loglevel=7");
	assert_string_equal(info.loader, "GRUB 2.06");
	assert_int_equal(info.nr_modules, 2);
	assert_int_equal(info.modules[0].start, 0x200000);
	assert_int_equal(info.modules[0].end, 0x280000);
	assert_string_equal(info.modules[0].string, "linux root=/dev/sda1 console=ttyS0");
	assert_int_equal(info.modules[1].start, 0x300000);
	assert_int_equal(info.modules[1].end, 0x300000);
	assert_string_equal(info.modules[1].string, "initrd");
	assert_true(info.has_meminfo);
	assert_int_equal(info.mem_lower, 639);
	assert_int_equal(info.mem_upper, 2096000);
	assert_true(info.has_mmap);
	assert_false(info.has_efi_mmap);
	assert_int_equal(info.nr_mmap, 7);
	assert_entry(&info.mmap[0], 0, 0x9fc00, 1);
	assert_entry(&info.mmap[2], 0xf0000, 0x10000, 2);
	assert_entry(&info.mmap[4], 0x7ffe0000, 0x20000, 3);
	assert_entry(&info.mmap[6], 0x100000000ULL, 0x80000000ULL, 1);
	assert_ptr_equal(info.best_mmap, info.mmap);
	assert_int_equal(info.nr_best_mmap, 7);
	assert_true(info.fb.present);
	assert_int_equal(info.fb.addr, 0xfd000000);
	assert_int_equal(info.fb.pitch, 4096);
	assert_int_equal(info.fb.width, 1024);
	assert_int_equal(info.fb.height, 768);
	assert_int_equal(info.fb.bpp, 32);
	assert_int_equal(info.fb.type, MB2_FB_TYPE_RGB);
	assert_int_equal(info.fb.rgb.red_pos, 16);
	assert_int_equal(info.fb.rgb.green_pos, 8);
	assert_int_equal(info.fb.rgb.blue_pos, 0);
	assert_int_equal(info.fb.rgb.blue_size, 8);
	assert_non_null(info.rsdp.bytes);
	assert_int_equal(info.rsdp.len, 20);
	assert_int_equal(info.rsdp.revision, 0);
	assert_int_equal(info.rsdp.tag, 14);
	assert_memory_equal(info.rsdp.bytes, "RSD PTR ", 8);
	assert_ptr_equal(info.rsdp.bytes, copy + len - 8 - 32 + 8); /* 28-byte tag, padded */
	assert_false(info.has_efi64);
	assert_false(info.has_load_base);
	assert_false(info.efi_bs_not_terminated);
}

/* Under UEFI: only the EFI map, the EFI64 system table and the new RSDP. */
static size_t build_uefi(struct mb *b, bool bs_running)
{
	mb_init(b);
	string_tag(b, 1, "hv");
	tag_begin(b, 17);
	put32(b, 48);
	put32(b, 1);
	efi_descr(b, EFI_BOOT_SERVICES_CODE, 0, 1);	     /* 0x0000 */
	efi_descr(b, EFI_CONVENTIONAL_MEMORY, 0x1000, 0x9f); /* merges into the above */
	efi_descr(b, EFI_RESERVED_MEMORY, 0xa0000, 0x60);
	efi_descr(b, EFI_LOADER_CODE, 0x100000, 0x100);
	efi_descr(b, EFI_LOADER_DATA, 0x200000, 0x100);
	efi_descr(b, EFI_RUNTIME_SERVICES_CODE, 0x300000, 0x10);
	efi_descr(b, EFI_BOOT_SERVICES_DATA, 0x310000, 0x7000);
	efi_descr(b, EFI_ACPI_RECLAIM_MEMORY, 0x7310000, 0x10);
	efi_descr(b, EFI_ACPI_MEMORY_NVS, 0x7320000, 0x20);
	efi_descr(b, EFI_UNUSABLE_MEMORY, 0x7340000, 1);
	efi_descr(b, EFI_RUNTIME_SERVICES_DATA, 0x7341000, 0x10);
	efi_descr(b, EFI_MEMORY_MAPPED_IO, 0xffc00000, 0x400);
	efi_descr(b, EFI_CONVENTIONAL_MEMORY, 0x100000000ULL, 0x40000);
	efi_descr(b, EFI_PERSISTENT_MEMORY, 0x140000000ULL, 0x100);
	tag_end(b);
	tag_begin(b, 12);
	put64(b, 0x7fe9e018);
	tag_end(b);
	rsdp_tag(b, 15, 2, 36);
	if (bs_running) {
		tag_begin(b, 18);
		tag_end(b);
	}
	tag_begin(b, 21);
	put32(b, 0x1000000);
	tag_end(b);
	return mb_finish(b);
}

static void test_uefi_layout(void **state)
{
	struct mb b;
	size_t len = build_uefi(&b, false);

	assert_int_equal(parse(&b, len), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_false(info.has_mmap);
	assert_true(info.has_efi_mmap);
	assert_int_equal(info.efi_descr_size, 48);
	assert_int_equal(info.efi_descr_version, 1);
	assert_int_equal(info.nr_efi_descr, 14);
	assert_int_equal(info.nr_efi_mmap, 12);
	assert_entry(&info.efi_mmap[0], 0, 0xa0000, 1);
	assert_entry(&info.efi_mmap[1], 0xa0000, 0x60000, 2);
	assert_entry(&info.efi_mmap[2], 0x100000, 0x200000, 1); /* loader code + data */
	assert_entry(&info.efi_mmap[3], 0x300000, 0x10000, 2);
	assert_entry(&info.efi_mmap[4], 0x310000, 0x7000000, 1);
	assert_entry(&info.efi_mmap[5], 0x7310000, 0x10000, 3);
	assert_entry(&info.efi_mmap[6], 0x7320000, 0x20000, 4);
	assert_entry(&info.efi_mmap[7], 0x7340000, 0x1000, 5);
	assert_entry(&info.efi_mmap[8], 0x7341000, 0x10000, 2);
	assert_entry(&info.efi_mmap[9], 0xffc00000, 0x400000, 2);
	assert_entry(&info.efi_mmap[10], 0x100000000ULL, 0x40000000ULL, 1);
	assert_entry(&info.efi_mmap[11], 0x140000000ULL, 0x100000ULL, 2);
	assert_ptr_equal(info.best_mmap, info.efi_mmap);
	assert_int_equal(info.nr_best_mmap, 12);
	assert_true(info.has_efi64);
	assert_int_equal(info.efi64_systab, 0x7fe9e018);
	assert_int_equal(info.rsdp.tag, 15);
	assert_int_equal(info.rsdp.len, 36);
	assert_int_equal(info.rsdp.revision, 2);
	assert_true(info.has_load_base);
	assert_int_equal(info.load_base, 0x1000000);
	assert_false(info.efi_bs_not_terminated);
	assert_false(info.fb.present);
	assert_null(info.loader);
	assert_int_equal(info.nr_modules, 0);
}

static void test_uefi_boot_services_running(void **state)
{
	struct mb b;
	size_t len = build_uefi(&b, true); /* tag 18 comes after tag 17 */

	assert_int_equal(parse(&b, len), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_true(info.efi_bs_not_terminated);
	/* Boot-services and loader memory still belong to the firmware. */
	assert_entry(&info.efi_mmap[0], 0, 0x1000, 2);
	assert_entry(&info.efi_mmap[1], 0x1000, 0x9f000, 1);
	/* reserved, loader code and data, RT code, BS data: one reserved run */
	assert_entry(&info.efi_mmap[2], 0xa0000, 0x7270000, 2);
	assert_entry(&info.efi_mmap[3], 0x7310000, 0x10000, 3);
	assert_int_equal(info.nr_efi_mmap, 10);
}

static void test_efi_type_table(void **state)
{
	static const uint32_t want[] = {2, 1, 1, 1, 1, 2, 2, 1, 5, 3, 4, 2, 2, 2, 2, 2};

	for (uint32_t t = 0; t < 16; t++)
		assert_int_equal(mb2_efi_type_to_mmap(t, false), want[t]);
	assert_int_equal(mb2_efi_type_to_mmap(0x80000000u, false), 2); /* OEM */
	assert_int_equal(mb2_efi_type_to_mmap(EFI_BOOT_SERVICES_DATA, true), 2);
	assert_int_equal(mb2_efi_type_to_mmap(EFI_CONVENTIONAL_MEMORY, true), 1);
}

static void test_both_maps_prefer_mmap(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 17);
	put32(&b, 40);
	put32(&b, 1);
	for (int i = 0; i < 5; i++) { /* 40-byte descriptors, no slack */
		put32(&b, EFI_CONVENTIONAL_MEMORY);
		put32(&b, 0);
		put64(&b, 0x100000ULL * (uint64_t)i * 2);
		put64(&b, 0);
		put64(&b, 0x100);
		put64(&b, 0);
	}
	tag_end(&b);
	tag_begin(&b, 6);
	put32(&b, 24);
	put32(&b, 0);
	mmap_entry(&b, 0x100000, 0x1000000, 1);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_efi_mmap, 5);
	assert_entry(&info.efi_mmap[4], 0x800000, 0x100000, 1);
	assert_ptr_equal(info.best_mmap, info.mmap);
	assert_int_equal(info.nr_best_mmap, 1);
}

static void test_empty_mmap_falls_back_to_efi(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 6);
	put32(&b, 24);
	put32(&b, 0);
	tag_end(&b);
	tag_begin(&b, 17);
	put32(&b, 48);
	put32(&b, 1);
	efi_descr(&b, EFI_CONVENTIONAL_MEMORY, 0x100000, 16);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_true(info.has_mmap);
	assert_int_equal(info.nr_mmap, 0);
	assert_ptr_equal(info.best_mmap, info.efi_mmap);
	assert_int_equal(info.nr_best_mmap, 1);
}

static void test_no_map(void **state)
{
	struct mb b;

	mb_init(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.info_size, 16);
	assert_null(info.best_mmap);
	assert_int_equal(info.nr_best_mmap, 0);
	assert_null(info.cmdline);
	assert_null(info.rsdp.bytes);
}

static void test_mmap_wide_entries(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 6);
	put32(&b, 32);
	put32(&b, 1);
	mmap_entry(&b, 0x1000, 0x2000, 1);
	put64(&b, 0xdeadbeefdeadbeefULL); /* future extension */
	mmap_entry(&b, 0x100000000ULL, 0x3000, 4);
	put64(&b, 0xdeadbeefdeadbeefULL);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.mmap_entry_version, 1);
	assert_int_equal(info.nr_mmap, 2);
	assert_entry(&info.mmap[0], 0x1000, 0x2000, 1);
	assert_entry(&info.mmap[1], 0x100000000ULL, 0x3000, 4);
}

static void test_framebuffer_variants(void **state)
{
	struct mb b;

	mb_init(&b); /* RGB but no colour info */
	tag_begin(&b, 8);
	put64(&b, 0xe0000000);
	put32(&b, 3200), put32(&b, 800), put32(&b, 600);
	put8(&b, 32), put8(&b, 1), put16(&b, 0);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_error("RGB framebuffer without colour info (size 32)");
	assert_false(info.fb.present);

	mb_init(&b); /* EGA text: no colour info needed */
	tag_begin(&b, 8);
	put64(&b, 0xb8000);
	put32(&b, 160), put32(&b, 80), put32(&b, 25);
	put8(&b, 16), put8(&b, 2), put16(&b, 0);
	tag_end(&b);
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_true(info.fb.present);
	assert_int_equal(info.fb.addr, 0xb8000);
	assert_int_equal(info.fb.width, 80);
	assert_int_equal(info.fb.type, MB2_FB_TYPE_EGA);
}

static void test_unknown_tags_skipped(void **state)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 5); /* BIOS boot device: known, not needed */
	put32(&b, 0x80), put32(&b, 1), put32(&b, 0xffffffff);
	tag_end(&b);
	tag_begin(&b, 99); /* unknown, odd size */
	put8(&b, 1), put8(&b, 2), put8(&b, 3);
	tag_end(&b);
	tag_begin(&b, 0xffffffffu);
	tag_end(&b);
	string_tag(&b, 1, "hv");
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_string_equal(info.cmdline, "hv");
}

static void test_misaligned_buffer(void **state)
{
	struct mb b;
	size_t len = build_bios(&b, NULL);
	uint8_t *raw = malloc(len + 1);

	memcpy(raw + 1, b.buf, len);
	assert_int_equal(mb2_parse(raw + 1, len, &info), 0);
	assert_int_equal(info.nr_mmap, 7);
	assert_entry(&info.mmap[3], 0x100000, 0x7fee0000, 1);
	assert_int_equal(info.fb.pitch, 4096);
	free(raw);
}

static void test_find_module(void **state)
{
	struct mb b;

	mb_init(&b);
	module_tag(&b, 0x1000, 0x2000, "linux-rt console=ttyS0");
	module_tag(&b, 0x3000, 0x4000, "linux root=/dev/sda1");
	module_tag(&b, 0x5000, 0x6000, "  initrd");
	module_tag(&b, 0x7000, 0x8000, "");
	module_tag(&b, 0x9000, 0xa000, "cfg\targ");
	assert_int_equal(parse(&b, mb_finish(&b)), 0);
	assert_int_equal(mb2_find_module(&info, "linux")->start, 0x3000);
	assert_int_equal(mb2_find_module(&info, "linux-rt")->start, 0x1000);
	assert_int_equal(mb2_find_module(&info, "initrd")->start, 0x5000);
	assert_int_equal(mb2_find_module(&info, "cfg")->start, 0x9000);
	assert_null(mb2_find_module(&info, "lin"));
	assert_null(mb2_find_module(&info, "root=/dev/sda1"));
	assert_null(mb2_find_module(&info, ""));
	assert_null(mb2_find_module(&info, "absent"));
}

static void test_type_names(void **state)
{
	assert_string_equal(mb2_mmap_type_name(1), "available");
	assert_string_equal(mb2_mmap_type_name(2), "reserved");
	assert_string_equal(mb2_mmap_type_name(3), "ACPI reclaimable");
	assert_string_equal(mb2_mmap_type_name(4), "ACPI NVS");
	assert_string_equal(mb2_mmap_type_name(5), "bad RAM");
	assert_string_equal(mb2_mmap_type_name(0), "unknown");
	assert_string_equal(mb2_mmap_type_name(6), "unknown");
	assert_string_equal(mb2_mmap_type_name(0xffffffffu), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_bios_layout, teardown),
	    cmocka_unit_test_teardown(test_uefi_layout, teardown),
	    cmocka_unit_test_teardown(test_uefi_boot_services_running, teardown),
	    cmocka_unit_test(test_efi_type_table),
	    cmocka_unit_test_teardown(test_both_maps_prefer_mmap, teardown),
	    cmocka_unit_test_teardown(test_empty_mmap_falls_back_to_efi, teardown),
	    cmocka_unit_test_teardown(test_no_map, teardown),
	    cmocka_unit_test_teardown(test_mmap_wide_entries, teardown),
	    cmocka_unit_test_teardown(test_framebuffer_variants, teardown),
	    cmocka_unit_test_teardown(test_unknown_tags_skipped, teardown),
	    cmocka_unit_test(test_misaligned_buffer),
	    cmocka_unit_test_teardown(test_find_module, teardown),
	    cmocka_unit_test(test_type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
