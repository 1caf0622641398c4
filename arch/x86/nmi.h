/*
 * Physical NMIs the hypervisor took, counted per CPU. An NMI is the host's (a
 * platform event, a watchdog, another CPU's NMI IPI): never fatal and never
 * the guest's; the count is what is left of it (hv/lifecycle.c prints it).
 * Safe from NMI context: one atomic add on this CPU's own counter, no lock.
 */
#ifndef ARCH_X86_NMI_H
#define ARCH_X86_NMI_H

#include "lib/types.h"

/* An NMI reached this CPU: in VMX root (trap.c) or as an NMI exit (vmx/exit.c). */
void nmi_note(void);
/* NMIs CPU @cpu took so far (0 for a CPU number out of range). */
uint64_t nmi_count(unsigned cpu);

#endif
