/*
 * self_ipi_nested: xAPIC self-IPIs (ICR, self shorthand) and the priority rules of the
 * SDM's "Interrupt, Task, and Processor Priority": a higher class nests into a handler, a
 * lower or equal class waits for its EOI, TPR holds back classes at or below it, pending
 * vectors are taken highest first; CR8 is TPR[7:4] both ways (MOV to CR8 releases a held
 * vector before the next instruction, under a TPR shadow too). Checked against the log of
 * handler entries.
 * spurious: the SVR and the software-disabled state (what the SDM makes deterministic).
 */
#include "guests/testguest/pc.h"
#include "lib/printf.h"
#include "lib/string.h"

#define NEST_LOW   0x51
#define NEST_HIGH  0x91
#define WAIT_OWNER 0x92
#define WAIT_LOW   0x52
#define WAIT_SAME  0x93
#define TPR_A	   0x55
#define TPR_B	   0x65
#define TPR_C	   0x75
#define PEND_A	   0x56
#define PEND_B	   0x66
#define PEND_C	   0x86
#define CR8_A	   0x57
#define CR8_B	   0x67
#define HOLD_US	   2000	 /* how long a blocked interrupt must stay blocked */
#define DELIVER_US 10000 /* bound for one that must come */

static volatile bool high_saw_low_in_service, owner_done, low_after_owner;
static volatile unsigned wait_low_early;
static unsigned spurious_total; /* over the checks (each clears the counts) */

/* 0x51: sends 0x91 and opens IF; 0x91 must come in before 0x51 is done. */
static void nest_low_hook(unsigned vec)
{
	lapic_self_ipi(NEST_HIGH);
	irq_wait_count(&irq_count[NEST_HIGH], 1, DELIVER_US);
	lapic_write(APIC_EOI, 0);
	(void)vec;
}

static void nest_high_hook(unsigned vec)
{
	high_saw_low_in_service = lapic_vec_bit(APIC_ISR, NEST_LOW) && lapic_vec_bit(APIC_ISR, vec);
	lapic_eoi();
}

/* 0x92: sends 0x52 (lower class) and 0x93 (same class); neither may come in before its EOI. */
static void wait_owner_hook(unsigned vec)
{
	lapic_self_ipi(WAIT_LOW);
	lapic_self_ipi(WAIT_SAME);
	irq_on();
	pc_delay_us(HOLD_US);
	irq_off();
	wait_low_early = irq_count[WAIT_LOW] + irq_count[WAIT_SAME];
	if (!lapic_vec_bit(APIC_IRR, WAIT_LOW) || !lapic_vec_bit(APIC_IRR, WAIT_SAME))
		t_fail("0x%x in service: 0x52/0x93 not pending in IRR", vec);
	owner_done = true;
	lapic_eoi();
}

static void wait_low_hook(unsigned vec)
{
	low_after_owner = owner_done;
	(void)vec;
	lapic_eoi();
}

/*
 * The handler log against want, spurious entries (0xFF) left out: Bochs raises one when a
 * pending vector is blocked by PPR, which the SDM allows for a race with a raised priority.
 */
static bool log_is(const char *what, const uint8_t *want, unsigned n)
{
	char got[IRQ_LOG * 5 + 1] = "";
	uint8_t seen[IRQ_LOG];
	unsigned len = 0;

	for (unsigned i = 0; i < irq_log_len && i < IRQ_LOG; i++)
		if (irq_log[i] != VEC_SPURIOUS)
			seen[len++] = irq_log[i];
	if (len == n && !memcmp(seen, want, n))
		return true;
	for (unsigned i = 0; i < len; i++)
		ksnprintf(got + strlen(got), sizeof(got) - strlen(got), " 0x%02x", seen[i]);
	t_fail("%s: handler entries%s", what, len ? got : " none");
	return false;
}

static void clear_counts(void)
{
	spurious_total += irq_count[VEC_SPURIOUS];
	irq_clear_counts();
}

static void check_nesting(void)
{
	static const uint8_t want[] = {NEST_LOW, NEST_HIGH};

	clear_counts();
	lapic_self_ipi(NEST_LOW);
	irq_wait_count(&irq_count[NEST_LOW], 1, DELIVER_US);
	log_is("0x91 nests into 0x51", want, sizeof(want));
	if (!high_saw_low_in_service)
		t_fail("0x91's handler did not see both 0x51 and 0x91 in ISR");
}

static void check_waiting(void)
{
	static const uint8_t want[] = {WAIT_OWNER, WAIT_SAME, WAIT_LOW};

	clear_counts();
	lapic_self_ipi(WAIT_OWNER);
	irq_wait_count(&irq_count[WAIT_LOW], 1, DELIVER_US);
	log_is("0x93 then 0x52 wait for 0x92's EOI", want, sizeof(want));
	t_expect("lower/equal class taken inside 0x92's handler", wait_low_early, 0);
	if (!low_after_owner)
		t_fail("0x52 taken before 0x92's EOI");
}

/* TPR: only classes above TPR[7:4] come in; lowering it releases them, highest first. */
static void check_tpr(void)
{
	static const uint8_t want[] = {TPR_C, TPR_B, TPR_A};

	clear_counts();
	lapic_write(APIC_TPR, 0x60);
	t_expect("PPR with TPR 0x60 and nothing in service", lapic_read(APIC_PPR), 0x60);
	lapic_self_ipi(TPR_A);
	lapic_self_ipi(TPR_B);
	lapic_self_ipi(TPR_C);
	irq_wait_count(&irq_count[TPR_C], 1, DELIVER_US);
	irq_wait_count(&irq_count[TPR_B], 1, HOLD_US);
	t_expect("class 6 taken with TPR 0x60", irq_count[TPR_B], 0);
	lapic_write(APIC_TPR, 0x50);
	irq_wait_count(&irq_count[TPR_B], 1, DELIVER_US);
	irq_wait_count(&irq_count[TPR_A], 1, HOLD_US);
	t_expect("class 5 taken with TPR 0x50", irq_count[TPR_A], 0);
	lapic_write(APIC_TPR, 0);
	irq_wait_count(&irq_count[TPR_A], 1, DELIVER_US);
	log_is("TPR 0x60, 0x50, 0", want, sizeof(want));
}

static void write_cr8(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static uint64_t read_cr8(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v) : : "memory");
	return v;
}

/*
 * CR8 (SDM "Task Priority Register"): a MOV to CR8 sets TPR to CR8 << 4, the APIC's TPR
 * shows through CR8; a MOV that lowers TPR below a held vector's class lets it in at the
 * next instruction boundary.
 */
static void check_cr8(void)
{
	static const uint8_t want[] = {CR8_B, CR8_A};
	unsigned got;

	clear_counts();
	write_cr8(6);
	t_expect("CR8 after MOV CR8, 6", read_cr8(), 6);
	t_expect("TPR after MOV CR8, 6", lapic_read(APIC_TPR), 0x60);
	t_expect("PPR after MOV CR8, 6", lapic_read(APIC_PPR), 0x60);
	lapic_write(APIC_TPR, 0x8F);
	t_expect("CR8 after TPR 0x8f", read_cr8(), 8);
	write_cr8(6);
	t_expect("TPR after MOV CR8, 6 again (bits 3:0 cleared)", lapic_read(APIC_TPR), 0x60);
	lapic_self_ipi(CR8_A);
	lapic_self_ipi(CR8_B);
	irq_wait_count(&irq_count[CR8_B], 1, HOLD_US);
	t_expect("class 6 taken with CR8 6", irq_count[CR8_B], 0);
	irq_on();
	__asm__ volatile("nop"); /* past STI's shadow */
	write_cr8(5);
	got = irq_count[CR8_B];
	irq_off();
	t_expect("0x67 taken at the instruction after MOV CR8, 5", got, 1);
	irq_wait_count(&irq_count[CR8_A], 1, HOLD_US);
	t_expect("class 5 taken with CR8 5", irq_count[CR8_A], 0);
	write_cr8(0);
	irq_wait_count(&irq_count[CR8_A], 1, DELIVER_US);
	t_expect("CR8 at the end", read_cr8(), 0);
	log_is("CR8 6, 5, 0", want, sizeof(want));
}

/* Three pending while IF = 0: taken highest first once IF = 1. */
static void check_pending_order(void)
{
	static const uint8_t want[] = {PEND_C, PEND_B, PEND_A};

	clear_counts();
	lapic_self_ipi(PEND_A);
	lapic_self_ipi(PEND_C);
	lapic_self_ipi(PEND_B);
	lapic_self_ipi(PEND_A); /* a second one while pending merges into the first */
	irq_wait_count(&irq_count[PEND_A], 2, HOLD_US);
	log_is("pending 0x56 0x86 0x66 0x56 taken", want, sizeof(want));
}

void t_self_ipi_nested(void)
{
	static const uint8_t eoi_vecs[] = {WAIT_SAME, TPR_A,  TPR_B, TPR_C, PEND_A,
					   PEND_B,    PEND_C, CR8_A, CR8_B};

	if (!pc_setup(false))
		return;
	spurious_total = 0;
	irq_set(NEST_LOW, nest_low_hook);
	irq_set(NEST_HIGH, nest_high_hook);
	irq_set(WAIT_OWNER, wait_owner_hook);
	irq_set(WAIT_LOW, wait_low_hook);
	for (unsigned i = 0; i < sizeof(eoi_vecs); i++)
		irq_set(eoi_vecs[i], lapic_eoi_hook);
	check_nesting();
	check_waiting();
	check_tpr();
	check_cr8();
	check_pending_order();
	for (unsigned i = 0; i < 8; i++)
		t_expect("ISR word at the end", lapic_read(APIC_ISR + i * 0x10), 0);
	gprintf("self_ipi_nested: %u spurious interrupts\n",
		spurious_total + irq_count[VEC_SPURIOUS]);
	t_expect("stray interrupts", irq_unexpected() - irq_count[VEC_SPURIOUS], 0);
	pc_teardown();
}

/* ---- spurious ---- */

/*
 * A spurious interrupt itself cannot be produced on purpose. What the SDM does fix: the SVR
 * vector is all 8 bits writable (bits 3:0 too, since the Pentium 4), and while the APIC is
 * software-disabled the LVT mask bits are set and cannot be cleared.
 */
void t_spurious(void)
{
	if (!pc_setup(false))
		return;
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xE7);
	t_expect("SVR vector 0xe7 written", lapic_read(APIC_SVR) & 0x1FF, APIC_SVR_ENABLE | 0xE7);
	lapic_write(APIC_SVR, 0xFF); /* software-disabled */
	lapic_write(APIC_LVT_TIMER, 0x30);
	lapic_write(APIC_LVT_LINT0, APIC_DM_EXTINT);
	t_expect("LVT timer written unmasked while disabled",
		 lapic_read(APIC_LVT_TIMER) & APIC_LVT_MASKED, APIC_LVT_MASKED);
	t_expect("LVT LINT0 written unmasked while disabled",
		 lapic_read(APIC_LVT_LINT0) & APIC_LVT_MASKED, APIC_LVT_MASKED);
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	t_expect("LVT timer stays masked after re-enabling", lapic_read(APIC_LVT_TIMER),
		 APIC_LVT_MASKED | 0x30);
	t_expect("spurious or stray interrupts", irq_unexpected(), 0);
	pc_teardown();
}

/* ---- apic_nmi ---- */

/*
 * NMI IPIs to our own APIC ID (physical destination, no shorthand: the SDM allows NMI with
 * "no shorthand" and "all excluding self" only). An NMI arrives whatever RFLAGS.IF says; a
 * second NMI sent from inside the handler is held until the handler's IRET (blocking by
 * NMI), then delivered: never nested. The vector field is ignored.
 */
#define APIC_DM_NMI (4u << 8)
#define NMI_US	    100000

static volatile unsigned nmi_seen, nmi_depth, nmi_max_depth, nmi_resend;

static void send_nmi_to_self(void)
{
	uint32_t id = lapic_read(APIC_ID) >> 24;

	lapic_write(APIC_ICR_HI, id << 24);
	lapic_write(APIC_ICR_LO, APIC_DM_NMI | APIC_ICR_ASSERT | 0x55);
}

static void nmi_counter(struct trap_frame *f)
{
	(void)f;
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	nmi_seen++;
	if (nmi_resend) {
		nmi_resend--;
		send_nmi_to_self();
		pc_delay_us(1000); /* room for a nested NMI, were blocking broken */
	}
	nmi_depth--;
}

static bool wait_nmis(unsigned want)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(NMI_US);

	while (nmi_seen < want && rdtsc_ordered() < end)
		cpu_relax();
	return nmi_seen >= want;
}

void t_apic_nmi(void)
{
	if (!pc_setup(false))
		return;
	nmi_seen = nmi_depth = nmi_max_depth = 0;
	nmi_hook = nmi_counter;
	irq_off();
	send_nmi_to_self();
	if (!wait_nmis(1))
		t_fail("NMI IPI with IF = 0: none arrived in %u us", NMI_US);
	nmi_resend = 1;
	send_nmi_to_self();
	if (!wait_nmis(3))
		t_fail("NMI sent from the NMI handler: %u NMIs in all, want 3", nmi_seen);
	gprintf("apic_nmi: %u NMIs, deepest nesting %u\n", nmi_seen, nmi_max_depth);
	t_expect("NMIs", nmi_seen, 3);
	t_expect("deepest NMI nesting (blocked until IRET)", nmi_max_depth, 1);
	t_expect("interrupts (an NMI is not one)", irq_unexpected(), 0);
	nmi_hook = NULL;
	pc_teardown();
}
