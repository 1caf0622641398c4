/*
 * Ending a run: print the status line the test bench reads, drain the serial
 * line, then power off by whatever works (QEMU debug-exit, Bochs, ACPI S5).
 */
#ifndef ARCH_X86_POWER_H
#define ARCH_X86_POWER_H

#include "lib/types.h"

enum hv_exit_status {
	HV_EXIT_OK = 0,
	HV_EXIT_FAIL = 1,     /* an expected failure: bad config, unsupported CPU */
	HV_EXIT_BUG = 2,      /* hypervisor bug: exception, panic */
	HV_EXIT_VM_FAULT = 3, /* the run ended, but a VM was stopped by a fault it did not expect */
};

/* Remember where ACPI says PM1a_CNT is and the S5 sleep type (from the FADT). */
void power_set_acpi(uint16_t pm1a_cnt, uint16_t slp_typ);
/* Try ACPI S5 before the emulators' exit ports ("poweroff=acpi": tests the FADT path). */
void power_prefer_acpi(void);
/* A failed run halts instead of the final ACPI S5: the screen keeps its last lines. */
void power_hold_on_failure(void);
__noreturn void power_off(enum hv_exit_status status);

#endif
