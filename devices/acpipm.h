/*
 * The ACPI fixed-hardware registers of the PC platform (ACPI spec "ACPI Hardware
 * Specification", "Fixed Hardware Programming Model"): PM1a event block (PM1_STS,
 * PM1_EN), PM1a control block (PM1_CNT: SCI_EN, SLP_TYP, SLP_EN) and the 24-bit PM
 * timer at 3.579545 MHz, at fixed ports the VM's FADT points to. The hardware is in
 * ACPI mode from reset (there is no SMI_CMD). Pure state machine, time given as guest
 * TSC; the caller serialises all calls and never lets `now` go backwards.
 */
#ifndef DEVICES_ACPIPM_H
#define DEVICES_ACPIPM_H

#include "lib/types.h"
#include "vm/irq.h"

struct vm;

/* Register blocks (FADT PM1a_EVT_BLK, PM1a_CNT_BLK, PM_TMR_BLK and their lengths). */
#define ACPIPM_BASE	0x600
#define ACPIPM_EVT_BLK	0x600 /* PM1_STS at +0, PM1_EN at +2, 2 bytes each */
#define ACPIPM_EVT_LEN	4
#define ACPIPM_CNT_BLK	0x604 /* PM1_CNT */
#define ACPIPM_CNT_LEN	2
#define ACPIPM_TMR_BLK	0x608 /* PM_TMR */
#define ACPIPM_TMR_LEN	4
#define ACPIPM_SIZE	12 /* ports claimed: 0x600-0x60B (0x606-0x607 decode nothing) */
#define ACPIPM_TMR_HZ	3579545u
#define ACPIPM_TMR_BITS 24 /* FADT TMR_VAL_EXT clear */

/* PM1_STS: write 1 to clear. */
#define ACPIPM_TMR_STS	   BIT(0) /* PM timer bit 23 toggled */
#define ACPIPM_BM_STS	   BIT(4)
#define ACPIPM_GBL_STS	   BIT(5)
#define ACPIPM_PWRBTN_STS  BIT(8)
#define ACPIPM_SLPBTN_STS  BIT(9)
#define ACPIPM_RTC_STS	   BIT(10)
#define ACPIPM_PCIEXP_WAKE BIT(14)
#define ACPIPM_WAK_STS	   BIT(15)

/* PM1_EN: each enable sits at its status bit (PCIEXP_WAKE_DIS is a disable). */
#define ACPIPM_TMR_EN	       BIT(0)
#define ACPIPM_GBL_EN	       BIT(5)
#define ACPIPM_PWRBTN_EN       BIT(8)
#define ACPIPM_SLPBTN_EN       BIT(9)
#define ACPIPM_RTC_EN	       BIT(10)
#define ACPIPM_PCIEXP_WAKE_DIS BIT(14)
#define ACPIPM_EN_MASK                                                                             \
	(ACPIPM_TMR_EN | ACPIPM_GBL_EN | ACPIPM_PWRBTN_EN | ACPIPM_SLPBTN_EN | ACPIPM_RTC_EN |     \
	 ACPIPM_PCIEXP_WAKE_DIS)
#define ACPIPM_SCI_EVENTS                                                                          \
	(ACPIPM_TMR_EN | ACPIPM_GBL_EN | ACPIPM_PWRBTN_EN | ACPIPM_SLPBTN_EN | ACPIPM_RTC_EN)

/* PM1_CNT. */
#define ACPIPM_SCI_EN	     BIT(0) /* reads 1 always: ACPI mode, no legacy (SMI) mode */
#define ACPIPM_BM_RLD	     BIT(1)
#define ACPIPM_GBL_RLS	     BIT(2) /* write-only: no firmware owns the global lock here */
#define ACPIPM_SLP_TYP	     GENMASK(12, 10)
#define ACPIPM_SLP_TYP_SHIFT 10
#define ACPIPM_SLP_EN	     BIT(13) /* write-only */
#define ACPIPM_SLP_TYP_S5    5	     /* what the DSDT's \_S5 package says */

/*
 * Invariants: sts holds only TMR_STS and PWRBTN_STS (the events this platform has),
 * brought up to date to the timer epoch tmr_epoch; en only ACPIPM_EN_MASK bits;
 * cnt only SCI_EN (always), BM_RLD and SLP_TYP; sci carries (sts & en & SCI events)
 * != 0 as of the last call.
 */
struct acpipm {
	struct vm *vm; /* S5 stops it */
	struct irq_line sci;
	uint64_t tsc_hz;
	uint64_t base;	    /* TSC at which the PM timer read 0 */
	uint64_t tmr_epoch; /* PM timer clocks >> 23 when TMR_STS was last brought up to date */
	uint16_t sts, en, cnt;
	bool sci_level;
	bool warned; /* an unsupported sleep type was reported this boot */
};

/*
 * Stores the wiring; acpipm_reset gives the power-on state.
 * @pre ACPIPM_TMR_HZ <= tsc_hz < 2^42 (keeps the exact conversions within 64 bits)
 */
void acpipm_init(struct acpipm *pm, struct vm *vm, uint64_t tsc_hz, struct irq_line sci);
/* Power-on: status and enables clear, SCI_EN set, SLP_TYP 0, the timer at 0 at TSC @now. */
void acpipm_reset(struct acpipm *pm, uint64_t now);

/*
 * An access of @width (1, 2 or 4) bytes at absolute @port, taken whole: byte i is
 * port + i's register byte (a port of the block that decodes nothing, or past its end,
 * reads 0xFF and ignores writes), all of one instant, so a 4-byte timer read is never
 * torn. Writes: PM1_STS bits written 1 clear; PM1_EN keeps its defined bits; PM1_CNT
 * keeps BM_RLD and SLP_TYP, and SLP_EN with SLP_TYP 5 stops the VM with status 0 ("ACPI
 * power-off (S5)"); other sleep types are not supported: the write is ignored beyond
 * storing SLP_TYP (no WAK_STS), and reported once per boot. Return 0.
 * @pre now is not before any earlier call's now
 */
int acpipm_read(struct acpipm *pm, uint16_t port, unsigned width, uint64_t now, uint64_t *val);
int acpipm_write(struct acpipm *pm, uint16_t port, unsigned width, uint64_t now, uint64_t val);

/* The PM timer's value at @now: floor((now - base) * 3579545 / tsc_hz) mod 2^24. */
uint32_t acpipm_timer(const struct acpipm *pm, uint64_t now);

/* The fixed power button is pressed: PWRBTN_STS set (an SCI if PWRBTN_EN). */
void acpipm_power_button(struct acpipm *pm, uint64_t now);

/* TSC at which TMR_STS next sets while TMR_EN would make it an SCI, or UINT64_MAX. */
uint64_t acpipm_next_event(const struct acpipm *pm);
/* TMR_STS and the SCI brought to @now. @pre now is not before any earlier call's now */
void acpipm_advance(struct acpipm *pm, uint64_t now);

#endif
