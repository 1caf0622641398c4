/*
 * The CPU a guest is told about (CPUID below the hypervisor's leaves): the host's answer
 * filtered by a table with a reason per hidden bit, the platform's APIC and TSC leaves,
 * and the topology of the VM's own vCPUs. Pure functions on register values, so the
 * table and the topology are host-tested (test/unit/test_cpuid.c); vmx/exit_insn.c asks
 * the CPU and applies them.
 */
#ifndef VM_CPUID_H
#define VM_CPUID_H

#include "lib/types.h"

enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* Bits of one register of one leaf a guest never sees, and why. */
struct cpuid_hide {
	uint32_t leaf, sub;
	unsigned reg; /* CPUID_EAX .. CPUID_EDX */
	uint32_t bits;
	const char *why;
};

extern const struct cpuid_hide vm_cpuid_hidden[];
extern const unsigned vm_cpuid_nr_hidden;

/* What the answer depends on besides the host's: the asking vCPU and its VM. */
struct cpuid_view {
	unsigned index;	   /* the vCPU's number = its APIC ID */
	unsigned nr_vcpus; /* the VM's vCPUs: one package of that many cores */
	bool apic;	   /* the VM has the PC platform's local APIC */
	uint64_t tsc_hz;   /* the guest TSC's rate (leaves 0x15 and 0x16) */
};

#define CPUID1_ECX_HV BIT(31)

/* The guest's view of basic leaf @leaf/@sub, from the host's @r (EAX..EDX), in place. */
void vm_cpuid_basic(const struct cpuid_view *w, uint32_t leaf, uint32_t sub, uint32_t r[4]);

#endif
