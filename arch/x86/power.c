/*
 * Power-off: one status line ("kestrel: exit status N"), drain COM1, then try
 * QEMU's isa-debug-exit (port 0xf4), Bochs's shutdown port 0x8900, ACPI S5 on
 * PM1a_CNT and PM1b_CNT (from the FADT and the DSDT's \_S5; ACPI mode entered first
 * through SMI_CMD when SCI_EN is clear), and finally halt. With
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
#define SCI_EN		BIT(0)
#define SLP_EN		BIT(13)
#define SLP_TYP		GENMASK(12, 10)
#define S5_GRACE_LOOPS	1000000 /* PAUSEs to wait for S5 before calling it a failure */
#define SCI_EN_READS	3000000 /* PM1a_CNT reads (~1 us each on hardware) for ACPI mode */

static struct {
	uint16_t pm1a_cnt, pm1b_cnt, smi_cmd;
	uint8_t slp_typ_a, slp_typ_b, acpi_enable;
} acpi_pm;
static bool acpi_first;
static bool hold_on_failure;

void power_set_acpi(const struct acpi_info *a)
{
	acpi_pm.pm1a_cnt = a->pm1a_cnt;
	acpi_pm.pm1b_cnt = a->pm1b_cnt;
	acpi_pm.slp_typ_a = a->s5_typ_a;
	acpi_pm.slp_typ_b = a->s5_typ_b;
	acpi_pm.smi_cmd = a->smi_cmd;
	acpi_pm.acpi_enable = a->acpi_enable;
}

void power_prefer_acpi(void)
{
	acpi_first = true;
}

void power_hold_on_failure(void)
{
	hold_on_failure = true;
}

static void say(const char *line, size_t n)
{
	console_write(line, n);
	console_drain();
}

/*
 * ACPI "ACPI Hardware Specification", legacy mode: while PM1_CNT.SCI_EN is clear the
 * firmware owns the fixed hardware and SLP_EN may do nothing. Writing ACPI_ENABLE to
 * SMI_CMD asks it to hand over; OSPM then polls SCI_EN. The wait is bounded: a firmware
 * that never sets it gets a line, and S5 is tried anyway.
 */
static void acpi_enable_mode(void)
{
	char line[96];

	if (inw(acpi_pm.pm1a_cnt) & SCI_EN)
		return;
	if (!acpi_pm.smi_cmd || !acpi_pm.acpi_enable)
		return; /* no way to ask: the FADT says the hardware is ACPI-only */
	outb(acpi_pm.smi_cmd, acpi_pm.acpi_enable);
	for (unsigned i = 0; i < SCI_EN_READS; i++) {
		if (inw(acpi_pm.pm1a_cnt) & SCI_EN)
			return;
		cpu_relax();
	}
	say(line, (size_t)ksnprintf(line, sizeof(line),
				    "power: ACPI mode not entered: SCI_EN still clear after "
				    "0x%x to SMI_CMD 0x%x\n",
				    acpi_pm.acpi_enable, acpi_pm.smi_cmd));
}

static uint16_t slp_value(uint16_t port, uint8_t typ)
{
	return (uint16_t)((inw(port) & ~(SLP_TYP | SLP_EN)) | ((uint16_t)typ << 10));
}

/*
 * ACPI "Sleeping/Wake Control": SLP_TYP first, then SLP_EN, other bits kept, in PM1a_CNT
 * and in PM1b_CNT when the FADT has one (each with its own \_S5 value).
 */
static void acpi_s5(void)
{
	uint16_t a, b = 0;

	if (!acpi_pm.pm1a_cnt)
		return;
	acpi_enable_mode();
	a = slp_value(acpi_pm.pm1a_cnt, acpi_pm.slp_typ_a);
	outw(acpi_pm.pm1a_cnt, a);
	if (acpi_pm.pm1b_cnt) {
		b = slp_value(acpi_pm.pm1b_cnt, acpi_pm.slp_typ_b);
		outw(acpi_pm.pm1b_cnt, b);
	}
	outw(acpi_pm.pm1a_cnt, (uint16_t)(a | SLP_EN));
	if (acpi_pm.pm1b_cnt)
		outw(acpi_pm.pm1b_cnt, (uint16_t)(b | SLP_EN));
}

__noreturn void power_off(enum hv_exit_status status)
{
	static const char bochs[] = "Shutdown";

	char line[64];
	int n = ksnprintf(line, sizeof(line), "kestrel: exit status %d\n", (int)status);

	console_write(line, (size_t)n); /* whatever the log level: the test bench reads it */
	console_drain();
	if (acpi_first && acpi_pm.pm1a_cnt) {
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
