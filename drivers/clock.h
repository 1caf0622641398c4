/*
 * The host's clocks, read once at boot: the TSC's rate (measured against the
 * 8254's channel 2, else CPUID leaf 0x15/0x16) and the CMOS wall clock.
 */
#ifndef DRIVERS_CLOCK_H
#define DRIVERS_CLOCK_H

#include "lib/types.h"

/* TSC ticks per second; *how names the source ("PIT", "CPUID 0x15", ...); 0 when unknown. */
uint64_t clock_tsc_hz(const char **how);

/* The CMOS clock's date and time (assumed UTC); 0, or -1 when it never settles. */
struct clock_time {
	int year, mon, mday, hour, min, sec;
};
int clock_cmos_time(struct clock_time *t);

#endif
