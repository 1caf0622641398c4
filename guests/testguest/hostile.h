/*
 * The hostile scenario's view of its own guest-physical map (from the Multiboot2 memory
 * map, types 1 and 2, merged) and its attack 0 (t_probes.c). Used by t_hostile.c only.
 */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

#include "guests/testguest/guest.h"

#define HOSTILE_MAX_REGIONS BOOT_MAX_MMAP

struct hostile_map {
	unsigned nr;
	uint64_t lo[HOSTILE_MAX_REGIONS], hi[HOSTILE_MAX_REGIONS]; /* sorted, merged */
	uint64_t ram_end;    /* end of the RAM entry holding the image */
	bool ram_end_free;   /* nothing of the map right after it */
	uint64_t phys_limit; /* 2^MAXPHYADDR: the guest cannot map beyond it */
};

/* Runs every probe of attack 0; returns how many gave the promised answer (each failure
 * is also a t_fail()). */
unsigned hostile_probes(const struct hostile_map *m, uint32_t self);

#endif
