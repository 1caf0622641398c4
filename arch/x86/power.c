/*
 * Power-off: one status line ("kestrel: exit status N"), drain COM1, then try
 * QEMU's isa-debug-exit (port 0xf4), Bochs's shutdown port 0x8900, ACPI S5 on
 * PM1a_CNT (from the FADT and the DSDT's \_S5), and finally halt. With
 * power_prefer_acpi(), ACPI S5 goes first and says so when it did not work. With
 * power_hold_on_failure() (a screen shows the log), a failed run skips the final S5
 * and halts, so a human can read why it stopped.
 */
#include "arch/x86/power.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/printf.h"

#define QEMU_DEBUG_EXIT 0xf4
#define BOCHS_SHUTDOWN	0x8900
#define SLP_EN		BIT(13)
#define SLP_TYP		GENMASK(12, 10)
#define S5_GRACE_LOOPS	1000000 /* PAUSEs to wait for S5 before calling it a failure */

static uint16_t acpi_pm1a_cnt;
static uint16_t acpi_slp_typ;
static bool acpi_first;
static bool hold_on_failure;

void power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ)
{
	acpi_pm1a_cnt = pm1a_cnt;
	acpi_slp_typ = slp_typ;
}

void power_prefer_acpi(void)
{
	acpi_first = true;
}

void power_hold_on_failure(void)
{
	hold_on_failure = true;
}

/* ACPI "Sleeping/Wake Control": SLP_TYP first, then SLP_EN, other bits kept. */
static void acpi_s5(void)
{
	uint16_t v;

	if (!acpi_pm1a_cnt)
		return;
	v = (uint16_t)((inw(acpi_pm1a_cnt) & ~(SLP_TYP | SLP_EN)) | (acpi_slp_typ << 10));
	outw(acpi_pm1a_cnt, v);
	outw(acpi_pm1a_cnt, (uint16_t)(v | SLP_EN));
}

__noreturn void power_off(enum hv_exit_status status)
{
	static const char bochs[] = "Shutdown";

	char line[64];
	int n = ksnprintf(line, sizeof(line), "kestrel: exit status %d\n", (int)status);

	console_write(line, (size_t)n); /* whatever the log level: the test bench reads it */
	console_drain();
	if (acpi_first && acpi_pm1a_cnt) {
		acpi_s5();
		for (unsigned i = 0; i < S5_GRACE_LOOPS; i++)
			cpu_relax();
		n = ksnprintf(line, sizeof(line), "power: ACPI S5 did not power off\n");
		console_write(line, (size_t)n);
		console_drain();
	}
	outb(QEMU_DEBUG_EXIT, (uint8_t)status);
	for (const char *p = bochs; *p; p++)
		outb(BOCHS_SHUTDOWN, (uint8_t)*p);
	if (hold_on_failure && status != HV_EXIT_OK) {
		n = ksnprintf(line, sizeof(line), "power: halted, not powered off: see above\n");
		console_write(line, (size_t)n);
		console_drain();
		cpu_halt_forever();
	}
	acpi_s5();
	cpu_halt_forever();
}
