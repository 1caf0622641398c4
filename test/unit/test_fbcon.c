/*
 * Unit tests for drivers/fbcon.c on a memory framebuffer: every pixel of a drawn glyph
 * against the font table, the padding past each row left alone, pixel packing for 32, 24,
 * 16 and 15 bpp and a BGR layout, wrapping, scrolling, tabs, control bytes, EGA text,
 * and the refusals.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/fbcon.h"
#include "drivers/font.h"
#include "lib/errno.h"

#define PAD  0xa5 /* what the memory holds where nothing may be drawn */
#define COLS 10
#define ROWS 3

static struct fbcon con;
static uint8_t *mem;
static char why[96];

/* A framebuffer of COLS x ROWS cells, @extra bytes of padding after each row. */
static struct mb2_framebuffer rgb_fb(uint8_t bpp, uint32_t extra, struct mb2_fb_rgb layout)
{
	uint32_t width = COLS * FONT_WIDTH, bytes = (bpp + 7u) / 8;
	struct mb2_framebuffer fb = {
	    .present = true,
	    .addr = 0xe0000000,
	    .pitch = width * bytes + extra,
	    .width = width,
	    .height = ROWS * FONT_HEIGHT,
	    .bpp = bpp,
	    .type = MB2_FB_TYPE_RGB,
	    .rgb = layout,
	};
	fb.size = (uint64_t)fb.pitch * fb.height;
	return fb;
}

static const struct mb2_fb_rgb XRGB = {16, 8, 8, 8, 0, 8};

static void setup_fb(const struct mb2_framebuffer *fb)
{
	free(mem);
	mem = malloc(fb->size);
	memset(mem, PAD, fb->size);
	assert_int_equal(fbcon_init(&con, fb, mem, why, sizeof(why)), 0);
}

static uint32_t pixel_at(const struct mb2_framebuffer *fb, unsigned x, unsigned y)
{
	unsigned bytes = (fb->bpp + 7u) / 8;
	const uint8_t *p = mem + (size_t)y * fb->pitch + (size_t)x * bytes;
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Every pixel of cell (col, row) is fg where the glyph has ink and bg elsewhere. */
static void assert_cell(const struct mb2_framebuffer *fb, unsigned col, unsigned row, char ch,
			uint32_t fg, uint32_t bg)
{
	const uint8_t *g = font8x16[(uint8_t)ch - FONT_FIRST];

	for (unsigned y = 0; y < FONT_HEIGHT; y++)
		for (unsigned x = 0; x < FONT_WIDTH; x++)
			assert_int_equal(pixel_at(fb, col * FONT_WIDTH + x, row * FONT_HEIGHT + y),
					 (g[y] & (0x80 >> x)) ? fg : bg);
}

static void assert_padding_untouched(const struct mb2_framebuffer *fb)
{
	unsigned used = fb->width * ((fb->bpp + 7u) / 8);

	for (unsigned y = 0; y < fb->height; y++)
		for (unsigned i = used; i < fb->pitch; i++)
			assert_int_equal(mem[(size_t)y * fb->pitch + i], PAD);
}

static void test_font_table(void **state)
{
	/* the space is blank; every other glyph has ink, all inside columns 0..6 */
	for (unsigned y = 0; y < FONT_HEIGHT; y++)
		assert_int_equal(font8x16[0][y], 0);
	for (unsigned c = 1; c < FONT_GLYPHS; c++) {
		unsigned ink = 0;

		for (unsigned y = 0; y < FONT_HEIGHT; y++) {
			assert_int_equal(font8x16[c][y] & 0x01, 0);
			ink |= font8x16[c][y];
		}
		assert_int_not_equal(ink, 0);
		for (unsigned d = 1; d < c; d++) /* no two glyphs alike: the screen reads back */
			assert_memory_not_equal(font8x16[c], font8x16[d], FONT_HEIGHT);
	}
}

static void test_32bpp_pitch_padding(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(32, 12, XRGB);

	setup_fb(&fb);
	assert_int_equal(con.cols, COLS);
	assert_int_equal(con.rows, ROWS);
	assert_int_equal(con.fg, 0xc0c0c0);
	fbcon_write(&con, "Ag", 2);
	assert_cell(&fb, 0, 0, 'A', 0xc0c0c0, 0);
	assert_cell(&fb, 1, 0, 'g', 0xc0c0c0, 0);
	assert_cell(&fb, 2, 0, ' ', 0xc0c0c0, 0);
	assert_cell(&fb, 9, 2, ' ', 0xc0c0c0, 0);
	assert_padding_untouched(&fb);
}

static void test_24bpp_odd_pitch(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(24, 5, XRGB);

	setup_fb(&fb);
	fbcon_write(&con, "~|", 2);
	assert_cell(&fb, 0, 0, '~', 0xc0c0c0, 0);
	assert_cell(&fb, 1, 0, '|', 0xc0c0c0, 0);
	assert_padding_untouched(&fb);
}

static void test_pixel_layouts(void **state)
{
	struct mb2_framebuffer fb565 = rgb_fb(16, 2, (struct mb2_fb_rgb){11, 5, 5, 6, 0, 5});
	struct mb2_framebuffer fb555 = rgb_fb(15, 0, (struct mb2_fb_rgb){10, 5, 5, 5, 0, 5});
	struct mb2_framebuffer bgr = rgb_fb(32, 0, (struct mb2_fb_rgb){0, 8, 8, 8, 16, 8});

	/* 0xc0 cut to 5 bits is 0x18, to 6 bits 0x30 */
	assert_int_equal(fbcon_pixel(&fb565, 0xc0c0c0), 0x18 << 11 | 0x30 << 5 | 0x18);
	assert_int_equal(fbcon_pixel(&fb555, 0xc0c0c0), 0x18 << 10 | 0x18 << 5 | 0x18);
	assert_int_equal(fbcon_pixel(&bgr, 0x123456), 0x563412);
	assert_int_equal(fbcon_pixel(&fb565, 0xff0000), 0xf800);
	assert_int_equal(fbcon_pixel(&fb555, 0x00ff00), 0x03e0);
	setup_fb(&fb565);
	fbcon_write(&con, "Z", 1);
	assert_cell(&fb565, 0, 0, 'Z', 0xc618, 0);
	assert_padding_untouched(&fb565);
	setup_fb(&fb555);
	fbcon_write(&con, "Z", 1);
	assert_cell(&fb555, 0, 0, 'Z', 0x6318, 0);
}

static void test_wrap(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(32, 0, XRGB);

	setup_fb(&fb);
	fbcon_write(&con, "0123456789", 10); /* a full line: no wrap yet */
	assert_int_equal(con.cy, 0);
	assert_int_equal(con.cx, COLS);
	fbcon_write(&con, "\n", 1); /* ends it without a blank line */
	assert_int_equal(con.cy, 1);
	assert_int_equal(con.cx, 0);
	fbcon_write(&con, "abcdefghijK", 11); /* the eleventh wraps */
	assert_int_equal(con.cy, 2);
	assert_int_equal(con.cx, 1);
	assert_cell(&fb, 9, 1, 'j', 0xc0c0c0, 0);
	assert_cell(&fb, 0, 2, 'K', 0xc0c0c0, 0);
}

static void test_scroll(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(24, 3, XRGB);

	setup_fb(&fb);
	fbcon_write(&con, "one\ntwo\nthree\nfour", 18);
	assert_int_equal(con.cy, ROWS - 1);
	assert_memory_equal(con.cells[0], "two       ", COLS);
	assert_memory_equal(con.cells[1], "three     ", COLS);
	assert_memory_equal(con.cells[2], "four      ", COLS);
	const char *want[ROWS] = {"two       ", "three     ", "four      "};
	for (unsigned r = 0; r < ROWS; r++)
		for (unsigned c = 0; c < COLS; c++)
			assert_cell(&fb, c, r, want[r][c], 0xc0c0c0, 0);
	fbcon_write(&con, "\n", 1); /* a newline on the last row scrolls too */
	assert_memory_equal(con.cells[2], "          ", COLS);
	assert_cell(&fb, 0, 1, 'f', 0xc0c0c0, 0);
	assert_cell(&fb, 0, 2, ' ', 0xc0c0c0, 0);
	assert_padding_untouched(&fb);
}

static void test_control_bytes(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(32, 0, XRGB);

	setup_fb(&fb);
	fbcon_write(&con, "a\tb\r\x01", 5);
	assert_memory_equal(con.cells[0], "a       b?", COLS);
	assert_cell(&fb, 9, 0, '?', 0xc0c0c0, 0);
	assert_int_equal(con.cy, 0);
	fbcon_write(&con, "\t", 1); /* at the end of a full line: wraps, then tabs */
	assert_int_equal(con.cy, 1);
	assert_int_equal(con.cx, 8);
	fbcon_write(&con, "\x7f\xc3", 2); /* DEL, a UTF-8 lead byte */
	assert_memory_equal(con.cells[1], "        ??", COLS);
	assert_int_equal(con.cx, COLS);
}

static void test_ega_text(void **state)
{
	struct mb2_framebuffer fb = {
	    .present = true,
	    .addr = 0xb8000,
	    .pitch = 2 * COLS + 4,
	    .width = COLS,
	    .height = ROWS,
	    .bpp = 16,
	    .type = MB2_FB_TYPE_EGA,
	};

	fb.size = (uint64_t)fb.pitch * fb.height;
	setup_fb(&fb);
	assert_int_equal(con.cols, COLS);
	assert_int_equal(con.rows, ROWS);
	for (unsigned r = 0; r < ROWS; r++) {
		for (unsigned c = 0; c < COLS; c++) {
			assert_int_equal(mem[r * fb.pitch + 2 * c], ' ');
			assert_int_equal(mem[r * fb.pitch + 2 * c + 1], FBCON_EGA_ATTR);
		}
		for (unsigned i = 2 * COLS; i < fb.pitch; i++)
			assert_int_equal(mem[r * fb.pitch + i], PAD);
	}
	fbcon_write(&con, "1\n2\n3\nHi", 8);
	assert_int_equal(mem[0], '2');
	assert_int_equal(mem[fb.pitch], '3');
	assert_int_equal(mem[2 * fb.pitch], 'H');
	assert_int_equal(mem[2 * fb.pitch + 1], FBCON_EGA_ATTR);
	assert_int_equal(mem[2 * fb.pitch + 2], 'i');
	assert_int_equal(mem[2 * fb.pitch + 4], ' ');
}

static void test_refusals(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(8, 0, XRGB);
	uint8_t buf[64];

	fb.type = MB2_FB_TYPE_INDEXED;
	assert_int_equal(fbcon_init(&con, &fb, buf, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "indexed-colour framebuffer (8 bpp) not supported");
	fbcon_write(&con, "x", 1); /* nothing drawn, nothing written */

	fb = rgb_fb(32, 0, XRGB);
	fb.width = 7;
	fb.size = (uint64_t)fb.pitch * fb.height;
	assert_int_equal(fbcon_init(&con, &fb, buf, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "7x48 is smaller than one 8x16 character");
}

static void test_large_screen_capped(void **state)
{
	struct mb2_framebuffer fb = rgb_fb(32, 0, XRGB);

	fb.width = (FBCON_MAX_COLS + 3) * FONT_WIDTH;
	fb.height = (FBCON_MAX_ROWS + 2) * FONT_HEIGHT + 5;
	fb.pitch = fb.width * 4;
	fb.size = (uint64_t)fb.pitch * fb.height;
	setup_fb(&fb);
	assert_int_equal(con.cols, FBCON_MAX_COLS);
	assert_int_equal(con.rows, FBCON_MAX_ROWS);
	/* the whole screen is cleared, also past the grid */
	assert_int_equal(pixel_at(&fb, fb.width - 1, fb.height - 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_font_table),
	    cmocka_unit_test(test_32bpp_pitch_padding),
	    cmocka_unit_test(test_24bpp_odd_pitch),
	    cmocka_unit_test(test_pixel_layouts),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_scroll),
	    cmocka_unit_test(test_control_bytes),
	    cmocka_unit_test(test_ega_text),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_large_screen_capped),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	free(mem);
	return r;
}
