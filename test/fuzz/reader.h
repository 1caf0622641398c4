/*
 * The fuzz targets' input reader: little-endian values taken off the front of libFuzzer's
 * bytes, 0 once they run out.
 */
#ifndef TEST_FUZZ_READER_H
#define TEST_FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t take(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && r->n; i++, r->n--)
		v |= (uint64_t)*r->p++ << (8 * i);
	return v;
}

#endif
