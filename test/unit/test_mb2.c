/*
 * Unit tests for boot/mb2.c: boot information laid out byte by byte as GRUB lays it
 * out (BIOS and UEFI), then malformed and truncated variants. Buffers are heap copies
 * of the exact length, so ASan catches any read past what the parser was given.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/mb2.h"
#include "lib/errno.h"

/* ---- a little-endian builder, independent of the parser's structs ---- */

struct mb {
	uint8_t buf[16384];
	size_t off, tag;
	size_t last_end; /* unpadded end of the last closed tag */
};

static void put8(struct mb *b, uint8_t v)
{
	assert_true(b->off < sizeof(b->buf));
	b->buf[b->off++] = v;
}

static void put16(struct mb *b, uint16_t v)
{
	put8(b, (uint8_t)v);
	put8(b, (uint8_t)(v >> 8));
}

static void put32(struct mb *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b, (uint16_t)(v >> 16));
}

static void put64(struct mb *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void putstr(struct mb *b, const char *s)
{
	do
		put8(b, (uint8_t)*s);
	while (*s++);
}

static void poke32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void mb_init(struct mb *b)
{
	memset(b, 0, sizeof(*b));
	b->off = 8;
}

static size_t tag_begin(struct mb *b, uint32_t type)
{
	b->tag = b->off;
	put32(b, type);
	put32(b, 0);
	return b->tag;
}

/* Close the open tag with its natural size (or @size when non-zero); pad to 8. */
static size_t tag_end_sized(struct mb *b, uint32_t size)
{
	size = size ? size : (uint32_t)(b->off - b->tag);
	poke32(b->buf + b->tag + 4, size);
	b->last_end = b->tag + size;
	while (b->off % 8)
		put8(b, 0);
	return b->off;
}

static size_t tag_end(struct mb *b)
{
	return tag_end_sized(b, 0);
}

static size_t mb_finish(struct mb *b)
{
	tag_begin(b, 0);
	tag_end(b);
	poke32(b->buf, (uint32_t)b->off);
	return b->off;
}

static void string_tag(struct mb *b, uint32_t type, const char *s)
{
	tag_begin(b, type);
	putstr(b, s);
	tag_end(b);
}

static void module_tag(struct mb *b, uint32_t start, uint32_t end, const char *s)
{
	tag_begin(b, 3);
	put32(b, start);
	put32(b, end);
	putstr(b, s);
	tag_end(b);
}

static void mmap_entry(struct mb *b, uint64_t base, uint64_t len, uint32_t type)
{
	put64(b, base);
	put64(b, len);
	put32(b, type);
	put32(b, 0);
}

static void efi_descr(struct mb *b, uint32_t type, uint64_t phys, uint64_t pages)
{
	put32(b, type);
	put32(b, 0);
	put64(b, phys);
	put64(b, 0);
	put64(b, pages);
	put64(b, 0xf); /* attribute: UC|WC|WT|WB */
	put64(b, 0);   /* GRUB's descriptors are 48 bytes: 8 bytes of slack */
}

static void rsdp_tag(struct mb *b, uint32_t type, uint8_t rev, unsigned len)
{
	static const char sig[8] = "RSD PTR ";

	tag_begin(b, type);
	for (unsigned i = 0; i < len; i++)
		put8(b, i < 8 ? (uint8_t)sig[i] : i == 15 ? rev : (uint8_t)i);
	tag_end(b);
}

/* ---- parsing an exact-length heap copy ---- */

static struct mb2_info info;
static uint8_t *copy;

static int parse_n(const void *buf, size_t len)
{
	free(copy);
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	return mb2_parse(copy, len, &info);
}

static int parse(struct mb *b, size_t len)
{
	return parse_n(b->buf, len);
}

static int teardown(void **state)
{
	free(copy);
	copy = NULL;
	return 0;
}

static bool has_error(const char *needle)
{
	for (unsigned i = 0; i < info.nr_errors; i++)
		if (strstr(info.errors[i], needle))
			return true;
	return false;
}

#define assert_error(needle)                                                                       \
	do {                                                                                       \
		if (!has_error(needle)) {                                                          \
			for (unsigned i_ = 0; i_ < info.nr_errors; i_++)                           \
				print_message("  have: %s\n", info.errors[i_]);                    \
			fail_msg("no error containing \"%s\"", needle);                            \
		}                                                                                  \
	} while (0)

static void assert_entry(const struct mb2_mmap_entry *e, uint64_t base, uint64_t len, uint32_t type)
{
	assert_int_equal(e->base, base);
	assert_int_equal(e->len, len);
	assert_int_equal(e->type, type);
}

/* ---- fixtures ---- */

/* Unpadded tag ends of the BIOS layout, for the truncation test. */
struct bios_offsets {
	size_t cmdline, loader, mod1, mod2, meminfo, mmap, fb, rsdp, total;
};

static size_t build_bios(struct mb *b, struct bios_offsets *o)
{
	struct bios_offsets tmp;

	o = o ? o : &tmp;
	mb_init(b);
	string_tag(b, 1, "hv console=com1 loglevel=7");
	o->cmdline = b->last_end;
	string_tag(b, 2, "GRUB 2.06");
	o->loader = b->last_end;
	module_tag(b, 0x200000, 0x280000, "linux root=/dev/sda1 console=ttyS0");
	o->mod1 = b->last_end;
	module_tag(b, 0x300000, 0x300000, "initrd");
	o->mod2 = b->last_end;
	tag_begin(b, 4);
	put32(b, 639);
	put32(b, 2096000);
	tag_end(b);
	o->meminfo = b->last_end;
	tag_begin(b, 6);
	put32(b, 24);
	put32(b, 0);
	mmap_entry(b, 0, 0x9fc00, 1);
	mmap_entry(b, 0x9fc00, 0x400, 2);
	mmap_entry(b, 0xf0000, 0x10000, 2);
	mmap_entry(b, 0x100000, 0x7fee0000, 1);
	mmap_entry(b, 0x7ffe0000, 0x20000, 3);
	mmap_entry(b, 0xfffc0000, 0x40000, 2);
	mmap_entry(b, 0x100000000ULL, 0x80000000ULL, 1);
	tag_end(b);
	o->mmap = b->last_end;
	tag_begin(b, 8);
	put64(b, 0xfd000000);
	put32(b, 4096);
	put32(b, 1024);
	put32(b, 768);
	put8(b, 32);
	put8(b, 1);
	put16(b, 0);
	put8(b, 16), put8(b, 8), put8(b, 8), put8(b, 8), put8(b, 0), put8(b, 8);
	tag_end(b);
	o->fb = b->last_end;
	rsdp_tag(b, 14, 0, 20);
	o->rsdp = b->last_end;
	o->total = mb_finish(b);
	return o->total;
}

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
	    cmocka_unit_test_teardown(test_header_errors, teardown),
	    cmocka_unit_test_teardown(test_tag_size_below_8, teardown),
	    cmocka_unit_test_teardown(test_tag_runs_past_total, teardown),
	    cmocka_unit_test_teardown(test_missing_end_tag, teardown),
	    cmocka_unit_test_teardown(test_end_tag_size, teardown),
	    cmocka_unit_test_teardown(test_unterminated_strings, teardown),
	    cmocka_unit_test_teardown(test_mmap_bad_entry_size, teardown),
	    cmocka_unit_test_teardown(test_mmap_wide_entries, teardown),
	    cmocka_unit_test_teardown(test_mmap_trailing_and_too_many, teardown),
	    cmocka_unit_test_teardown(test_module_errors, teardown),
	    cmocka_unit_test_teardown(test_fixed_parts, teardown),
	    cmocka_unit_test_teardown(test_efi_descriptor_size, teardown),
	    cmocka_unit_test_teardown(test_efi_pages_overflow, teardown),
	    cmocka_unit_test_teardown(test_efi_too_many, teardown),
	    cmocka_unit_test_teardown(test_framebuffer_variants, teardown),
	    cmocka_unit_test_teardown(test_duplicates_and_rsdp_order, teardown),
	    cmocka_unit_test_teardown(test_error_overflow, teardown),
	    cmocka_unit_test_teardown(test_unknown_tags_skipped, teardown),
	    cmocka_unit_test(test_misaligned_buffer),
	    cmocka_unit_test_teardown(test_truncations, teardown),
	    cmocka_unit_test_teardown(test_find_module, teardown),
	    cmocka_unit_test(test_type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
