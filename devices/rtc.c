/*
 * MC146818A RTC: ports, control registers, divider chain and interrupt flags (see
 * rtc.h for the contract and invariants; formats and calendar are in rtc_clock.c).
 * Everything derives from the 32.768 kHz chain: periodic taps, the once-a-second
 * update and the 244 us UIP window before it (exactly 8 chain ticks).
 */
#include "devices/rtc.h"
#include "lib/errno.h"
#include "lib/string.h"

#define CHAIN_HZ    32768ULL
#define UIP_TICKS   8		   /* the datasheet's 244 us before an update */
#define HALF_SEC    (CHAIN_HZ / 2) /* first update after the divider leaves reset */
#define RTC_A_RW    (RTC_A_DV | RTC_A_RS)
#define RTC_B_IRQS  (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)
#define RTC_C_FLAGS (RTC_C_PF | RTC_C_AF | RTC_C_UF)

static bool chain_running(const struct rtc *r)
{
	return (r->cmos[RTC_REG_A] & RTC_A_DV) == RTC_A_DV_32K;
}

static bool set_mode(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_SET;
}

/*
 * Exact 64-bit tick arithmetic without a 128-bit divide (the image has no libgcc):
 * split a = q * d + rem, so a * m / d = q * m + rem * m / d, where rem * m stays below
 * 2^64 because both tsc_hz and CHAIN_HZ are below 2^49.
 */
static uint64_t chain_ticks(const struct rtc *r, uint64_t now)
{
	uint64_t dt = now - r->chain_tsc;

	if (!chain_running(r) || now < r->chain_tsc)
		return 0;
	return dt / r->tsc_hz * CHAIN_HZ + dt % r->tsc_hz * CHAIN_HZ / r->tsc_hz;
}

/* The TSC at which the chain reaches tick k: the first now with chain_ticks(now) >= k. */
static uint64_t tick_tsc(const struct rtc *r, uint64_t k)
{
	uint64_t whole, t;

	if (__builtin_mul_overflow(k / CHAIN_HZ, r->tsc_hz, &whole) ||
	    __builtin_add_overflow(whole, (k % CHAIN_HZ * r->tsc_hz + CHAIN_HZ - 1) / CHAIN_HZ,
				   &t) ||
	    __builtin_add_overflow(t, r->chain_tsc, &t))
		return UINT64_MAX;
	return t;
}

/* Update moments at or before tick t. */
static uint64_t updates_at(const struct rtc *r, uint64_t t)
{
	return t < r->first_upd ? 0 : (t - r->first_upd) / CHAIN_HZ + 1;
}

/* The first update moment after tick t. */
static uint64_t next_update(const struct rtc *r, uint64_t t)
{
	return r->first_upd + updates_at(r, t) * CHAIN_HZ;
}

/* Chain ticks between periodic flags; rates 1 and 2 repeat 8 and 9 on a 32 kHz base. */
static uint64_t period_ticks(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & RTC_A_RS;

	if (rs == 0)
		return 0;
	return 1ULL << ((rs <= 2 ? rs + 7 : rs) - 1);
}

/* The time shown at chain tick t; meaningful while SET is clear. */
static int64_t clock_at(const struct rtc *r, uint64_t t)
{
	return r->sec + (int64_t)(updates_at(r, t) - r->ref_upd);
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE, continuously; IRQ 8 follows it. */
static void update_irq(struct rtc *r)
{
	uint8_t c = r->cmos[RTC_REG_C] & RTC_C_FLAGS, b = r->cmos[RTC_REG_B];
	bool high = ((c & RTC_C_PF) && (b & RTC_B_PIE)) || ((c & RTC_C_AF) && (b & RTC_B_AIE)) ||
		    ((c & RTC_C_UF) && (b & RTC_B_UIE));

	r->cmos[RTC_REG_C] = (uint8_t)(c | (high ? RTC_C_IRQF : 0));
	if (high != r->irq_high) {
		r->irq_high = high;
		irq_line_set(&r->irq, high);
	}
}

/* Set the flags for every chain event in (done_ticks, ticks(now)]: PF for a periodic
 * tap edge, UF for an update, AF for an update onto a time the alarm matches. */
static void sync(struct rtc *r, uint64_t now)
{
	uint64_t t0 = r->done_ticks, t1 = chain_ticks(r, now), p = period_ticks(r);
	uint64_t u0, u1;

	if (t1 <= t0)
		return;
	if (p && t1 / p > t0 / p)
		r->cmos[RTC_REG_C] |= RTC_C_PF;
	u0 = updates_at(r, t0);
	u1 = updates_at(r, t1);
	if (!set_mode(r) && u1 > u0) {
		int64_t s0 = clock_at(r, t0);

		r->cmos[RTC_REG_C] |= RTC_C_UF;
		if (rtc_alarm_next(r->cmos[RTC_REG_B], r->cmos, s0) <= s0 + (int64_t)(u1 - u0))
			r->cmos[RTC_REG_C] |= RTC_C_AF;
	}
	r->done_ticks = t1;
	update_irq(r);
}

/* Copy the running time into the time bytes, or take the time back from them. */
static void snapshot(struct rtc *r, uint64_t now)
{
	rtc_regs_from_time(r->cmos[RTC_REG_B], clock_at(r, chain_ticks(r, now)), r->wday_adj,
			   r->cmos);
}

static void unsnapshot(struct rtc *r, uint64_t now)
{
	r->sec = rtc_regs_to_time(r->cmos[RTC_REG_B], r->cmos, &r->wday_adj);
	r->ref_upd = updates_at(r, chain_ticks(r, now));
}

/* Load the host reference carried forward to now, keeping its sub-second phase. */
static void load_host_time(struct rtc *r, uint64_t now)
{
	uint64_t whole = now > r->host_tsc ? (now - r->host_tsc) / r->tsc_hz : 0;

	r->sec = r->host_epoch + (int64_t)whole;
	r->wday_adj = 0;
	r->ref_upd = 0;
	r->chain_tsc = r->host_tsc + whole * r->tsc_hz;
	r->first_upd = CHAIN_HZ;
	r->done_ticks = chain_ticks(r, now);
	if (set_mode(r))
		snapshot(r, now);
}

void rtc_init(struct rtc *r, uint64_t tsc_hz, uint64_t epoch_seconds, uint64_t now,
	      struct irq_line irq8)
{
	memset(r, 0, sizeof(*r));
	r->irq = irq8;
	r->tsc_hz = tsc_hz;
	r->host_epoch = (int64_t)epoch_seconds;
	r->host_tsc = now;
	r->cmos[RTC_REG_A] = RTC_A_DV_32K | 6;
	r->cmos[RTC_REG_B] = RTC_B_24H;
	r->cmos[RTC_REG_D] = RTC_D_VRT;
	rtc_reset(r, now);
}

void rtc_reset(struct rtc *r, uint64_t now)
{
	r->cmos[RTC_REG_B] &= (uint8_t) ~(RTC_B_IRQS | RTC_B_SQWE);
	r->cmos[RTC_REG_C] = 0;
	load_host_time(r, now);
	update_irq(r);
}

void rtc_set_time(struct rtc *r, uint64_t epoch_seconds, uint64_t now)
{
	sync(r, now);
	r->host_epoch = (int64_t)epoch_seconds;
	r->host_tsc = now;
	load_host_time(r, now);
}

static bool is_nvram(uint8_t idx)
{
	return idx >= RTC_NVRAM && idx < RTC_CMOS_SIZE && idx != RTC_CENTURY;
}

int rtc_set_nvram(struct rtc *r, uint8_t idx, uint8_t val)
{
	if (!is_nvram(idx))
		return -EINVAL;
	r->cmos[idx] = val;
	return 0;
}

static bool is_time_reg(uint8_t idx)
{
	return (idx <= RTC_YEAR && idx != RTC_SEC_ALM && idx != RTC_MIN_ALM &&
		idx != RTC_HOUR_ALM) ||
	       idx == RTC_CENTURY;
}

/* UIP: set from 244 us before each update until it, never while SET is set. */
static bool uip(const struct rtc *r, uint64_t now)
{
	uint64_t t = chain_ticks(r, now);

	return chain_running(r) && !set_mode(r) && next_update(r, t) - t <= UIP_TICKS;
}

static uint8_t data_read(struct rtc *r, uint64_t now)
{
	uint8_t idx = r->index, val;
	uint8_t tb[RTC_CMOS_SIZE];

	switch (idx) {
	case RTC_REG_A:
		return (uint8_t)(r->cmos[idx] | (uip(r, now) ? RTC_A_UIP : 0));
	case RTC_REG_C:
		val = r->cmos[idx];
		r->cmos[idx] = 0;
		update_irq(r);
		return val;
	}
	if (!is_time_reg(idx) || set_mode(r))
		return r->cmos[idx];
	rtc_regs_from_time(r->cmos[RTC_REG_B], clock_at(r, chain_ticks(r, now)), r->wday_adj, tb);
	return tb[idx];
}

/*
 * Divider changes: leaving 010 freezes the time shown; entering it starts the chain at
 * tick 0 with the first update half a second later (the datasheet's way to start the
 * clock on an exact second). The other DV values are other crystals or test modes,
 * which we do not have: they hold the chain like reset does.
 */
static void write_a(struct rtc *r, uint64_t now, uint8_t val)
{
	bool was = chain_running(r);
	int64_t shown = clock_at(r, chain_ticks(r, now));

	r->cmos[RTC_REG_A] = val & RTC_A_RW;
	if (was == chain_running(r))
		return;
	if (!set_mode(r))
		r->sec = shown;
	r->ref_upd = 0;
	r->done_ticks = 0;
	r->chain_tsc = now;
	r->first_upd = HALF_SEC;
}

/* SET inhibits updates (and clears UIE, per the datasheet) and hands the time bytes to
 * software; clearing it takes the time from them, the next update at the next second
 * of the chain. DM and 12/24 apply to the bytes as they are when SET clears. */
static void write_b(struct rtc *r, uint64_t now, uint8_t val)
{
	bool was_set = set_mode(r);

	if (val & RTC_B_SET)
		val &= (uint8_t)~RTC_B_UIE;
	r->cmos[RTC_REG_B] = val;
	if (!was_set && set_mode(r))
		snapshot(r, now);
	else if (was_set && !set_mode(r))
		unsnapshot(r, now);
	update_irq(r);
}

static void data_write(struct rtc *r, uint64_t now, uint8_t val)
{
	uint8_t idx = r->index;

	if (idx == RTC_REG_A) {
		write_a(r, now, val);
	} else if (idx == RTC_REG_B) {
		write_b(r, now, val);
	} else if (idx == RTC_REG_C || idx == RTC_REG_D) {
		/* read-only */
	} else if (is_time_reg(idx) && !set_mode(r)) {
		/* Without SET the write lands between updates and counting goes on from it. */
		snapshot(r, now);
		r->cmos[idx] = val;
		unsnapshot(r, now);
	} else {
		r->cmos[idx] = val;
	}
}

int rtc_read(struct rtc *r, uint16_t port, uint64_t now, uint8_t *val)
{
	*val = 0xFF;
	if (port == RTC_PORT_DATA) {
		sync(r, now);
		*val = data_read(r, now);
	}
	return 0;
}

int rtc_write(struct rtc *r, uint16_t port, uint64_t now, uint8_t val)
{
	if (port == RTC_PORT_INDEX) {
		r->index = val & (RTC_CMOS_SIZE - 1);
		r->nmi_masked = val & RTC_INDEX_NMI;
	} else if (port == RTC_PORT_DATA) {
		sync(r, now);
		data_write(r, now, val);
	}
	return 0;
}

void rtc_advance(struct rtc *r, uint64_t now)
{
	sync(r, now);
}

uint64_t rtc_next_event(const struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t t = r->done_ticks, p = period_ticks(r), next = UINT64_MAX;

	if ((r->cmos[RTC_REG_C] & RTC_C_IRQF) || !chain_running(r))
		return UINT64_MAX;
	if ((b & RTC_B_PIE) && p)
		next = (t / p + 1) * p;
	if (!(b & RTC_B_SET) && (b & RTC_B_UIE))
		next = MIN(next, next_update(r, t));
	if (!(b & RTC_B_SET) && (b & RTC_B_AIE)) {
		int64_t s = clock_at(r, t), a = rtc_alarm_next(b, r->cmos, s);

		if (a != INT64_MAX)
			next = MIN(next, next_update(r, t) + (uint64_t)(a - s - 1) * CHAIN_HZ);
	}
	return next == UINT64_MAX ? UINT64_MAX : tick_tsc(r, next);
}
