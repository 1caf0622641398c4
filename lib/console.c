/*
 * Console: formats into a line buffer and sends whole lines to COM1 and port
 * 0xE9 (Bochs and QEMU debug console). Messages above the chosen level are
 * dropped. One lock around each write, so lines from several CPUs never mix.
 */
#include <stdarg.h>

#include "lib/console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "drivers/serial.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/spinlock.h"

#define COM1	 0x3f8
#define DEBUGCON 0xe9

static enum log_level level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

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

static spinlock_t console_lock = SPINLOCK_INIT;
static struct percpu *console_owner; /* holder of console_lock, NULL when free */

/*
 * A CPU that faults while it holds the lock (inside serial_putc, say) writes its
 * report without it rather than deadlock against itself.
 */
void console_write(const char *s, size_t n)
{
	struct percpu *me = this_cpu();
	bool nested = __atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me;

	if (!nested) {
		spin_lock(&console_lock);
		console_owner = me;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		outb(DEBUGCON, (uint8_t)s[i]);
	}
	if (!nested) {
		console_owner = NULL;
		spin_unlock(&console_lock);
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
