/*
 * The PIT as a stock OS's tick, both ways Linux wires it: pit_pic (the 8259A pair in
 * virtual-wire mode, through LINT0 as ExtINT; IRQ 0 is vector 0x20) and pit_ioapic (8259As
 * masked, IRQ 0 on IOAPIC pin 2). ioapic_regs: the IOAPIC's identification and redirection
 * registers. The tick count over a TSC interval must match HZ within 1 + 2 %.
 */
#include "guests/testguest/pc.h"

#define HZ	    100
#define LATCH	    ((PIT_HZ + HZ / 2) / HZ) /* 11932, as Linux */
#define WINDOW_US   300000		     /* 30 ticks */
#define VEC_IRQ0    VEC_PIC_BASE
#define VEC_IOAPIC2 0x31
#define PIN_PIT	    2
#define OCW3_ISR    0x0B
#define OCW3_IRR    0x0A

static volatile unsigned isr_not_set; /* IRQ 0 handlers that did not find IR0 in service */

static uint8_t pic_read_isr(void)
{
	outb(PIC1_CMD, OCW3_ISR);
	return inb(PIC1_CMD);
}

static void irq0_pic_hook(unsigned vec)
{
	if (!(pic_read_isr() & 1))
		isr_not_set++;
	outb(PIC1_CMD, PIC_EOI);
	(void)vec;
}

/* Ticks on vector vec over WINDOW_US of TSC time, against HZ; window in *ticks_out. */
static void count_ticks(const char *what, unsigned vec)
{
	uint64_t t0, t1;
	unsigned got;
	uint64_t period = LATCH * pc_tsc_hz() / PIT_HZ; /* TSC ticks per PIT interrupt */

	irq_clear_counts();
	t0 = rdtsc_ordered();
	irq_on();
	while ((t1 = rdtsc_ordered()) - t0 < pc_us_to_tsc(WINDOW_US))
		cpu_relax();
	irq_off();
	got = irq_count[vec];
	gprintf("%s: %u interrupts in %llu us (HZ %u, LATCH %llu)\n", what, got,
		(unsigned long long)pc_tsc_to_us(t1 - t0), HZ, (unsigned long long)LATCH);
	pc_expect_rate("timer interrupts", got, (t1 - t0) * 1000 / period);
	t_expect("unexpected interrupts", irq_unexpected(), 0);
}

void t_pit_pic(void)
{
	if (!pc_setup(true))
		return;
	t_expect("LVT LINT0 (ExtINT, unmasked)", lapic_read(APIC_LVT_LINT0), APIC_DM_EXTINT);
	t_expect("LVT LINT1 (NMI)", lapic_read(APIC_LVT_LINT1), APIC_DM_NMI);
	irq_set(VEC_IRQ0, irq0_pic_hook);
	pic_init(0xFE, 0xFF); /* IRQ 0 only */
	t_expect("master IMR", inb(PIC1_DATA), 0xFE);
	t_expect("slave IMR", inb(PIC2_DATA), 0xFF);
	isr_not_set = 0;
	pit_ch0_periodic(LATCH);
	count_ticks("pit_pic", VEC_IRQ0);
	t_expect("IRQ 0 handlers without IR0 in the ISR (OCW3)", isr_not_set, 0);
	outb(PIC1_DATA, 0xFF);
	pit_ch0_stop();
	outb(PIC1_CMD, OCW3_IRR);
	gprintf("pit_pic: master IRR 0x%02x ISR 0x%02x after masking\n", inb(PIC1_CMD),
		pic_read_isr());
	t_expect("master ISR after the last EOI", pic_read_isr(), 0);
	pc_teardown();
}

void t_pit_ioapic(void)
{
	uint32_t lo;

	if (!pc_setup(false))
		return;
	pic_init(0xFF, 0xFF); /* Linux initialises the 8259As even when it will not use them */
	irq_set(VEC_IOAPIC2, lapic_eoi_hook);
	ioapic_route(PIN_PIT, VEC_IOAPIC2);
	lo = ioapic_read(IOAPIC_REDTBL(PIN_PIT));
	t_expect("pin 2 redirection entry (low)", lo & ~(uint32_t)(IOAPIC_DSTAT | IOAPIC_RIRR),
		 VEC_IOAPIC2);
	pit_ch0_periodic(LATCH);
	count_ticks("pit_ioapic", VEC_IOAPIC2);
	t_expect("pin 2 remote IRR (edge)", ioapic_read(IOAPIC_REDTBL(PIN_PIT)) & IOAPIC_RIRR, 0);
	/* masked at the IOAPIC: the PIT goes on, nothing comes in */
	ioapic_mask(PIN_PIT);
	irq_on(); /* take one accepted before the mask, if any */
	pc_delay_us(1000);
	irq_off();
	irq_clear_counts();
	irq_wait_count(&irq_count[VEC_IOAPIC2], 1, 50000);
	t_expect("interrupts with pin 2 masked", irq_count[VEC_IOAPIC2], 0);
	pit_ch0_stop();
	pc_teardown();
}

/* ---- ioapic_regs ---- */

void t_ioapic_regs(void)
{
	uint32_t ver = ioapic_read(IOAPIC_VER), lo, hi;
	unsigned unmasked = 0;

	/* before pc_setup(): every entry masked is the 82093AA's reset state */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		if (!(ioapic_read(IOAPIC_REDTBL(pin)) & IOAPIC_MASKED))
			unmasked++;
	gprintf("ioapic_regs: ID 0x%08x version 0x%08x arbitration 0x%08x\n",
		ioapic_read(IOAPIC_ID), ver, ioapic_read(IOAPIC_ARB));
	t_expect("redirection entries unmasked at reset", unmasked, 0);
	t_expect("IOAPIC version", ver & 0xFF, 0x11);
	t_expect("IOAPIC max redirection entry", (ver >> 16) & 0xFF, IOAPIC_PINS - 1);
	if (!pc_setup(false))
		return;
	/* every field of an entry but delivery status and remote IRR reads back */
	ioapic_write(IOAPIC_REDTBL(5) + 1, 0xAB000000);
	ioapic_write(IOAPIC_REDTBL(5), IOAPIC_MASKED | IOAPIC_LEVEL | BIT(13) | BIT(11) | 0x9E);
	lo = ioapic_read(IOAPIC_REDTBL(5));
	hi = ioapic_read(IOAPIC_REDTBL(5) + 1);
	t_expect("pin 5 entry low read back", lo & ~(uint32_t)(IOAPIC_DSTAT | IOAPIC_RIRR),
		 IOAPIC_MASKED | IOAPIC_LEVEL | BIT(13) | BIT(11) | 0x9E);
	t_expect("pin 5 entry high read back (destination)", hi & 0xFF000000, 0xAB000000);
	t_expect("pin 5 delivery status / remote IRR (masked, no input)",
		 lo & (IOAPIC_DSTAT | IOAPIC_RIRR), 0);
	ioapic_mask(5);
	pc_teardown();
}
