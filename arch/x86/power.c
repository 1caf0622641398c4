/*
 * Power-off: one status line ("kestrel: exit status N"), drain COM1, then try
 * QEMU's isa-debug-exit (port 0xf4), Bochs's shutdown port 0x8900, ACPI S5 on
 * PM1a_CNT (found from the FADT, or the PIIX4 defaults), and finally halt.
 */
#include "arch/x86/power.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/printf.h"

#define QEMU_DEBUG_EXIT 0xf4
#define BOCHS_SHUTDOWN	0x8900
#define SLP_EN		BIT(13)

static uint16_t acpi_pm1a_cnt;
static uint16_t acpi_slp_typ;

void power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ)
{
	acpi_pm1a_cnt = pm1a_cnt;
	acpi_slp_typ = slp_typ;
}

__noreturn void power_off(enum hv_exit_status status)
{
	static const char bochs[] = "Shutdown";

	char line[32];
	int n = ksnprintf(line, sizeof(line), "kestrel: exit status %d\n", (int)status);

	console_write(line, (size_t)n); /* whatever the log level: the test bench reads it */
	console_drain();
	outb(QEMU_DEBUG_EXIT, (uint8_t)status);
	for (const char *p = bochs; *p; p++)
		outb(BOCHS_SHUTDOWN, (uint8_t)*p);
	if (acpi_pm1a_cnt)
		outw(acpi_pm1a_cnt, (uint16_t)((acpi_slp_typ << 10) | SLP_EN));
	cpu_halt_forever();
}
