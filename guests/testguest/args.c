/*
 * The guest's command line as "key=value" words separated by spaces (the first word with
 * the key wins). Read-only over boot.cmdline; callable once mb2_parse() has run.
 */
#include "guests/testguest/guest.h"
#include "lib/string.h"

const char *arg_value(const char *key)
{
	size_t n = strlen(key);

	for (const char *c = boot.cmdline; c && *c;) {
		while (*c == ' ')
			c++;
		if (!strncmp(c, key, n) && c[n] == '=')
			return c + n + 1;
		while (*c && *c != ' ')
			c++;
	}
	return NULL;
}

static int digit_value(char c, unsigned base)
{
	int d = c >= '0' && c <= '9'   ? c - '0'
		: c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10
				       : 99;

	return d < (int)base ? d : -1;
}

uint64_t arg_u64(const char *key, uint64_t def)
{
	const char *v = arg_value(key);
	unsigned base = 10;
	uint64_t n = 0;

	if (!v || !*v || *v == ' ')
		return def;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
	}
	for (; *v && *v != ' '; v++) {
		int d = digit_value(*v, base);

		if (d < 0 || n > (~0ULL - (uint64_t)d) / base) {
			gprintf("WARN %s=: not a number, using %llu\n", key,
				(unsigned long long)def);
			return def;
		}
		n = n * base + (uint64_t)d;
	}
	return n;
}

bool arg_is(const char *key, const char *value)
{
	const char *v = arg_value(key);
	size_t n = strlen(value);

	return v && !strncmp(v, value, n) && (v[n] == '\0' || v[n] == ' ');
}
