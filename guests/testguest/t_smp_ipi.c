/*
 * smp_ipi: IPIs between the CPUs in every mode arrive exactly once, where the SDM says
 * ("Local APIC", "Determining IPI Destination", "x2APIC Logical Destination Mode"):
 * fixed physical to each AP; xAPIC logical flat (DFR 0xffffffff, LDR bit per CPU) to each
 * AP and to a set; xAPIC logical cluster (DFR 0x0fffffff, CPU i in cluster i/2, member bit
 * i%2); the shorthands self, all-including-self, all-excluding-self (from the BSP and from
 * AP 1); NMI to each AP; lowest priority to a set (exactly one target takes it); then, when
 * CPUID has x2APIC, x2APIC physical and cluster (LDR derived from the x2APIC ID and
 * read-only), all-excluding-self and the SELF IPI MSR. Each check has its own vector; each
 * CPU counts arrivals per vector; a check waits for the counts, then a settle time for
 * duplicates, and compares every CPU's count exactly. Ends with every CPU in xAPIC mode
 * (x2APIC -> disabled -> xAPIC, the SDM's way back), DFR flat, LDR 0.
 * Bochs departs from the SDM twice here, so bare Bochs runs pass "bochs_quirks=1": its
 * x2APIC LDR reads 0 (not derived from the ID, so cluster IPIs reach no one: the LDR and
 * cluster checks are skipped), and once IA32_APIC_BASE[11] is cleared it ignores every
 * later write to the MSR, as P6 did (the CPUs stay in x2APIC mode instead).
 */
#include "guests/testguest/smp.h"

#define DELIVER_US 1000000
#define SETTLE_US  2000
#define V_PHYS	   0x60
#define V_FLAT	   0x61
#define V_FLAT_SET 0x62
#define V_CLU	   0x63
#define V_CLU_SET  0x64
#define V_SELF	   0x65
#define V_ALL	   0x66
#define V_OTHERS   0x67
#define V_AP_OTH   0x68
#define V_LOWEST   0x69
#define V_X2_PHYS  0x6A
#define V_X2_CLU   0x6B
#define V_X2_SET   0x6C
#define V_X2_OTH   0x6D
#define V_X2_SELF  0x6E
#define FIXED	   (ICR_DM_FIXED | ICR_ASSERT)

struct ldr_set {
	uint32_t dfr;
	uint32_t ldr[SMP_MAX_CPUS]; /* xAPIC: LDR register values (ID in bits 31:24) */
};

struct ap_ipi {
	uint32_t dest, icr;
};

static uint32_t count_of(unsigned cpu, unsigned vec)
{
	return vec ? smp_cpus[cpu].irq_count[vec - SMP_VEC_FIRST] : smp_cpus[cpu].nmi_count;
}

static bool reached(unsigned vec, const uint32_t want[])
{
	for (unsigned c = 0; c < smp_nr_cpus; c++)
		if (count_of(c, vec) < want[c])
			return false;
	return true;
}

/* vec 0: NMIs. IF = 1 while waiting, so the BSP takes its own. */
static void expect_counts(const char *what, unsigned vec, const uint32_t want[])
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(DELIVER_US);

	irq_on();
	while (!reached(vec, want) && rdtsc_ordered() < end)
		cpu_relax();
	pc_delay_us(SETTLE_US);
	irq_off();
	for (unsigned c = 0; c < smp_nr_cpus; c++)
		if (count_of(c, vec) != want[c])
			t_fail("%s: CPU %u took %s %u times, want %u", what, c,
			       vec ? "its vector" : "NMI", count_of(c, vec), want[c]);
}

static void send_or_fail(const char *what, uint32_t dest, uint32_t icr)
{
	if (!smp_send(dest, icr))
		t_fail("%s: the ICR's delivery status stayed pending", what);
}

/* Send, then expect exactly one on each CPU in mask and none elsewhere. */
static void ipi_to(const char *what, uint32_t dest, uint32_t icr, unsigned vec, unsigned mask)
{
	uint32_t want[SMP_MAX_CPUS];

	for (unsigned c = 0; c < smp_nr_cpus; c++)
		want[c] = !!(mask & BIT(c));
	smp_clear_counts();
	send_or_fail(what, dest, icr);
	expect_counts(what, vec, want);
}

static unsigned all_mask(void)
{
	return (unsigned)BIT(smp_nr_cpus) - 1;
}

static void check_physical(void)
{
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		ipi_to("fixed physical", smp_cpus[c].apic_id, FIXED | V_PHYS, V_PHYS, BIT(c));
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		ipi_to("NMI", smp_cpus[c].apic_id, ICR_DM_NMI | ICR_ASSERT, 0, BIT(c));
}

static void set_ldr(void *arg)
{
	const struct ldr_set *s = arg;
	struct smp_cpu *me = smp_this();

	smp_lapic_write(APIC_DFR, s->dfr);
	smp_lapic_write(APIC_LDR, s->ldr[me->index]);
	me->result = (uint64_t)smp_lapic_read(APIC_DFR) << 32 | smp_lapic_read(APIC_LDR);
}

static bool program_ldr(const char *what, const struct ldr_set *s)
{
	if (!smp_call_all(set_ldr, (void *)s))
		return false;
	for (unsigned c = 0; c < smp_nr_cpus; c++) {
		uint64_t want = (uint64_t)s->dfr << 32 | s->ldr[c];

		if (smp_cpus[c].result != want) {
			t_fail("%s: CPU %u reads DFR:LDR 0x%llx, want 0x%llx", what, c,
			       (unsigned long long)smp_cpus[c].result, (unsigned long long)want);
			return false;
		}
	}
	return true;
}

static void check_flat(void)
{
	struct ldr_set s = {.dfr = APIC_DFR_FLAT};
	unsigned aps = all_mask() & ~1u;

	for (unsigned c = 0; c < smp_nr_cpus; c++)
		s.ldr[c] = (uint32_t)BIT(c) << 24;
	if (!program_ldr("logical flat", &s))
		return;
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		ipi_to("logical flat", (uint32_t)BIT(c), FIXED | ICR_LOGICAL | V_FLAT, V_FLAT,
		       BIT(c));
	ipi_to("logical flat, every CPU's bit", all_mask(), FIXED | ICR_LOGICAL | V_FLAT_SET,
	       V_FLAT_SET, all_mask());
	ipi_to("logical flat, the APs' bits", aps, FIXED | ICR_LOGICAL | V_FLAT_SET, V_FLAT_SET,
	       aps);
}

/* Lowest priority to every CPU's flat bit, TPR 0 everywhere: exactly one takes it. */
static void check_lowest(void)
{
	uint32_t total = 0;

	smp_clear_counts();
	send_or_fail("lowest priority", all_mask(),
		     ICR_DM_LOWEST | ICR_ASSERT | ICR_LOGICAL | V_LOWEST);
	irq_on();
	pc_delay_us(DELIVER_US / 10);
	irq_off();
	for (unsigned c = 0; c < smp_nr_cpus; c++)
		total += count_of(c, V_LOWEST);
	if (total != 1)
		t_fail("lowest priority to %u CPUs: taken %u times in all, want once", smp_nr_cpus,
		       total);
	for (unsigned c = 0; c < smp_nr_cpus; c++)
		if (count_of(c, V_LOWEST))
			gprintf("smp_ipi: lowest priority went to CPU %u\n", c);
}

static void check_cluster(void)
{
	struct ldr_set s = {.dfr = APIC_DFR_CLUSTR};
	unsigned c0 = all_mask() & 3;

	for (unsigned c = 0; c < smp_nr_cpus; c++)
		s.ldr[c] = ((c / 2) << 4 | (uint32_t)BIT(c % 2)) << 24;
	if (!program_ldr("logical cluster", &s))
		return;
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		ipi_to("logical cluster", s.ldr[c] >> 24, FIXED | ICR_LOGICAL | V_CLU, V_CLU,
		       BIT(c));
	ipi_to("logical cluster 0, both members", 0x03, FIXED | ICR_LOGICAL | V_CLU_SET, V_CLU_SET,
	       c0);
}

static void ap_send(void *arg)
{
	const struct ap_ipi *a = arg;

	smp_this()->result = smp_send(a->dest, a->icr);
}

static void check_shorthands(void)
{
	struct ap_ipi a = {0, ICR_SH_OTHERS | FIXED | V_AP_OTH};

	ipi_to("shorthand self", 0, ICR_SH_SELF | FIXED | V_SELF, V_SELF, 1);
	ipi_to("shorthand all including self", 0, ICR_SH_ALL | FIXED | V_ALL, V_ALL, all_mask());
	ipi_to("shorthand all excluding self", 0, ICR_SH_OTHERS | FIXED | V_OTHERS, V_OTHERS,
	       all_mask() & ~1u);
	smp_clear_counts();
	if (smp_call(1, ap_send, &a)) {
		uint32_t want[SMP_MAX_CPUS];

		if (!smp_cpus[1].result)
			t_fail("AP 1's ICR delivery status stayed pending");
		for (unsigned c = 0; c < smp_nr_cpus; c++)
			want[c] = c != 1;
		expect_counts("all excluding self, sent by AP 1", V_AP_OTH, want);
	}
}

/* ---- x2APIC ---- */

/* SDM "Deriving Logical x2APIC ID from the Local x2APIC ID" */
static uint32_t x2apic_ldr(uint32_t id)
{
	return (id >> 4) << 16 | (uint32_t)BIT(id & 0xF);
}

static void x2apic_on(void *arg)
{
	struct smp_cpu *me = smp_this();
	bool on = arg != NULL;

	me->result = 0;
	if (!smp_set_x2apic(on))
		return;
	if (on)
		me->result = BIT(63) | (uint64_t)rdmsr(MSR_X2APIC_LDR) << 32 |
			     (uint32_t)rdmsr(MSR_X2APIC(APIC_ID));
	else
		me->result = BIT(63);
}

static bool x2apic_all(bool on)
{
	bool ok = smp_call_all(x2apic_on, on ? (void *)1 : NULL);

	for (unsigned c = 0; ok && c < smp_nr_cpus; c++)
		if (!(smp_cpus[c].result & BIT(63))) {
			t_fail("CPU %u could not switch to %s", c, on ? "x2APIC" : "xAPIC");
			ok = false;
		}
	return ok;
}

/* False when the LDRs read 0 and bochs_quirks=1 says to expect that. */
static bool check_x2apic_ids(void)
{
	bool ldr_zero = true;

	for (unsigned c = 0; c < smp_nr_cpus; c++)
		ldr_zero &= !(smp_cpus[c].result >> 32 & ~(1u << 31));
	if (ldr_zero && arg_is("bochs_quirks", "1"))
		gprintf("smp_ipi: bochs_quirks: the x2APIC LDRs read 0: LDR and cluster checks "
			"skipped\n");
	for (unsigned c = 0; c < smp_nr_cpus; c++) {
		uint32_t id = (uint32_t)smp_cpus[c].result;
		uint32_t ldr = (uint32_t)(smp_cpus[c].result >> 32) & ~(1u << 31);

		if (id != smp_cpus[c].apic_id)
			t_fail("CPU %u: x2APIC ID %u, the MADT says %u", c, id,
			       smp_cpus[c].apic_id);
		if (!(ldr_zero && arg_is("bochs_quirks", "1")) &&
		    ldr != (x2apic_ldr(smp_cpus[c].apic_id) & ~(1u << 31)))
			t_fail("CPU %u: x2APIC LDR 0x%x, want 0x%x (derived from ID %u)", c, ldr,
			       x2apic_ldr(smp_cpus[c].apic_id), smp_cpus[c].apic_id);
	}
	if (wrmsr_safe(MSR_X2APIC_LDR, 0x00010001) != -13)
		t_fail("WRMSR to the x2APIC LDR did not raise #GP (it is read-only)");
	return !(ldr_zero && arg_is("bochs_quirks", "1"));
}

static void check_x2apic(void)
{
	uint32_t set = 0;
	unsigned set_mask = 0;
	bool cluster;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC)) {
		gprintf("smp_ipi: no x2APIC (CPUID.1:ECX[21] clear): x2APIC checks skipped\n");
		return;
	}
	if (!x2apic_all(true))
		goto back;
	cluster = check_x2apic_ids();
	for (unsigned c = 1; c < smp_nr_cpus; c++) {
		uint32_t ldr = x2apic_ldr(smp_cpus[c].apic_id);

		ipi_to("x2APIC physical", smp_cpus[c].apic_id, FIXED | V_X2_PHYS, V_X2_PHYS,
		       BIT(c));
		if (!cluster)
			continue;
		ipi_to("x2APIC cluster", ldr, FIXED | ICR_LOGICAL | V_X2_CLU, V_X2_CLU, BIT(c));
		if (!(ldr >> 16)) { /* cluster 0 */
			set |= ldr;
			set_mask |= BIT(c);
		}
	}
	if (set)
		ipi_to("x2APIC cluster 0, every AP's member bit", set,
		       FIXED | ICR_LOGICAL | V_X2_SET, V_X2_SET, set_mask);
	ipi_to("x2APIC all excluding self", 0, ICR_SH_OTHERS | FIXED | V_X2_OTH, V_X2_OTH,
	       all_mask() & ~1u);
	{
		uint32_t want[SMP_MAX_CPUS] = {1};

		smp_clear_counts();
		wrmsr(MSR_X2APIC_SELF, V_X2_SELF);
		expect_counts("x2APIC SELF IPI MSR", V_X2_SELF, want);
	}
	gprintf("smp_ipi: x2APIC physical, %sshorthand and self IPIs checked\n",
		cluster ? "cluster, " : "");
back:
	if (arg_is("bochs_quirks", "1"))
		gprintf("smp_ipi: bochs_quirks: every CPU stays in x2APIC mode\n");
	else
		x2apic_all(false);
}

void t_smp_ipi(void)
{
	struct ldr_set flat0 = {.dfr = APIC_DFR_FLAT};
	uint64_t strays = stray_irq_count;

	t_end_with_hc_exit();
	if (!smp_bringup())
		return;
	if (smp_nr_cpus < 2) {
		t_fail("one CPU: no IPI to check");
		return;
	}
	smp_irq_install();
	check_physical();
	check_flat();
	check_lowest();
	check_cluster();
	program_ldr("back to flat", &flat0);
	check_shorthands();
	check_x2apic();
	smp_irq_remove();
	if (stray_irq_count != strays)
		t_fail("%llu interrupts on vectors no check sent",
		       (unsigned long long)(stray_irq_count - strays));
	gprintf("smp_ipi: %u CPUs, every IPI taken exactly once where it was sent\n", smp_nr_cpus);
}
