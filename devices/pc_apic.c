/*
 * The PC platform's APIC side: a local APIC per vCPU (its xAPIC page at
 * 0xFEE00000, IA32_APIC_BASE, the x2APIC MSRs and IA32_TSC_DEADLINE on the
 * VM's MSR bus), the routing of IOAPIC messages and IPIs to the VM's own APICs
 * (a destination outside the VM is dropped and counted), and each vCPU's
 * interrupt controller for the injection code. MMIO and MSR accesses reach the
 * APIC of the vCPU that makes them (vm->dev_vcpu, inside the VM's device lock); a
 * message to another vCPU's APIC wakes that vCPU with a kick.
 */
#include "devices/pc.h"
#include "lib/errno.h"
#include "mm/memslot.h"

#define MSR_IA32_APIC_BASE    0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0

static uint64_t now(const struct pc *pc)
{
	return pc->vm->vcpu_ops->now();
}

/* The vCPU looks at its interrupt controller and device timers before it enters. */
static void wake(struct pc *pc, unsigned i)
{
	pc_wake(pc, i, VCPU_WORK_IRQ | VCPU_WORK_TIMER);
}

/* A polling exit: the vCPU re-arms its timer from the devices' deadlines. */
static void rearm(struct pc *pc, unsigned i)
{
	pc_wake(pc, i, VCPU_WORK_TIMER);
}

/* ---- the xAPIC page ---- */

static int mmio_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	struct pc *pc = dev;
	uint32_t v = 0;

	if (lapic_mmio_read(pc_this_lapic(pc), (uint32_t)off, width, now(pc), &v) ==
	    LAPIC_MMIO_ABSENT)
		v = ~0u; /* x2APIC mode or disabled: nothing answers at the page */
	*val = v;
	rearm(pc, pc->vm->dev_vcpu);
	return 0;
}

static int mmio_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct pc *pc = dev;

	lapic_mmio_write(pc_this_lapic(pc), (uint32_t)off, width, now(pc), (uint32_t)val);
	wake(pc, pc->vm->dev_vcpu);
	return 0;
}

static const struct iobus_ops lapic_mmio_ops = {.read = mmio_read, .write = mmio_write};

/* ---- MSRs: -1 means #GP, as the model says ---- */

static int apic_base_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	*val = lapic_get_base(pc_this_lapic(dev));
	return 0;
}

static int apic_base_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct pc *pc = dev;
	int ret = lapic_set_base(pc_this_lapic(pc), val);

	wake(pc, pc->vm->dev_vcpu);
	return ret;
}

static int deadline_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	*val = lapic_get_tsc_deadline(pc_this_lapic(dev));
	return 0;
}

static int deadline_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct pc *pc = dev;

	lapic_set_tsc_deadline(pc_this_lapic(pc), val, now(pc));
	wake(pc, pc->vm->dev_vcpu);
	return 0;
}

static int x2apic_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	struct pc *pc = dev;

	rearm(pc, pc->vm->dev_vcpu);
	return lapic_msr_read(pc_this_lapic(pc), LAPIC_MSR_FIRST + (uint32_t)off, now(pc), val);
}

static int x2apic_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct pc *pc = dev;
	int ret = lapic_msr_write(pc_this_lapic(pc), LAPIC_MSR_FIRST + (uint32_t)off, now(pc), val);

	wake(pc, pc->vm->dev_vcpu);
	return ret;
}

static const struct iobus_ops apic_base_ops = {.read = apic_base_read, .write = apic_base_write};
static const struct iobus_ops deadline_ops = {.read = deadline_read, .write = deadline_write};
static const struct iobus_ops x2apic_ops = {.read = x2apic_read, .write = x2apic_write};

/* ---- messages between APICs ---- */

static bool matches(const struct lapic *l, const struct apic_msg *m)
{
	struct apic_msg wide = *m;

	/* an 8-bit broadcast (IOAPIC, xAPIC sender) is a broadcast to an x2APIC too */
	if (!m->logical && m->dest == 0xff && lapic_x2apic_mode(l))
		wide.dest = 0xffffffff;
	return lapic_match_dest(l, &wide);
}

void pc_apic_route(struct pc *pc, const struct apic_msg *m, int from, unsigned shorthand)
{
	unsigned hits = 0;
	bool others = false; /* it reached another vCPU than the sender */

	for (unsigned i = 0; i < pc->vm->nr_vcpus; i++) {
		bool to = shorthand == 2 || (shorthand == 3 && (int)i != from) ||
			  (shorthand == 0 && matches(&pc->lapic[i], m));
		if (!to || (m->delivery == APIC_DM_LOWEST && hits))
			continue;
		lapic_deliver(&pc->lapic[i], m); /* it notifies (wakes, kicks) the target */
		hits++;
		others |= (int)i != from;
	}
	if (!hits && from >= 0)
		pc->vm->ipis_dropped++;
	else if (from >= 0 && others)
		pc->vm->ipis_sent++;
}

static void send_ipi(void *ctx, const struct apic_msg *m, unsigned shorthand)
{
	struct pc_vcpu *pv = ctx;

	pc_apic_route(pv->pc, m, (int)pv->index, shorthand);
}

static void eoi(void *ctx, uint8_t vector)
{
	ioapic_eoi(&((struct pc_vcpu *)ctx)->pc->ioapic, vector);
}

static void notify(void *ctx)
{
	struct pc_vcpu *pv = ctx;
	const struct lapic *l = &pv->pc->lapic[pv->index];

	pc_wake(pv->pc, pv->index,
		VCPU_WORK_IRQ | VCPU_WORK_TIMER |
		    (l->init_pending || l->sipi_pending ? VCPU_WORK_INIT : 0));
}

static uint8_t extint_ack(void *ctx)
{
	int v = pic_intack(&((struct pc_vcpu *)ctx)->pc->pic);

	return (uint8_t)(v < 0 ? 0xff : v);
}

static const struct lapic_ops lapic_ops = {
    .send_ipi = send_ipi, .eoi = eoi, .notify = notify, .extint_ack = extint_ack};

/* ---- the vCPU's interrupt controller ---- */

static int intc_pending(void *ctx)
{
	struct pc_vcpu *pv = ctx;
	const struct lapic *l = &pv->pc->lapic[pv->index];

	return lapic_extint_pending(l) ? PC_INTC_EXTINT : lapic_pending(l);
}

static int intc_ack(void *ctx, int vector)
{
	struct pc_vcpu *pv = ctx;
	struct lapic *l = &pv->pc->lapic[pv->index];

	if (vector == PC_INTC_EXTINT)
		return lapic_extint_ack(l);
	lapic_ack(l, (uint8_t)vector);
	return vector;
}

/* NMI: an ICR NMI message or LINT1 in NMI mode (lapic.c latches it). */
static bool intc_nmi(void *ctx, bool take)
{
	struct pc_vcpu *pv = ctx;
	struct lapic *l = &pv->pc->lapic[pv->index];

	return take ? lapic_take_nmi(l) : lapic_nmi_pending(l);
}

static uint8_t intc_get_cr8(void *ctx)
{
	struct pc_vcpu *pv = ctx;

	return lapic_get_cr8(&pv->pc->lapic[pv->index]);
}

static void intc_set_cr8(void *ctx, uint8_t cr8)
{
	struct pc_vcpu *pv = ctx;

	lapic_set_cr8(&pv->pc->lapic[pv->index], cr8);
	wake(pv->pc, pv->index); /* a lower TPR may let a pending vector through */
}

static uint8_t intc_tpr_threshold(void *ctx)
{
	struct pc_vcpu *pv = ctx;

	return lapic_tpr_threshold(&pv->pc->lapic[pv->index]);
}

static bool intc_x2apic(void *ctx)
{
	struct pc_vcpu *pv = ctx;

	return lapic_x2apic_mode(&pv->pc->lapic[pv->index]);
}

/* INIT resets the APIC as the SDM says (mode, base and ID kept); a latched SIPI stays. */
static bool intc_take_init(void *ctx)
{
	struct pc_vcpu *pv = ctx;
	struct lapic *l = &pv->pc->lapic[pv->index];

	if (!lapic_take_init(l))
		return false;
	lapic_reset(l, true);
	return true;
}

static bool intc_take_sipi(void *ctx, uint8_t *vector)
{
	struct pc_vcpu *pv = ctx;

	return lapic_take_sipi(&pv->pc->lapic[pv->index], vector);
}

/* The xAPIC registers are the bus's page while the APIC is in xAPIC mode at its default base. */
static bool intc_xapic_page(void *ctx, uint64_t *gpa)
{
	struct pc_vcpu *pv = ctx;
	const struct lapic *l = &pv->pc->lapic[pv->index];

	*gpa = PC_LAPIC_BASE;
	return lapic_hw_enabled(l) && !lapic_x2apic_mode(l) && lapic_mmio_base(l) == PC_LAPIC_BASE;
}

static void intc_apic_write(void *ctx, uint32_t off)
{
	struct pc_vcpu *pv = ctx;

	lapic_apic_write(&pv->pc->lapic[pv->index], off, now(pv->pc));
	wake(pv->pc, pv->index);
}

static_assert(PC_INTC_EXTINT == VCPU_INTC_EXTINT, "the VMX side tells ExtINT from vectors");

static void intc_vintr(void *ctx, bool on)
{
	struct pc_vcpu *pv = ctx;

	lapic_set_cpu_vectors(&pv->pc->lapic[pv->index], on);
}

static uint16_t intc_intr_status(void *ctx, uint64_t eoi_exit[4])
{
	struct pc_vcpu *pv = ctx;

	return lapic_intr_status(&pv->pc->lapic[pv->index], eoi_exit);
}

static void intc_virtual_eoi(void *ctx, uint8_t vector)
{
	struct pc_vcpu *pv = ctx;

	lapic_virtual_eoi(&pv->pc->lapic[pv->index], vector);
	wake(pv->pc, pv->index); /* a level line still high asserts again */
}

/* ---- set-up ---- */

static int claim(struct pc *pc, enum iobus_space sp, uint64_t base, uint64_t size,
		 const struct iobus_ops *ops, const char *name)
{
	struct io_range r = {base, size, ops, pc, name, 0};

	return iobus_register(&pc->vm->bus, sp, &r);
}

/* Emulated-MMIO slots, so a fault on the APIC pages is an MMIO exit, not "outside the map". */
static int mmio_slot(struct pc *pc, uint64_t base)
{
	struct mem_slot s = {
	    gpa_to_gfn(gpa(base)), 1, hpa(0), REGION_MMIO_EMUL, REGION_R | REGION_W,
	    MEMSLOT_NO_REGION};

	return memslot_add(&pc->vm->slots, &s);
}

static void init_lapic(struct pc *pc, unsigned i)
{
	struct lapic_config cfg = {
	    .apic_id = i,
	    .bsp = i == 0,
	    .tsc_hz = pc->vm->tsc_hz,
	    .bus_hz = PC_APIC_BUS_HZ,
	    .maxphyaddr = pc->vm->maxphyaddr ? pc->vm->maxphyaddr : 36,
	    .x2apic = true,
	    .tsc_deadline = true,
	};

	lapic_init(&pc->lapic[i], pc->lapic_page[i], &cfg, &lapic_ops, &pc->vcpu[i]);
}

int pc_apic_attach(struct pc *pc)
{
	int ret = 0;

	for (unsigned i = 0; i < pc->vm->nr_vcpus && !ret; i++) {
		pc->vcpu[i] = (struct pc_vcpu){pc, i};
		pc->lapic_page[i] = page_alloc(0, OWNER_HYP, &pc->lapic_page_hpa[i]);
		if (!pc->lapic_page[i])
			return -ENOMEM;
		init_lapic(pc, i);
		pc->vm->vcpus[i].intc = (struct vcpu_intc){.pending = intc_pending,
							   .ack = intc_ack,
							   .nmi = intc_nmi,
							   .get_cr8 = intc_get_cr8,
							   .set_cr8 = intc_set_cr8,
							   .apic_page = pc->lapic_page_hpa[i],
							   .tpr_threshold = intc_tpr_threshold,
							   .x2apic = intc_x2apic,
							   .take_init = intc_take_init,
							   .take_sipi = intc_take_sipi,
							   .xapic_page = intc_xapic_page,
							   .apic_write = intc_apic_write,
							   .vintr = intc_vintr,
							   .intr_status = intc_intr_status,
							   .virtual_eoi = intc_virtual_eoi,
							   .ctx = &pc->vcpu[i]};
	}
	ret = claim(pc, IOBUS_MMIO, PC_LAPIC_BASE, PAGE_SIZE, &lapic_mmio_ops, "lapic");
	if (!ret)
		ret = claim(pc, IOBUS_MSR, MSR_IA32_APIC_BASE, 1, &apic_base_ops, "apic-base");
	if (!ret)
		ret = claim(pc, IOBUS_MSR, MSR_IA32_TSC_DEADLINE, 1, &deadline_ops, "tsc-deadline");
	if (!ret)
		ret = claim(pc, IOBUS_MSR, LAPIC_MSR_FIRST, LAPIC_MSR_LAST - LAPIC_MSR_FIRST + 1,
			    &x2apic_ops, "x2apic");
	if (!ret)
		ret = mmio_slot(pc, PC_LAPIC_BASE);
	if (!ret)
		ret = mmio_slot(pc, PC_IOAPIC_BASE);
	return ret;
}

void pc_apic_reset(struct pc *pc)
{
	for (unsigned i = 0; i < pc->vm->nr_vcpus; i++)
		lapic_reset(&pc->lapic[i], false);
}
