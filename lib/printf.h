/*
 * printf-style formatting into a buffer; freestanding, also built on the host.
 * Supports %d %i %u %x %X %o %c %s %p %% with flags '-', '0', width, precision
 * (for %s), and length modifiers hh h l ll z.
 */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>
#include "lib/types.h"

/* Like vsnprintf: returns the length the full output would have. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
