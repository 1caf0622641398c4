/*
 * smp_start: the BSP takes the CPU list from the ACPI MADT and starts every AP with the
 * SDM's INIT-SIPI-SIPI (smp.c); each AP reaches long mode, loads its stack, enables its
 * local APIC (SVR 0x1ff) and records its APIC ID. Checked: each MADT CPU came up exactly
 * once, with the ID the MADT gives; no AP started before its SIPI's ICR write; a SIPI sent
 * again to a running AP is ignored (SDM: a SIPI reaches only a CPU in wait-for-SIPI): its
 * boot count stays 1, no new arrival, and it still runs work.
 */
#include "guests/testguest/smp.h"

#define RESIPI_WAIT_US 10000

static void ap_read_id(void *arg)
{
	(void)arg;
	smp_this()->result = smp_lapic_read(APIC_ID) >> 24;
}

static void check_ap(struct smp_cpu *c)
{
	unsigned by = c->entry_tsc < c->sipi_tsc[1] ? 1 : 2;

	t_expect("AP boot count", c->boots, 1);
	if (c->seen_apic_id != c->apic_id)
		t_fail("AP %u reads APIC ID %u, the MADT says %u", c->index, c->seen_apic_id,
		       c->apic_id);
	if ((c->svr & 0x1FF) != (APIC_SVR_ENABLE | VEC_SPURIOUS))
		t_fail("AP %u: SVR 0x%x after enabling, want 0x1ff", c->index, c->svr);
	if (c->entry_tsc < c->sipi_tsc[0])
		t_fail("AP %u ran (TSC %llu) before its first SIPI was sent (TSC %llu)", c->index,
		       (unsigned long long)c->entry_tsc, (unsigned long long)c->sipi_tsc[0]);
	gprintf("smp_start: AP %u (APIC ID %u) started by SIPI %u, first instruction %llu TSC "
		"ticks after the first SIPI's ICR write\n",
		c->index, c->apic_id, by, (unsigned long long)(c->entry_tsc - c->sipi_tsc[0]));
}

static void check_unique_ids(void)
{
	for (unsigned i = 0; i < smp_nr_cpus; i++)
		for (unsigned k = i + 1; k < smp_nr_cpus; k++)
			if (smp_cpus[i].apic_id == smp_cpus[k].apic_id)
				t_fail("CPUs %u and %u share APIC ID %u", i, k,
				       smp_cpus[i].apic_id);
}

static void check_sipi_ignored(void)
{
	extern volatile uint32_t smp_ap_arrivals;
	uint32_t arrivals = smp_ap_arrivals;

	for (unsigned c = 1; c < smp_nr_cpus; c++)
		if (!smp_sipi_again(c))
			t_fail("AP %u: the extra SIPI stayed pending", c);
	pc_delay_us(RESIPI_WAIT_US);
	t_expect("AP arrivals after an extra SIPI to each running AP", smp_ap_arrivals, arrivals);
	for (unsigned c = 1; c < smp_nr_cpus; c++) {
		t_expect("AP boot count after an extra SIPI", smp_cpus[c].boots, 1);
		smp_cpus[c].result = ~0ULL;
		if (smp_call(c, ap_read_id, NULL))
			t_expect("APIC ID read by the AP after the extra SIPI", smp_cpus[c].result,
				 smp_cpus[c].apic_id);
	}
	gprintf("smp_start: a SIPI to each running AP was ignored\n");
}

void t_smp_start(void)
{
	t_end_with_hc_exit();
	if (!smp_bringup())
		return;
	check_unique_ids();
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		check_ap(&smp_cpus[c]);
	check_sipi_ignored();
	gprintf("smp_start: %u CPUs up\n", smp_nr_cpus);
}
