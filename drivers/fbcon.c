/*
 * The framebuffer console's drawing: a character grid kept in cells[][] and painted
 * into the framebuffer, glyph by glyph from drivers/font8x16.c. A scroll repaints only
 * the cells whose character changes, and never reads the framebuffer (uncached, slow).
 * Owns nothing but *c; see drivers/fbcon.h for the invariants.
 */
#include "drivers/fbcon.h"
#include "drivers/font.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define TAB 8

static uint32_t channel(uint32_t rgb, unsigned shift, uint8_t pos, uint8_t size)
{
	uint32_t v = (rgb >> shift) & 0xff;

	return (v >> (8 - size)) << pos;
}

uint32_t fbcon_pixel(const struct mb2_framebuffer *fb, uint32_t rgb)
{
	const struct mb2_fb_rgb *l = &fb->rgb;

	return channel(rgb, 16, l->red_pos, l->red_size) |
	       channel(rgb, 8, l->green_pos, l->green_size) |
	       channel(rgb, 0, l->blue_pos, l->blue_size);
}

/* One pixel, little-endian, in as few stores as the alignment allows. */
static void put_pixel(uint8_t *p, unsigned bytes, uint32_t v)
{
	if (bytes == 4 && IS_ALIGNED((uintptr_t)p, 4)) {
		*(uint32_t *)p = v;
		return;
	}
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void draw_cell(struct fbcon *c, unsigned col, unsigned row, char ch)
{
	unsigned g = (uint8_t)ch - FONT_FIRST;

	if (c->fb.type == MB2_FB_TYPE_EGA) {
		uint8_t *p = c->base + (size_t)row * c->fb.pitch + (size_t)col * 2;
		p[0] = (uint8_t)ch;
		p[1] = FBCON_EGA_ATTR;
		return;
	}
	for (unsigned y = 0; y < FONT_HEIGHT; y++) {
		uint8_t bits = font8x16[g][y];
		uint8_t *p = c->base + ((size_t)row * FONT_HEIGHT + y) * c->fb.pitch +
			     (size_t)col * FONT_WIDTH * c->bytes_pp;

		for (unsigned x = 0; x < FONT_WIDTH; x++, p += c->bytes_pp)
			put_pixel(p, c->bytes_pp, bits & (0x80 >> x) ? c->fg : c->bg);
	}
}

static void set_cell(struct fbcon *c, unsigned col, unsigned row, char ch)
{
	if (c->cells[row][col] == ch)
		return;
	c->cells[row][col] = ch;
	draw_cell(c, col, row, ch);
}

/* Every pixel (or text cell) of the screen to the background, the grid to spaces. */
static void clear_screen(struct fbcon *c)
{
	for (unsigned y = 0; y < c->fb.height; y++) {
		uint8_t *p = c->base + (size_t)y * c->fb.pitch;

		for (unsigned x = 0; x < c->fb.width; x++) {
			if (c->fb.type == MB2_FB_TYPE_EGA) {
				p[2 * (size_t)x] = ' ';
				p[2 * (size_t)x + 1] = FBCON_EGA_ATTR;
			} else {
				put_pixel(p + (size_t)x * c->bytes_pp, c->bytes_pp, c->bg);
			}
		}
	}
	memset(c->cells, ' ', sizeof(c->cells));
}

int fbcon_init(struct fbcon *c, const struct mb2_framebuffer *fb, void *base, char *why,
	       size_t why_len)
{
	bool text = fb->type == MB2_FB_TYPE_EGA;
	unsigned cw = text ? 1 : FONT_WIDTH, ch = text ? 1 : FONT_HEIGHT;

	memset(c, 0, sizeof(*c));
	if (fb->type != MB2_FB_TYPE_RGB && !text) {
		ksnprintf(why, why_len, "indexed-colour framebuffer (%u bpp) not supported",
			  fb->bpp);
		return -EINVAL;
	}
	if (fb->width < cw || fb->height < ch) {
		ksnprintf(why, why_len, "%ux%u is smaller than one %ux%u character", fb->width,
			  fb->height, cw, ch);
		return -EINVAL;
	}
	c->base = base;
	c->fb = *fb;
	c->bytes_pp = (fb->bpp + 7u) / 8;
	c->cols = MIN(fb->width / cw, FBCON_MAX_COLS);
	c->rows = MIN(fb->height / ch, FBCON_MAX_ROWS);
	if (!text) {
		c->fg = fbcon_pixel(fb, FBCON_FG_RGB);
		c->bg = fbcon_pixel(fb, FBCON_BG_RGB);
	}
	clear_screen(c);
	return 0;
}

/* Move every line up by one, repainting only the cells that change; blank the last. */
static void scroll(struct fbcon *c)
{
	for (unsigned r = 0; r + 1 < c->rows; r++)
		for (unsigned x = 0; x < c->cols; x++)
			set_cell(c, x, r, c->cells[r + 1][x]);
	for (unsigned x = 0; x < c->cols; x++)
		set_cell(c, x, c->rows - 1, ' ');
}

static void newline(struct fbcon *c)
{
	c->cx = 0;
	if (c->cy + 1 < c->rows)
		c->cy++;
	else
		scroll(c);
}

static void putc_one(struct fbcon *c, char ch)
{
	if (ch == '\n') {
		newline(c);
		return;
	}
	if (ch == '\r')
		return;
	if (c->cx == c->cols) /* the line is full: wrap only when more of it comes */
		newline(c);
	if (ch == '\t') {
		unsigned to = MIN(ALIGN_UP(c->cx + 1, TAB), c->cols);
		while (c->cx < to)
			set_cell(c, c->cx++, c->cy, ' ');
		return;
	}
	if ((uint8_t)ch < FONT_FIRST || (uint8_t)ch > FONT_LAST)
		ch = '?';
	set_cell(c, c->cx++, c->cy, ch);
}

void fbcon_write(struct fbcon *c, const char *s, size_t n)
{
	if (!c->base)
		return;
	for (size_t i = 0; i < n; i++)
		putc_one(c, s[i]);
}
