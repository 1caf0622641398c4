/*
 * Application processors: smp_init starts every enabled CPU the ACPI MADT lists
 * (INIT-SIPI-SIPI), each enters VMX root and waits for work; the rest of the hypervisor
 * hands work to a CPU with smp_run_on. CPU numbers are dense: 0 (boot CPU) .. n-1.
 */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#define SMP_TRAMPOLINE 0x8000 /* real-mode start page: SIPI vector 0x08 */

#ifndef __ASSEMBLY__
#include "lib/types.h"

struct acpi_info;
struct mb2_info;

typedef void (*smp_fn)(void *arg);

/*
 * Bring up the APs: @acpi (NULL or without a MADT: one CPU, said in one line), @mb and
 * the boot information's own bytes [@mbi, @mbi + mb->info_size), which the trampoline
 * page must not overwrite. Prints one line per CPU and "smp: N CPUs online".
 * @pre the direct map and the page allocator are up; called once, on the boot CPU.
 */
/*
 * @ap_init runs on each AP once it is online (VMXON, from the caller above us):
 * 0, -ENOTSUP (no VMX) or another -errno, reported in the AP's online line.
 */
typedef int (*smp_ap_init_fn)(void);
void smp_init(const struct acpi_info *acpi, const struct mb2_info *mb, const void *mbi,
	      smp_ap_init_fn ap_init);

unsigned smp_nr_cpus(void);  /* CPUs online, the boot CPU included */
unsigned smp_this_cpu(void); /* 0 .. smp_nr_cpus() - 1 */
uint32_t smp_apic_id(unsigned cpu);

/*
 * Ask CPU @cpu (not this one) to run fn(arg); returns at once. 0, -EINVAL (no such
 * CPU online, this CPU, or fn NULL) or -EBUSY (its previous work has not returned).
 */
int smp_run_on(unsigned cpu, smp_fn fn, void *arg);
/* Wait until CPU @cpu's work (if any) has returned. */
void smp_wait(unsigned cpu);
/* Wait until every other CPU's work has returned. */
void smp_wait_all(void);
/* Halt CPU @cpu for good (cli; hlt): a CPU no VM uses. 0, -EINVAL or -EBUSY. */
int smp_park(unsigned cpu);

/* "smptest": every AP prints a hello line from a work item; round trip in TSC ticks. */
void smp_selftest(void);

#define SMP_KICK_VECTOR 0xf2
/* Send @cpu the kick IPI (nothing for this CPU or one that is not there). */
void smp_kick(unsigned cpu);
/* A physical NMI to @cpu (this one too): the inject=nmi test hook. */
void smp_send_nmi(unsigned cpu);
/* End of interrupt for this CPU's local APIC. */
void smp_eoi(void);

/* arch/x86/smp.c, called by trampoline.S on each AP */
__noreturn void ap_main(unsigned cpu);

#endif
#endif
