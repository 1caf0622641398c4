/*
 * Per-CPU data: one struct percpu per CPU, indexed by the CPU number smp_init gives
 * (0 = boot CPU). Invariant: the GDT is the first member, so SGDT finds this CPU's
 * struct without GS (VM exits load HOST_GDTR_BASE, written from cpu_gdt_base()).
 */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#include "arch/x86/cpu.h"
#include "lib/spinlock.h"

#define SMP_MAX_CPUS	  32
#define PERCPU_STACK_SIZE (16 * KiB) /* an AP's own stack (the boot CPU keeps its boot stack) */
#define PERCPU_IST_SIZE	  (8 * KiB)  /* each of the #DF and NMI stacks */
#define PERCPU_IST_DF	  0	     /* TSS.IST1 */
#define PERCPU_IST_NMI	  1	     /* TSS.IST2 */

enum percpu_state {
	PERCPU_ABSENT = 0, /* no such CPU, or it never came up */
	PERCPU_ONLINE,	   /* running ap_main's wait loop (or the boot CPU) */
	PERCPU_PARKED,	   /* cli; hlt for good */
};

/* Work for an AP: posted by smp_run_on, run by the AP. Its own cache line (MONITOR). */
struct smp_mailbox {
	void (*fn)(void *arg);
	void *arg;
	uint32_t posted; /* requests posted so far */
	uint32_t done;	 /* requests finished; == posted when idle */
	bool park;	 /* set with a request: halt for good instead of running fn */
	spinlock_t lock; /* serialises posters */
} __aligned(64);

struct percpu {
	uint64_t gdt[CPU_GDT_ENTRIES]; /* first: see this_cpu() */
	struct tss64 tss __aligned(16);
	struct idt_gate idt[CPU_NR_VECTORS] __aligned(16);
	unsigned index;
	uint32_t apic_id;
	enum percpu_state state;
	uint64_t stack_top;  /* AP: top of its stack */
	uint64_t ist_top[2]; /* PERCPU_IST_* */
	hpa_t vmxon;	     /* VMXON region (0 until allocated) */
	bool vmx_root;	     /* VMXON done on this CPU */
	void *vm;	     /* the VM this CPU runs (VM runtime's) */
	uint64_t tsc_in_c;   /* TSC when ap_main started */
	struct smp_mailbox mbox;
} __aligned(64);
static_assert(offsetof(struct percpu, gdt) == 0, "this_cpu() reads the GDT base");

extern struct percpu percpu_area[SMP_MAX_CPUS];

static inline struct percpu *percpu_get(unsigned cpu)
{
	return &percpu_area[cpu];
}

/* This CPU's struct percpu (the boot CPU's before its tables are loaded). */
static inline struct percpu *this_cpu(void)
{
	struct desc_ptr gdtr;
	uint64_t off;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	off = gdtr.base - (uint64_t)percpu_area;
	return off < sizeof(percpu_area) ? (struct percpu *)gdtr.base : &percpu_area[0];
}

#endif
