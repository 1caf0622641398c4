/*
 * Port 0xCF9 and the 8042's reset line: the ways an OS resets a PC (Linux tries the
 * FADT's reset register, 0xCF9 value 6, then the 8042 command 0xFE, then 0xCF9
 * directly). Nothing else of the 8042 exists: no keyboard, no mouse, no A20 gate.
 */
#include "devices/reset.h"
#include "vm/vm.h"

void reset_ctl_init(struct reset_ctl *rc, struct vm *vm)
{
	rc->vm = vm;
	reset_ctl_power_on(rc);
}

void reset_ctl_power_on(struct reset_ctl *rc)
{
	rc->rcr = 0;
}

/* One byte at the 8042's ports: status and data both read 0; 0x61-0x63 are not ours. */
static uint8_t kbc_read(uint16_t port)
{
	return port == RESET_PORT_KBC_DATA || port == RESET_PORT_KBC_CMD ? 0 : 0xff;
}

static void kbc_write(struct reset_ctl *rc, uint16_t port, uint8_t b)
{
	if (port == RESET_PORT_KBC_CMD && (b & RESET_KBC_PULSE_MASK) == RESET_KBC_PULSE &&
	    !(b & RESET_KBC_RESET_LINE))
		vm_reboot(rc->vm, "guest reset through the 8042");
}

int reset_ctl_read(struct reset_ctl *rc, uint16_t port, unsigned width, uint64_t *val)
{
	if (port == RESET_PORT_RCR) {
		*val = width == 1 ? rc->rcr : ~0ULL;
		return 0;
	}
	*val = 0;
	for (unsigned i = 0; i < width; i++)
		*val |= (uint64_t)kbc_read((uint16_t)(port + i)) << (8 * i);
	return 0;
}

int reset_ctl_write(struct reset_ctl *rc, uint16_t port, unsigned width, uint64_t val)
{
	if (port == RESET_PORT_RCR) {
		if (width != 1)
			return 0;
		rc->rcr = (uint8_t)(val & ~RESET_RCR_RST_CPU);
		if (val & RESET_RCR_RST_CPU)
			vm_reboot(rc->vm, "guest reset through port 0xCF9");
		return 0;
	}
	for (unsigned i = 0; i < width; i++)
		kbc_write(rc, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
	return 0;
}
