/*
 * Local APIC timer (SDM "APIC Timer"): one-shot, periodic and TSC-deadline modes. The
 * count is computed from guest TSC time, never stepped, so a read at any `now` is exact:
 * ticks = elapsed_tsc * bus_hz / (tsc_hz * divisor), in 128-bit arithmetic.
 * Called through lapic.h and lapic_regs.c only.
 */
#include "devices/lapic_priv.h"

typedef unsigned __int128 u128;

unsigned lapic_timer_mode(const struct lapic *l)
{
	return (unsigned)((lapic_reg(l, LAPIC_LVT_TIMER) & LAPIC_TIMER_MODE) >> 17);
}

/* Divide configuration bits 3,1,0: 000 -> 2, 001 -> 4, ... 110 -> 128, 111 -> 1. */
static uint32_t tdcr_divisor(uint32_t tdcr)
{
	uint32_t v = (tdcr & 3) | ((tdcr >> 1) & 4);

	return v == 7 ? 1 : 2u << v;
}

/*
 * n / d by shift-and-subtract: the freestanding image links no libgcc, so a 128-bit
 * division (__udivti3) is not available. The high half divides with 64-bit ops; the
 * rest has a remainder below d, so its quotient fits in 64 bits. d < 2^63 (lapic_init's
 * @pre on tsc_hz), so the remainder never overflows when shifted.
 */
static u128 div128(u128 n, uint64_t d)
{
	uint64_t hi = (uint64_t)(n >> 64), lo = (uint64_t)n, r = hi % d, q = 0;

	for (int i = 0; i < 64; i++) {
		r = (r << 1) | (lo >> 63);
		lo <<= 1;
		q <<= 1;
		if (r >= d) {
			r -= d;
			q |= 1;
		}
	}
	return ((u128)(hi / d) << 64) | q;
}

static uint64_t clamp64(u128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* One timer tick is tsc_hz * divisor / bus_hz TSC ticks: this is its numerator. */
static uint64_t tick_num(const struct lapic *l)
{
	return l->cfg.tsc_hz * l->timer_div;
}

/* Whole timer ticks from timer_base to now. */
static uint64_t ticks_since(const struct lapic *l, uint64_t now)
{
	if (now <= l->timer_base)
		return 0;
	return clamp64(div128((u128)(now - l->timer_base) * l->cfg.bus_hz, tick_num(l)));
}

/* The first TSC at which ticks_since() reaches `ticks`. */
static uint64_t tsc_at(const struct lapic *l, uint64_t ticks)
{
	u128 x = (u128)ticks * tick_num(l) + (l->cfg.bus_hz - 1);

	return clamp64(div128(x, l->cfg.bus_hz) + l->timer_base);
}

static uint64_t timer_count(const struct lapic *l, uint64_t now)
{
	return l->timer_j0 + ticks_since(l, now);
}

/* Next expiry: the count reaching the next multiple of TMICT (periodic) or the end of
 * the one-shot cycle. Periodic expiries stay on their original grid. */
static void timer_schedule(struct lapic *l, uint64_t now)
{
	uint64_t n = lapic_reg(l, LAPIC_TMICT), k, target;

	if (!l->timer_running) {
		l->timer_next = UINT64_MAX;
		return;
	}
	k = timer_count(l, now);
	if (lapic_timer_mode(l) == LAPIC_TIMER_PERIODIC)
		target = (k / n + 1) * n;
	else
		target = l->timer_cycle0 + n;
	l->timer_next = tsc_at(l, target - l->timer_j0);
}

void lapic_timer_reset(struct lapic *l)
{
	l->timer_running = false;
	l->timer_div = tdcr_divisor(0);
	l->timer_base = 0;
	l->timer_j0 = 0;
	l->timer_cycle0 = 0;
	l->timer_next = UINT64_MAX;
	l->tsc_deadline = 0;
}

uint32_t lapic_timer_tmcct(const struct lapic *l, uint64_t now)
{
	uint64_t n = lapic_reg(l, LAPIC_TMICT), k;

	if (!l->timer_running || lapic_timer_mode(l) == LAPIC_TIMER_DEADLINE)
		return 0;
	k = timer_count(l, now);
	if (lapic_timer_mode(l) == LAPIC_TIMER_PERIODIC)
		return (uint32_t)(n - k % n);
	k -= l->timer_cycle0;
	return k >= n ? 0 : (uint32_t)(n - k);
}

/* Writing the initial count (re)starts the count from it; 0 stops the timer. */
void lapic_timer_set_tmict(struct lapic *l, uint32_t val, uint64_t now)
{
	if (lapic_timer_mode(l) == LAPIC_TIMER_DEADLINE)
		return;
	lapic_advance(l, now);
	lapic_reg_set(l, LAPIC_TMICT, val);
	l->timer_running = val != 0;
	l->timer_base = now;
	l->timer_j0 = 0;
	l->timer_cycle0 = 0;
	l->timer_div = tdcr_divisor(lapic_reg(l, LAPIC_TDCR));
	timer_schedule(l, now);
}

/* A new divisor applies from now on; the count reached so far is kept. */
void lapic_timer_set_tdcr(struct lapic *l, uint32_t val, uint64_t now)
{
	uint32_t c;

	lapic_advance(l, now);
	c = lapic_timer_tmcct(l, now);
	lapic_reg_set(l, LAPIC_TDCR, val);
	l->timer_div = tdcr_divisor(val);
	if (!l->timer_running || lapic_timer_mode(l) == LAPIC_TIMER_DEADLINE)
		return;
	l->timer_base = now;
	l->timer_j0 = lapic_reg(l, LAPIC_TMICT) - c;
	l->timer_cycle0 = 0;
	timer_schedule(l, now);
}

/*
 * SDM "TSC-Deadline Mode": a change to or from TSC-deadline mode disarms the timer.
 * One-shot <-> periodic keeps counting; an expired one-shot stays stopped.
 */
void lapic_timer_set_lvt(struct lapic *l, uint32_t val, uint64_t now)
{
	unsigned from = lapic_timer_mode(l), to;

	lapic_advance(l, now);
	lapic_reg_set(l, LAPIC_LVT_TIMER, val);
	to = lapic_timer_mode(l);
	if (from == to)
		return;
	if (from == LAPIC_TIMER_DEADLINE || to == LAPIC_TIMER_DEADLINE) {
		lapic_reg_set(l, LAPIC_TMICT, 0);
		l->timer_running = false;
		l->tsc_deadline = 0;
		l->timer_next = UINT64_MAX;
		return;
	}
	if (l->timer_running && to == LAPIC_TIMER_ONESHOT) {
		uint64_t k = timer_count(l, now);

		l->timer_cycle0 = k - k % lapic_reg(l, LAPIC_TMICT);
	}
	timer_schedule(l, now);
}

void lapic_set_tsc_deadline(struct lapic *l, uint64_t deadline, uint64_t now)
{
	if (lapic_timer_mode(l) != LAPIC_TIMER_DEADLINE)
		return;
	l->tsc_deadline = deadline;
	l->timer_next = deadline ? deadline : UINT64_MAX;
	lapic_advance(l, now);
}

uint64_t lapic_get_tsc_deadline(const struct lapic *l)
{
	return lapic_timer_mode(l) == LAPIC_TIMER_DEADLINE ? l->tsc_deadline : 0;
}

uint64_t lapic_next_event(const struct lapic *l)
{
	return l->timer_next;
}

/* Expiries up to now raise the timer vector once (unless masked); periodic re-arms on
 * its grid after now, one-shot stops at 0, the deadline MSR clears. */
void lapic_advance(struct lapic *l, uint64_t now)
{
	uint32_t lvt = lapic_reg(l, LAPIC_LVT_TIMER);

	if (l->timer_next == UINT64_MAX || now < l->timer_next)
		return;
	if (lapic_timer_mode(l) == LAPIC_TIMER_DEADLINE) {
		l->tsc_deadline = 0;
		l->timer_next = UINT64_MAX;
	} else if (lapic_timer_mode(l) == LAPIC_TIMER_PERIODIC) {
		timer_schedule(l, now);
	} else {
		l->timer_running = false;
		l->timer_next = UINT64_MAX;
	}
	if (!(lvt & LAPIC_MASKED))
		lapic_accept(l, (uint8_t)(lvt & LAPIC_VECTOR), false);
}
