/*
 * The CPU model a guest sees (vm/cpuid.h): the hidden-feature table, the PC
 * platform's APIC and TSC leaves, and the VM's topology. Invariant: a bit the
 * table hides is cleared whatever the host says; the topology leaves describe
 * exactly the VM's vCPUs, never the host's.
 */
#include "vm/cpuid.h"

#define CPUID1_EDX_APIC		BIT(9)
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID1_EBX_APIC_ID	GENMASK(31, 24)
#define CPUID1_EBX_LOGICAL	GENMASK(23, 16)
#define CPUID1_EDX_HTT		BIT(28)
#define CPUID4_EAX_CORES	GENMASK(31, 26)
#define CPUID4_EAX_SHARING	GENMASK(25, 14)
#define CPUID4_LEVEL(eax)	(((eax) >> 5) & 7)
#define CPUIDB_TYPE_SMT		1
#define CPUIDB_TYPE_CORE	2

/*
 * Features a guest must not see, because using them would need state or MSRs kestrel does
 * not give it (yet), or would let it act on the physical CPU. A stock kernel reads CPUID
 * and then uses each feature it finds, often through MSRs without a fault handler.
 */
const struct cpuid_hide vm_cpuid_hidden[] = {
    {1, 0, CPUID_ECX, BIT(5), "VMX: no nested virtualization"},
    {1, 0, CPUID_ECX, BIT(3), "MONITOR/MWAIT: intercepted, #UD (they would idle the CPU)"},
    {1, 0, CPUID_ECX, BIT(15), "PDCM: no IA32_PERF_CAPABILITIES"},
    {1, 0, CPUID_ECX, BIT(26) | BIT(27) | BIT(28) | BIT(12) | BIT(29),
     "XSAVE, OSXSAVE and what needs it (AVX, FMA, F16C): XSETBV is refused"},
    {1, 0, CPUID_EDX, BIT(7) | BIT(14), "MCE/MCA: no machine-check MSRs"},
    {1, 0, CPUID_EDX, BIT(12), "MTRR: no MTRR MSRs (the EPT sets memory types)"},
    {1, 0, CPUID_EDX, BIT(22), "ACPI thermal MSRs"},
    {7, 0, CPUID_EBX,
     BIT(5) | BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31),
     "AVX2 and AVX-512: need XSAVE"},
    {7, 0, CPUID_ECX, BIT(3) | BIT(4), "PKU/OSPKE: PKRU is XSAVE state"},
    {7, 0, CPUID_ECX, BIT(5), "WAITPKG: the user-wait control is off (UMWAIT/TPAUSE would #UD)"},
    {7, 0, CPUID_EBX, BIT(1), "IA32_TSC_ADJUST: the guest's TSC is the host's, not adjustable"},
    {6, 0, CPUID_ECX, BIT(0) | BIT(3), "APERF/MPERF, energy-performance bias: no such MSRs"},
    {6, 0, CPUID_EAX, ~0u, "thermal and power management: no such MSRs"},
    {7, 0, CPUID_EDX, BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(31),
     "IBRS/IBPB, STIBP, L1D_FLUSH, ARCH_CAPABILITIES, SSBD: their MSRs are not given"},
};
const unsigned vm_cpuid_nr_hidden = ARRAY_SIZE(vm_cpuid_hidden);

static void filter(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	for (unsigned i = 0; i < vm_cpuid_nr_hidden; i++) {
		const struct cpuid_hide *h = &vm_cpuid_hidden[i];
		if (h->leaf == leaf && h->sub == sub)
			r[h->reg] &= ~h->bits;
	}
	if (leaf == 0xa || leaf == 0xd) /* no PMU MSRs; no XSAVE state components */
		r[0] = r[1] = r[2] = r[3] = 0;
}

/* Bits of an APIC ID that number the VM's vCPUs: ceil(log2(n)). */
static unsigned core_bits(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/*
 * One package of nr_vcpus cores with one thread each, APIC ID = vCPU index (leaves 1,
 * 4, 0xB and 0x1F, SDM "CPUID").
 */
static void topology(const struct cpuid_view *w, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	unsigned n = w->nr_vcpus ? w->nr_vcpus : 1;

	if (leaf == 1) {
		r[CPUID_EBX] = (r[CPUID_EBX] & ~(uint32_t)CPUID1_EBX_LOGICAL) | (n << 16);
		r[CPUID_EDX] = n > 1 ? r[CPUID_EDX] | (uint32_t)CPUID1_EDX_HTT
				     : r[CPUID_EDX] & ~(uint32_t)CPUID1_EDX_HTT;
	} else if (leaf == 4 && (r[CPUID_EAX] & 0x1f)) {
		/* caches up to L2 are a core's own; the last level is shared by every core */
		unsigned sharing = CPUID4_LEVEL(r[CPUID_EAX]) >= 3 ? n - 1 : 0;
		r[CPUID_EAX] = (r[CPUID_EAX] & ~(uint32_t)(CPUID4_EAX_CORES | CPUID4_EAX_SHARING)) |
			       ((n - 1) << 26) | (sharing << 14);
	} else if (leaf == 0xb || leaf == 0x1f) {
		r[CPUID_EDX] = w->index; /* the x2APIC ID of this vCPU */
		if (sub == 0) {
			r[CPUID_EAX] = 0;
			r[CPUID_EBX] = 1;
			r[CPUID_ECX] = CPUIDB_TYPE_SMT << 8;
		} else if (sub == 1) {
			r[CPUID_EAX] = core_bits(n);
			r[CPUID_EBX] = n;
			r[CPUID_ECX] = (CPUIDB_TYPE_CORE << 8) | 1;
		} else {
			r[CPUID_EAX] = r[CPUID_EBX] = 0;
			r[CPUID_ECX] = sub & 0xff; /* level type 0: no such level */
		}
	}
}

void vm_cpuid_basic(const struct cpuid_view *w, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	filter(leaf, sub, r);
	topology(w, leaf, sub, r);
	if (leaf == 1) {
		r[CPUID_ECX] |= (uint32_t)CPUID1_ECX_HV;
		if (w->apic) { /* the APIC bits tell the truth: a PC VM's local APIC is ours */
			r[CPUID_EDX] |= (uint32_t)CPUID1_EDX_APIC;
			r[CPUID_ECX] |= (uint32_t)(CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE);
			r[CPUID_EBX] =
			    (r[CPUID_EBX] & ~(uint32_t)CPUID1_EBX_APIC_ID) | (w->index << 24);
		}
	} else if (!w->apic) {
		return;
	} else if (leaf == 0x15) { /* TSC = ECX * EBX / EAX */
		r[CPUID_EAX] = 1;
		r[CPUID_EBX] = 1;
		r[CPUID_ECX] = (uint32_t)w->tsc_hz;
		r[CPUID_EDX] = 0;
	} else if (leaf == 0x16) {
		r[CPUID_EAX] = (uint32_t)(w->tsc_hz / 1000000); /* base MHz: no need to calibrate */
	}
}
