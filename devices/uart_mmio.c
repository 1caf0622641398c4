/*
 * A memory-mapped 16550 (byte stride 1): transmit goes to the VM's console
 * line, LSR reads idle. Registry of all MMIO device models at the end.
 */
#include "lib/string.h"
#include "vmx/vm.h"

#define UART_THR 0
#define UART_LSR 5

static int uart_read(struct vm *vm, void *state, uint64_t off, unsigned width, uint64_t *val)
{
	*val = off == UART_LSR ? 0x60 : 0;
	return 0;
}

static int uart_write(struct vm *vm, void *state, uint64_t off, unsigned width, uint64_t val)
{
	if (off == UART_THR)
		vm_console_putc(vm, (char)val);
	return 0;
}

static const struct mmio_dev_ops uart_ops = {
    .name = "uart", .read = uart_read, .write = uart_write};

extern const struct mmio_dev_ops testdev_ops, testdev_slow_ops;

static const struct mmio_dev_ops *const mmio_models[] = {&testdev_ops, &testdev_slow_ops,
							 &uart_ops};

const struct mmio_dev_ops *mmio_dev_lookup(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(mmio_models); i++)
		if (!strcmp(mmio_models[i]->name, name))
			return mmio_models[i];
	return NULL;
}
