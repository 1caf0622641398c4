/* kestrel's console font (drivers/font8x16.c): 8x16 cells, ASCII 0x20..0x7e, no state. */
#ifndef DRIVERS_FONT_H
#define DRIVERS_FONT_H

#include "lib/types.h"

#define FONT_WIDTH  8
#define FONT_HEIGHT 16
#define FONT_FIRST  0x20 /* the space */
#define FONT_LAST   0x7e /* the tilde */
#define FONT_GLYPHS (FONT_LAST - FONT_FIRST + 1)

/* Row r of character c is font8x16[c - FONT_FIRST][r]; bit 7 is the leftmost pixel. */
extern const uint8_t font8x16[FONT_GLYPHS][FONT_HEIGHT];

#endif
