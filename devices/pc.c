/*
 * The PC platform's ISA side: the 8259A pair with ELCR, the 8254 PIT and port
 * 0x61, the MC146818 RTC, the 16550A COM1, the IOAPIC, the ACPI PM registers and
 * the reset ports (0xCF9, the 8042's 0x60/0x64), each on its ports or
 * page of the VM's bus; their IRQ lines routed through the VM's router to both
 * interrupt controllers; one timer source for all of them. Runs on the CPU of
 * the VM (a VM with one vCPU: that vCPU's CPU).
 */
#include "abi/kestrel.h"
#include "devices/devices.h"
#include "devices/pc.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vm/conin.h"

uint64_t pc_boot_epoch, pc_boot_tsc;

/* Wall-clock seconds now, from the boot reading and the TSC. */
static uint64_t wall_clock(const struct pc *pc, uint64_t t)
{
	uint64_t hz = pc->vm->tsc_hz ? pc->vm->tsc_hz : 1;

	return pc_boot_epoch + (t > pc_boot_tsc ? (t - pc_boot_tsc) / hz : 0);
}

static uint64_t now(const struct pc *pc)
{
	return pc->vm->vcpu_ops->now();
}

/* ---- port handlers: absolute port numbers, one byte at a time ---- */

/* Every port range claimed, and the device behind it. */
static const struct {
	uint16_t base, size;
	enum pc_port_dev dev;
} pc_ports[] = {
    {0x20, 2, PC_PIC},	  {0xa0, 2, PC_PIC},   {0x4d0, 2, PC_PIC},	{0x40, 4, PC_PIT},
    {0x61, 1, PC_PIT},	  {0x70, 2, PC_RTC},   {PORT_COM1, 8, PC_COM1}, {0x600, 12, PC_ACPIPM},
    {0xcf9, 1, PC_RESET}, {0x60, 1, PC_RESET}, {0x64, 1, PC_RESET},
};
static_assert(ARRAY_SIZE(pc_ports) == PC_PORT_RANGES, "one pc_port_range per claimed range");
static_assert(ACPIPM_BASE == 0x600 && ACPIPM_SIZE == 12 && RESET_PORT_RCR == 0xcf9 &&
		  RESET_PORT_KBC_DATA == 0x60 && RESET_PORT_KBC_CMD == 0x64,
	      "the table claims the power and reset ports the headers (and the FADT) name");

static uint8_t port_read(struct pc *pc, enum pc_port_dev dev, uint16_t port)
{
	uint8_t b = 0xff;

	pc_wake(pc, pc->vm->dev_vcpu, VCPU_WORK_TIMER); /* a polling exit: re-arm its timer */
	switch (dev) {
	case PC_ACPIPM:
	case PC_RESET:
		break; /* not here: their ranges take accesses whole (whole_read) */
	case PC_PIC:
		pic_read(&pc->pic, port, &b);
		break;
	case PC_PIT:
		pit_read(&pc->pit, port, now(pc), &b);
		break;
	case PC_RTC:
		rtc_read(&pc->rtc, port, now(pc), &b);
		break;
	case PC_COM1:
		conin_poll(pc->vm); /* a guest polling its UART sees host input at once */
		uart_read(&pc->com1, (uint16_t)(port - PORT_COM1), now(pc), &b);
		break;
	}
	return b;
}

static void port_write(struct pc *pc, enum pc_port_dev dev, uint16_t port, uint8_t b)
{
	switch (dev) {
	case PC_ACPIPM:
	case PC_RESET:
		break; /* whole_write */
	case PC_PIC:
		pic_write(&pc->pic, port, b);
		break;
	case PC_PIT:
		pit_write(&pc->pit, port, now(pc), b);
		break;
	case PC_RTC:
		rtc_write(&pc->rtc, port, now(pc), b);
		break;
	case PC_COM1:
		uart_write(&pc->com1, (uint16_t)(port - PORT_COM1), now(pc), b);
		break;
	}
	pc_wake(pc, 0, VCPU_WORK_TIMER); /* a device's next event may have moved (vCPU 0 runs it) */
}

/* Wider accesses are byte accesses to consecutive ports, as the ISA bus splits them. */
static int range_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	const struct pc_port_range *r = dev;

	*val = 0;
	for (unsigned i = 0; i < width; i++)
		*val |= (uint64_t)port_read(r->pc, r->dev, (uint16_t)(r->base + off + i))
			<< (8 * i);
	return 0;
}

static int range_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	const struct pc_port_range *r = dev;

	for (unsigned i = 0; i < width; i++)
		port_write(r->pc, r->dev, (uint16_t)(r->base + off + i), (uint8_t)(val >> (8 * i)));
	return 0;
}

static const struct iobus_ops pc_port_ops = {.read = range_read, .write = range_write};

/* PC_ACPIPM and PC_RESET: the access whole, at one instant. */
static int whole_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	const struct pc_port_range *r = dev;
	struct pc *pc = r->pc;
	uint16_t port = (uint16_t)(r->base + off);

	pc_wake(pc, pc->vm->dev_vcpu, VCPU_WORK_TIMER); /* a polling exit (the PM timer) */
	if (r->dev == PC_ACPIPM)
		return acpipm_read(&pc->acpipm, port, width, now(pc), val);
	return reset_ctl_read(&pc->reset, port, width, val);
}

static int whole_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	const struct pc_port_range *r = dev;
	struct pc *pc = r->pc;
	uint16_t port = (uint16_t)(r->base + off);

	pc_wake(pc, 0, VCPU_WORK_TIMER); /* TMR_EN may have moved the next event */
	if (r->dev == PC_ACPIPM)
		return acpipm_write(&pc->acpipm, port, width, now(pc), val);
	return reset_ctl_write(&pc->reset, port, width, val);
}

static const struct iobus_ops pc_whole_ops = {.read = whole_read, .write = whole_write};

/* ---- the IOAPIC page ---- */

static int ioapic_mmio_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	return ioapic_read(&((struct pc *)dev)->ioapic, off, width, val);
}

static int ioapic_mmio_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	return ioapic_write(&((struct pc *)dev)->ioapic, off, width, val);
}

static const struct iobus_ops pc_ioapic_ops = {.read = ioapic_mmio_read,
					       .write = ioapic_mmio_write};

/* ---- wiring ---- */

static void pic_line(void *ctx, unsigned pin, bool level)
{
	pic_set_irq(&((struct pc *)ctx)->pic, pin, level);
}

static void ioapic_line(void *ctx, unsigned pin, bool level)
{
	ioapic_set_irq(&((struct pc *)ctx)->ioapic, pin, level);
}

/* The PIC's INT pin is the boot vCPU's LINT0 (virtual-wire mode through the APIC). */
static void pic_int(void *ctx, unsigned line, bool level)
{
	struct pc *pc = ctx;

	lapic_set_lint(&pc->lapic[0], 0, level);
	pc_wake(pc, 0, VCPU_WORK_IRQ);
}

static void ioapic_deliver(void *ctx, const struct apic_msg *m)
{
	pc_apic_route(ctx, m, -1, 0);
}

static void com1_tx(void *ctx, uint8_t byte)
{
	vm_console_putc(((struct pc *)ctx)->vm, (char)byte);
}

/* Console input (vm/conin.h) arrives on COM1's receive side; its timeout moved. */
static bool com1_rx(void *ctx, uint8_t byte)
{
	struct pc *pc = ctx;
	bool taken = uart_receive(&pc->com1, byte, now(pc));

	pc_wake(pc, 0, VCPU_WORK_TIMER);
	return taken;
}

static unsigned com1_rx_room(void *ctx)
{
	return uart_rx_room(&((struct pc *)ctx)->com1);
}

/* ISA IRQ n drives PIC input n and IOAPIC pin n, but IRQ 0 goes to pin 2 (as on PCs). */
static int route_isa(struct pc *pc)
{
	int ret = 0;

	for (unsigned irq = 0; irq < 16 && !ret; irq++) {
		unsigned pin = irq == PC_IRQ_PIT ? 2 : irq;
		if (irq == 2)
			continue; /* the cascade */
		ret = vm_irq_route_line(pc->vm, irq, (struct irq_line){pic_line, pc, irq});
		if (!ret)
			ret =
			    vm_irq_route_line(pc->vm, irq, (struct irq_line){ioapic_line, pc, pin});
	}
	for (unsigned gsi = 16; gsi < IOAPIC_PINS && !ret; gsi++)
		ret = vm_irq_route_line(pc->vm, gsi, (struct irq_line){ioapic_line, pc, gsi});
	return ret;
}

static int claim_ports(struct pc *pc)
{
	int ret = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(pc_ports) && !ret; i++) {
		bool whole = pc_ports[i].dev == PC_ACPIPM || pc_ports[i].dev == PC_RESET;
		const struct iobus_ops *ops = whole ? &pc_whole_ops : &pc_port_ops;
		struct io_range r = {
		    pc_ports[i].base, pc_ports[i].size, ops, &pc->ports[i], "pc", 0};
		pc->ports[i] = (struct pc_port_range){pc, pc_ports[i].base, pc_ports[i].dev};
		ret = iobus_register(&pc->vm->bus, IOBUS_PIO, &r);
	}
	return ret;
}

/* ---- the VM's device time ---- */

/*
 * vCPU @vcpu's device time: its own local APIC, and for the boot vCPU the ISA devices
 * too, so each timer runs on one CPU and a device's interrupt starts on the boot vCPU
 * (its routing may send it elsewhere, with a kick).
 */
static uint64_t pc_next_event(void *ctx, unsigned vcpu)
{
	struct pc *pc = ctx;
	uint64_t t = lapic_next_event(&pc->lapic[vcpu]);

	if (vcpu)
		return t;
	t = MIN(t, pit_next_event(&pc->pit));
	t = MIN(t, rtc_next_event(&pc->rtc));
	t = MIN(t, uart_next_event(&pc->com1));
	return MIN(t, acpipm_next_event(&pc->acpipm));
}

static void pc_advance(void *ctx, uint64_t t, unsigned vcpu)
{
	struct pc *pc = ctx;

	if (!vcpu) {
		pit_advance(&pc->pit, t);
		rtc_advance(&pc->rtc, t);
		uart_advance(&pc->com1, t);
		acpipm_advance(&pc->acpipm, t);
	}
	lapic_advance(&pc->lapic[vcpu], t);
}

/* ---- the model ---- */

static int pc_attach(struct vm *vm, void *state, const struct vm_region *r)
{
	struct pc *pc = state;
	struct io_range io = {PC_IOAPIC_BASE, IOAPIC_MMIO_SIZE, &pc_ioapic_ops, pc, "ioapic", 0};
	uint64_t t = vm->vcpu_ops->now();
	int ret;

	pc->vm = vm;
	pic_init(&pc->pic, (struct irq_line){pic_int, pc, 0});
	pit_init(&pc->pit, vm->tsc_hz, vm_irq_line(vm, PC_IRQ_PIT));
	rtc_init(&pc->rtc, vm->tsc_hz, wall_clock(pc, t), t, vm_irq_line(vm, PC_IRQ_RTC));
	uart_init(&pc->com1, vm->tsc_hz, com1_tx, pc, vm_irq_line(vm, PC_IRQ_COM1));
	conin_set_sink(vm, &(struct conin_sink){com1_rx, com1_rx_room, pc});
	ioapic_init(&pc->ioapic, 0, ioapic_deliver, pc);
	acpipm_init(&pc->acpipm, vm, vm->tsc_hz, vm_irq_line(vm, PC_IRQ_SCI));
	reset_ctl_init(&pc->reset, vm);
	ret = claim_ports(pc);
	if (!ret)
		ret = iobus_register(&vm->bus, IOBUS_MMIO, &io);
	if (!ret)
		ret = route_isa(pc);
	if (!ret)
		ret = pc_apic_attach(pc);
	vm->timer = (struct vm_timer){pc_next_event, pc_advance, pc};
	return ret;
}

static void pc_reset(void *state)
{
	struct pc *pc = state;
	uint64_t t = pc->vm->vcpu_ops->now();

	pic_reset(&pc->pic);
	pit_reset(&pc->pit);
	rtc_set_time(&pc->rtc, wall_clock(pc, t), t); /* a restart reads the host's clock again */
	rtc_reset(&pc->rtc, t);
	uart_reset(&pc->com1);
	ioapic_reset(&pc->ioapic);
	acpipm_reset(&pc->acpipm, t);
	reset_ctl_power_on(&pc->reset);
	pc_apic_reset(pc);
}

const struct dev_model pc_model = {
    .name = "pc",
    .state_size = sizeof(struct pc),
    .attach = pc_attach,
    .reset = pc_reset,
};
