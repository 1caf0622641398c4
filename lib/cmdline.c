/*
 * Command-line words: "key=value" and bare words separated by spaces. Pure
 * string work; builds on the host.
 */
#include "lib/cmdline.h"
#include "lib/string.h"

void strncpy_safe(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Find @key as a whole word, followed by '=' when @eq, at a word start. */
static const char *find_word(const char *s, const char *key, bool eq)
{
	size_t k = strlen(key);

	for (const char *p = s; *p; p++) {
		if ((p != s && p[-1] != ' ') || strncmp(p, key, k) != 0)
			continue;
		if (eq ? p[k] == '=' : (p[k] == ' ' || p[k] == '\0'))
			return p + k + (eq ? 1 : 0);
	}
	return NULL;
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
	const char *v = find_word(cmdline, key, true);
	size_t n = 0;

	if (!v)
		return false;
	while (v[n] && v[n] != ' ' && n + 1 < len) {
		buf[n] = v[n];
		n++;
	}
	buf[n] = '\0';
	return true;
}

bool cmdline_has(const char *cmdline, const char *word)
{
	return find_word(cmdline, word, false) != NULL;
}
