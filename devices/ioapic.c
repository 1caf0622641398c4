/*
 * 82093AA I/O APIC: register file and pin logic (see ioapic.h for the contract).
 * Everything happens synchronously inside the caller: a message is delivered before
 * the call that caused it returns. Called by the VM's interrupt router only.
 */
#include "devices/ioapic.h"
#include "lib/string.h"

static uint64_t all_ones(unsigned width)
{
	return width >= 8 ? ~0ULL : (1ULL << (width * 8)) - 1;
}

/*
 * Only Fixed and Lowest Priority honour the trigger-mode bit: the SDM's "Message
 * Signalled Interrupts" delivery modes say NMI, INIT and ExtINT are edge regardless
 * of it, and SMI is too. Treating them as level would leave Remote IRR set forever,
 * since no EOI follows them.
 */
static bool rte_is_level(uint64_t e)
{
	uint64_t dm = (e & IOAPIC_RTE_DELIVERY) >> 8;

	return (e & IOAPIC_RTE_LEVEL) && (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST);
}

static bool pin_asserted(const struct ioapic *io, unsigned pin)
{
	bool level = io->level & (1U << pin);

	return level != !!(io->redir[pin] & IOAPIC_RTE_LOW_ACT);
}

static void send(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	struct apic_msg m = {
	    .vector = (uint8_t)(e & IOAPIC_RTE_VECTOR),
	    .delivery = (uint8_t)((e & IOAPIC_RTE_DELIVERY) >> 8),
	    .logical = e & IOAPIC_RTE_LOGICAL,
	    .level = rte_is_level(e),
	    .dest = (uint32_t)((e & IOAPIC_RTE_DEST) >> 56),
	};

	if (m.level)
		io->redir[pin] |= IOAPIC_RTE_RIRR;
	if (io->deliver)
		io->deliver(io->ctx, &m);
}

/* A level entry sends whenever its input is asserted, it is unmasked and the last
 * message has been EOIed; called after anything that can change one of those. */
static void level_service(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];

	if (rte_is_level(e) && !(e & (IOAPIC_RTE_MASKED | IOAPIC_RTE_RIRR)) &&
	    pin_asserted(io, pin))
		send(io, pin);
}

void ioapic_init(struct ioapic *io, uint8_t id,
		 void (*deliver)(void *ctx, const struct apic_msg *m), void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->deliver = deliver;
	io->ctx = ctx;
	io->init_id = id & 0xF;
	ioapic_reset(io);
}

void ioapic_reset(struct ioapic *io)
{
	io->id = io->init_id;
	io->arb = io->init_id;
	io->regsel = 0;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = IOAPIC_RTE_MASKED;
}

/* Which pin and half a redirection-table index names; false for any other index. */
static bool redir_index(uint8_t sel, unsigned *pin, bool *high)
{
	if (sel < IOAPIC_REG_REDIR || sel >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
		return false;
	*pin = (unsigned)(sel - IOAPIC_REG_REDIR) / 2;
	*high = sel & 1;
	return true;
}

static uint32_t window_read(const struct ioapic *io)
{
	unsigned pin;
	bool high;

	switch (io->regsel) {
	case IOAPIC_REG_ID:
		return (uint32_t)io->id << 24;
	case IOAPIC_REG_VER:
		return IOAPIC_VER_VALUE;
	case IOAPIC_REG_ARB:
		return (uint32_t)io->arb << 24;
	}
	if (!redir_index(io->regsel, &pin, &high))
		return ~0U;
	return (uint32_t)(high ? io->redir[pin] >> 32 : io->redir[pin]);
}

/*
 * Writing the low dword as edge clears Remote IRR: KVM and QEMU do so, and it is how
 * Linux clears a stuck Remote IRR on an IOAPIC without an EOI register (it rewrites
 * the entry as edge, then as level again).
 */
static void redir_write(struct ioapic *io, unsigned pin, bool high, uint32_t val)
{
	uint64_t e = io->redir[pin];

	if (high)
		e = (e & 0xFFFFFFFFULL) | ((uint64_t)val << 32);
	else
		e = (e & ~0xFFFFFFFFULL) | val;
	e = (e & IOAPIC_RTE_RW) | (io->redir[pin] & IOAPIC_RTE_RIRR);
	if (!rte_is_level(e))
		e &= ~IOAPIC_RTE_RIRR;
	io->redir[pin] = e;
	level_service(io, pin);
}

static void window_write(struct ioapic *io, uint32_t val)
{
	unsigned pin;
	bool high;

	if (io->regsel == IOAPIC_REG_ID) {
		/* The 82093AA loads the arbitration ID whenever the ID is written. */
		io->id = (uint8_t)((val & IOAPIC_ID_MASK) >> 24);
		io->arb = io->id;
	} else if (redir_index(io->regsel, &pin, &high)) {
		redir_write(io, pin, high, val);
	}
	/* VER and ARB are read-only; other indices name nothing. */
}

int ioapic_read(struct ioapic *io, uint64_t off, unsigned width, uint64_t *val)
{
	*val = all_ones(width);
	if (width != 4)
		return 0;
	if (off == IOAPIC_REGSEL)
		*val = io->regsel;
	else if (off == IOAPIC_WINDOW)
		*val = window_read(io);
	return 0;
}

int ioapic_write(struct ioapic *io, uint64_t off, unsigned width, uint64_t val)
{
	if (width != 4)
		return 0;
	if (off == IOAPIC_REGSEL)
		io->regsel = (uint8_t)val; /* bits 31:8 are reserved */
	else if (off == IOAPIC_WINDOW)
		window_write(io, (uint32_t)val);
	return 0;
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	bool was;

	if (pin >= IOAPIC_PINS)
		return;
	was = pin_asserted(io, pin);
	if (level)
		io->level |= 1U << pin;
	else
		io->level &= ~(1U << pin);
	if (rte_is_level(io->redir[pin]))
		level_service(io, pin);
	else if (!was && pin_asserted(io, pin) && !(io->redir[pin] & IOAPIC_RTE_MASKED))
		send(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];

		if (!rte_is_level(e) || (e & IOAPIC_RTE_VECTOR) != vector)
			continue;
		io->redir[pin] &= ~IOAPIC_RTE_RIRR;
		level_service(io, pin);
	}
}
