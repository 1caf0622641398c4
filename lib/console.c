/*
 * Console: formats into a line buffer and sends whole lines to COM1 and port
 * 0xE9 (Bochs and QEMU debug console). Messages above the chosen level are
 * dropped. Single CPU for now: no lock.
 */
#include <stdarg.h>

#include "lib/console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "drivers/serial.h"
#include "arch/x86/cpu.h"

#define COM1 0x3f8
#define DEBUGCON 0xe9

static enum log_level level = LOG_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void console_init(void)
{
	serial_init(COM1);
}

int console_set_level(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		outb(DEBUGCON, (uint8_t)s[i]);
	}
}

void console_drain(void)
{
	serial_drain();
}

static void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	if (lvl > level)
		return;
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	console_write(buf, (size_t)n);
}

void printk(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(lvl, fmt, ap);
	va_end(ap);
}
