/*
 * The MMIO test device (docs/abi.md): registers of every width, a write
 * counter, an order-sensitive hash of the writes (TD_SEQ: a coalesced region's
 * guest checks that the device saw its writes in order) and a scratch area that
 * reads back what was written, so guest tests can check every access form. "testdev-slow" is the same device on a
 * page that always takes the EPT-violation path (for the benchmark).
 */
#include "abi/kestrel.h"
#include "devices/devices.h"
#include "lib/errno.h"
#include "lib/string.h"

struct testdev {
	uint64_t r64;
	uint32_t r32;
	uint16_t r16;
	uint8_t r8;
	uint32_t count;
	uint64_t seq; /* TD_SEQ_FOLD over every write since the last write to TD_SEQ */
	bool seq_on;  /* TD_SEQ was written: fold (the plain write path stays as cheap) */
	uint8_t scratch[TD_SCRATCH_END - TD_SCRATCH];
};

static bool reg_is(uint64_t off, unsigned width, uint64_t reg, unsigned reg_width)
{
	return off == reg && width == reg_width;
}

static int td_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	struct testdev *td = dev;

	off &= TD_SCRATCH_END - 1; /* each page of the region has the same layout */
	*val = 0;
	if (off >= TD_SCRATCH && off + width <= TD_SCRATCH_END)
		memcpy(val, td->scratch + (off - TD_SCRATCH), width);
	else if (reg_is(off, width, TD_ID, 4))
		*val = TD_ID_VALUE;
	else if (reg_is(off, width, TD_R64, 8))
		*val = td->r64;
	else if (reg_is(off, width, TD_R32, 4))
		*val = td->r32;
	else if (reg_is(off, width, TD_R16, 2))
		*val = td->r16;
	else if (reg_is(off, width, TD_R8, 1))
		*val = td->r8;
	else if (reg_is(off, width, TD_COUNT, 4))
		*val = td->count;
	else if (reg_is(off, width, TD_SEQ, 8))
		*val = td->seq;
	else
		*val = ~0ULL >> (64 - width * 8); /* unknown register: all ones */
	return 0;
}

static int td_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct testdev *td = dev;

	off &= TD_SCRATCH_END - 1;
	td->count++;
	if (unlikely(td->seq_on))
		td->seq = TD_SEQ_FOLD(td->seq, off, (uint64_t)width, val);
	if (off >= TD_SCRATCH && off + width <= TD_SCRATCH_END)
		memcpy(td->scratch + (off - TD_SCRATCH), &val, width);
	else if (reg_is(off, width, TD_R64, 8))
		td->r64 = val;
	else if (reg_is(off, width, TD_R32, 4))
		td->r32 = (uint32_t)val;
	else if (reg_is(off, width, TD_R16, 2))
		td->r16 = (uint16_t)val;
	else if (reg_is(off, width, TD_R8, 1))
		td->r8 = (uint8_t)val;
	else if (reg_is(off, width, TD_SEQ, 8)) { /* any value: fold afresh from the next write */
		td->seq = 0;
		td->seq_on = true;
	}
	return 0; /* writes to read-only or unknown registers are ignored */
}

static const struct iobus_ops td_ops = {.read = td_read, .write = td_write};

static int td_claim(struct vm *vm, void *state, const struct vm_region *r, uint32_t flags,
		    const char *name)
{
	struct io_range range = {r ? r->gpa : 0, r ? r->size : 0, &td_ops, state, name, flags};

	return r ? iobus_register(&vm->bus, IOBUS_MMIO, &range) : -EINVAL;
}

static int td_attach(struct vm *vm, void *state, const struct vm_region *r)
{
	return td_claim(vm, state, r, 0, "testdev");
}

static int td_attach_slow(struct vm *vm, void *state, const struct vm_region *r)
{
	return td_claim(vm, state, r, IORANGE_SLOW, "testdev-slow");
}

static void td_reset(void *state)
{
	memset(state, 0, sizeof(struct testdev));
}

const struct dev_model testdev_model = {
    .name = "testdev",
    .state_size = sizeof(struct testdev),
    .attach = td_attach,
    .reset = td_reset,
};
const struct dev_model testdev_slow_model = {
    .name = "testdev-slow",
    .state_size = sizeof(struct testdev),
    .attach = td_attach_slow,
    .reset = td_reset,
};
