/*
 * The console backend on the machine: every byte to COM1 (CR before LF), to port
 * 0xE9 (Bochs's and QEMU's debug console) and, once hwcon_fb_start has taken it over,
 * to the boot loader's framebuffer (drivers/fbcon.c). Bytes written before that wait
 * in early[] and are replayed, so the screen shows the boot from its first line.
 * lib/console.c serialises calls; hwcon_fb_start runs before the APs start.
 */
#include "drivers/hwcon.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "arch/x86/percpu.h"
#include "arch/x86/power.h"
#include "drivers/fbcon.h"
#include "drivers/serial.h"
#include "lib/cmdline.h"
#include "lib/printf.h"

#define COM1	  0x3f8
#define DEBUGCON  0xe9
#define EARLY_LOG 8192

static struct fbcon fbc;
static bool fb_on;
static char early[EARLY_LOG];
static size_t early_len, early_lost;
static bool early_closed; /* hwcon_fb_start has run: early[] is no longer filled */

static void hwcon_init(void)
{
	serial_init(COM1);
}

static void hwcon_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		outb(DEBUGCON, (uint8_t)s[i]);
	}
	if (fb_on)
		fbcon_write(&fbc, s, n);
	for (size_t i = 0; i < n && !early_closed; i++) {
		if (early_len < EARLY_LOG)
			early[early_len++] = s[i];
		else
			early_lost++;
	}
}

static unsigned hwcon_cpu(void)
{
	return this_cpu()->index;
}

const struct console_backend hwcon_backend = {
    .init = hwcon_init,
    .write = hwcon_write,
    .drain = serial_drain,
    .cpu = hwcon_cpu,
};

static const char *const fb_type_names[] = {"indexed", "RGB", "EGA text"};

void hwcon_fb_start(const struct mb2_framebuffer *fb, const char *cmdline)
{
	char why[96];
	int ret;

	early_closed = true;
	if (cmdline_has(cmdline, "fbcon=off") || !fb->present) {
		pr_info("console: %s: serial and port 0xE9 only\n",
			fb->present ? "fbcon=off" : "no framebuffer from the boot loader");
		return;
	}
	ret = mm_map_uncached(fb->addr, fb->size);
	if (ret) {
		pr_err("console: framebuffer [0x%lx..0x%lx) cannot be mapped uncached (%d)\n",
		       fb->addr, fb->addr + fb->size, ret);
		return;
	}
	if (fbcon_init(&fbc, fb, hpa_to_va(hpa(fb->addr)), why, sizeof(why))) {
		pr_err("console: framebuffer not used: %s\n", why);
		return;
	}
	fbcon_write(&fbc, early, early_len);
	fb_on = true;
	if (early_lost)
		pr_warn("console: %lu early bytes not shown on the screen\n", early_lost);
	pr_info("console: framebuffer %ux%u %s %u bpp at 0x%lx, %ux%u characters\n", fb->width,
		fb->height, fb_type_names[fb->type], fb->bpp, fb->addr, fbc.cols, fbc.rows);
	power_hold_on_failure();
}
