/*
 * Scenarios coalesced and coalesced_bench (config=coalesced): the test device at
 * GPA_TESTDEV_COAL coalesces its writes in the hypervisor's ring, the one at GPA_TESTDEV
 * does not. "coalesced" makes the same writes to both (every width, more writes than
 * the ring holds, string and read-modify-write forms, reads in between) and checks each
 * device's TD_COUNT and TD_SEQ against a model of the writes in order; its last write
 * waits in the ring for the VM's stop. "coalesced_bench"
 * prints "BENCH <name> <ticks>" for a coalesced and a plain write and a drain's entry.
 * "coalesced_restart" checks that a restart discards what waits in the ring.
 */
#include "guests/testguest/mmio.h"
#include "lib/printf.h"

#define GPA_TESTDEV_COAL 0xD0003000 /* config/builtin.c "coalesced" */
#define NR_STEPS	 200	    /* the ring holds 64 (vm/coalesced.h): several fill it */
#define READ_EVERY	 90	    /* more than the ring holds between two reads: it fills */

/* What a test device has seen: TD_SEQ and TD_COUNT, folded as docs/abi.md says. */
struct td_model {
	uint64_t seq;
	uint32_t count;
};

static uint64_t mask_of(unsigned width)
{
	return width == 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
}

static void model_write(struct td_model *m, uint64_t off, unsigned width, uint64_t v)
{
	m->seq = TD_SEQ_FOLD(m->seq, off, (uint64_t)width, v);
	m->count++;
}

static void mw(uintptr_t a, unsigned width, uint64_t v)
{
	switch (width) {
	case 1:
		mw8(a, (uint8_t)v);
		break;
	case 2:
		mw16(a, (uint16_t)v);
		break;
	case 4:
		mw32(a, (uint32_t)v);
		break;
	default:
		mw64(a, v);
	}
}

static uint64_t mr(uintptr_t a, unsigned width)
{
	return width == 1 ? mr8(a) : width == 2 ? mr16(a) : width == 4 ? mr32(a) : mr64(a);
}

/* Step @i's write: every width in turn, mostly scratch, every fifth the register of that width. */
static uint64_t step_off(unsigned i, unsigned width)
{
	static const uint64_t reg_of[9] = {[1] = TD_R8, [2] = TD_R16, [4] = TD_R32, [8] = TD_R64};

	return i % 5 == 4 ? reg_of[width] : TD_SCRATCH + 8 * (i % 97);
}

/* The same write to both devices, and to both models. */
static void both(struct td_model *mc, struct td_model *mp, uint64_t off, unsigned width, uint64_t v)
{
	v &= mask_of(width);
	mw(GPA_TESTDEV_COAL + off, width, v);
	mw(GPA_TESTDEV + off, width, v);
	model_write(mc, off, width, v);
	model_write(mp, off, width, v);
}

static void check(const char *dev, uintptr_t base, const struct td_model *m)
{
	char what[48];

	ksnprintf(what, sizeof(what), "%s TD_COUNT", dev);
	t_expect(what, mr32(base + TD_COUNT), m->count);
	ksnprintf(what, sizeof(what), "%s TD_SEQ", dev);
	t_expect(what, mr64(base + TD_SEQ), m->seq);
}

/* REP STOSD of 8 dwords and an ADD to R32 (a read, then a write) on device @base. */
static void string_and_alu(uintptr_t base, uint32_t fill)
{
	uintptr_t dst = base + TD_SCRATCH + 0x400;
	unsigned long n = 8;

	__asm__ volatile("cld; rep stosl" : "+D"(dst), "+c"(n) : "a"(fill) : "memory");
	__asm__ volatile("addl $1, (%0)" : : "r"(base + TD_R32) : "cc", "memory");
}

void t_coalesced(void)
{
	struct td_model mc = {0, mr32(GPA_TESTDEV_COAL + TD_COUNT) + 1};
	struct td_model mp = {0, mr32(GPA_TESTDEV + TD_COUNT) + 1};
	uint64_t v = 0x0123456789abcdefULL;
	uint32_t r32 = 0;

	t_expect("coalesced ID", mr32(GPA_TESTDEV_COAL + TD_ID), TD_ID_VALUE);
	mw64(GPA_TESTDEV_COAL + TD_SEQ, 0); /* TD_SEQ = 0, folding from the next write */
	mw64(GPA_TESTDEV + TD_SEQ, 0);
	for (unsigned i = 0; i < NR_STEPS; i++) {
		unsigned width = 1u << (i % 4);
		uint64_t off = step_off(i, width);

		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
		both(&mc, &mp, off, width, v);
		if (off == TD_R32)
			r32 = (uint32_t)v;
		if (i % READ_EVERY == READ_EVERY - 1) { /* the read drains: it sees every write */
			t_expect("coalesced TD_COUNT mid-way", mr32(GPA_TESTDEV_COAL + TD_COUNT),
				 mc.count);
			t_expect("coalesced read-back", mr(GPA_TESTDEV_COAL + off, width),
				 v & mask_of(width));
		}
	}
	for (unsigned d = 0; d < 2; d++) {
		struct td_model *m = d ? &mp : &mc;

		string_and_alu(d ? GPA_TESTDEV : GPA_TESTDEV_COAL, 0x5a5a0000);
		for (unsigned k = 0; k < 8; k++)
			model_write(m, TD_SCRATCH + 0x400 + 4 * k, 4, 0x5a5a0000);
		model_write(m, TD_R32, 4, (uint32_t)(r32 + 1));
	}
	check("coalesced", GPA_TESTDEV_COAL, &mc);
	check("plain", GPA_TESTDEV, &mp);
	gprintf("coalesced: %u writes to each device; TD_SEQ 0x%llx (coalesced) 0x%llx (plain)\n",
		NR_STEPS + 10, (unsigned long long)mr64(GPA_TESTDEV_COAL + TD_SEQ),
		(unsigned long long)mr64(GPA_TESTDEV + TD_SEQ));
	mw32(GPA_TESTDEV_COAL + TD_SCRATCH, 1); /* left in the ring: the stop drains it */
}

/*
 * ---- coalesced_restart (config=coalesced-restart, policy restart): boot 0 leaves writes
 * in the ring and restarts; boot 1 finds the device reset and nothing of them delivered ----
 */
#define RESTART_WRITES 5

void t_coalesced_restart(void)
{
	struct hc_vm_info info;
	long restarts = vm_restarts(&info);

	t_end_with_hc_exit(); /* its end must not restart it again */
	if (restarts == 0) {
		for (unsigned i = 0; i < RESTART_WRITES; i++)
			mw32(GPA_TESTDEV_COAL + TD_R32, i);
		gprintf("coalesced_restart: boot 0 left %u writes in the ring\n", RESTART_WRITES);
		guest_exit(0); /* the restart policy boots it again */
	}
	t_expect("boot after the restart", (uint64_t)restarts, 1);
	t_expect("TD_COUNT after the restart", mr32(GPA_TESTDEV_COAL + TD_COUNT), 0);
	t_expect("TD_R32 after the restart", mr32(GPA_TESTDEV_COAL + TD_R32), 0);
	for (unsigned i = 0; i < 3; i++)
		mw8(GPA_TESTDEV_COAL + TD_R8, (uint8_t)i);
	t_expect("TD_COUNT of this boot's writes", mr32(GPA_TESTDEV_COAL + TD_COUNT), 3);
	gprintf("coalesced_restart: boot 1 sees a fresh device\n");
}

/* ---- coalesced_bench ---- */

#define BENCH_N	      1000
#define BENCH_RUNS    5
#define DRAIN_ENTRIES 63 /* below the ring's 64: the read alone drains them */

static uint64_t write_loop(uintptr_t a, unsigned n)
{
	uint64_t t0 = rdtsc_ordered();

	if (!a)
		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
	else
		__asm__ volatile("1: movl %k0, (%1); dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(a)
				 : "cc", "memory");
	return rdtsc_ordered() - t0;
}

static uint64_t best_loop(uintptr_t a)
{
	uint64_t best = ~0ULL;

	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		uint64_t t = write_loop(a, BENCH_N);

		best = t < best ? t : best;
	}
	return best;
}

/* A read that drains @entries waiting writes, in ticks (the ring emptied first). */
static uint64_t drain_read(unsigned entries)
{
	uint64_t t0;

	(void)mr32(GPA_TESTDEV_COAL + TD_ID);
	for (unsigned i = 0; i < entries; i++)
		mw32(GPA_TESTDEV_COAL + TD_SCRATCH + 4 * i, i);
	t0 = rdtsc_ordered();
	(void)mr32(GPA_TESTDEV_COAL + TD_COUNT);
	return rdtsc_ordered() - t0;
}

static uint64_t best_drain(unsigned entries)
{
	uint64_t best = ~0ULL;

	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		uint64_t t = drain_read(entries);

		best = t < best ? t : best;
	}
	return best;
}

static void bench_print(const char *name, int64_t v)
{
	gprintf("BENCH %s %lld\n", name, (long long)v);
	if (v <= 0)
		t_fail("%s costs %lld ticks", name, (long long)v);
}

void t_coalesced_bench(void)
{
	uint64_t empty, coal, plain, d0, dn;

	write_loop(GPA_TESTDEV_COAL + TD_SCRATCH, 1); /* the first trap marks each page */
	write_loop(GPA_TESTDEV + TD_SCRATCH, 1);
	empty = best_loop(0);
	coal = best_loop(GPA_TESTDEV_COAL + TD_SCRATCH);
	plain = best_loop(GPA_TESTDEV + TD_SCRATCH);
	d0 = best_drain(0);
	dn = best_drain(DRAIN_ENTRIES);
	bench_print("mmio_coalesced_write", ((int64_t)coal - (int64_t)empty) / BENCH_N);
	bench_print("mmio_plain_write", ((int64_t)plain - (int64_t)empty) / BENCH_N);
	bench_print("mmio_coalesced_read_empty", (int64_t)d0);
	bench_print("mmio_coalesced_drain_entry", ((int64_t)dn - (int64_t)d0) / DRAIN_ENTRIES);
}
