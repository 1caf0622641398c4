/*
 * Port I/O device models: the 16550 console at 0x3F8 (transmit only; output
 * goes to the hypervisor console prefixed with the VM's name), the debug-exit
 * port 0xF4 (ends the VM with the written status, like QEMU's isa-debug-exit)
 * and port 0x80 (POST codes, ignored). Other ports read as all ones.
 */
#include "abi/kestrel.h"
#include "vmx/vm.h"

#define COM1_BASE  PORT_COM1
#define UART_LSR   5
#define LSR_IDLE   0x60 /* THR empty, transmitter empty */
#define DEBUG_EXIT PORT_DEBUG_EXIT

static uint32_t uart_read(uint16_t reg)
{
	return reg == UART_LSR ? LSR_IDLE : 0;
}

int port_io(struct vm *vm, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	if (port >= COM1_BASE && port < COM1_BASE + 8) {
		if (in)
			*val = uart_read((uint16_t)(port - COM1_BASE));
		else if (port == COM1_BASE)
			vm_console_putc(vm, (char)*val);
		return 0;
	}
	if (port == DEBUG_EXIT && !in) {
		vm_fault(vm, (int)(*val & 0xff), "debug-exit port");
		return 0;
	}
	if (in)
		*val = 0xffffffff;
	return 0;
}
