/*
 * MC146818A real-time clock and 128-byte CMOS RAM behind ports 0x70/0x71, IRQ 8.
 * The clock is kept as seconds plus a 32.768 kHz divider chain derived from guest
 * TSC time; registers are computed from it on access. Called by the VM's port bus.
 */
#ifndef DEVICES_RTC_H
#define DEVICES_RTC_H

#include "lib/types.h"
#include "vm/irq.h"

#define RTC_PORT_INDEX 0x70 /* write-only: bit 7 NMI disable, bits 6:0 register */
#define RTC_PORT_DATA  0x71
#define RTC_IRQ	       8
#define RTC_CMOS_SIZE  128

/* Register indices. */
#define RTC_SEC	      0x00
#define RTC_SEC_ALM   0x01
#define RTC_MIN	      0x02
#define RTC_MIN_ALM   0x03
#define RTC_HOUR      0x04
#define RTC_HOUR_ALM  0x05
#define RTC_WDAY      0x06 /* 1 = Sunday */
#define RTC_MDAY      0x07
#define RTC_MON	      0x08
#define RTC_YEAR      0x09
#define RTC_REG_A     0x0A
#define RTC_REG_B     0x0B
#define RTC_REG_C     0x0C
#define RTC_REG_D     0x0D
#define RTC_NVRAM     0x0E /* first plain byte */
#define RTC_CENTURY   0x32 /* as PC BIOSes and the ACPI FADT CENTURY field place it */
#define RTC_INDEX_NMI BIT(7)

#define RTC_A_UIP	  BIT(7)
#define RTC_A_DV	  GENMASK(6, 4)
#define RTC_A_DV_32K	  0x20 /* 010: 32.768 kHz time base, chain running */
#define RTC_A_RS	  GENMASK(3, 0)
#define RTC_B_SET	  BIT(7)
#define RTC_B_PIE	  BIT(6)
#define RTC_B_AIE	  BIT(5)
#define RTC_B_UIE	  BIT(4)
#define RTC_B_SQWE	  BIT(3)
#define RTC_B_BINARY	  BIT(2) /* DM: binary, else BCD */
#define RTC_B_24H	  BIT(1)
#define RTC_B_DSE	  BIT(0) /* stored, ignored */
#define RTC_C_IRQF	  BIT(7)
#define RTC_C_PF	  BIT(6)
#define RTC_C_AF	  BIT(5)
#define RTC_C_UF	  BIT(4)
#define RTC_D_VRT	  BIT(7)
#define RTC_HOUR_PM	  BIT(7) /* 12-hour mode */
#define RTC_ALARM_ANY_MIN 0xC0	 /* alarm bytes 0xC0-0xFF match any value */

/* Broken-down UTC time. Fields are ints so rtc_tm_to_time can take unnormalised ones. */
struct rtc_tm {
	int year; /* e.g. 2024 */
	int mon;  /* 1-12 */
	int mday; /* 1-31 */
	int hour, min, sec;
	int wday; /* 0 = Sunday */
};

/* Unix time <-> proleptic Gregorian UTC (leap years, 100/400-year rules), for any t. */
void rtc_time_to_tm(int64_t t, struct rtc_tm *tm);
/* Inverse of rtc_time_to_tm; out-of-range fields carry (month 13 = next January,
 * day 0 = last day of the previous month, ...). wday is ignored. */
int64_t rtc_tm_to_time(const struct rtc_tm *tm);

/*
 * Invariants: while SET is clear the time shown is sec + updates(now) - ref_upd,
 * where updates() counts update moments of the divider chain (chain_tsc is its tick
 * 0, the first update is first_upd ticks later, then one every 32768); while SET is
 * set cmos[] holds the time bytes as software wrote them. The chain stands still
 * (ticks 0) unless register A's divider is 010. done_ticks: chain ticks whose flags
 * are already in register C. irq_high mirrors C's IRQF onto the line.
 */
struct rtc {
	struct irq_line irq;
	uint64_t tsc_hz;
	int64_t host_epoch; /* host time at host_tsc: what a reset reloads */
	uint64_t host_tsc;
	uint8_t cmos[RTC_CMOS_SIZE];
	uint8_t index;
	bool nmi_masked;
	bool irq_high;
	uint8_t wday_adj; /* weekday register minus the calendar's weekday, mod 7 */
	int64_t sec;
	uint64_t ref_upd;
	uint64_t chain_tsc;
	uint64_t first_upd;
	uint64_t done_ticks;
};

/*
 * The wall clock reads epoch_seconds (Unix time, UTC) at TSC now, the next update
 * one second later. Registers start as a BIOS leaves them: A 0x26 (32.768 kHz, 1024
 * Hz periodic rate), B 0x02 (24-hour BCD, no interrupts), D VRT; NVRAM zero.
 * @pre 0 < tsc_hz < 2^49; epoch_seconds < 2^62.
 */
void rtc_init(struct rtc *r, uint64_t tsc_hz, uint64_t epoch_seconds, uint64_t now,
	      struct irq_line irq8);

/*
 * RESET pin (a VM restart): clears PIE, AIE, UIE, SQWE and every flag in C, lowers
 * IRQ 8; register A, the other B bits and NVRAM are kept, as the datasheet says.
 * Decision: the clock itself is reloaded with the host time (the last rtc_init or
 * rtc_set_time reference carried forward by the TSC), so a time the guest set does not
 * survive a restart. Takes now because it has to.
 */
void rtc_reset(struct rtc *r, uint64_t now);

/* A fresh host time reference: the clock reads epoch_seconds at now (next update one
 * second later), and later resets reload from here. @pre epoch_seconds < 2^62. */
void rtc_set_time(struct rtc *r, uint64_t epoch_seconds, uint64_t now);

/* Fill a CMOS byte before boot (floppy type at 0x10, equipment 0x14, memory sizes
 * 0x15-0x18, ...). -EINVAL unless idx is plain NVRAM (0x0E-0x7F other than 0x32). */
int rtc_set_nvram(struct rtc *r, uint8_t idx, uint8_t val);

/*
 * One byte at I/O port (RTC_PORT_INDEX or RTC_PORT_DATA, the absolute port numbers).
 * The index port reads 0xFF (it is write-only); other ports read 0xFF and drop
 * writes. Always returns 0.
 */
int rtc_read(struct rtc *r, uint16_t port, uint64_t now, uint8_t *val);
int rtc_write(struct rtc *r, uint16_t port, uint64_t now, uint8_t val);

/* TSC at which IRQ 8 would next rise, or UINT64_MAX (already high, or nothing enabled). */
uint64_t rtc_next_event(const struct rtc *r);
/* Bring flags and IRQ 8 up to now; several missed periods set PF once. */
void rtc_advance(struct rtc *r, uint64_t now);

/*
 * Register formats, shared by rtc.c and rtc_clock.c (not for other callers): the time
 * bytes (0x00, 0x02, 0x04, 0x06-0x09, 0x32) of cmos[] from t in the format register B
 * selects, and back; the first time after t that the alarm bytes match (INT64_MAX if
 * they never can).
 */
void rtc_regs_from_time(uint8_t regb, int64_t t, uint8_t wday_adj, uint8_t *cmos);
int64_t rtc_regs_to_time(uint8_t regb, const uint8_t *cmos, uint8_t *wday_adj);
int64_t rtc_alarm_next(uint8_t regb, const uint8_t *cmos, int64_t t);

#endif
