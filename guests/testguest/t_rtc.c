/*
 * rtc_periodic: the MC146818 as Linux's rtc-cmos uses it: the periodic interrupt (register
 * A rate 6, 1024 Hz; B.PIE; C read to acknowledge) on IRQ 8 through IOAPIC pin 8, then the
 * time read the way the kernel reads it at boot (wait for UIP clear), its BCD fields, and
 * one second of RTC time against the TSC. absent_device: ports nothing decodes.
 */
#include "guests/testguest/pc.h"

#define RTC_SEC	  0x00
#define RTC_MIN	  0x02
#define RTC_HOUR  0x04
#define RTC_DAY	  0x07
#define RTC_MONTH 0x08
#define RTC_YEAR  0x09
#define RTC_A	  0x0A
#define RTC_B	  0x0B
#define RTC_C	  0x0C
#define RTC_D	  0x0D
#define A_UIP	  BIT(7)
#define B_PIE	  BIT(6)
#define B_AIE	  BIT(5)
#define B_UIE	  BIT(4)
#define B_BINARY  BIT(2)
#define B_24H	  BIT(1)
#define C_PF	  BIT(6)
#define D_VRT	  BIT(7)
#define RATE_1024 0x26 /* DV = 010 (32.768 kHz time base), RS = 6 */
#define VEC_RTC	  0x38
#define PIN_RTC	  8
#define WINDOW_US 200000
#define UIP_US	  10000	  /* UIP stays set 244 us + up to 1984 us before an update */
#define SECOND_US 1500000 /* bound for one seconds change */

static volatile unsigned rtc_no_pf;

/*
 * An interrupt may find register C without PF, on hardware as here: PF set just before the
 * handler's read of C raises IRQ 8 (an edge the IOAPIC latches in IRR while the handler
 * runs), the read then takes that PF too, and the latched interrupt finds C empty. The
 * first interrupt can be such a one too (PF set before the acknowledging read that precedes
 * irq_on()). Linux's rtc-cmos handler answers them IRQ_NONE. They must stay rare: one per
 * race of a tick with a read, so at most a small fraction of the ticks.
 */
static void rtc_hook(unsigned vec)
{
	if (!(rtc_read(RTC_C) & C_PF))
		rtc_no_pf++;
	(void)vec;
	lapic_eoi();
}

static void rtc_periodic_irq(void)
{
	uint8_t b = rtc_read(RTC_B);
	uint64_t t0, t1;
	unsigned got;

	irq_set(VEC_RTC, rtc_hook);
	ioapic_route(PIN_RTC, VEC_RTC);
	rtc_write(RTC_A, RATE_1024);
	t_expect("register A read back", rtc_read(RTC_A) & 0x7F, RATE_1024);
	rtc_write(RTC_B, (uint8_t)((b & ~(B_AIE | B_UIE)) | B_PIE));
	rtc_read(RTC_C);
	irq_clear_counts();
	rtc_no_pf = 0;
	t0 = rdtsc_ordered();
	irq_on();
	while ((t1 = rdtsc_ordered()) - t0 < pc_us_to_tsc(WINDOW_US))
		cpu_relax();
	irq_off();
	got = irq_count[VEC_RTC];
	rtc_write(RTC_B, (uint8_t)(b & ~(B_PIE | B_AIE | B_UIE)));
	rtc_read(RTC_C);
	ioapic_mask(PIN_RTC);
	gprintf("rtc_periodic: %u interrupts in %llu us at 1024 Hz\n", got,
		(unsigned long long)pc_tsc_to_us(t1 - t0));
	gprintf("rtc_periodic: %u of them found register C without PF\n", rtc_no_pf);
	if (rtc_no_pf > got / 20 + 1)
		t_fail("%u of %u interrupts found register C without PF (at most 5%% race a tick)",
		       rtc_no_pf, got);
	/* the rate counts only interrupts a tick caused; 1024 Hz: ticks * 1024 / tsc_hz, in
	 * thousandths */
	pc_expect_rate("RTC periodic interrupts with PF", got - rtc_no_pf,
		       (t1 - t0) * 1024 / (pc_tsc_hz() / 1000));
	t_expect("unexpected interrupts", irq_unexpected(), 0);
}

static bool rtc_wait_uip_clear(void)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(UIP_US);

	while (rtc_read(RTC_A) & A_UIP)
		if (rdtsc_ordered() > end) {
			t_fail("RTC register A UIP set for more than %u us", UIP_US);
			return false;
		}
	return true;
}

static bool bcd_ok(uint8_t v, uint8_t lo, uint8_t hi)
{
	return (v & 0xF) <= 9 && (v >> 4) <= 9 && v >= lo && v <= hi;
}

static void rtc_check_time(void)
{
	uint8_t b = rtc_read(RTC_B), sec, min, hour, day, mon, year;

	if (!rtc_wait_uip_clear())
		return;
	sec = rtc_read(RTC_SEC);
	min = rtc_read(RTC_MIN);
	hour = rtc_read(RTC_HOUR);
	day = rtc_read(RTC_DAY);
	mon = rtc_read(RTC_MONTH);
	year = rtc_read(RTC_YEAR);
	gprintf("rtc_periodic: time %02x-%02x-%02x %02x:%02x:%02x, register B 0x%02x\n", year, mon,
		day, hour, min, sec, b);
	if (b & B_BINARY) {
		t_fail("register B 0x%02x: binary mode; a PC's RTC starts in BCD", b);
		return;
	}
	if (!bcd_ok(sec, 0, 0x59) || !bcd_ok(min, 0, 0x59) || !bcd_ok(day, 1, 0x31) ||
	    !bcd_ok(mon, 1, 0x12) || !bcd_ok(year, 0, 0x99) ||
	    !bcd_ok(hour & 0x7F, (b & B_24H) ? 0 : 1, (b & B_24H) ? 0x23 : 0x12))
		t_fail("time fields not valid BCD: %02x-%02x-%02x %02x:%02x:%02x", year, mon, day,
		       hour, min, sec);
}

/* The TSC time at which the seconds register next changes; 0 on a timeout. */
static uint64_t rtc_next_second(uint8_t *sec)
{
	uint64_t end = rdtsc_ordered() + pc_us_to_tsc(SECOND_US);
	uint8_t s;

	do {
		if (!rtc_wait_uip_clear())
			return 0;
		s = rtc_read(RTC_SEC);
		if (s != *sec) {
			*sec = s;
			return rdtsc_ordered();
		}
	} while (rdtsc_ordered() < end);
	t_fail("RTC seconds stuck at %02x for %u us", s, SECOND_US);
	return 0;
}

static uint8_t bcd_next(uint8_t v)
{
	if (v == 0x59)
		return 0;
	return (v & 0xF) == 9 ? (uint8_t)((v & 0xF0) + 0x10) : (uint8_t)(v + 1);
}

static void rtc_check_second(void)
{
	uint8_t sec = rtc_read(RTC_SEC), first;
	uint64_t t0 = rtc_next_second(&sec), t1, us;

	first = sec;
	if (!t0 || !(t1 = rtc_next_second(&sec)))
		return;
	us = pc_tsc_to_us(t1 - t0);
	gprintf("rtc_periodic: seconds %02x -> %02x in %llu us of TSC time\n", first, sec,
		(unsigned long long)us);
	t_expect("seconds after one change", sec, bcd_next(first));
	if (us < 980000 || us > 1020000)
		t_fail("one RTC second took %llu us of TSC time (want 1 s +- 2%%)",
		       (unsigned long long)us);
}

void t_rtc_periodic(void)
{
	if (!pc_setup(false))
		return;
	t_expect("register D VRT", rtc_read(RTC_D) & D_VRT, D_VRT);
	rtc_periodic_irq();
	rtc_check_time();
	rtc_check_second();
	pc_teardown();
}

/* ---- absent_device ---- */

/* COM2, COM3, LPT1, LPT2 and a sound card's base: nothing decodes them on this PC (not
 * 0x2E8, COM4's usual base: the 8514/A's registers are there on some machines). */
static const uint16_t absent_ports[] = {0x2F8, 0x2F9, 0x2FD, 0x2FF, 0x3E8,
					0x378, 0x379, 0x37A, 0x278, 0x220};

void t_absent_device(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(absent_ports); i++) {
		uint16_t p = absent_ports[i];

		if (inb(p) != 0xFF)
			t_fail("IN 0x%x reads 0x%02x, want 0xff (nothing there)", p, inb(p));
	}
	t_expect("IN (16-bit) 0x2f8", inw(0x2F8), 0xFFFF);
	t_expect("IN (32-bit) 0x2f8", inl(0x2F8), 0xFFFFFFFF);
	outb(0x2FF, 0x5A); /* COM2's scratch register, were there one */
	t_expect("IN 0x2ff after OUT 0x5a", inb(0x2FF), 0xFF);
	outb(0x378, 0x00); /* LPT1's data latch, were there one */
	t_expect("IN 0x378 after OUT 0", inb(0x378), 0xFF);
}
