/*
 * Calendar arithmetic and MC146818A register formats for devices/rtc.c: Unix time to
 * and from the proleptic Gregorian calendar, BCD/binary and 12/24-hour bytes, and
 * alarm matching. Pure functions of their arguments.
 */
#include "devices/rtc.h"

#define SECS_PER_DAY  86400
#define DAYS_PER_400Y 146097 /* 400 * 365 + 97 leap days */
#define DAYS_PER_100Y 36524  /* a century whose last year is not leap */
#define DAYS_PER_4Y   1461
/* Days from 0000-03-01 to 1970-01-01. Counting years from March puts the leap day last. */
#define MAR0_TO_EPOCH 719468

/* Days before each month of a year that starts on 1 March (index 10 = January). */
static const int mar_days[12] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

void rtc_time_to_tm(int64_t t, struct rtc_tm *tm)
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	int64_t sod = t - days * SECS_PER_DAY;
	int64_t d = days + MAR0_TO_EPOCH;
	int64_t era = floor_div(d, DAYS_PER_400Y);
	int64_t doe = d - era * DAYS_PER_400Y;
	/* The era's last day (a 400-year leap day) would make century 4 and year 4. */
	int64_t c = MIN(doe / DAYS_PER_100Y, 3);
	int64_t q, y;
	int m = 11;

	doe -= c * DAYS_PER_100Y;
	q = doe / DAYS_PER_4Y;
	doe -= q * DAYS_PER_4Y;
	y = MIN(doe / 365, 3);
	doe -= y * 365; /* day of the March-based year, 0-365 */
	while (mar_days[m] > doe)
		m--;
	tm->year = (int)(era * 400 + c * 100 + q * 4 + y + (m >= 10));
	tm->mon = m < 10 ? m + 3 : m - 9;
	tm->mday = (int)(doe - mar_days[m] + 1);
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
	tm->wday = (int)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
}

int64_t rtc_tm_to_time(const struct rtc_tm *tm)
{
	int64_t m0 = (int64_t)tm->mon - 1;
	int64_t y = tm->year + floor_div(m0, 12);
	int64_t mi, era, yoe, days;

	m0 = floor_mod(m0, 12);
	mi = m0 >= 2 ? m0 - 2 : m0 + 10;
	if (m0 < 2)
		y--;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	days = era * DAYS_PER_400Y + yoe * 365 + yoe / 4 - yoe / 100 + mar_days[mi] +
	       (tm->mday - 1) - MAR0_TO_EPOCH;
	return days * SECS_PER_DAY + (int64_t)tm->hour * 3600 + (int64_t)tm->min * 60 + tm->sec;
}

/* @pre v < 100 in BCD mode, v < 256 in binary mode. */
static uint8_t enc(uint8_t regb, unsigned v)
{
	return (uint8_t)((regb & RTC_B_BINARY) ? v : ((v / 10) << 4) | (v % 10));
}

/* Invalid BCD digits decode to something, as the counters would count from them. */
static int dec(uint8_t regb, uint8_t b)
{
	return (regb & RTC_B_BINARY) ? b : (b >> 4) * 10 + (b & 0xF);
}

/* 12-hour mode: 12 AM is midnight, 12 PM is noon; bit 7 flags PM. */
static uint8_t enc_hour(uint8_t regb, unsigned h)
{
	if (regb & RTC_B_24H)
		return enc(regb, h);
	return (uint8_t)(enc(regb, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0));
}

static int dec_hour(uint8_t regb, uint8_t b)
{
	if (regb & RTC_B_24H)
		return dec(regb, b);
	return dec(regb, (uint8_t)(b & ~RTC_HOUR_PM)) % 12 + ((b & RTC_HOUR_PM) ? 12 : 0);
}

void rtc_regs_from_time(uint8_t regb, int64_t t, uint8_t wday_adj, uint8_t *cmos)
{
	struct rtc_tm tm;
	unsigned year;

	rtc_time_to_tm(t, &tm);
	year = (unsigned)floor_mod(tm.year, 10000);
	cmos[RTC_SEC] = enc(regb, (unsigned)tm.sec);
	cmos[RTC_MIN] = enc(regb, (unsigned)tm.min);
	cmos[RTC_HOUR] = enc_hour(regb, (unsigned)tm.hour);
	cmos[RTC_WDAY] = enc(regb, (unsigned)(tm.wday + wday_adj) % 7 + 1);
	cmos[RTC_MDAY] = enc(regb, (unsigned)tm.mday);
	cmos[RTC_MON] = enc(regb, (unsigned)tm.mon);
	cmos[RTC_YEAR] = enc(regb, year % 100);
	cmos[RTC_CENTURY] = enc(regb, year / 100);
}

/* The weekday register counts on its own (the chip never derives it from the date):
 * remember how far software set it from the calendar's weekday. */
int64_t rtc_regs_to_time(uint8_t regb, const uint8_t *cmos, uint8_t *wday_adj)
{
	struct rtc_tm tm = {
	    .year = dec(regb, cmos[RTC_CENTURY]) * 100 + dec(regb, cmos[RTC_YEAR]),
	    .mon = dec(regb, cmos[RTC_MON]),
	    .mday = dec(regb, cmos[RTC_MDAY]),
	    .hour = dec_hour(regb, cmos[RTC_HOUR]),
	    .min = dec(regb, cmos[RTC_MIN]),
	    .sec = dec(regb, cmos[RTC_SEC]),
	};
	int64_t t = rtc_tm_to_time(&tm);
	int w = dec(regb, cmos[RTC_WDAY]);

	rtc_time_to_tm(t, &tm);
	*wday_adj = (w >= 1 && w <= 7) ? (uint8_t)((w - 1 - tm.wday + 7) % 7) : 0;
	return t;
}

#define ALARM_ANY   (-1)
#define ALARM_NEVER (-2)

/* What an alarm byte asks for: any value, one value below max, or nothing the time
 * bytes can ever hold (the chip compares bytes, so a non-canonical byte never matches). */
static int alarm_field(uint8_t regb, uint8_t b, bool hour, int max)
{
	int v;

	if (b >= RTC_ALARM_ANY_MIN)
		return ALARM_ANY;
	v = hour ? dec_hour(regb, b) : dec(regb, b);
	if (v >= max || (hour ? enc_hour(regb, (unsigned)v) : enc(regb, (unsigned)v)) != b)
		return ALARM_NEVER;
	return v;
}

/* First second of the day at or after from that matches, or -1. */
static int64_t first_match(int h, int m, int s, int64_t from)
{
	for (int hh = 0; hh < 24; hh++) {
		if (h != ALARM_ANY && hh != h)
			continue;
		for (int mm = 0; mm < 60; mm++) {
			int64_t base = hh * 3600 + mm * 60;
			int64_t lo = from > base ? from - base : 0;

			if ((m != ALARM_ANY && mm != m) || lo > 59)
				continue;
			if (s == ALARM_ANY)
				return base + lo;
			if (s >= lo)
				return base + s;
		}
	}
	return -1;
}

int64_t rtc_alarm_next(uint8_t regb, const uint8_t *cmos, int64_t t)
{
	int h = alarm_field(regb, cmos[RTC_HOUR_ALM], true, 24);
	int m = alarm_field(regb, cmos[RTC_MIN_ALM], false, 60);
	int s = alarm_field(regb, cmos[RTC_SEC_ALM], false, 60);
	int64_t day = t - floor_mod(t, SECS_PER_DAY);
	int64_t from = t - day + 1;

	if (h == ALARM_NEVER || m == ALARM_NEVER || s == ALARM_NEVER)
		return INT64_MAX;
	for (int i = 0; i < 2; i++, day += SECS_PER_DAY, from = 0) {
		int64_t c = first_match(h, m, s, from);

		if (c >= 0)
			return day + c;
	}
	return INT64_MAX; /* not reached: every valid alarm matches once a day */
}
