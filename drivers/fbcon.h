/*
 * A text console drawn into a linear framebuffer (RGB direct colour, 8 to 32 bpp) or
 * written to an EGA text buffer: wraps long lines, scrolls by one line at the bottom.
 * Touches only the memory it is given, so it builds and is tested on the host.
 * Invariants: cx <= cols (cols: a full line, wrapped by the next character), cy < rows; cells[][] holds what the screen shows.
 * Not locked: the caller serialises (drivers/hwcon.c runs under the console lock).
 */
#ifndef DRIVERS_FBCON_H
#define DRIVERS_FBCON_H

#include "fw/mb2.h"
#include "lib/types.h"

/* Enough for 1920x1080 in 8x16 cells; a larger screen uses its top-left part. */
#define FBCON_MAX_COLS 240
#define FBCON_MAX_ROWS 68

/* Light grey on black: the colours of a PC's text console. */
#define FBCON_FG_RGB   0xc0c0c0
#define FBCON_BG_RGB   0x000000
#define FBCON_EGA_ATTR 0x07

struct fbcon {
	uint8_t *base; /* the framebuffer's first byte, mapped */
	struct mb2_framebuffer fb;
	unsigned bytes_pp; /* RGB: bytes per pixel */
	unsigned cols, rows, cx, cy;
	uint32_t fg, bg; /* RGB: pixel values in the framebuffer's layout */
	char cells[FBCON_MAX_ROWS][FBCON_MAX_COLS];
};

/*
 * Take over the framebuffer @fb (a tag that passed mb2_parse's checks) mapped at @base,
 * and clear it. Returns 0, or -EINVAL with a reason in @why (an indexed-colour mode, a
 * screen smaller than one cell).
 * @pre fb->present, base maps fb->size bytes.
 */
int fbcon_init(struct fbcon *c, const struct mb2_framebuffer *fb, void *base, char *why,
	       size_t why_len);
/*
 * Print @n bytes: '\n' ends a line, '\r' is ignored, '\t' goes to the next multiple of 8,
 * other bytes outside 0x20..0x7e show as '?'. Nothing happens before a successful init.
 */
void fbcon_write(struct fbcon *c, const char *s, size_t n);
/* The pixel value of colour 0xRRGGBB in @fb's RGB layout (each channel cut to its size). */
uint32_t fbcon_pixel(const struct mb2_framebuffer *fb, uint32_t rgb);

#endif
