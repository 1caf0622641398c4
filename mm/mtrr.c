/*
 * Memory types from a model of the MTRRs: the fixed ranges below 1 MiB when enabled
 * (IA32_MTRR_DEF_TYPE.FE), the variable ranges elsewhere, the default type where none
 * matches. Overlapping variable ranges combine as the SDM says: UC wins, WT over WB,
 * any other mix is undefined and taken as UC.
 */
#include "mm/mtrr.h"

#define UNSET (-2)

/* The first byte of fixed range @i: 64 KiB, then 16 KiB from 512 KiB, 4 KiB from 768 KiB. */
static uint64_t fixed_start(unsigned i)
{
	if (i < 8)
		return (uint64_t)i * 64 * KiB;
	if (i < 24)
		return 512 * KiB + (uint64_t)(i - 8) * 16 * KiB;
	return 768 * KiB + (uint64_t)(i - 24) * 4 * KiB;
}

static uint64_t fixed_size(unsigned i)
{
	return i < 8 ? 64 * KiB : i < 24 ? 16 * KiB : 4 * KiB;
}

static int merge_same(int t, int u)
{
	return t == UNSET || t == u ? u : MTRR_MIXED;
}

/* Several variable ranges match one address (SDM "MTRR Precedences"). */
static int overlap(int t, int u)
{
	if (t == UNSET || t == u)
		return u;
	if (t == MTRR_UC || u == MTRR_UC)
		return MTRR_UC;
	if ((t == MTRR_WT && u == MTRR_WB) || (t == MTRR_WB && u == MTRR_WT))
		return MTRR_WT;
	return MTRR_UC; /* undefined by the SDM: the safe choice */
}

static int fixed_type(const struct mtrr_state *m, uint64_t start, uint64_t end)
{
	int t = UNSET;

	for (unsigned i = 0; i < MTRR_NR_FIXED; i++)
		if (fixed_start(i) < end && start < fixed_start(i) + fixed_size(i))
			t = merge_same(t, m->fixed[i]);
	return t;
}

static int var_type(const struct mtrr_state *m, uint64_t start, uint64_t size)
{
	uint64_t phys = GENMASK(MIN(MAX(m->maxphyaddr, 36u), 52u) - 1, 12);
	int t = UNSET;

	for (unsigned i = 0; i < m->nr_var && i < MTRR_MAX_VAR; i++) {
		uint64_t mask = m->mask[i] & phys;

		uint64_t high = mask & ~(size - 1);

		if (!(m->mask[i] & MTRR_PHYS_VALID) || (start & high) != (m->base[i] & high))
			continue; /* no address of the range matches */
		if (mask & (size - 1))
			return MTRR_MIXED; /* the range's low bits decide: only part matches */
		t = overlap(t, (int)(m->base[i] & 0xff));
	}
	return t == UNSET ? (int)(m->def_type & 0xff) : t;
}

int mtrr_type(const struct mtrr_state *m, uint64_t start, uint64_t size)
{
	uint64_t end = start + size;
	int v, f;

	if (!m->present || !(m->def_type & MTRR_DEF_E))
		return MTRR_UC;
	v = var_type(m, start, size);
	if (!m->has_fixed || !(m->def_type & MTRR_DEF_FE) || start >= MTRR_FIXED_LIMIT)
		return v;
	f = fixed_type(m, start, MIN(end, MTRR_FIXED_LIMIT));
	if (end <= MTRR_FIXED_LIMIT)
		return f;
	return f == v ? f : MTRR_MIXED;
}
