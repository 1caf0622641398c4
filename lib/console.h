/*
 * The hypervisor console: printf-style output with log levels, written whole
 * lines at a time to a backend (on the machine: COM1 and port 0xE9, see
 * drivers/hwcon.h). Any code may call it; before console_init it prints nothing.
 */
#ifndef LIB_CONSOLE_H
#define LIB_CONSOLE_H

#include "lib/types.h"

/* LOG_ALWAYS is printed whatever the level: the guests' own consoles, the final status. */
enum log_level { LOG_ALWAYS, LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Where the bytes go: write them, wait for them to leave, and who is calling. */
struct console_backend {
	void (*init)(void);
	void (*write)(const char *s, size_t n);
	void (*drain)(void);
	unsigned (*cpu)(void); /* the calling CPU's index, for the nested-write check */
};

void console_init(const struct console_backend *b);
bool console_enabled(enum log_level lvl);
int console_set_level(const char *name); /* "error", "warn", "info", "debug" */
void console_write(const char *s, size_t n);
void console_drain(void);
void printk(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_always(...) printk(LOG_ALWAYS, __VA_ARGS__)
#define pr_err(...)    printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)   printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  printk(LOG_DEBUG, __VA_ARGS__)

/* Broken hypervisor invariant: print where, dump state, halt the machine. */
__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define BUG_ON(c)                                                                                  \
	do {                                                                                       \
		if (unlikely(c))                                                                   \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

#endif
