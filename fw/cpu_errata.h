/*
 * CPU errata that decide whether kestrel can run on a processor, looked up by the
 * CPUID.1:EAX signature. Pure data and lookups: builds on the host, where the table is
 * unit-tested; vmx/caps.c refuses a listed CPU.
 */
#ifndef FW_CPU_ERRATA_H
#define FW_CPU_ERRATA_H

#include "lib/types.h"

/* CPUID.1:EAX without its reserved bits (15:14, 31:28): stepping, model, family, type. */
#define CPU_SIGNATURE_MASK (~(uint32_t)(GENMASK(15, 14) | GENMASK(31, 28)))

/*
 * The processor named by @cpuid1_eax has a VMX-preemption timer that does not count at
 * the rate IA32_VMX_MISC reports (Nehalem/Westmere errata, the list KVM and VirtualBox
 * keep): the erratum and the parts it names, or NULL when it is not listed.
 */
const char *errata_preemption_timer(uint32_t cpuid1_eax);

#endif
