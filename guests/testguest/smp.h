/*
 * The SMP scenarios' CPUs (smp.c, smp_boot.S, madt.c): the CPU list from the ACPI MADT, AP
 * start-up by the SDM's INIT-SIPI-SIPI, a work mailbox per AP, per-CPU local APIC access
 * (xAPIC or x2APIC, each CPU its own) and per-CPU interrupt counts. CPU 0 is the BSP.
 * Invariants: only the BSP posts work and prints; an AP only runs posted work and
 * interrupt handlers, and writes nothing but its own struct smp_cpu and what its work
 * item names. %gs:0 holds the running CPU's struct smp_cpu (IA32_GS_BASE).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "guests/testguest/pc.h"

#define SMP_MAX_CPUS  8
#define SMP_VEC_FIRST 0x60 /* vectors that count per CPU (smp_irq_stubs) */
#define SMP_NR_VECS   16
#define SMP_WAIT_US   2000000 /* bound for anything an AP must do (emulators on a busy host) */

/* ICR fields (SDM "Interrupt Command Register (ICR)") */
#define ICR_DM_FIXED	(0u << 8)
#define ICR_DM_LOWEST	(1u << 8)
#define ICR_DM_NMI	(4u << 8)
#define ICR_DM_INIT	(5u << 8)
#define ICR_DM_STARTUP	(6u << 8)
#define ICR_LOGICAL	BIT(11)
#define ICR_ASSERT	BIT(14)
#define ICR_LEVEL	BIT(15)
#define ICR_SH_SELF	(1u << 18)
#define ICR_SH_ALL	(2u << 18)
#define ICR_SH_OTHERS	(3u << 18)
#define MSR_GS_BASE	0xC0000101
#define MSR_X2APIC_ICR	0x830
#define MSR_X2APIC_LDR	0x80D
#define APIC_DFR_FLAT	0xFFFFFFFFu
#define APIC_DFR_CLUSTR 0x0FFFFFFFu

typedef void (*smp_work_fn)(void *arg);

struct smp_cpu {
	struct smp_cpu *self; /* %gs:0 */
	unsigned index;
	uint32_t apic_id; /* the MADT's */
	bool x2apic;	  /* this CPU's APIC mode, as it set it */
	/* written by the AP at start-up */
	volatile uint32_t boots;	/* entries into smp_ap_main() */
	volatile uint32_t seen_apic_id; /* its APIC ID register */
	volatile uint32_t svr;		/* SVR once it enabled its APIC */
	volatile uint64_t entry_tsc;	/* RDTSC, its first instruction */
	volatile bool online;
	uint64_t sipi_tsc[2]; /* BSP: RDTSC just before each SIPI's ICR write */
	/* the mailbox: the BSP posts (work, arg, ++posted), the AP runs it and sets done */
	smp_work_fn volatile work;
	void *volatile arg;
	volatile uint32_t posted, done;
	/* per-CPU interrupt counts (smp_irq, the NMI hook) */
	volatile uint32_t irq_count[SMP_NR_VECS];
	volatile uint32_t nmi_count;
	volatile uint64_t result; /* what the last work item reports */
};

extern struct smp_cpu smp_cpus[SMP_MAX_CPUS];
extern unsigned smp_nr_cpus;			    /* enabled CPUs in the MADT, the BSP included */
extern uint32_t smp_trampoline;			    /* the SIPI page's address */
extern void (*volatile smp_irq_hook)(unsigned vec); /* after the count, before the EOI */

/* ---- ACPI (madt.c) ---- */
/* The enabled CPUs' APIC IDs from the MADT (xAPIC and x2APIC entries); 0, or -errno after
 * a one-line message into @err. */
int madt_cpus(uint32_t ids[], unsigned max, unsigned *n, char *err, size_t errlen);

/* ---- this CPU ---- */
static inline struct smp_cpu *smp_this(void)
{
	struct smp_cpu *c;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}
uint32_t smp_lapic_read(uint32_t reg);
void smp_lapic_write(uint32_t reg, uint32_t v);
/* An IPI from this CPU: icr_lo (vector, mode, shorthand...) to dest (an APIC ID, a logical
 * MDA, or an x2APIC destination); false when the xAPIC's delivery status stays pending. */
bool smp_send(uint32_t dest, uint32_t icr_lo);
/* Switch this CPU's APIC to x2APIC (on) or back to xAPIC through the disabled state, SVR
 * enabled again (off); true when CPUID has x2APIC and the switch took. */
bool smp_set_x2apic(bool on);

/* ---- start-up (smp.c) ---- */
/*
 * Once per boot: the BSP's own record, the MADT's CPUs, each AP started with INIT (assert,
 * de-assert), 10 ms, SIPI, 200 us, SIPI and waited for. Later calls return the first
 * result. Prints "AP n: APIC ID x" per AP; false (after t_fail) on any failure.
 */
bool smp_bringup(void);
/* Send one more SIPI to AP cpu (the SDM: ignored while it runs). */
bool smp_sipi_again(unsigned cpu);

/* Post work to AP cpu without waiting / wait for it (IF as it is) / both. */
void smp_post(unsigned cpu, smp_work_fn fn, void *arg);
bool smp_wait(unsigned cpu, uint64_t us);
bool smp_call(unsigned cpu, smp_work_fn fn, void *arg);
/* Run fn on every CPU, APs first (posted), then the BSP, and wait for all. */
bool smp_call_all(smp_work_fn fn, void *arg);

/* Zero every CPU's interrupt and NMI counts. */
void smp_clear_counts(void);
/* Route vectors SMP_VEC_FIRST.. to the counting stubs, NMIs to the counting hook. */
void smp_irq_install(void);
void smp_irq_remove(void);

#endif
