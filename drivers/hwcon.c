/*
 * The console backend on the machine: every byte to COM1 (CR before LF) and to
 * port 0xE9 (Bochs's and QEMU's debug console). lib/console.c serialises calls.
 */
#include "drivers/hwcon.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "drivers/serial.h"

#define COM1	 0x3f8
#define DEBUGCON 0xe9

static void hwcon_init(void)
{
	serial_init(COM1);
}

static void hwcon_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		outb(DEBUGCON, (uint8_t)s[i]);
	}
}

static unsigned hwcon_cpu(void)
{
	return this_cpu()->index;
}

const struct console_backend hwcon_backend = {
    .init = hwcon_init,
    .write = hwcon_write,
    .drain = serial_drain,
    .cpu = hwcon_cpu,
};
