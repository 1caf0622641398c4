/*
 * Console output on COM1 (THR/LSR only, as docs/abi.md promises) and the way out of the
 * guest: the debug-exit port, then HC_EXIT, then a halt loop (guest_exit), or HC_EXIT first
 * (guest_stop, for VMs whose policy restarts them on the debug-exit port).
 */
#include "guests/testguest/guest.h"
#include "lib/printf.h"

#define LSR_POLL_LIMIT 100000 /* a missing UART must not hang the guest */
#define UART_FIFO      16     /* bytes a 16550 takes after THRE, without another poll */

static void con_wait_thre(void)
{
	for (unsigned i = 0; i < LSR_POLL_LIMIT; i++)
		if (inb(PORT_COM1_LSR) & LSR_THRE)
			return;
}

/* One LSR poll per FIFO-full of bytes: under the hypervisor each poll is an exit too. */
void con_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i % UART_FIFO == 0)
			con_wait_thre();
		outb(PORT_COM1, (uint8_t)s[i]);
	}
}

int gvprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);

	con_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int gprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = gvprintf(fmt, ap);
	va_end(ap);
	return n;
}

__noreturn void guest_stop(unsigned status)
{
	hypercall(HC_EXIT, status, 0, 0);
	guest_exit(status);
}

__noreturn void guest_exit(unsigned status)
{
	outb(PORT_DEBUG_EXIT, (uint8_t)status);
	hypercall(HC_EXIT, status, 0, 0); /* resumes here (fix-up) when there is no hypervisor */
	for (;;)
		__asm__ volatile("cli; hlt");
}
