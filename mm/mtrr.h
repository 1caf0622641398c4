/*
 * The memory types the MTRRs give host-physical ranges (SDM "Memory Type Range Registers
 * (MTRRs)"), as a model the direct map (arch/x86/mm.c) consults so that no large page
 * spans two types, which the SDM leaves undefined ("Large Page Size Considerations").
 * Pure: the caller reads the MSRs into struct mtrr_state; builds on the host.
 */
#ifndef MM_MTRR_H
#define MM_MTRR_H

#include "lib/types.h"

#define MTRR_UC	   0
#define MTRR_WC	   1
#define MTRR_WT	   4
#define MTRR_WP	   5
#define MTRR_WB	   6
#define MTRR_MIXED (-1) /* the range holds more than one type (or may: see mtrr_type) */

#define MTRR_MAX_VAR	 32
#define MTRR_NR_FIXED	 88 /* 8 x 64 KiB, 16 x 16 KiB, 64 x 4 KiB: [0, 1 MiB) */
#define MTRR_PHYS_VALID	 BIT(11)
#define MTRR_DEF_FE	 BIT(10)
#define MTRR_DEF_E	 BIT(11)
#define MTRR_FIXED_LIMIT (1 * MiB)

struct mtrr_state {
	bool present;		      /* CPUID.1:EDX.MTRR */
	uint64_t def_type;	      /* IA32_MTRR_DEF_TYPE: type 7:0, FE, E */
	bool has_fixed;		      /* IA32_MTRRCAP.FIX */
	uint8_t fixed[MTRR_NR_FIXED]; /* one type per fixed range, in address order */
	unsigned nr_var;	      /* IA32_MTRRCAP.VCNT, at most MTRR_MAX_VAR */
	uint64_t base[MTRR_MAX_VAR];  /* IA32_MTRR_PHYSBASEn */
	uint64_t mask[MTRR_MAX_VAR];  /* IA32_MTRR_PHYSMASKn */
	unsigned maxphyaddr;	      /* CPUID.80000008H:EAX[7:0] */
};

/*
 * The one memory type of every byte of the naturally aligned power-of-two range
 * [@start, @start + @size), or MTRR_MIXED. Conservative: a variable MTRR that covers
 * part of the range makes it MTRR_MIXED even where that would not change the type, so
 * a caller that splits MIXED ranges always ends with uniform pages (at 4 KiB every range
 * is uniform). Without MTRRs, or with them disabled, everything is UC.
 * @pre size is a power of two >= 4 KiB and start is a multiple of it
 */
int mtrr_type(const struct mtrr_state *m, uint64_t start, uint64_t size);

#endif
