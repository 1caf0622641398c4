/*
 * The hypervisor console: printf-style output with log levels to COM1,
 * mirrored to port 0xE9. Lines are emitted whole. Any code may call it.
 */
#ifndef LIB_CONSOLE_H
#define LIB_CONSOLE_H

#include "lib/types.h"

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void console_init(void);
int console_set_level(const char *name); /* "error", "warn", "info", "debug" */
void console_write(const char *s, size_t n);
void console_drain(void);
void printk(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/* Broken hypervisor invariant: print where, dump state, halt the machine. */
__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define BUG_ON(c)                                                                                  \
	do {                                                                                       \
		if (unlikely(c))                                                                   \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

#endif
