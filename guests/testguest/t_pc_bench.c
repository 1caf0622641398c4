/*
 * pc_bench: what the PC platform's paths cost, in TSC ticks (instructions under Bochs):
 * TSC-deadline timer latency (deadline -> first instruction of the handler, spinning and
 * halted), EOI writes (xAPIC page, x2APIC MSR), self-IPI round trips (ICR write -> handler
 * -> back), CR8 writes, TPR and ID reads (xAPIC page, x2APIC MSR), and port reads of the
 * PIT and the RTC. Prints "BENCH <name> <ticks>" lines
 * (bench/run.py). The handler stub only stamps the TSC: the EOI is the caller's.
 */
#include "guests/testguest/pc.h"

#define VEC_STAMP   0x61
#define PB_RUNS	    16
#define PB_N	    200
#define PB_AHEAD_US 500

static volatile uint64_t stamp_tsc;
static volatile unsigned stamps;

void pb_stamp_isr(void);
__asm__(".text\n"
	".globl pb_stamp_isr\n"
	"pb_stamp_isr:\n"
	"	push %rax\n"
	"	push %rdx\n"
	"	rdtsc\n"
	"	shl $32, %rdx\n"
	"	or %rdx, %rax\n"
	"	mov %rax, stamp_tsc(%rip)\n"
	"	lock incl stamps(%rip)\n"
	"	pop %rdx\n"
	"	pop %rax\n"
	"	iretq\n");

static void wait_stamp(unsigned want, bool halt)
{
	while (READ_ONCE(stamps) < want) {
		if (halt)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		else
			__asm__ volatile("sti; pause; cli" ::: "memory");
	}
}

/* Deadline -> handler, best of PB_RUNS; @halt: the vCPU waits in HLT. */
static uint64_t deadline_latency(bool halt)
{
	uint64_t best = ~0ULL;

	lapic_write(APIC_LVT_TIMER, APIC_LVT_TSCDL | VEC_STAMP);
	for (unsigned r = 0; r < PB_RUNS; r++) {
		uint64_t d = rdtsc_ordered() + pc_us_to_tsc(PB_AHEAD_US);
		unsigned want = stamps + 1;

		wrmsr(MSR_TSC_DEADLINE, d);
		wait_stamp(want, halt);
		lapic_eoi();
		if (stamp_tsc >= d && stamp_tsc - d < best)
			best = stamp_tsc - d;
	}
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_STAMP);
	return best;
}

/* Self-IPI -> handler -> back to the sender, best of PB_RUNS. */
static uint64_t self_ipi_rtt(void)
{
	uint64_t best = ~0ULL;

	for (unsigned r = 0; r < PB_RUNS; r++) {
		unsigned want = stamps + 1;
		uint64_t t0, t1;

		irq_on();
		t0 = rdtsc_ordered();
		if (lapic_x2apic)
			wrmsr(MSR_X2APIC_SELF, VEC_STAMP);
		else
			lapic_write(APIC_ICR_LO, VEC_STAMP | APIC_ICR_ASSERT | APIC_ICR_SELF);
		while (READ_ONCE(stamps) < want)
			cpu_relax();
		t1 = rdtsc_ordered();
		irq_off();
		lapic_eoi();
		best = MIN(best, t1 - t0);
	}
	return best;
}

enum pb_op {
	PB_EMPTY,
	PB_EOI_XAPIC,
	PB_EOI_X2APIC,
	PB_CR8_WRITE,
	PB_TPR_READ_XAPIC,
	PB_ID_READ_XAPIC,
	PB_TPR_READ_X2APIC,
	PB_PIT_READ,
	PB_RTC_READ
};

static uint64_t pb_loop(enum pb_op op, unsigned n)
{
	volatile uint32_t *eoi = (volatile uint32_t *)(APIC_BASE_ADDR + APIC_EOI);
	volatile uint32_t *tpr = (volatile uint32_t *)(APIC_BASE_ADDR + APIC_TPR);
	volatile uint32_t *id = (volatile uint32_t *)(APIC_BASE_ADDR + APIC_ID);
	uint64_t t0 = rdtsc_ordered();

	switch (op) {
	case PB_EMPTY:
		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
		break;
	case PB_EOI_XAPIC:
		__asm__ volatile("1: movl $0, (%1); dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(eoi)
				 : "cc", "memory");
		break;
	case PB_EOI_X2APIC:
		__asm__ volatile("1: wrmsr; dec %0; jnz 1b"
				 : "+r"(n)
				 : "c"(MSR_X2APIC(APIC_EOI)), "a"(0), "d"(0)
				 : "cc", "memory");
		break;
	case PB_CR8_WRITE: /* TPR 0 again each time: nothing becomes deliverable */
		__asm__ volatile("1: mov %1, %%cr8; dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(0UL)
				 : "cc", "memory");
		break;
	case PB_TPR_READ_XAPIC:
		__asm__ volatile("1: movl (%1), %%eax; dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(tpr)
				 : "rax", "cc", "memory");
		break;
	case PB_ID_READ_XAPIC:
		__asm__ volatile("1: movl (%1), %%eax; dec %0; jnz 1b"
				 : "+r"(n)
				 : "r"(id)
				 : "rax", "cc", "memory");
		break;
	case PB_TPR_READ_X2APIC:
		__asm__ volatile("1: rdmsr; dec %0; jnz 1b"
				 : "+r"(n)
				 : "c"(MSR_X2APIC(APIC_TPR))
				 : "rax", "rdx", "cc", "memory");
		break;
	case PB_PIT_READ:
		__asm__ volatile("1: inb $0x40, %%al; dec %0; jnz 1b" : "+r"(n) : : "rax", "cc");
		break;
	case PB_RTC_READ:
		__asm__ volatile("1: inb $0x71, %%al; dec %0; jnz 1b" : "+r"(n) : : "rax", "cc");
		break;
	}
	return rdtsc_ordered() - t0;
}

/* Ticks per iteration above the empty loop, best of a few runs. */
static int64_t pb_cost(enum pb_op op)
{
	uint64_t best = ~0ULL, empty = ~0ULL;

	pb_loop(op, 1);
	for (unsigned r = 0; r < 3; r++) {
		best = MIN(best, pb_loop(op, PB_N));
		empty = MIN(empty, pb_loop(PB_EMPTY, PB_N));
	}
	return ((int64_t)best - (int64_t)empty) / PB_N;
}

static void report(const char *name, int64_t v)
{
	gprintf("BENCH %s %lld\n", name, (long long)v);
	if (v <= 0)
		t_fail("%s costs %lld ticks: no exit taken?", name, (long long)v);
}

/* A path that may not exit at all (APIC virtualization): any cost is a result. */
static void report_any(const char *name, int64_t v)
{
	gprintf("BENCH %s %lld\n", name, (long long)v);
}

void t_pc_bench(void)
{
	if (!pc_setup(false))
		return;
	trap_set_gate(VEC_STAMP, pb_stamp_isr);
	report("timer_deadline_to_handler_spin", (int64_t)deadline_latency(false));
	report("timer_deadline_to_handler_hlt", (int64_t)deadline_latency(true));
	report("eoi_xapic", pb_cost(PB_EOI_XAPIC));
	report("self_ipi_rtt_xapic", (int64_t)self_ipi_rtt());
	report_any("cr8_write", pb_cost(PB_CR8_WRITE));
	report_any("tpr_read_xapic", pb_cost(PB_TPR_READ_XAPIC));
	report_any("id_read_xapic", pb_cost(PB_ID_READ_XAPIC));
	outb(0x43, 0x34); /* PIT channel 0, mode 2, LSB+MSB: the counter reads run */
	outb(0x40, 0);
	outb(0x40, 0);
	report("pit_port_read", pb_cost(PB_PIT_READ));
	outb(0x70, 0x0A); /* RTC register A */
	report("rtc_port_read", pb_cost(PB_RTC_READ));
	outb(0x43, 0x30); /* channel 0 back to mode 0, stopped until written */
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	lapic_x2apic = true;
	report("eoi_x2apic", pb_cost(PB_EOI_X2APIC));
	report("self_ipi_rtt_x2apic", (int64_t)self_ipi_rtt());
	report_any("tpr_read_x2apic", pb_cost(PB_TPR_READ_X2APIC));
	t_expect("unexpected interrupts", irq_unexpected(), 0);
	pc_teardown();
}
