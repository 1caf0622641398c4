/* Words of a command line ("key=value" and bare words), as GRUB passes them. */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include "lib/types.h"

/* Copy the value of "key=value" from @cmdline into @buf; true when present. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
bool cmdline_has(const char *cmdline, const char *word);
/* Copy at most len-1 bytes of @src and terminate. @pre len > 0. */
void strncpy_safe(char *dst, const char *src, size_t len);

#endif
