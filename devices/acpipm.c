/*
 * ACPI fixed hardware: PM1 status/enable/control and the PM timer. The timer and
 * TMR_STS are pure functions of the TSC (clocks = floor((now - base) * 3579545 /
 * tsc_hz), no per-tick state); TMR_STS is brought up to date lazily, on every access
 * and advance. Callers: the PC platform's port glue and device timer (devices/pc.c).
 */
#include "devices/acpipm.h"
#include "lib/console.h"
#include "lib/string.h"
#include "vm/vm.h"

#define TMR_MASK	  (BIT(ACPIPM_TMR_BITS) - 1)
#define TMR_EPOCH_SHIFT	  (ACPIPM_TMR_BITS - 1) /* TMR_STS: bit 23 toggles every 2^23 clocks */
#define PM1_CNT_LO_KEEP	  ACPIPM_BM_RLD
#define PM1_CNT_HI_KEEP	  (ACPIPM_SLP_TYP >> 8)
#define PM1_CNT_HI_SLP_EN (ACPIPM_SLP_EN >> 8)

static_assert(ACPIPM_EVT_BLK == ACPIPM_BASE && ACPIPM_CNT_BLK == ACPIPM_BASE + ACPIPM_EVT_LEN &&
		  ACPIPM_TMR_BLK + ACPIPM_TMR_LEN == ACPIPM_BASE + ACPIPM_SIZE,
	      "the claimed range spans the three blocks");
static_assert(((ACPIPM_SLP_TYP | ACPIPM_SLP_EN) & GENMASK(7, 0)) == 0,
	      "SLP_TYP and SLP_EN are in PM1_CNT's high byte");

/*
 * PM timer clocks since base, exact: whole seconds and remainder, so that no
 * product exceeds 64 bits while tsc_hz < 2^42 and no 128-bit division (libgcc's
 * __udivti3, absent from the image) is needed.
 */
static uint64_t pm_clk(const struct acpipm *pm, uint64_t now)
{
	uint64_t d = now > pm->base ? now - pm->base : 0;

	return d / pm->tsc_hz * ACPIPM_TMR_HZ + d % pm->tsc_hz * ACPIPM_TMR_HZ / pm->tsc_hz;
}

/* First TSC value at which the clock count reaches clk (UINT64_MAX if beyond). */
static uint64_t pm_tsc(const struct acpipm *pm, uint64_t clk)
{
	uint64_t part = (clk % ACPIPM_TMR_HZ * pm->tsc_hz + ACPIPM_TMR_HZ - 1) / ACPIPM_TMR_HZ;
	uint64_t whole, t;

	if (__builtin_mul_overflow(clk / ACPIPM_TMR_HZ, pm->tsc_hz, &whole) ||
	    __builtin_add_overflow(whole, part, &t) || __builtin_add_overflow(t, pm->base, &t))
		return UINT64_MAX;
	return t;
}

/* TMR_STS sets whenever bit 23 toggled since the last look, whatever TMR_EN says. */
static void pm_sync(struct acpipm *pm, uint64_t now)
{
	uint64_t epoch = pm_clk(pm, now) >> TMR_EPOCH_SHIFT;

	if (epoch != pm->tmr_epoch) {
		pm->sts |= ACPIPM_TMR_STS;
		pm->tmr_epoch = epoch;
	}
}

/* The SCI is a level: asserted while an enabled event's status is set. */
static void pm_update_sci(struct acpipm *pm)
{
	bool level = (pm->sts & pm->en & ACPIPM_SCI_EVENTS) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

void acpipm_init(struct acpipm *pm, struct vm *vm, uint64_t tsc_hz, struct irq_line sci)
{
	memset(pm, 0, sizeof(*pm));
	pm->vm = vm;
	pm->sci = sci;
	pm->tsc_hz = tsc_hz;
	acpipm_reset(pm, 0);
}

void acpipm_reset(struct acpipm *pm, uint64_t now)
{
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = ACPIPM_SCI_EN;
	pm->base = now;
	pm->tmr_epoch = 0;
	pm->warned = false;
	pm_update_sci(pm);
}

uint32_t acpipm_timer(const struct acpipm *pm, uint64_t now)
{
	return (uint32_t)(pm_clk(pm, now) & TMR_MASK);
}

/* SLP_EN was written with @typ: S5 is the only sleep state this platform has. */
static void pm_sleep(struct acpipm *pm, unsigned typ)
{
	if (typ == ACPIPM_SLP_TYP_S5) {
		vm_stop(pm->vm, 0, "ACPI power-off (S5)");
		return;
	}
	if (!pm->warned)
		pr_warn("vm \"%s\": ACPI sleep type %u is not supported: ignored\n",
			pm->vm->cfg->name, typ);
	pm->warned = true;
}

static void pm_write_byte(struct acpipm *pm, unsigned off, uint8_t b)
{
	switch (off) {
	case 0:
	case 1:
		pm->sts &= (uint16_t) ~(b << (8 * off));
		break;
	case 2:
		pm->en = (uint16_t)(((pm->en & 0xff00) | b) & ACPIPM_EN_MASK);
		break;
	case 3:
		pm->en = (uint16_t)(((pm->en & 0x00ff) | b << 8) & ACPIPM_EN_MASK);
		break;
	case 4:
		pm->cnt = (uint16_t)((pm->cnt & 0xff00) | (b & PM1_CNT_LO_KEEP) | ACPIPM_SCI_EN);
		break;
	case 5:
		pm->cnt = (uint16_t)((pm->cnt & 0x00ff) | (b & PM1_CNT_HI_KEEP) << 8);
		if (b & PM1_CNT_HI_SLP_EN)
			pm_sleep(pm, (pm->cnt & ACPIPM_SLP_TYP) >> ACPIPM_SLP_TYP_SHIFT);
		break;
	default: /* 6, 7: nothing; 8-11: the timer, read-only */
		break;
	}
}

/* Byte @off of the block as read at one instant (0xFF where nothing decodes). */
static uint8_t pm_read_byte(const struct acpipm *pm, unsigned off, uint32_t tmr)
{
	switch (off) {
	case 0:
	case 1:
		return (uint8_t)(pm->sts >> (8 * off));
	case 2:
	case 3:
		return (uint8_t)(pm->en >> (8 * (off - 2)));
	case 4:
	case 5:
		return (uint8_t)(pm->cnt >> (8 * (off - 4)));
	case 8:
	case 9:
	case 10:
	case 11:
		return (uint8_t)(tmr >> (8 * (off - 8)));
	default:
		return 0xff;
	}
}

int acpipm_read(struct acpipm *pm, uint16_t port, unsigned width, uint64_t now, uint64_t *val)
{
	uint32_t tmr = acpipm_timer(pm, now);
	unsigned off = (unsigned)port - ACPIPM_BASE; /* below the base: huge, reads 0xFF */

	pm_sync(pm, now);
	pm_update_sci(pm);
	*val = 0;
	for (unsigned i = 0; i < width; i++)
		*val |= (uint64_t)pm_read_byte(pm, off + i, tmr) << (8 * i);
	return 0;
}

int acpipm_write(struct acpipm *pm, uint16_t port, unsigned width, uint64_t now, uint64_t val)
{
	unsigned off = (unsigned)port - ACPIPM_BASE;

	pm_sync(pm, now); /* a TMR_STS due before this write is set, so it can clear it */
	for (unsigned i = 0; i < width; i++)
		pm_write_byte(pm, off + i, (uint8_t)(val >> (8 * i)));
	pm_update_sci(pm);
	return 0;
}

void acpipm_power_button(struct acpipm *pm, uint64_t now)
{
	pm_sync(pm, now);
	pm->sts |= ACPIPM_PWRBTN_STS;
	pm_update_sci(pm);
}

uint64_t acpipm_next_event(const struct acpipm *pm)
{
	if (!(pm->en & ACPIPM_TMR_EN) || (pm->sts & ACPIPM_TMR_STS))
		return UINT64_MAX;
	return pm_tsc(pm, (pm->tmr_epoch + 1) << TMR_EPOCH_SHIFT);
}

void acpipm_advance(struct acpipm *pm, uint64_t now)
{
	pm_sync(pm, now);
	pm_update_sci(pm);
}
