/*
 * The machine's console backend: COM1 (polled 16550) mirrored to port 0xE9 and, from
 * hwcon_fb_start on, to the boot loader's framebuffer.
 */
#ifndef DRIVERS_HWCON_H
#define DRIVERS_HWCON_H

#include "fw/mb2.h"
#include "lib/console.h"

extern const struct console_backend hwcon_backend;

/*
 * Mirror the console to @fb (the multiboot2 framebuffer tag) unless @cmdline says
 * "fbcon=off": map it uncached, clear it, replay the lines printed so far, and from
 * then on leave the screen up (halt, no ACPI power-off) when the run fails.
 * Prints one line saying what it did. @pre after mm_direct_map, before smp_init.
 */
void hwcon_fb_start(const struct mb2_framebuffer *fb, const char *cmdline);

#endif
