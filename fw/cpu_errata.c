/*
 * Processors whose VMX-preemption timer is broken (it may count at a rate other than the
 * one IA32_VMX_MISC[4:0] reports, so a tick could come far too late or never). The
 * signatures are those of the Intel specification updates KVM and VirtualBox cite; the
 * reserved bits of CPUID.1:EAX are ignored, every other bit must match.
 */
#include "fw/cpu_errata.h"

struct errata_sig {
	uint32_t sig;
	const char *what;
};

static const struct errata_sig broken_preemption_timer[] = {
    {0x000206e6, "erratum BA86, Xeon 7500 stepping D0"},
    {0x00020652, "errata AAX65/AAT59/AAU65, Core i7-600/i5-500/i3-300 and Xeon L3406 "
		 "stepping C2"},
    {0x00020655, "erratum AAU65, Core i5-600/i3-500 stepping K0"},
    {0x000106e5, "errata AAO95/AAN92/AAP86, Core i7-800/i5-700 and Xeon 3400 stepping B1"},
    {0x000106a0, "erratum AAM126, Xeon 3500 stepping C0"},
    {0x000106a1, "erratum AAM126, Xeon 3500 stepping C1"},
    {0x000106a4, "erratum AAJ124, Core i7-900 stepping C0"},
    {0x000106a5, "errata AAM126/AAK139/AAJ124, Core i7-900 and Xeon 3500/5500 stepping D0"},
    {0x000306a8, "Xeon E3-1220 V2 (listed by KVM)"},
};

const char *errata_preemption_timer(uint32_t cpuid1_eax)
{
	uint32_t sig = cpuid1_eax & CPU_SIGNATURE_MASK;

	for (size_t i = 0; i < ARRAY_SIZE(broken_preemption_timer); i++)
		if (broken_preemption_timer[i].sig == sig)
			return broken_preemption_timer[i].what;
	return NULL;
}
