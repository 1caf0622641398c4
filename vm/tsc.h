/*
 * Configuration times (microseconds) in TSC ticks and back, at the TSC rate measured at
 * boot (drivers/clock.c), so that one configuration means the same time on Bochs (TSC =
 * instructions at a nominal 10 MHz), nested KVM and hardware. Pure 64-bit arithmetic:
 * builds on the host and in the image (no 128-bit division there).
 */
#ifndef VM_TSC_H
#define VM_TSC_H

#include "lib/types.h"

#define TSC_US_PER_S 1000000ULL
#define TSC_HZ_MAX   (1ULL << 44) /* keeps every product below 2^64 (16 THz) */

/*
 * TSC ticks in @us microseconds at @hz, rounded up (a deadline never comes early, and
 * any nonzero time is at least one tick); UINT64_MAX when the result does not fit.
 * @pre 0 < hz < TSC_HZ_MAX
 */
uint64_t tsc_from_us(uint64_t us, uint64_t hz);
/* Whole microseconds in @ticks at @hz (rounded down), UINT64_MAX when it does not fit. @pre hz > 0 */
uint64_t tsc_to_us(uint64_t ticks, uint64_t hz);

#endif
