/*
 * Host clocks at boot. The TSC is timed over 10 ms of the 8254's channel 2
 * (gated by port 0x61, mode 0, OUT2 read back on 0x61 bit 5), as Linux does;
 * a machine without a PIT falls back to CPUID. The CMOS clock is read between
 * updates (UIP clear, two equal readings). Boot CPU only, before any VM runs.
 */
#include "drivers/clock.h"
#include "arch/x86/cpu.h"

#define PIT_HZ	    1193182
#define PIT_CH2	    0x42
#define PIT_CMD	    0x43
#define PORT_61	    0x61
#define P61_GATE2   BIT(0)
#define P61_SPEAKER BIT(1)
#define P61_OUT2    BIT(5)
#define CAL_MS	    10
#define SPIN_LIMIT  100000000ULL

static uint64_t pit_tsc_hz(void)
{
	uint16_t latch = PIT_HZ / (1000 / CAL_MS);
	uint64_t t0, t1, spins = 0;

	outb(PORT_61, (uint8_t)((inb(PORT_61) & ~P61_SPEAKER) | P61_GATE2));
	outb(PIT_CMD, 0xb0); /* channel 2, LSB then MSB, mode 0, binary */
	outb(PIT_CH2, (uint8_t)latch);
	outb(PIT_CH2, (uint8_t)(latch >> 8));
	t0 = rdtsc();
	while (!(inb(PORT_61) & P61_OUT2))
		if (++spins > SPIN_LIMIT || inb(PORT_61) == 0xff)
			return 0; /* no PIT answers */
	t1 = rdtsc();
	return (t1 - t0) * (1000 / CAL_MS);
}

static uint64_t cpuid_tsc_hz(const char **how)
{
	struct cpuid_regs c = cpuid(0, 0);

	if (c.eax >= 0x15) {
		struct cpuid_regs f = cpuid(0x15, 0);
		if (f.eax && f.ebx && f.ecx) {
			*how = "CPUID 0x15";
			return (uint64_t)f.ecx * f.ebx / f.eax;
		}
	}
	if (c.eax >= 0x16 && (cpuid(0x16, 0).eax & 0xffff)) {
		*how = "CPUID 0x16";
		return (uint64_t)(cpuid(0x16, 0).eax & 0xffff) * 1000000;
	}
	return 0;
}

uint64_t clock_tsc_hz(const char **how)
{
	uint64_t hz = pit_tsc_hz();

	*how = "PIT channel 2";
	return hz ? hz : cpuid_tsc_hz(how);
}

/* ---- the CMOS clock ---- */

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define REG_A_UIP  BIT(7)
#define REG_B_BIN  BIT(2)
#define REG_B_24H  BIT(1)

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static int from_bcd(uint8_t v, bool bin)
{
	return bin ? v : (v >> 4) * 10 + (v & 15);
}

static void read_regs(uint8_t r[7])
{
	static const uint8_t idx[7] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};

	for (unsigned i = 0; i < 7; i++)
		r[i] = cmos(idx[i]);
}

int clock_cmos_time(struct clock_time *t)
{
	uint8_t a[7], b[7], regb;
	bool bin, pm;

	for (unsigned tries = 0;; tries++) {
		if (tries > 1000000)
			return -1;
		if (cmos(0x0a) & REG_A_UIP)
			continue;
		read_regs(a);
		read_regs(b);
		if (!__builtin_memcmp(a, b, sizeof(a)))
			break;
	}
	regb = cmos(0x0b);
	bin = regb & REG_B_BIN;
	pm = !(regb & REG_B_24H) && (a[2] & 0x80);
	t->sec = from_bcd(a[0], bin);
	t->min = from_bcd(a[1], bin);
	t->hour = from_bcd(a[2] & 0x7f, bin) % 12 + (pm ? 12 : 0);
	if (regb & REG_B_24H)
		t->hour = from_bcd(a[2], bin);
	t->mday = from_bcd(a[3], bin);
	t->mon = from_bcd(a[4], bin);
	t->year = from_bcd(a[6], bin) * 100 + from_bcd(a[5], bin);
	if (t->year < 1970) /* no century register */
		t->year = 2000 + from_bcd(a[5], bin);
	return 0;
}
