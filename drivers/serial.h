/* 16550 UART driver for the host console (COM1). Called by drivers/hwcon.c only. */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

#include "lib/types.h"

void serial_init(uint16_t base);
void serial_putc(char c);
void serial_drain(void);   /* wait until the transmitter is empty (LSR.TEMT) */
bool serial_present(void); /* a UART answered at serial_init */
int serial_getc(void);	   /* a received byte, or -1 when none waits (never blocks) */

#endif
