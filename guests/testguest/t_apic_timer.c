/*
 * Local APIC timer scenarios: apic_timer_periodic, apic_timer_oneshot, apic_tsc_deadline.
 * The timer's input clock is not known in advance: each scenario first measures it against
 * the (PIT-calibrated) TSC with a masked one-shot count, then checks the timer against that
 * rate, so the checks hold for any input clock.
 */
#include "guests/testguest/pc.h"

#define VEC_PERIODIC 0x30
#define VEC_ONESHOT  0x32
#define VEC_DEADLINE 0x33
#define RATE_US	     50000  /* the input-clock measurement */
#define PERIOD_HZ    500    /* periodic: 2 ms */
#define WINDOW_US    200000 /* periodic: counted over 200 ms */
#define SHOT_US	     2000   /* one-shot and deadline: 2 ms ahead */
#define QUIET_US     10000  /* nothing may fire in this long after a disarm */
/*
 * How late an interrupt may be taken after its due time: a hypervisor delivers it at the
 * next VM entry after its own timer fires. Under Bochs (TSC = 1e7 instructions a second)
 * one exit round trip is a few thousand instructions, a fraction of a millisecond.
 */
#define LATE_US 1000

struct apic_rate {
	uint64_t counts, ticks; /* timer decrements (divide by 16) in TSC ticks */
};

static bool timer_measure(struct apic_rate *r)
{
	uint32_t c0, c1;
	uint64_t t0, t1;

	lapic_write(APIC_TIMER_DIV, APIC_DIV_16);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_PERIODIC); /* one-shot, masked */
	lapic_write(APIC_TIMER_INIT, 0xFFFFFFFF);
	t0 = rdtsc_ordered();
	c0 = lapic_read(APIC_TIMER_CUR);
	pc_delay_us(RATE_US);
	t1 = rdtsc_ordered();
	c1 = lapic_read(APIC_TIMER_CUR);
	lapic_write(APIC_TIMER_INIT, 0);
	if (c1 >= c0 || c1 == 0) {
		t_fail("timer current count 0x%x then 0x%x over %u us: not counting down", c0, c1,
		       RATE_US);
		return false;
	}
	r->counts = c0 - c1;
	r->ticks = t1 - t0;
	gprintf("apic_timer: input clock / 16 = %llu Hz (%llu counts in %llu TSC ticks)\n",
		(unsigned long long)(r->counts * pc_tsc_hz() / r->ticks),
		(unsigned long long)r->counts, (unsigned long long)r->ticks);
	return true;
}

/* Timer counts for us microseconds, at least 16. */
static uint32_t counts_for_us(const struct apic_rate *r, uint64_t us)
{
	uint64_t n = pc_us_to_tsc(us) * r->counts / r->ticks;

	return n < 16 ? 16 : n > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)n;
}

static uint64_t ticks_for_counts(const struct apic_rate *r, uint64_t n)
{
	return n * r->ticks / r->counts;
}

/* Interrupt taken at `at`, due at `due`: never early by more than 2 %, late by LATE_US. */
static void check_due(const char *what, uint64_t at, uint64_t due, uint64_t span)
{
	uint64_t late = pc_us_to_tsc(LATE_US) + span / 50;

	if (at + span / 50 < due)
		t_fail("%s fired %llu us early", what, (unsigned long long)pc_tsc_to_us(due - at));
	else if (at > due + late)
		t_fail("%s fired %llu us late (bound %u us + 2%%)", what,
		       (unsigned long long)pc_tsc_to_us(at - due), LATE_US);
}

/* ---- periodic ---- */

struct periodic_obs {
	unsigned reloads, above_initial;
	uint64_t ticks;
};

/* Spin with IF = 1 sampling the current count: it falls, except at a reload. */
static void periodic_watch(uint32_t n, struct periodic_obs *o)
{
	uint64_t t0 = rdtsc_ordered(), end = t0 + pc_us_to_tsc(WINDOW_US), t;
	uint32_t prev = lapic_read(APIC_TIMER_CUR), cur;

	irq_on();
	do {
		cur = lapic_read(APIC_TIMER_CUR);
		if (cur > n)
			o->above_initial++;
		if (cur > prev)
			o->reloads++;
		prev = cur;
		t = rdtsc_ordered();
	} while (t < end);
	irq_off();
	o->ticks = t - t0;
}

void t_apic_timer_periodic(void)
{
	struct apic_rate r;
	struct periodic_obs o = {0};
	uint32_t n;
	unsigned got;
	uint64_t period;

	if (!pc_setup(false) || !timer_measure(&r))
		return;
	n = counts_for_us(&r, 1000000 / PERIOD_HZ);
	period = ticks_for_counts(&r, n);
	irq_set(VEC_PERIODIC, lapic_eoi_hook);
	irq_clear_counts();
	lapic_write(APIC_LVT_TIMER, APIC_LVT_PERIODIC | VEC_PERIODIC);
	lapic_write(APIC_TIMER_INIT, n);
	periodic_watch(n, &o);
	got = irq_count[VEC_PERIODIC];
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_PERIODIC | VEC_PERIODIC);
	lapic_write(APIC_TIMER_INIT, 0);
	gprintf("apic_timer_periodic: initial count %u, %u interrupts and %u reloads in %llu us\n",
		n, got, o.reloads, (unsigned long long)pc_tsc_to_us(o.ticks));
	pc_expect_rate("interrupts vs the measured input clock", got, o.ticks * 1000 / period);
	if (o.reloads + 1 < got || o.reloads > got + 1)
		t_fail("%u count reloads seen for %u interrupts", o.reloads, got);
	t_expect("current count samples above the initial count", o.above_initial, 0);
	t_expect("current count after initial count 0", lapic_read(APIC_TIMER_CUR), 0);
	t_expect("unexpected interrupts", irq_unexpected(), 0);
	pc_teardown();
}

/* ---- one-shot ---- */

static void oneshot_fires_once(const struct apic_rate *r, uint32_t n)
{
	uint64_t due, span = ticks_for_counts(r, n);

	irq_clear_counts();
	lapic_write(APIC_LVT_TIMER, VEC_ONESHOT);
	due = rdtsc_ordered() + span;
	lapic_write(APIC_TIMER_INIT, n);
	irq_wait_count(&irq_count[VEC_ONESHOT], 2, SHOT_US * 5);
	t_expect("one-shot interrupts", irq_count[VEC_ONESHOT], 1);
	if (irq_count[VEC_ONESHOT])
		check_due("one-shot", irq_last_tsc[VEC_ONESHOT], due, span);
	t_expect("current count after expiry", lapic_read(APIC_TIMER_CUR), 0);
}

/* Writing the initial count again restarts the count from it. */
static void oneshot_rearm(const struct apic_rate *r, uint32_t n)
{
	uint64_t due, span = ticks_for_counts(r, n);

	irq_clear_counts();
	lapic_write(APIC_TIMER_INIT, n);
	pc_delay_us(SHOT_US / 2);
	due = rdtsc_ordered() + span;
	lapic_write(APIC_TIMER_INIT, n);
	irq_wait_count(&irq_count[VEC_ONESHOT], 2, SHOT_US * 5);
	t_expect("re-armed one-shot interrupts", irq_count[VEC_ONESHOT], 1);
	if (irq_count[VEC_ONESHOT])
		check_due("re-armed one-shot", irq_last_tsc[VEC_ONESHOT], due, span);
}

static void oneshot_disarm_and_mask(uint32_t n)
{
	irq_clear_counts();
	lapic_write(APIC_TIMER_INIT, n);
	lapic_write(APIC_TIMER_INIT, 0);
	t_expect("current count after initial count 0", lapic_read(APIC_TIMER_CUR), 0);
	irq_wait_count(&irq_count[VEC_ONESHOT], 1, QUIET_US);
	t_expect("interrupts after a disarm", irq_count[VEC_ONESHOT], 0);

	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_ONESHOT);
	lapic_write(APIC_TIMER_INIT, n);
	if (lapic_read(APIC_TIMER_CUR) == 0)
		t_fail("masked one-shot: current count 0 right after arming");
	irq_wait_count(&irq_count[VEC_ONESHOT], 1, SHOT_US * 3);
	t_expect("masked one-shot interrupts", irq_count[VEC_ONESHOT], 0);
	t_expect("masked one-shot: current count after expiry", lapic_read(APIC_TIMER_CUR), 0);
	t_expect("masked one-shot: IRR bit", lapic_vec_bit(APIC_IRR, VEC_ONESHOT), 0);
}

void t_apic_timer_oneshot(void)
{
	struct apic_rate r;
	uint32_t n;

	if (!pc_setup(false) || !timer_measure(&r))
		return;
	n = counts_for_us(&r, SHOT_US);
	irq_set(VEC_ONESHOT, lapic_eoi_hook);
	oneshot_fires_once(&r, n);
	oneshot_rearm(&r, n);
	oneshot_disarm_and_mask(n);
	t_expect("unexpected interrupts", irq_unexpected(), 0);
	pc_teardown();
}

/* ---- TSC deadline ---- */

static void deadline_arm(uint64_t deadline)
{
	wrmsr(MSR_TSC_DEADLINE, deadline);
}

static void deadline_fires(void)
{
	uint64_t deadline, span = pc_us_to_tsc(SHOT_US);

	irq_clear_counts();
	deadline = rdtsc_ordered() + span;
	deadline_arm(deadline);
	t_expect("IA32_TSC_DEADLINE while armed", rdmsr(MSR_TSC_DEADLINE), deadline);
	irq_wait_count(&irq_count[VEC_DEADLINE], 2, SHOT_US * 5);
	t_expect("deadline interrupts", irq_count[VEC_DEADLINE], 1);
	if (irq_count[VEC_DEADLINE]) {
		uint64_t at = irq_last_tsc[VEC_DEADLINE];

		if (at < deadline) /* the SDM: fires when TSC >= deadline, never before */
			t_fail("deadline fired %llu TSC ticks before it",
			       (unsigned long long)(deadline - at));
		else if (at - deadline > pc_us_to_tsc(LATE_US))
			t_fail("deadline fired %llu us late (bound %u us)",
			       (unsigned long long)pc_tsc_to_us(at - deadline), LATE_US);
		else
			gprintf("apic_tsc_deadline: taken %llu TSC ticks after the deadline\n",
				(unsigned long long)(at - deadline));
	}
	t_expect("IA32_TSC_DEADLINE after firing", rdmsr(MSR_TSC_DEADLINE), 0);
}

static void deadline_disarm_and_past(void)
{
	uint64_t t;

	irq_clear_counts();
	deadline_arm(rdtsc_ordered() + pc_us_to_tsc(SHOT_US));
	deadline_arm(0);
	irq_wait_count(&irq_count[VEC_DEADLINE], 1, QUIET_US);
	t_expect("interrupts after writing deadline 0", irq_count[VEC_DEADLINE], 0);

	t = rdtsc_ordered();
	deadline_arm(t - 1);
	irq_wait_count(&irq_count[VEC_DEADLINE], 2, QUIET_US);
	t_expect("interrupts for a deadline in the past", irq_count[VEC_DEADLINE], 1);
	if (irq_count[VEC_DEADLINE] && irq_last_tsc[VEC_DEADLINE] - t > pc_us_to_tsc(LATE_US))
		t_fail("past deadline taken %llu us after the write (bound %u us)",
		       (unsigned long long)pc_tsc_to_us(irq_last_tsc[VEC_DEADLINE] - t), LATE_US);
}

/* The SDM: in TSC-deadline mode the initial count is ignored and the current count reads 0;
 * leaving the mode disarms the timer. */
static void deadline_mode_rules(void)
{
	irq_clear_counts();
	lapic_write(APIC_TIMER_INIT, 1000);
	t_expect("current count in TSC-deadline mode", lapic_read(APIC_TIMER_CUR), 0);
	deadline_arm(rdtsc_ordered() + pc_us_to_tsc(SHOT_US));
	lapic_write(APIC_LVT_TIMER, VEC_DEADLINE); /* one-shot mode */
	irq_wait_count(&irq_count[VEC_DEADLINE], 1, QUIET_US);
	t_expect("interrupts after leaving TSC-deadline mode", irq_count[VEC_DEADLINE], 0);
}

void t_apic_tsc_deadline(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_TSCDL)) {
		t_fail("CPUID.1:ECX bit 24 (TSC-deadline) clear");
		return;
	}
	if (!pc_setup(false))
		return;
	irq_set(VEC_DEADLINE, lapic_eoi_hook);
	lapic_write(APIC_LVT_TIMER, APIC_LVT_TSCDL | VEC_DEADLINE);
	mfence(); /* the SDM: order the LVT write before the WRMSR of the deadline */
	deadline_fires();
	deadline_disarm_and_past();
	deadline_mode_rules();
	t_expect("unexpected interrupts", irq_unexpected(), 0);
	pc_teardown();
}
