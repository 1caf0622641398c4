/*
 * Read a whole file into a malloc'd buffer for host tests (built images, the fetched Debian
 * kernel): NULL when the file is not there, so a test can skip. Include after cmocka.h.
 */
#ifndef TEST_UNIT_SLURP_H
#define TEST_UNIT_SLURP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return p;
}

#endif
