/*
 * Console front end: log levels, printf-style formatting and one lock around
 * each write, so lines from several CPUs never mix. Bytes go to the backend
 * given at console_init (drivers/hwcon.c on the machine; nothing before it).
 */
#include <stdarg.h>

#include "lib/console.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define NO_OWNER (~0u)

static enum log_level level = LOG_INFO;
static const char *const level_names[] = {"always", "error", "warn", "info", "debug"};
static const struct console_backend *backend;

void console_init(const struct console_backend *b)
{
	backend = b;
	if (b->init)
		b->init();
}

int console_set_level(const char *name)
{
	for (unsigned i = LOG_ERR; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

bool console_enabled(enum log_level lvl)
{
	return lvl <= level;
}

static spinlock_t console_lock = SPINLOCK_INIT;
static unsigned console_owner = NO_OWNER; /* CPU holding console_lock */

/*
 * A CPU that faults while it holds the lock (inside the backend, say) writes
 * its report without it rather than deadlock against itself.
 */
void console_write(const char *s, size_t n)
{
	unsigned me;
	bool nested;

	if (!backend)
		return;
	me = backend->cpu();
	nested = __atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me;
	if (!nested) {
		spin_lock(&console_lock);
		console_owner = me;
	}
	backend->write(s, n);
	if (!nested) {
		console_owner = NO_OWNER;
		spin_unlock(&console_lock);
	}
}

void console_drain(void)
{
	if (backend && backend->drain)
		backend->drain();
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
