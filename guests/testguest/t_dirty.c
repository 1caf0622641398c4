/*
 * dirty: HC_DIRTY_LOG against the "dirty" configurations (config/builtin.c): region 1 is
 * logged from boot (REGION_F_LOG_DIRTY; "dirty-wp": turned on first), region 2 is first
 * written while not logged (so
 * it is mapped by 2 MiB leaves) and then turned on by the guest. Each harvest must be
 * exactly the pages written since the last one; a second harvest is empty; a write after
 * a harvest shows again; every refusal of the hypercall is checked.
 */
#include "guests/testguest/guest.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define R1	  1
#define R1_GPA	  (32 * MiB)
#define R2	  2
#define R2_GPA	  (36 * MiB)
#define R_PAGES	  1024 /* 4 MiB each: two 2 MiB chunks */
#define BM_WORDS  (R_PAGES / 64)
#define OP_ENABLE 0
#define OP_OFF	  1
#define OP_HARV	  2

static uint64_t bm[BM_WORDS + 1];

/* HC_DIRTY_LOG: RDI op, RSI region, RDX the bitmap's GPA, R10 its size in bytes. */
static long hc_dirty(long op, long region, uint64_t buf, uint64_t bytes)
{
	register uint64_t r10 __asm__("r10") = bytes;
	long ret = HC_DIRTY_LOG;

	__asm__ volatile("1: vmcall\n2:\n" EXTABLE("1b", "2b")
			 : "+a"(ret)
			 : "D"(op), "S"(region), "d"(buf), "r"(r10)
			 : "memory");
	return ret;
}

static void touch(uint64_t base, const unsigned *pages, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		volatile uint32_t *p = (volatile uint32_t *)(base + pages[i] * PAGE_SIZE);

		p[(pages[i] * 37) % 1024] = 0xd1d1d1d1u; /* somewhere in the page */
		p[0] += 1;				 /* and a second write: one fault */
	}
}

/* Harvest @region and compare with @want (ascending); prints the set found. */
static bool harvest_is(const char *what, long region, const unsigned *want, unsigned n)
{
	char line[160];
	unsigned len = 0, k = 0;
	bool ok = true;
	long got;

	memset(bm, 0xa5, sizeof(bm));
	got = hc_dirty(OP_HARV, region, (uint64_t)bm, BM_WORDS * 8);
	for (unsigned p = 0; p < R_PAGES; p++) {
		if (!(bm[p / 64] & BIT(p % 64)))
			continue;
		if (len < sizeof(line) - 8)
			len += (unsigned)ksnprintf(line + len, sizeof(line) - len, " %u", p);
		ok &= k < n && want[k] == p;
		k++;
	}
	line[len] = '\0';
	gprintf("dirty: %s: harvest of region %ld: %ld pages:%s\n", what, region, got, line);
	ok &= k == n && got == (long)n && bm[BM_WORDS] == 0xa5a5a5a5a5a5a5a5ULL;
	if (!ok)
		t_fail("%s: region %ld harvest %ld pages, want %u", what, region, got, n);
	return ok;
}

static void refusals(void)
{
	static const unsigned r1_page[] = {5};

	t_expect("op 3", (uint64_t)hc_dirty(3, R1, (uint64_t)bm, 8 * BM_WORDS), (uint64_t)-EINVAL);
	t_expect("region 9", (uint64_t)hc_dirty(OP_ENABLE, 9, 0, 0), (uint64_t)-EINVAL);
	t_expect("region 2^32 + 1", (uint64_t)hc_dirty(OP_ENABLE, (1L << 32) + 1, 0, 0),
		 (uint64_t)-EINVAL);
	t_expect("op 2^32", (uint64_t)hc_dirty(1L << 32, R1, (uint64_t)bm, 8 * BM_WORDS),
		 (uint64_t)-EINVAL);
	t_expect("buffer short", (uint64_t)hc_dirty(OP_HARV, R1, (uint64_t)bm, 8 * BM_WORDS - 1),
		 (uint64_t)-ENOSPC);
	touch(R1_GPA, r1_page, 1);
	t_expect("buffer outside RAM", (uint64_t)hc_dirty(OP_HARV, R1, 0xd0000000ULL, 8 * BM_WORDS),
		 (uint64_t)-EFAULT);
	t_expect("buffer wraps", (uint64_t)hc_dirty(OP_HARV, R1, ~0ULL - 7, 8 * BM_WORDS),
		 (uint64_t)-EFAULT);
	harvest_is("nothing lost by the refused harvests", R1, r1_page, 1);
}

/* Every page of region 1: more than one PML log holds (512), so a PML-full exit too. */
static void sweep(void)
{
	static unsigned all[R_PAGES];

	for (unsigned p = 0; p < R_PAGES; p++)
		all[p] = p;
	touch(R1_GPA, all, R_PAGES);
	harvest_is("sweep", R1, all, R_PAGES);
	harvest_is("after the sweep", R1, NULL, 0);
}

void t_dirty(void)
{
	static const unsigned set_a[] = {0, 1, 7, 64, 511, 512, 1023};
	static const unsigned set_b[] = {7, 300};
	static const unsigned set_c[] = {3, 600, 1000};
	static const unsigned set_d[] = {3};
	volatile uint32_t *r1 = (volatile uint32_t *)R1_GPA;
	unsigned before = trap_fixups.count;

	/* Region 1, logged from boot (a no-op then) or now: a read maps a chunk, zeroing is no write. */
	t_expect("enable region 1", (uint64_t)hc_dirty(OP_ENABLE, R1, 0, 0), 0);
	if (hypercall_faulted(before)) {
		t_fail("no hypervisor");
		return;
	}
	t_expect("read of fresh RAM", r1[3 * 1024], 0);
	harvest_is("after a read", R1, NULL, 0);
	touch(R1_GPA, set_a, ARRAY_SIZE(set_a));
	harvest_is("first writes", R1, set_a, ARRAY_SIZE(set_a));
	harvest_is("again", R1, NULL, 0);
	touch(R1_GPA, set_b, ARRAY_SIZE(set_b));
	harvest_is("after the harvest", R1, set_b, ARRAY_SIZE(set_b));

	/* Region 2: written while off (2 MiB leaves), then on: the leaves split. */
	t_expect("harvest while off", (uint64_t)hc_dirty(OP_HARV, R2, (uint64_t)bm, 8 * BM_WORDS),
		 (uint64_t)-EINVAL);
	for (unsigned p = 0; p < R_PAGES; p += 256)
		((volatile uint32_t *)(R2_GPA + p * PAGE_SIZE))[1] = p;
	t_expect("enable", (uint64_t)hc_dirty(OP_ENABLE, R2, 0, 0), 0);
	t_expect("enable again", (uint64_t)hc_dirty(OP_ENABLE, R2, 0, 0), 0);
	harvest_is("enabled", R2, NULL, 0);
	touch(R2_GPA, set_c, ARRAY_SIZE(set_c));
	harvest_is("in split 2 MiB leaves", R2, set_c, ARRAY_SIZE(set_c));
	harvest_is("again", R2, NULL, 0);
	touch(R2_GPA, set_d, ARRAY_SIZE(set_d));
	harvest_is("after the harvest", R2, set_d, ARRAY_SIZE(set_d));
	t_expect("off", (uint64_t)hc_dirty(OP_OFF, R2, 0, 0), 0);
	touch(R2_GPA, set_c, ARRAY_SIZE(set_c));
	t_expect("harvest when off", (uint64_t)hc_dirty(OP_HARV, R2, (uint64_t)bm, 8 * BM_WORDS),
		 (uint64_t)-EINVAL);
	t_expect("data kept", ((volatile uint32_t *)(R2_GPA + 512 * PAGE_SIZE))[1], 512);
	refusals();
	sweep();
}
