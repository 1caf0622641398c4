/*
 * Polled 16550 UART on COM1 at 115200 8N1. If no UART answers (loopback
 * probe fails) output goes only to port 0xE9; never spin forever.
 */
#include "drivers/serial.h"
#include "arch/x86/cpu.h"

#define UART_THR   0
#define UART_RBR   0
#define UART_IER   1
#define UART_FCR   2
#define UART_LCR   3
#define UART_MCR   4
#define UART_LSR   5
#define UART_DLL   0
#define UART_DLM   1
#define LSR_DR	   BIT(0)
#define LSR_THRE   BIT(5)
#define LSR_TEMT   BIT(6)
#define LCR_DLAB   BIT(7)
#define SPIN_LIMIT 1000000

static uint16_t uart;

void serial_init(uint16_t base)
{
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, LCR_DLAB);
	outb(base + UART_DLL, 1); /* 115200 baud */
	outb(base + UART_DLM, 0);
	outb(base + UART_LCR, 0x03); /* 8N1 */
	outb(base + UART_FCR, 0x07); /* enable and clear FIFOs */
	outb(base + UART_MCR, 0x03); /* DTR, RTS */
	/* no UART here reads back 0xff from every register */
	uart = inb(base + UART_LSR) == 0xff ? 0 : base;
}

void serial_putc(char c)
{
	if (!uart)
		return;
	for (int i = 0; i < SPIN_LIMIT && !(inb(uart + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(uart + UART_THR, (uint8_t)c);
}

void serial_drain(void)
{
	if (!uart)
		return;
	for (int i = 0; i < SPIN_LIMIT && !(inb(uart + UART_LSR) & LSR_TEMT); i++)
		cpu_relax();
}

bool serial_present(void)
{
	return uart != 0;
}

int serial_getc(void)
{
	if (!uart || !(inb(uart + UART_LSR) & LSR_DR))
		return -1;
	return inb(uart + UART_RBR);
}
