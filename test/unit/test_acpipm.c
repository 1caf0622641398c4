/*
 * Unit tests for devices/acpipm.c and devices/reset.c, alone and wired into the PC
 * platform: the PM timer's rate and 24-bit wrap (expected values computed here from
 * the spec's definition, floor(elapsed * 3579545 / tsc_hz) mod 2^24, in 128-bit
 * arithmetic), TMR_STS, write-1-to-clear, the SCI level, S5 and the other sleep
 * types, access widths; port 0xCF9 and the 8042's reset command; reboot per policy.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "devices/acpipm.h"
#include "devices/devices.h"
#include "devices/pc.h"
#include "devices/reset.h"
#include "test/unit/vm_fixture.h"

#define HZ_2_9G 2900000000ULL /* a typical TSC */
#define STS	ACPIPM_EVT_BLK
#define EN	(ACPIPM_EVT_BLK + 2)
#define CNT	ACPIPM_CNT_BLK
#define TMR	ACPIPM_TMR_BLK

struct sci_rec {
	bool level;
	unsigned changes;
};

static struct vm vm;
static struct vm_config cfg;
static struct acpipm pm;
static struct sci_rec sci;
static uint64_t hz;

static void sci_set(void *ctx, unsigned line, bool level)
{
	struct sci_rec *r = ctx;

	assert_int_equal(line, 9);
	assert_true(level != r->level); /* only changes are driven */
	r->level = level;
	r->changes++;
}

/* A VM (for S5 and resets) and a PM block whose timer reads 0 at TSC @base. */
static void fresh(uint64_t tsc_hz, uint64_t base)
{
	fx_setup(&vm, &cfg, 0);
	memset(&sci, 0, sizeof(sci));
	hz = tsc_hz;
	acpipm_init(&pm, &vm, tsc_hz, (struct irq_line){sci_set, &sci, 9});
	acpipm_reset(&pm, base);
}

/* The spec's count of PM timer clocks @d TSC ticks after the base. */
static uint64_t clk_of(uint64_t d)
{
	return (uint64_t)((unsigned __int128)d * ACPIPM_TMR_HZ / hz);
}

/* The first TSC tick, counted from the base, at which the count reaches @c. */
static uint64_t tsc_of(uint64_t c)
{
	return (uint64_t)(((unsigned __int128)c * hz + ACPIPM_TMR_HZ - 1) / ACPIPM_TMR_HZ);
}

static uint64_t rd(uint16_t port, unsigned width, uint64_t now)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(acpipm_read(&pm, port, width, now, &v), 0);
	return v;
}

static void wr(uint16_t port, unsigned width, uint64_t now, uint64_t v)
{
	assert_int_equal(acpipm_write(&pm, port, width, now, v), 0);
}

static void test_timer_rate(void **state)
{
	static const uint64_t rates[] = {ACPIPM_TMR_HZ, 1000000007ULL, HZ_2_9G, 3999999999ULL,
					 (1ULL << 42) - 1};
	static const uint64_t deltas[] = {0, 1, 999, 123456789, 1ULL << 32, 987654321987ULL};

	for (unsigned r = 0; r < ARRAY_SIZE(rates); r++) {
		fresh(rates[r], 5000);
		for (unsigned d = 0; d < ARRAY_SIZE(deltas); d++) {
			uint32_t want = (uint32_t)(clk_of(deltas[d]) & 0xffffff);

			assert_int_equal(acpipm_timer(&pm, 5000 + deltas[d]), want);
			assert_int_equal(rd(TMR, 4, 5000 + deltas[d]), want);
		}
		assert_int_equal(acpipm_timer(&pm, 4000), 0); /* before the base: 0 */
	}
	/* Whole seconds at 2.9 GHz: 3579545 per second, mod 2^24 (5 s: 17897725 - 16777216). */
	fresh(HZ_2_9G, 0);
	assert_int_equal(acpipm_timer(&pm, HZ_2_9G), 3579545);
	assert_int_equal(acpipm_timer(&pm, 2 * HZ_2_9G), 7159090);
	assert_int_equal(acpipm_timer(&pm, 5 * HZ_2_9G), 1120509);
	assert_int_equal(acpipm_timer(&pm, 3600 * HZ_2_9G), (3579545ULL * 3600) % (1 << 24));
	/* Every interval of a run of reads: the difference is the spec's, to the tick. */
	for (uint64_t t = 0, step = 1; t < 100 * HZ_2_9G; t += step, step = step * 3 + 7) {
		uint64_t want = (clk_of(t + step) - clk_of(t)) & 0xffffff;
		uint32_t a = acpipm_timer(&pm, t), b = acpipm_timer(&pm, t + step);

		assert_int_equal((b - a) & 0xffffff, want);
	}
}

static void test_timer_wrap(void **state)
{
	fresh(HZ_2_9G, 777);
	assert_int_equal(acpipm_timer(&pm, 777 + tsc_of(0xffffff) - 1), 0xfffffe);
	assert_int_equal(acpipm_timer(&pm, 777 + tsc_of(0xffffff)), 0xffffff);
	assert_int_equal(acpipm_timer(&pm, 777 + tsc_of(1 << 24)), 0); /* wraps to 0 */
	assert_int_equal(acpipm_timer(&pm, 777 + tsc_of((1 << 24) + 5)), 5);
	/* After three wraps: bits 31:24 read 0. */
	assert_int_equal(rd(TMR, 4, 777 + tsc_of(3ULL << 24) - 1), 0xffffff);
	fresh(ACPIPM_TMR_HZ, 0); /* one TSC tick per clock */
	assert_int_equal(acpipm_timer(&pm, (1 << 24) - 1), 0xffffff);
	assert_int_equal(acpipm_timer(&pm, 1 << 24), 0);
}

static void test_tmr_sts(void **state)
{
	uint64_t t23, t24;

	fresh(HZ_2_9G, 0);
	t23 = tsc_of(1 << 23);
	t24 = tsc_of(1 << 24);
	assert_int_equal(rd(STS, 2, t23 - 1), 0);
	assert_int_equal(rd(STS, 2, t23), ACPIPM_TMR_STS); /* bit 23 went 0 -> 1 */
	wr(STS, 2, t23 + 1, 0);				   /* writing 0 clears nothing */
	wr(STS, 2, t23 + 1, (uint16_t)~ACPIPM_TMR_STS);	   /* nor do other bits */
	assert_int_equal(rd(STS, 2, t23 + 2), ACPIPM_TMR_STS);
	wr(STS, 2, t23 + 3, ACPIPM_TMR_STS);
	assert_int_equal(rd(STS, 2, t24 - 1), 0);
	assert_int_equal(rd(STS, 1, t24), ACPIPM_TMR_STS); /* bit 23 went 1 -> 0 (the wrap) */
	wr(STS, 1, t24, ACPIPM_TMR_STS);
	assert_int_equal(rd(STS, 2, t24), 0);
	/* Several toggles missed while set: still one status bit; cleared, it waits for the next. */
	assert_int_equal(rd(STS, 2, tsc_of(7ULL << 23) + 5), ACPIPM_TMR_STS);
	wr(STS, 2, tsc_of(7ULL << 23) + 5, ACPIPM_TMR_STS);
	assert_int_equal(rd(STS, 2, tsc_of(8ULL << 23) - 1), 0);
	assert_int_equal(rd(STS, 2, tsc_of(8ULL << 23)), ACPIPM_TMR_STS);
	/* A toggle before a clearing write is set first, so the write clears it. */
	wr(STS, 2, tsc_of(9ULL << 23), ACPIPM_TMR_STS);
	assert_int_equal(rd(STS, 2, tsc_of(10ULL << 23) - 1), 0);
	assert_int_equal(sci.changes, 0); /* TMR_EN clear: never an SCI */
}

static void test_sci_follows_sts_and_en(void **state)
{
	uint64_t t23;

	fresh(HZ_2_9G, 0);
	t23 = tsc_of(1 << 23);
	assert_int_equal(acpipm_next_event(&pm), UINT64_MAX); /* TMR_EN clear */
	wr(EN, 2, 10, ACPIPM_TMR_EN);
	assert_int_equal(acpipm_next_event(&pm), t23);
	acpipm_advance(&pm, t23 - 1);
	assert_false(sci.level);
	acpipm_advance(&pm, t23);
	assert_true(sci.level);
	assert_int_equal(sci.changes, 1);
	assert_int_equal(acpipm_next_event(&pm), UINT64_MAX); /* the status is set already */
	wr(STS, 2, t23 + 1, ACPIPM_TMR_STS);		      /* the handler clears it */
	assert_false(sci.level);
	assert_int_equal(acpipm_next_event(&pm), tsc_of(2 << 23));
	/* The status sets whatever TMR_EN says; enabling it then asserts the SCI. */
	wr(EN, 2, t23 + 2, 0);
	acpipm_advance(&pm, tsc_of(2 << 23));
	assert_false(sci.level);
	assert_int_equal(rd(STS, 2, tsc_of(2 << 23)), ACPIPM_TMR_STS);
	wr(EN, 1, tsc_of(2 << 23), ACPIPM_TMR_EN);
	assert_true(sci.level);
	wr(EN, 2, tsc_of(2 << 23), 0); /* disabling lowers it, the status stays */
	assert_false(sci.level);
	assert_int_equal(rd(STS, 2, tsc_of(2 << 23)), ACPIPM_TMR_STS);
	/* The power button: PWRBTN_STS, an SCI only with PWRBTN_EN. */
	fresh(HZ_2_9G, 0);
	acpipm_power_button(&pm, 100);
	assert_int_equal(rd(STS, 2, 100), ACPIPM_PWRBTN_STS);
	assert_false(sci.level);
	wr(EN, 2, 100, ACPIPM_PWRBTN_EN);
	assert_true(sci.level);
	wr(STS, 1, 101, 0xff); /* the low byte holds no power-button status */
	assert_true(sci.level);
	wr(STS + 1, 1, 101, ACPIPM_PWRBTN_STS >> 8);
	assert_false(sci.level);
	assert_int_equal(sci.changes, 2);
	/* A reset lowers an asserted SCI. */
	acpipm_power_button(&pm, 102);
	assert_true(sci.level);
	acpipm_reset(&pm, 103);
	assert_false(sci.level);
	assert_int_equal(rd(STS, 4, 103), 0);
}

static void test_pm1_registers(void **state)
{
	fresh(HZ_2_9G, 0);
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN); /* ACPI mode from reset */
	assert_int_equal(rd(EN, 2, 0), 0);
	wr(EN, 2, 0, 0xffff); /* only the defined enables stick */
	assert_int_equal(rd(EN, 2, 0), ACPIPM_EN_MASK);
	assert_int_equal(ACPIPM_EN_MASK, 0x4721);
	wr(EN + 1, 1, 0, 0); /* the high byte alone */
	assert_int_equal(rd(EN, 2, 0), ACPIPM_TMR_EN | ACPIPM_GBL_EN);
	wr(CNT, 2, 0, 0); /* SCI_EN cannot be cleared: no legacy mode */
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN);
	wr(CNT, 2, 0, ACPIPM_BM_RLD | ACPIPM_GBL_RLS | GENMASK(9, 3) | GENMASK(15, 14));
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN | ACPIPM_BM_RLD); /* GBL_RLS reads 0 */
	wr(CNT, 2, 0, 3 << ACPIPM_SLP_TYP_SHIFT);			/* SLP_TYP without SLP_EN */
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN | 0x0c00);
	wr(CNT, 1, 0, 0); /* the low byte leaves SLP_TYP */
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN | 0x0c00);
	assert_int_equal(vm.state, VM_RUNNING);
	acpipm_reset(&pm, 0);
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN);
	assert_int_equal(rd(EN, 2, 0), 0);
}

/* What ACPICA does for S5: clear WAK_STS, write SLP_TYP, then SLP_TYP | SLP_EN. */
static void test_s5_stops_with_0(void **state)
{
	uint16_t typ = ACPIPM_SLP_TYP_S5 << ACPIPM_SLP_TYP_SHIFT;

	fresh(HZ_2_9G, 0);
	wr(STS, 2, 0, ACPIPM_WAK_STS);
	wr(CNT, 2, 0, ACPIPM_SCI_EN | typ);
	assert_int_equal(vm.state, VM_RUNNING); /* SLP_TYP alone does nothing */
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN | 0x1400);
	wr(CNT, 2, 0, ACPIPM_SCI_EN | typ | ACPIPM_SLP_EN);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "ACPI power-off (S5)");
	assert_false(vm_faulted(&vm));

	fresh(HZ_2_9G, 0); /* the high byte alone; and S5 is final under VM_POLICY_RESTART */
	cfg.policy = VM_POLICY_RESTART;
	wr(CNT + 1, 1, 0, 0x34);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "ACPI power-off (S5)");

	fresh(HZ_2_9G, 0); /* SLP_EN with SLP_TYP 0: not S5 */
	wr(CNT, 2, 0, ACPIPM_SLP_EN);
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN); /* SLP_EN reads 0 */
}

static void test_other_sleep_types_ignored(void **state)
{
	fresh(HZ_2_9G, 0);
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == ACPIPM_SLP_TYP_S5)
			continue;
		wr(CNT, 2, 0, ACPIPM_SCI_EN | typ << ACPIPM_SLP_TYP_SHIFT | ACPIPM_SLP_EN);
		assert_int_equal(vm.state, VM_RUNNING);
		assert_int_equal(rd(CNT, 2, 0), ACPIPM_SCI_EN | typ << ACPIPM_SLP_TYP_SHIFT);
		assert_int_equal(rd(STS, 2, 0), 0); /* no wake: WAK_STS stays clear */
	}
	/* Reported once per boot, naming the first type asked for. */
	assert_string_equal(fx_out, "vm \"fx\": ACPI sleep type 0 is not supported: ignored\n");
	acpipm_reset(&pm, 0);
	fx_out_len = 0;
	wr(CNT + 1, 1, 0, (3 << 2) | (ACPIPM_SLP_EN >> 8));
	assert_string_equal(fx_out, "vm \"fx\": ACPI sleep type 3 is not supported: ignored\n");
}

static void test_widths(void **state)
{
	uint32_t tmr = 0x6a4b3c; /* every byte set, bit 23 not yet: no TMR_STS */
	uint64_t t;

	fresh(HZ_2_9G, 0);
	t = tsc_of(tmr);
	assert_int_equal(acpipm_timer(&pm, t), tmr);
	acpipm_power_button(&pm, t);
	wr(EN, 2, t, ACPIPM_RTC_EN | ACPIPM_TMR_EN);
	assert_int_equal(rd(STS, 4, t), 0x04010100); /* PM1_STS | PM1_EN << 16 */
	assert_int_equal(rd(STS, 1, t), 0x00);
	assert_int_equal(rd(STS + 1, 1, t), 0x01);
	assert_int_equal(rd(EN, 1, t), 0x01);
	assert_int_equal(rd(EN + 1, 1, t), 0x04);
	assert_int_equal(rd(CNT, 4, t), 0xffff0001); /* 0x606-0x607 decode nothing */
	assert_int_equal(rd(0x606, 2, t), 0xffff);
	assert_int_equal(rd(TMR, 4, t), tmr);
	assert_int_equal(rd(TMR, 2, t), tmr & 0xffff);
	assert_int_equal(rd(TMR + 1, 1, t), (tmr >> 8) & 0xff);
	assert_int_equal(rd(TMR + 2, 4, t), 0xffff0000 | tmr >> 16); /* past the block: 0xFF */
	wr(TMR, 4, t, 0);					     /* read-only */
	assert_int_equal(rd(TMR, 4, t), tmr);
	wr(STS, 4, t, ACPIPM_PWRBTN_STS); /* one dword: PWRBTN_STS cleared, PM1_EN written 0 */
	assert_int_equal(rd(STS, 4, t), 0);
	wr(0x606, 2, t, 0xffff); /* nothing there */
	assert_int_equal(rd(STS, 4, t), 0);
	assert_int_equal(rd(CNT, 2, t), ACPIPM_SCI_EN);
}

/* ---- reset paths ---- */

static struct reset_ctl rc;

static uint64_t rc_rd(uint16_t port, unsigned width)
{
	uint64_t v = 0xdead;

	assert_int_equal(reset_ctl_read(&rc, port, width, &v), 0);
	return v;
}

static void rc_wr(uint16_t port, unsigned width, uint64_t v)
{
	assert_int_equal(reset_ctl_write(&rc, port, width, v), 0);
}

static void fresh_rc(enum vm_policy policy)
{
	fx_setup(&vm, &cfg, 0);
	cfg.policy = policy;
	reset_ctl_init(&rc, &vm);
}

static void test_cf9(void **state)
{
	fresh_rc(VM_POLICY_STOP);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0);
	rc_wr(RESET_PORT_RCR, 1, 0x02); /* SYS_RST alone: Linux's "request hard reset" */
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0x02);
	rc_wr(RESET_PORT_RCR, 2, 0x0606); /* only byte accesses reach the register */
	rc_wr(RESET_PORT_RCR, 4, 0x06);
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 2), ~0ULL);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0x02);
	rc_wr(RESET_PORT_RCR, 1, 0x06); /* the FADT's RESET_VALUE; Linux's warm reset */
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "guest reset through port 0xCF9");
	assert_false(vm_faulted(&vm));
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0x02); /* RST_CPU reads 0 */

	fresh_rc(VM_POLICY_STOP);
	rc_wr(RESET_PORT_RCR, 1, 0x0e); /* Linux's cold reset: SYS_RST, RST_CPU, FULL_RST */
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0x0a);
	reset_ctl_power_on(&rc);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0);

	fresh_rc(VM_POLICY_STOP);
	rc_wr(RESET_PORT_RCR, 1, 0x04); /* RST_CPU alone: a soft reset, a reboot too */
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(rc_rd(RESET_PORT_RCR, 1), 0);

	fresh_rc(VM_POLICY_RESTART);
	rc_wr(RESET_PORT_RCR, 1, 0x06);
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_int_equal(vm.exit_status, 0);
	assert_non_null(strstr(fx_out, "guest reset through port 0xCF9: restarting at TSC 1000"));
}

static void test_8042(void **state)
{
	static const uint8_t ignored[] = {0xff, 0xfd, 0xd1, 0xaa, 0xad, 0x20, 0x60, 0xed, 0xef};
	unsigned polls = 0;

	fresh_rc(VM_POLICY_STOP);
	assert_int_equal(rc_rd(RESET_PORT_KBC_CMD, 1), 0); /* nothing pending either way */
	assert_int_equal(rc_rd(RESET_PORT_KBC_DATA, 1), 0);
	assert_int_equal(rc_rd(RESET_PORT_KBC_CMD, 2), 0xff00); /* 0x65 is not ours */
	assert_int_equal(rc_rd(RESET_PORT_KBC_DATA, 4), 0xffffff00);
	/* Linux's kb_wait(): poll until "input buffer full" (bit 1) is clear: at once. */
	while (rc_rd(RESET_PORT_KBC_CMD, 1) & BIT(1) && polls < 0x10000)
		polls++;
	assert_int_equal(polls, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(ignored); i++)
		rc_wr(RESET_PORT_KBC_CMD, 1, ignored[i]);
	rc_wr(RESET_PORT_KBC_DATA, 1, 0xfe); /* data, not a command */
	rc_wr(RESET_PORT_KBC_DATA, 2, 0xfe);
	assert_int_equal(vm.state, VM_RUNNING);
	rc_wr(RESET_PORT_KBC_CMD, 1, 0xfe); /* pulse the reset line */
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "guest reset through the 8042");
	assert_false(vm_faulted(&vm));

	fresh_rc(VM_POLICY_STOP); /* 0xFC pulses reset and line 1 */
	rc_wr(RESET_PORT_KBC_CMD, 1, 0xfc);
	assert_int_equal(vm.state, VM_STOPPED);
	fresh_rc(VM_POLICY_STOP); /* a word at 0x64: its low byte is the command */
	rc_wr(RESET_PORT_KBC_CMD, 2, 0x00fe);
	assert_int_equal(vm.state, VM_STOPPED);
	fresh_rc(VM_POLICY_RESTART);
	rc_wr(RESET_PORT_KBC_CMD, 1, 0xfe);
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_string_equal(vm.stop_reason, "guest reset through the 8042");
}

/* ---- through the PC platform ---- */

static struct pc *pc_vm(enum vm_policy policy)
{
	fx_setup(&vm, &cfg, 0);
	cfg.policy = policy;
	cfg.platform = VM_PLATFORM_PC;
	vm.tsc_hz = HZ_2_9G;
	hz = HZ_2_9G;
	assert_int_equal(dev_attach_platform(&vm), 0);
	assert_ptr_equal(vm.devs[0].model, &pc_model);
	return vm.devs[0].state;
}

static uint64_t bus_rd(uint16_t port, unsigned width)
{
	uint64_t v = 0xdead;

	assert_int_equal(iobus_read(&vm.bus, IOBUS_PIO, port, width, &v), 0);
	return v;
}

static void bus_wr(uint16_t port, unsigned width, uint64_t v)
{
	assert_int_equal(iobus_write(&vm.bus, IOBUS_PIO, port, width, v), 0);
}

/* A clock that moves on at every reading: each one 0.1 s after the one before. */
static unsigned readings;
static uint64_t moving_clock(void)
{
	readings++;
	return fx_now += HZ_2_9G / 10;
}
static const struct vcpu_ops moving_ops = {.kick = fx_kick, .rip = fx_rip, .now = moving_clock};

static void test_pc_ports(void **state)
{
	struct pc *pc = pc_vm(VM_POLICY_STOP);
	uint64_t t0 = fx_now; /* the timer's base: the platform's reset */

	fx_now = t0 + HZ_2_9G; /* one second later, read whole */
	assert_int_equal(bus_rd(TMR, 4), 3579545);
	assert_int_equal(bus_rd(CNT, 2), ACPIPM_SCI_EN);
	assert_int_equal(bus_rd(0x606, 2), 0xffff);
	assert_int_equal(bus_rd(RESET_PORT_KBC_CMD, 1), 0);
	assert_int_equal(bus_rd(RESET_PORT_KBC_DATA, 1), 0);
	assert_int_equal(bus_rd(RESET_PORT_RCR, 1), 0);
	/* A PM timer read is one reading of the clock, never torn across its bytes. */
	vm.vcpu_ops = &moving_ops;
	readings = 0;
	assert_int_equal(bus_rd(TMR, 4), 3579545 + 357954);
	assert_int_equal(readings, 1);
	vm.vcpu_ops = &fx_ops;
	fx_now = t0 + HZ_2_9G;
	assert_int_equal(iobus_read(&vm.bus, IOBUS_PIO, 0x60c, 1, &(uint64_t){0}), IOBUS_NONE);
	assert_int_equal(iobus_read(&vm.bus, IOBUS_PIO, 0xcf8, 4, &(uint64_t){0}), IOBUS_NONE);
	/* The SCI is ISA IRQ 9: the router's GSI 9, the slave PIC's IR1 (level, per ELCR). */
	bus_wr(0x4d1, 1, BIT(1));
	bus_wr(EN, 2, ACPIPM_PWRBTN_EN);
	acpipm_power_button(&pc->acpipm, fx_now);
	assert_true(vm.router.level & BIT(PC_IRQ_SCI));
	assert_int_equal(bus_rd(0xa0, 1) & BIT(1), BIT(1));
	bus_wr(STS, 2, ACPIPM_PWRBTN_STS);
	assert_false(vm.router.level & BIT(PC_IRQ_SCI));
	assert_int_equal(bus_rd(0xa0, 1) & BIT(1), 0);
	/* TMR_EN: the platform's device time includes the PM timer's next toggle. */
	bus_wr(EN, 2, ACPIPM_TMR_EN);
	assert_int_equal(acpipm_next_event(&pc->acpipm), t0 + tsc_of(1 << 23));
	assert_true(vm.timer.next_event(vm.timer.ctx, 0) <= t0 + tsc_of(1 << 23));
	vm.timer.advance(vm.timer.ctx, t0 + tsc_of(1 << 23) - 1, 0);
	assert_false(vm.router.level & BIT(PC_IRQ_SCI));
	vm.timer.advance(vm.timer.ctx, t0 + tsc_of(1 << 23), 0);
	assert_true(vm.router.level & BIT(PC_IRQ_SCI));
	/* S5 through the bus: the VM stops with 0. */
	bus_wr(CNT, 2, ACPIPM_SCI_EN | ACPIPM_SLP_TYP_S5 << ACPIPM_SLP_TYP_SHIFT | ACPIPM_SLP_EN);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, 0);
	assert_string_equal(vm.stop_reason, "ACPI power-off (S5)");
}

/* A reset through the bus restarts a VM_POLICY_RESTART VM; the restart resets both devices. */
static void test_pc_reboot_and_reset(void **state)
{
	struct pc *pc = pc_vm(VM_POLICY_RESTART);

	bus_wr(EN, 2, ACPIPM_PWRBTN_EN);
	acpipm_power_button(&pc->acpipm, fx_now);
	assert_true(vm.router.level & BIT(PC_IRQ_SCI));
	bus_wr(RESET_PORT_RCR, 1, 0x02);
	assert_int_equal(vm.state, VM_RUNNING);
	bus_wr(RESET_PORT_RCR, 1, 0x06);
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_string_equal(vm.stop_reason, "guest reset through port 0xCF9");
	/* What hv/'s restart does with the devices. */
	fx_now += 5 * HZ_2_9G;
	dev_reset_all(&vm);
	vm_reset_runtime(&vm);
	vm.restarts++;
	assert_int_equal(bus_rd(RESET_PORT_RCR, 1), 0);
	assert_int_equal(bus_rd(STS, 4), 0);
	assert_false(vm.router.level & BIT(PC_IRQ_SCI));
	assert_int_equal(bus_rd(TMR, 4), 0); /* the timer starts again at the reset */
	fx_now += HZ_2_9G;
	assert_int_equal(bus_rd(TMR, 4), 3579545);
	bus_wr(RESET_PORT_KBC_CMD, 1, 0xfe);
	assert_int_equal(vm.state, VM_RESTARTING);
	assert_string_equal(vm.stop_reason, "guest reset through the 8042");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timer_rate),
	    cmocka_unit_test(test_timer_wrap),
	    cmocka_unit_test(test_tmr_sts),
	    cmocka_unit_test(test_sci_follows_sts_and_en),
	    cmocka_unit_test(test_pm1_registers),
	    cmocka_unit_test(test_s5_stops_with_0),
	    cmocka_unit_test(test_other_sleep_types_ignored),
	    cmocka_unit_test(test_widths),
	    cmocka_unit_test(test_cf9),
	    cmocka_unit_test(test_8042),
	    cmocka_unit_test(test_pc_ports),
	    cmocka_unit_test(test_pc_reboot_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
