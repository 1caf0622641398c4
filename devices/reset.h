/*
 * The PC platform's reset paths: the Reset Control Register at port 0xCF9 (as in
 * Intel's ICH/PCH "RST_CNT") and the one 8042 keyboard-controller function an OS
 * uses to reset, the output port's reset line pulsed by a command at port 0x64. There
 * is no keyboard and no other 8042 function. A reset ends in vm_reboot, which
 * restarts or stops the VM per its policy. Called by the PC platform's port glue.
 */
#ifndef DEVICES_RESET_H
#define DEVICES_RESET_H

#include "lib/types.h"

struct vm;

#define RESET_PORT_RCR	    0xcf9
#define RESET_RCR_SYS_RST   BIT(1) /* hard (1) or soft (0) reset: both reboot here */
#define RESET_RCR_RST_CPU   BIT(2) /* 0 -> 1 starts the reset; reads 0 */
#define RESET_RCR_FULL_RST  BIT(3)
#define RESET_PORT_KBC_DATA 0x60
#define RESET_PORT_KBC_CMD  0x64 /* write: command; read: status */
/* Commands 0xF0-0xFF pulse the output-port lines whose command bit is 0; line 0 is reset. */
#define RESET_KBC_PULSE	     0xf0
#define RESET_KBC_PULSE_MASK 0xf0
#define RESET_KBC_RESET_LINE BIT(0)

/* Invariant: rcr never holds RST_CPU (it reads 0; every write setting it is a 0 -> 1). */
struct reset_ctl {
	struct vm *vm;
	uint8_t rcr; /* last value written to 0xCF9, RST_CPU clear */
};

/* Stores the VM a reset reboots, and resets. */
void reset_ctl_init(struct reset_ctl *rc, struct vm *vm);
/* Power-on: 0xCF9 reads 0. */
void reset_ctl_power_on(struct reset_ctl *rc);

/*
 * An access of @width bytes at absolute @port (0xCF9, 0x60 or 0x64). 0xCF9 decodes
 * 1-byte accesses only, as the ICH routes only those to RST_CNT (wider ones read
 * all ones, writes are dropped): a write stores the value without RST_CPU, and with
 * RST_CPU set reboots the VM ("guest reset through port 0xCF9"); a read gives the
 * stored value. The 8042 ports take each byte of a wider access as an access to the
 * next port, as the ISA bus splits it, and only 0x60 and 0x64 decode: both read 0
 * (status: no input to take, no output waiting, so a reset sequence polling "input
 * buffer full" goes on at once); a command at 0x64 that pulses the reset line
 * (0xFE, or any 0xF0-0xFE with bit 0 clear) reboots the VM ("guest reset through
 * the 8042"); other commands and data bytes are ignored. Return 0.
 */
int reset_ctl_read(struct reset_ctl *rc, uint16_t port, unsigned width, uint64_t *val);
int reset_ctl_write(struct reset_ctl *rc, uint16_t port, unsigned width, uint64_t val);

#endif
