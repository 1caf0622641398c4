/*
 * smp_bench (make bench): the figures of issue 13 as the guest sees them, in TSC ticks
 * and microseconds. AP start-up: from just before the first SIPI's ICR write (the BSP's
 * RDTSC) to the AP's first instruction (its RDTSC in the trampoline), per AP. IPI round
 * trip: the BSP sends a fixed IPI to AP 1, whose handler sends one back; the BSP times
 * from before its ICR write to its own handler's count, "smp_rounds=" times (default 200).
 * Assumes the CPUs' TSCs agree, as they do from reset.
 */
#include "guests/testguest/smp.h"

#define V_PING	 0x6F
#define V_PONG	 0x6E
#define ROUND_US 1000000

static void pong(unsigned vec)
{
	if (vec == V_PING)
		smp_send(smp_cpus[0].apic_id, ICR_DM_FIXED | ICR_ASSERT | V_PONG);
}

static bool wait_pong(uint32_t want)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(ROUND_US);
	volatile uint32_t *n = &smp_cpus[0].irq_count[V_PONG - SMP_VEC_FIRST];

	irq_on();
	while (READ_ONCE(*n) < want && rdtsc_ordered() < end)
		cpu_relax();
	irq_off();
	return READ_ONCE(*n) >= want;
}

static void bench_round_trip(void)
{
	unsigned rounds = (unsigned)arg_u64("smp_rounds", 200);
	uint64_t min = ~0ULL, sum = 0, max = 0;

	smp_irq_install();
	smp_irq_hook = pong;
	smp_clear_counts();
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t t0 = rdtsc_ordered(), d;

		smp_send(smp_cpus[1].apic_id, ICR_DM_FIXED | ICR_ASSERT | V_PING);
		if (!wait_pong(i + 1)) {
			t_fail(
			    "round %u: no IPI back from CPU 1 within %u us (CPU 1 took %u pings, "
			    "CPU 0 %u pongs)",
			    i, ROUND_US, smp_cpus[1].irq_count[V_PING - SMP_VEC_FIRST],
			    smp_cpus[0].irq_count[V_PONG - SMP_VEC_FIRST]);
			break;
		}
		d = rdtsc_ordered() - t0;
		min = MIN(min, d);
		max = MAX(max, d);
		sum += d;
	}
	smp_irq_hook = NULL;
	smp_irq_remove();
	if (t_failures() || !rounds)
		return;
	gprintf("smp_bench: IPI round trip CPU 0 -> 1 -> 0: min %llu avg %llu max %llu TSC ticks "
		"(avg %llu us) over %u rounds\n",
		(unsigned long long)min, (unsigned long long)(sum / rounds),
		(unsigned long long)max, (unsigned long long)pc_tsc_to_us(sum / rounds), rounds);
}

void t_smp_bench(void)
{
	t_end_with_hc_exit();
	if (!smp_bringup())
		return;
	if (smp_nr_cpus < 2) {
		t_fail("one CPU: nothing to measure");
		return;
	}
	for (unsigned c = 1; c < smp_nr_cpus; c++) {
		uint64_t d = smp_cpus[c].entry_tsc - smp_cpus[c].sipi_tsc[0];

		gprintf("smp_bench: AP %u start-up: %llu TSC ticks (%llu us) from the first SIPI's "
			"ICR write to its first instruction\n",
			c, (unsigned long long)d, (unsigned long long)pc_tsc_to_us(d));
	}
	bench_round_trip();
}
