/*
 * Unit tests for devices/rtc_clock.c's calendar: Unix time to and from Y/M/D h:m:s
 * and weekday against known dates (leap years, 1900/2000/2100/2400), a day-by-day
 * walk over 1600-2500 against a naive calendar, and unnormalised fields.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "devices/rtc.h"

struct known {
	int64_t t;
	int year, mon, mday, hour, min, sec, wday;
};

/* Reference values from Python's calendar.timegm. */
static const struct known known[] = {
    {0, 1970, 1, 1, 0, 0, 0, 4},
    {-1, 1969, 12, 31, 23, 59, 59, 3},
    {1709989507, 2024, 3, 9, 13, 5, 7, 6},
    {951782399, 2000, 2, 28, 23, 59, 59, 1},
    {951782400, 2000, 2, 29, 0, 0, 0, 2},
    {946684799, 1999, 12, 31, 23, 59, 59, 5},
    {4102444799, 2099, 12, 31, 23, 59, 59, 4},
    {4107542399, 2100, 2, 28, 23, 59, 59, 0},
    {4107542400, 2100, 3, 1, 0, 0, 0, 1},
    {-2203891201, 1900, 2, 28, 23, 59, 59, 3},
    {-11670955200, 1600, 2, 29, 12, 0, 0, 2},
    {13574563200, 2400, 2, 29, 0, 0, 0, 2},
    {2147483648, 2038, 1, 19, 3, 14, 8, 2},
    {-62135596800, 1, 1, 1, 0, 0, 0, 1},
    {253402300799, 9999, 12, 31, 23, 59, 59, 5},
};

static void test_known_dates(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(known); i++) {
		const struct known *k = &known[i];
		struct rtc_tm tm;

		rtc_time_to_tm(k->t, &tm);
		assert_int_equal(tm.year, k->year);
		assert_int_equal(tm.mon, k->mon);
		assert_int_equal(tm.mday, k->mday);
		assert_int_equal(tm.hour, k->hour);
		assert_int_equal(tm.min, k->min);
		assert_int_equal(tm.sec, k->sec);
		assert_int_equal(tm.wday, k->wday);
		assert_int_equal(rtc_tm_to_time(&tm), k->t);
	}
}

static bool naive_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int naive_mdays(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && naive_leap(y) ? 29 : d[m - 1];
}

/* Every day from 1600-01-01 to 2500-12-31, against a calendar that counts by hand. */
static void test_day_walk(void **state)
{
	int y = 1600, m = 1, d = 1, wday = 6; /* 1600-01-01 was a Saturday */
	int64_t t = -11670955200 - (31 + 28) * 86400LL - 12 * 3600;
	unsigned days = 0;

	while (y <= 2500) {
		int64_t sod = (days * 7919ULL) % 86400; /* a different second each day */
		struct rtc_tm tm;

		rtc_time_to_tm(t + sod, &tm);
		assert_int_equal(tm.year, y);
		assert_int_equal(tm.mon, m);
		assert_int_equal(tm.mday, d);
		assert_int_equal(tm.wday, wday);
		assert_int_equal(tm.hour * 3600 + tm.min * 60 + tm.sec, sod);
		assert_int_equal(rtc_tm_to_time(&tm), t + sod);
		t += 86400;
		days++;
		wday = (wday + 1) % 7;
		if (++d > naive_mdays(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(days, 329084); /* 901 years: 901 * 365 + 219 leap days */
}

static int64_t tm_time(int year, int mon, int mday, int hour, int min, int sec)
{
	struct rtc_tm tm = {year, mon, mday, hour, min, sec, 0};

	return rtc_tm_to_time(&tm);
}

static void test_unnormalised(void **state)
{
	/* Month 13 is January of the next year; month 0 December of the previous. */
	assert_int_equal(tm_time(2023, 13, 1, 0, 0, 0), tm_time(2024, 1, 1, 0, 0, 0));
	assert_int_equal(tm_time(2024, 0, 15, 0, 0, 0), tm_time(2023, 12, 15, 0, 0, 0));
	/* Day 0 is the last of the previous month; Feb 30 runs into March. */
	assert_int_equal(tm_time(2024, 3, 0, 0, 0, 0), tm_time(2024, 2, 29, 0, 0, 0));
	assert_int_equal(tm_time(2100, 2, 29, 0, 0, 0), tm_time(2100, 3, 1, 0, 0, 0));
	assert_int_equal(tm_time(2000, 2, 30, 0, 0, 0), tm_time(2000, 3, 1, 0, 0, 0));
	/* Oversized time fields carry. */
	assert_int_equal(tm_time(1999, 12, 31, 23, 59, 60), tm_time(2000, 1, 1, 0, 0, 0));
	assert_int_equal(tm_time(2024, 1, 1, 25, 0, 0), tm_time(2024, 1, 2, 1, 0, 0));
	assert_int_equal(tm_time(2024, 1, 1, 0, 165, 165), tm_time(2024, 1, 1, 2, 47, 45));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_dates),
	    cmocka_unit_test(test_day_walk),
	    cmocka_unit_test(test_unnormalised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
