/*
 * Ending a run: print the status line the test bench reads, drain the serial
 * line, then power off by whatever works (QEMU debug-exit, Bochs, ACPI S5).
 */
#ifndef ARCH_X86_POWER_H
#define ARCH_X86_POWER_H

#include "lib/types.h"
#include "fw/acpi.h"

enum hv_exit_status {
	HV_EXIT_OK = 0,
	HV_EXIT_FAIL = 1,     /* an expected failure: bad config, unsupported CPU */
	HV_EXIT_BUG = 2,      /* hypervisor bug: exception, panic */
	HV_EXIT_VM_FAULT = 3, /* the run ended, but a VM was stopped by a fault it did not expect */
};

/*
 * Remember what S5 needs from the parsed tables: PM1a/PM1b_CNT, their \_S5 sleep types,
 * SMI_CMD and ACPI_ENABLE (to enter ACPI mode first). @pre a->pm1a_cnt && a->has_s5
 */
void power_set_acpi(const struct acpi_info *a);
/* Try ACPI S5 before the emulators' exit ports ("poweroff=acpi": tests the FADT path). */
void power_prefer_acpi(void);
/* A failed run halts instead of the final ACPI S5: the screen keeps its last lines. */
void power_hold_on_failure(void);
__noreturn void power_off(enum hv_exit_status status);

#endif
