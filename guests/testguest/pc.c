/*
 * The platform scenarios' helpers (pc.h): the TSC rate from PIT channel 2, bounded waits,
 * the interrupt count/log behind irq_dispatch(), local APIC and IOAPIC access, the 8259A
 * and 8254 set-ups of Linux, and pc_setup()/pc_teardown() around each scenario.
 */
#include "guests/testguest/pc.h"

#define CAL_LATCH	   23864	/* 20 ms of PIT input clock */
#define CAL_TIMEOUT	   (1ULL << 30) /* TSC ticks; far beyond 20 ms on anything we run on */
#define TSC_HZ_MIN	   1000000ULL
#define TSC_HZ_MAX	   100000000000ULL
#define ICR_POLL_US	   1000
#define EOI_DRAIN_MAX	   256
#define APIC_VER_MAXLVT(v) (((v) >> 16) & 0xFF)

volatile unsigned irq_count[256];
volatile uint8_t irq_log[IRQ_LOG];
volatile unsigned irq_log_len;
volatile uint64_t irq_last_tsc[256];
bool lapic_x2apic;
static irq_hook_fn irq_hooks[256];
static uint64_t stray_base;
static uint64_t tsc_hz;

/* ---- time ---- */

/* Linux's pit_calibrate_tsc(): channel 2 in mode 0, gate high, TSC until OUT2 rises. */
static uint64_t tsc_calibrate(void)
{
	uint8_t p61 = inb(PORT_61);
	uint64_t t0, t1, hz;

	outb(PORT_61, (uint8_t)((p61 & ~P61_SPKR) | P61_GATE2));
	outb(PIT_MODE, 0xB0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, CAL_LATCH & 0xFF);
	outb(PIT_CH2, CAL_LATCH >> 8);
	if (inb(PORT_61) & P61_OUT2) {
		t_fail("port 0x61 OUT2 high right after a mode-0 count was loaded (no PIT?)");
		return 0;
	}
	t0 = rdtsc_ordered();
	do {
		t1 = rdtsc_ordered();
		if (t1 - t0 > CAL_TIMEOUT) {
			t_fail("PIT channel 2: OUT2 still low %llu TSC ticks after a 20 ms count",
			       (unsigned long long)(t1 - t0));
			outb(PORT_61, p61);
			return 0;
		}
	} while (!(inb(PORT_61) & P61_OUT2));
	outb(PORT_61, p61);
	hz = (t1 - t0) * PIT_HZ / CAL_LATCH;
	if (hz < TSC_HZ_MIN || hz > TSC_HZ_MAX) {
		t_fail("TSC calibrated at %llu Hz against the PIT: implausible",
		       (unsigned long long)hz);
		return 0;
	}
	gprintf("pc: TSC %llu Hz (PIT channel 2, %llu ticks in 20 ms)\n", (unsigned long long)hz,
		(unsigned long long)(t1 - t0));
	return hz;
}

uint64_t pc_tsc_hz(void)
{
	if (!tsc_hz)
		tsc_hz = tsc_calibrate();
	return tsc_hz;
}

uint64_t pc_us_to_tsc(uint64_t us)
{
	return us * pc_tsc_hz() / 1000000;
}

uint64_t pc_tsc_to_us(uint64_t ticks)
{
	return tsc_hz ? ticks * 1000 / (tsc_hz / 1000) : 0;
}

void pc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(us);

	while (rdtsc_ordered() < end)
		cpu_relax();
}

bool pc_expect_rate(const char *what, uint64_t got, uint64_t want_milli)
{
	uint64_t got_milli = got * 1000;
	uint64_t slack = 1000 + want_milli / 50;
	uint64_t diff = got_milli > want_milli ? got_milli - want_milli : want_milli - got_milli;

	if (diff <= slack)
		return true;
	t_fail("%s: %llu, want %llu.%03llu +- (1 + 2%%)", what, (unsigned long long)got,
	       (unsigned long long)(want_milli / 1000), (unsigned long long)(want_milli % 1000));
	return false;
}

/* ---- interrupts ---- */

void irq_dispatch(unsigned vec)
{
	unsigned n = irq_log_len;

	irq_last_tsc[vec] = rdtsc_ordered();
	irq_count[vec]++;
	if (n < IRQ_LOG) {
		irq_log[n] = (uint8_t)vec;
		irq_log_len = n + 1;
	}
	if (irq_hooks[vec])
		irq_hooks[vec](vec);
}

void irq_set(unsigned vec, irq_hook_fn hook)
{
	irq_hooks[vec] = hook;
	trap_route_irq(vec, true);
}

void irq_clear_counts(void)
{
	for (unsigned v = 0; v < 256; v++) {
		irq_count[v] = 0;
		irq_last_tsc[v] = 0;
	}
	irq_log_len = 0;
	stray_base = stray_irq_count;
}

unsigned irq_unexpected(void)
{
	return (unsigned)(stray_irq_count - stray_base) + irq_count[VEC_SPURIOUS];
}

bool irq_wait_count(volatile unsigned *counter, unsigned want, uint64_t us)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(us);
	bool reached;

	irq_on();
	while (READ_ONCE(*counter) < want && rdtsc_ordered() < end)
		cpu_relax();
	irq_off();
	reached = READ_ONCE(*counter) >= want;
	return reached;
}

/* ---- local APIC ---- */

uint32_t lapic_read(uint32_t reg)
{
	if (lapic_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC(reg));
	return *(volatile uint32_t *)(APIC_BASE_ADDR + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
	if (lapic_x2apic)
		wrmsr(MSR_X2APIC(reg), v);
	else
		*(volatile uint32_t *)(APIC_BASE_ADDR + reg) = v;
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

void lapic_eoi_hook(unsigned vec)
{
	(void)vec;
	lapic_eoi();
}

bool lapic_vec_bit(uint32_t base, unsigned vec)
{
	return lapic_read(base + (vec / 32) * 0x10) & BIT(vec % 32);
}

void lapic_self_ipi(unsigned vec)
{
	uint64_t end;

	if (lapic_x2apic) {
		wrmsr(MSR_X2APIC_SELF, vec);
		return;
	}
	lapic_write(APIC_ICR_HI, 0);
	lapic_write(APIC_ICR_LO, vec | APIC_ICR_ASSERT | APIC_ICR_SELF);
	end = rdtsc_ordered() + pc_us_to_tsc(ICR_POLL_US);
	while (lapic_read(APIC_ICR_LO) & APIC_ICR_PENDING)
		if (rdtsc_ordered() > end) {
			t_fail("ICR delivery status still pending after %u us", ICR_POLL_US);
			return;
		}
}

static bool lapic_isr_empty(void)
{
	for (unsigned i = 0; i < 8; i++)
		if (lapic_read(APIC_ISR + i * 0x10))
			return false;
	return true;
}

/* In-service vectors a failed scenario left behind would block lower classes: EOI them. */
static void lapic_drain_isr(void)
{
	for (unsigned i = 0; i < EOI_DRAIN_MAX && !lapic_isr_empty(); i++)
		lapic_eoi();
}

static void lapic_quiet(bool extint)
{
	uint32_t maxlvt = APIC_VER_MAXLVT(lapic_read(APIC_VER));

	lapic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(APIC_TIMER_INIT, 0);
	lapic_write(APIC_LVT_THERM, APIC_LVT_MASKED);
	lapic_write(APIC_LVT_PERF, APIC_LVT_MASKED);
	lapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
	if (maxlvt >= 6)
		lapic_write(APIC_LVT_CMCI, APIC_LVT_MASKED);
	lapic_write(APIC_LVT_LINT0, APIC_DM_EXTINT | (extint ? 0 : APIC_LVT_MASKED));
	lapic_write(APIC_LVT_LINT1, APIC_DM_NMI);
	lapic_write(APIC_ESR, 0);
	lapic_drain_isr();
}

/* ---- IOAPIC, 8259A, 8254 ---- */

uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

void ioapic_mask(unsigned pin)
{
	ioapic_write(IOAPIC_REDTBL(pin), IOAPIC_MASKED);
	ioapic_write(IOAPIC_REDTBL(pin) + 1, 0);
}

void ioapic_route(unsigned pin, unsigned vec)
{
	uint32_t dest = lapic_x2apic ? lapic_read(APIC_ID) : lapic_read(APIC_ID) >> 24;

	ioapic_mask(pin);
	ioapic_write(IOAPIC_REDTBL(pin) + 1, dest << 24);
	ioapic_write(IOAPIC_REDTBL(pin), vec); /* fixed, physical, high, edge, unmasked */
}

static void ioapic_mask_all(void)
{
	unsigned pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xFF) + 1;

	for (unsigned pin = 0; pin < pins && pin < 240; pin++)
		ioapic_mask(pin);
}

void pic_init(uint8_t mask1, uint8_t mask2)
{
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC1_DATA, VEC_PIC_BASE);
	outb(PIC1_DATA, 1u << 2); /* ICW3: the slave on IR2 */
	outb(PIC1_DATA, 0x01);	  /* ICW4: 8086 mode, normal EOI */
	outb(PIC2_CMD, 0x11);
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	outb(PIC2_DATA, 2); /* ICW3: slave ID 2 */
	outb(PIC2_DATA, 0x01);
	pc_delay_us(100);
	outb(PIC1_DATA, mask1);
	outb(PIC2_DATA, mask2);
}

void pit_ch0_periodic(uint16_t latch)
{
	outb(PIT_MODE, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
	outb(PIT_CH0, latch & 0xFF);
	outb(PIT_CH0, latch >> 8);
}

void pit_ch0_stop(void)
{
	outb(PIT_MODE, 0x30); /* mode 0 */
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
}

uint8_t rtc_read(uint8_t reg)
{
	outb(RTC_INDEX, reg);
	return inb(RTC_DATA);
}

void rtc_write(uint8_t reg, uint8_t v)
{
	outb(RTC_INDEX, reg);
	outb(RTC_DATA, v);
}

/* ---- around each scenario ---- */

static bool lapic_find(void)
{
	uint64_t base;

	if (!(cpuid(1, 0).edx & CPUID1_EDX_APIC)) {
		t_fail("CPUID.1:EDX bit 9 (APIC) clear");
		return false;
	}
	if (rdmsr_safe(MSR_APIC_BASE, &base)) {
		t_fail("RDMSR IA32_APIC_BASE faulted");
		return false;
	}
	if ((base & ~0xFFFULL) != APIC_BASE_ADDR || !(base & APIC_BASE_EN)) {
		t_fail("IA32_APIC_BASE 0x%llx: not an enabled APIC at 0xfee00000",
		       (unsigned long long)base);
		return false;
	}
	if (base & APIC_BASE_EXTD) { /* x2APIC -> disabled -> xAPIC, the only legal way back */
		wrmsr(MSR_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
		wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_EXTD);
	}
	lapic_x2apic = false;
	if (pt_map(APIC_BASE_ADDR, APIC_BASE_ADDR, 2 * MiB, PTE_W | PTE_UC)) {
		t_fail("cannot map the local APIC page");
		return false;
	}
	return true;
}

bool pc_setup(bool extint)
{
	irq_off();
	if (!lapic_find() || !pc_tsc_hz())
		return false;
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	ioapic_mask_all();
	lapic_quiet(extint);
	irq_clear_counts();
	irq_set(VEC_SPURIOUS, NULL); /* never EOI a spurious interrupt */
	return true;
}

void pc_teardown(void)
{
	irq_off();
	if (cpuid(1, 0).ecx & CPUID1_ECX_TSCDL)
		wrmsr(MSR_TSC_DEADLINE, 0);
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	ioapic_mask_all();
	lapic_quiet(false);
}
