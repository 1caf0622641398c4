/*
 * The debug-exit port 0xF4: a write ends the VM with the written status (low
 * byte), like QEMU's isa-debug-exit; the VM's policy may restart it instead.
 * Reads give all ones, as from a port nothing decodes.
 */
#include "abi/kestrel.h"
#include "devices/devices.h"

struct debug_exit {
	struct vm *vm;
};

static int de_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	*val = ~0ULL;
	return 0;
}

static int de_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct debug_exit *d = dev;

	vm_fault(d->vm, (int)(val & 0xff), "debug-exit port");
	return 0;
}

static const struct iobus_ops de_ops = {.read = de_read, .write = de_write};

static int de_attach(struct vm *vm, void *state, const struct vm_region *r)
{
	struct debug_exit *d = state;
	struct io_range range = {PORT_DEBUG_EXIT, 1, &de_ops, d, "debug-exit", 0};

	d->vm = vm;
	return iobus_register(&vm->bus, IOBUS_PIO, &range);
}

const struct dev_model debug_exit_model = {
    .name = "debug-exit",
    .state_size = sizeof(struct debug_exit),
    .attach = de_attach,
};
