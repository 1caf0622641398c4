/*
 * Console UARTs: a memory-mapped 16550 (byte stride 1, model "uart") and the
 * port-mapped one at COM1 ("com1"). Transmit only: bytes go to the VM's
 * console line; LSR reads idle (transmitter empty), other registers 0.
 */
#include "abi/kestrel.h"
#include "devices/devices.h"
#include "lib/errno.h"

#define UART_THR  0
#define UART_LSR  5
#define LSR_IDLE  0x60 /* THR empty, transmitter empty */
#define UART_REGS 8

struct conuart {
	struct vm *vm;
};

static int cu_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	*val = off == UART_LSR ? LSR_IDLE : 0;
	return 0;
}

static int cu_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct conuart *u = dev;

	if (off == UART_THR)
		vm_console_putc(u->vm, (char)val);
	return 0;
}

static const struct iobus_ops cu_ops = {.read = cu_read, .write = cu_write};

static int mmio_attach(struct vm *vm, void *state, const struct vm_region *r)
{
	struct conuart *u = state;
	struct io_range range = {r ? r->gpa : 0, r ? r->size : 0, &cu_ops, u, "uart", 0};

	u->vm = vm;
	return r ? iobus_register(&vm->bus, IOBUS_MMIO, &range) : -EINVAL;
}

static int com1_attach(struct vm *vm, void *state, const struct vm_region *r)
{
	struct conuart *u = state;
	struct io_range range = {PORT_COM1, UART_REGS, &cu_ops, u, "com1", 0};

	u->vm = vm;
	return iobus_register(&vm->bus, IOBUS_PIO, &range);
}

const struct dev_model uart_mmio_model = {
    .name = "uart",
    .state_size = sizeof(struct conuart),
    .attach = mmio_attach,
};
const struct dev_model com1_model = {
    .name = "com1",
    .state_size = sizeof(struct conuart),
    .attach = com1_attach,
};
