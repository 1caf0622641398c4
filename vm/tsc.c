/*
 * Time conversions between microseconds and TSC ticks. Each splits the value into whole
 * seconds and a remainder so that no product exceeds 64 bits: the remainder's product is
 * below 10^6 * TSC_HZ_MAX < 2^64 (tsc_from_us), or below hz * 10^6 (tsc_to_us).
 */
#include "vm/tsc.h"

uint64_t tsc_from_us(uint64_t us, uint64_t hz)
{
	uint64_t whole, part = (us % TSC_US_PER_S * hz + TSC_US_PER_S - 1) / TSC_US_PER_S, t;

	if (__builtin_mul_overflow(us / TSC_US_PER_S, hz, &whole) ||
	    __builtin_add_overflow(whole, part, &t))
		return UINT64_MAX;
	return t;
}

uint64_t tsc_to_us(uint64_t ticks, uint64_t hz)
{
	uint64_t whole, t;

	if (__builtin_mul_overflow(ticks / hz, TSC_US_PER_S, &whole) ||
	    __builtin_add_overflow(whole, ticks % hz * TSC_US_PER_S / hz, &t))
		return UINT64_MAX;
	return t;
}
