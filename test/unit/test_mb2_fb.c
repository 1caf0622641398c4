/*
 * Unit tests for the framebuffer tag (type 8) in fw/mb2.c: every field checked, each
 * refusal named, and the tag then left out (fb.present false), the valid forms kept.
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

struct fbt {
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	int nrgb; /* colour bytes: -1 none, else 6 for RGB */
	uint8_t rgb[6];
	int ncolours;	   /* indexed: -1 no palette field, else the count written */
	unsigned nentries; /* palette entries actually present */
};

static int fb_tag(const struct fbt *f)
{
	struct mb b;

	mb_init(&b);
	tag_begin(&b, 8);
	put64(&b, f->addr);
	put32(&b, f->pitch), put32(&b, f->width), put32(&b, f->height);
	put8(&b, f->bpp), put8(&b, f->type), put16(&b, 0);
	for (int i = 0; i < f->nrgb; i++)
		put8(&b, f->rgb[i]);
	if (f->ncolours >= 0) {
		put16(&b, (uint16_t)f->ncolours);
		for (unsigned i = 0; i < 3 * f->nentries; i++)
			put8(&b, (uint8_t)i);
	}
	tag_end(&b);
	return parse(&b, mb_finish(&b));
}

/* 1024x768, 32 bpp XRGB at 0xfd000000: what GRUB gives under SeaBIOS. */
static struct fbt good_rgb(void)
{
	return (struct fbt){0xfd000000, 4096, 1024, 768, 32, 1, 6, {16, 8, 8, 8, 0, 8}, -1, 0};
}

#define assert_refused(f, msg)                                                                     \
	do {                                                                                       \
		assert_int_equal(fb_tag(f), 0);                                                    \
		assert_error(msg);                                                                 \
		assert_false(info.fb.present);                                                     \
	} while (0)

static void test_valid_forms(void **state)
{
	struct fbt f = good_rgb();

	assert_int_equal(fb_tag(&f), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_true(info.fb.present);
	assert_int_equal(info.fb.size, 4096ull * 768);
	assert_int_equal(info.fb.rgb.red_pos, 16);

	f = (struct fbt){0x80000000, 2400, 800, 600, 24, 1, 6, {16, 8, 8, 8, 0, 8}, -1, 0};
	assert_int_equal(fb_tag(&f), 0);
	assert_true(info.fb.present);
	assert_int_equal(info.fb.size, 2400ull * 600);

	f = (struct fbt){0xe0000000, 1600, 800, 600, 16, 1, 6, {11, 5, 5, 6, 0, 5}, -1, 0};
	assert_int_equal(fb_tag(&f), 0);
	assert_true(info.fb.present);

	f = (struct fbt){0xb8000, 160, 80, 25, 16, 2, -1, {0}, -1, 0};
	assert_int_equal(fb_tag(&f), 0);
	assert_true(info.fb.present);
	assert_int_equal(info.fb.size, 4000);

	f = (struct fbt){0xa0000, 320, 320, 200, 8, 0, -1, {0}, 256, 256};
	assert_int_equal(fb_tag(&f), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_true(info.fb.present);
	assert_int_equal(info.fb.type, MB2_FB_TYPE_INDEXED);
}

static void test_bad_type_and_depth(void **state)
{
	struct fbt f = good_rgb();

	f.type = 3;
	assert_refused(&f, "framebuffer type 3 unknown");
	f = good_rgb(), f.bpp = 33;
	assert_refused(&f, "RGB framebuffer of 33 bpp (8 to 32)");
	f = good_rgb(), f.bpp = 4;
	assert_refused(&f, "RGB framebuffer of 4 bpp (8 to 32)");
	f = (struct fbt){0xb8000, 160, 80, 25, 8, 2, -1, {0}, -1, 0};
	assert_refused(&f, "EGA text framebuffer of 8 bpp (16)");
	f = (struct fbt){0xa0000, 320, 320, 200, 3, 0, -1, {0}, 16, 16};
	assert_refused(&f, "indexed framebuffer of 3 bpp (1, 2, 4 or 8)");
	f = good_rgb(), f.nrgb = -1;
	assert_refused(&f, "RGB framebuffer without colour info (size 32)");
}

static void test_bad_channels(void **state)
{
	struct fbt f = good_rgb();

	f.rgb[0] = 28; /* red at 28..35 in 32 bits */
	assert_refused(&f, "red channel at bit 28, 8 bits, does not fit 32 bpp");
	f = good_rgb(), f.rgb[3] = 0;
	assert_refused(&f, "green channel at bit 8, 0 bits, does not fit 32 bpp");
	f = good_rgb(), f.rgb[5] = 9;
	assert_refused(&f, "blue channel at bit 0, 9 bits, does not fit 32 bpp");
	f = good_rgb(), f.rgb[4] = 12; /* blue 12..19 over red 16..23 */
	assert_refused(&f, "blue channel overlaps another");
	f = (struct fbt){0xe0000000, 1600, 800, 600, 16, 1, 6, {11, 5, 5, 6, 0, 8}, -1, 0};
	assert_refused(&f, "blue channel overlaps another");
}

static void test_bad_geometry(void **state)
{
	struct fbt f = good_rgb();

	f.pitch = 4095;
	assert_refused(&f, "pitch 4095 bytes too small for 1024 pixels of 32 bpp");
	f = (struct fbt){0xe0000000, 2399, 800, 600, 24, 1, 6, {16, 8, 8, 8, 0, 8}, -1, 0};
	assert_refused(&f, "pitch 2399 bytes too small for 800 pixels of 24 bpp");
	f = (struct fbt){0xb8000, 159, 80, 25, 16, 2, -1, {0}, -1, 0};
	assert_refused(&f, "pitch 159 bytes too small for 80 pixels of 16 bpp");
	f = (struct fbt){0xa0000, 39, 320, 200, 1, 0, -1, {0}, 2, 2};
	assert_refused(&f, "pitch 39 bytes too small for 320 pixels of 1 bpp");
	f = good_rgb(), f.width = 0;
	assert_refused(&f, "framebuffer of 0x768");
	f = good_rgb(), f.height = 0;
	assert_refused(&f, "framebuffer of 1024x0");
	f = good_rgb(), f.addr = 0;
	assert_refused(&f, "framebuffer at address 0");
	f = good_rgb(), f.addr = (1ull << 52) - 4096ull * 767;
	assert_refused(&f, "at 0xfffffffd01000, 768 rows of 4096 bytes end past 2^52");
	f = good_rgb(), f.addr = ~0ull - 4095; /* the end wraps around */
	assert_refused(&f, "at 0xfffffffffffff000, 768 rows of 4096 bytes end past 2^52");
	f = good_rgb(), f.addr = (1ull << 52) - 4096ull * 768; /* ends exactly at 2^52 */
	assert_int_equal(fb_tag(&f), 0);
	assert_true(info.fb.present);
}

static void test_bad_palette(void **state)
{
	struct fbt f = {0xa0000, 320, 320, 200, 8, 0, -1, {0}, -1, 0};

	assert_refused(&f, "indexed framebuffer without a palette (size 32)");
	f.ncolours = 0;
	assert_refused(&f, "palette of 0 colours does not fit the tag's 34 bytes");
	f.ncolours = 256, f.nentries = 255;
	assert_refused(&f, "palette of 256 colours does not fit the tag's 799 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_valid_forms, teardown),
	    cmocka_unit_test_teardown(test_bad_type_and_depth, teardown),
	    cmocka_unit_test_teardown(test_bad_channels, teardown),
	    cmocka_unit_test_teardown(test_bad_geometry, teardown),
	    cmocka_unit_test_teardown(test_bad_palette, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
