/*
 * bench: the cost of each kind of exit, in TSC ticks per iteration (instructions under
 * Bochs, whose TSC counts them): N iterations of one exiting instruction, best of a few
 * runs, minus the same loop without it. Prints "BENCH <name> <ticks>" lines.
 */
#include "guests/testguest/guest.h"

#define BENCH_N	   1000
#define BENCH_RUNS 3

enum bench_op { B_EMPTY, B_CPUID, B_VMCALL, B_VMCALL_MIN, B_MMIO_SLOW, B_MMIO_FAST, B_PIO };

static const char *const bench_names[] = {
    [B_EMPTY] = "loop_overhead", [B_CPUID] = "cpuid_hv",
    [B_VMCALL] = "vmcall_null",	 [B_VMCALL_MIN] = "vmcall_null_min",
    [B_MMIO_SLOW] = "mmio_slow", [B_MMIO_FAST] = "mmio_fast",
    [B_PIO] = "pio_out80",
};

/* One timed loop of n iterations; the instruction under test is the only one added. */
static uint64_t bench_loop(enum bench_op op, unsigned n)
{
	uintptr_t slow = GPA_TESTDEV_SLOW + TD_SCRATCH, fast = GPA_TESTDEV + TD_SCRATCH;
	uint64_t t0 = rdtsc_ordered();

	switch (op) {
	case B_EMPTY:
		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
		break;
	case B_CPUID:
		__asm__ volatile("1: mov $0x40000000, %%eax; cpuid; dec %0; jnz 1b"
				 : "+r"(n)
				 :
				 : "rax", "rbx", "rcx", "rdx", "cc");
		break;
	case B_VMCALL:
		__asm__ volatile("1: mov $0, %%eax; vmcall; dec %0; jnz 1b"
				 : "+r"(n)
				 :
				 : "rax", "cc", "memory");
		break;
	case B_VMCALL_MIN:
		__asm__ volatile("1: mov $0xFFFF, %%eax; vmcall; dec %0; jnz 1b"
				 : "+r"(n)
				 :
				 : "rax", "cc", "memory");
		break;
	case B_MMIO_SLOW:
		__asm__ volatile("1: movl %k0, (%1); dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(slow)
				 : "cc", "memory");
		break;
	case B_MMIO_FAST:
		__asm__ volatile("1: movl %k0, (%1); dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(fast)
				 : "cc", "memory");
		break;
	case B_PIO:
		__asm__ volatile("1: outb %%al, $0x80; dec %0; jnz 1b" : "+r"(n) : "a"(0) : "cc");
		break;
	}
	return rdtsc_ordered() - t0;
}

static uint64_t bench_best(enum bench_op op)
{
	uint64_t best = ~0ULL;

	bench_loop(op, 1); /* warm up: the first MMIO trap sets up the fast path */
	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		uint64_t t = bench_loop(op, BENCH_N);

		best = t < best ? t : best;
	}
	return best;
}

void t_bench(void)
{
	unsigned traps = trap_fixups.count;
	uint64_t empty;

	gprintf("BENCH first_insn_tsc %llu\n", (unsigned long long)boot_tsc);
	hypercall(HC_NULL, 0, 0, 0);
	if (trap_fixups.count != traps) {
		t_fail("VMCALL raised vector %llu (no hypervisor?)",
		       (unsigned long long)trap_fixups.vector);
		return;
	}
	empty = bench_best(B_EMPTY);
	gprintf("BENCH %s %llu\n", bench_names[B_EMPTY], (unsigned long long)(empty / BENCH_N));
	for (unsigned op = B_CPUID; op < ARRAY_SIZE(bench_names); op++) {
		uint64_t t = bench_best((enum bench_op)op);
		int64_t per = ((int64_t)t - (int64_t)empty) / BENCH_N;

		gprintf("BENCH %s %lld\n", bench_names[op], (long long)per);
		if (per <= 0)
			t_fail("%s costs %lld ticks: no exit taken?", bench_names[op],
			       (long long)per);
	}
}
