/*
 * Interrupt routing of a VM: a line change at a GSI is passed to each target.
 * A vector target takes rising edges only (an edge-triggered input). Runs on
 * the CPU that emulates the device, which is the VM's CPU.
 */
#include "vm/intr.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vm/vm.h"

void irq_router_init(struct irq_router *r)
{
	memset(r, 0, sizeof(*r));
}

static struct irq_route *free_target(struct vm *vm, unsigned gsi)
{
	if (gsi >= VM_NR_GSI)
		return NULL;
	for (unsigned i = 0; i < VM_GSI_TARGETS; i++)
		if (vm->router.routes[gsi][i].kind == ROUTE_NONE)
			return &vm->router.routes[gsi][i];
	return NULL;
}

int vm_irq_route_line(struct vm *vm, unsigned gsi, struct irq_line target)
{
	struct irq_route *t = free_target(vm, gsi);

	if (gsi >= VM_NR_GSI || !target.set)
		return -EINVAL;
	if (!t)
		return -ENOSPC;
	*t = (struct irq_route){.kind = ROUTE_LINE, .line = target};
	return 0;
}

int vm_irq_route_vector(struct vm *vm, unsigned gsi, unsigned vcpu, uint8_t vector)
{
	struct irq_route *t = free_target(vm, gsi);

	if (gsi >= VM_NR_GSI || vcpu >= vm->nr_vcpus)
		return -EINVAL;
	if (!t)
		return -ENOSPC;
	*t = (struct irq_route){.kind = ROUTE_VECTOR, .vcpu = vcpu, .vector = vector};
	return 0;
}

void vm_irq_set(struct vm *vm, unsigned gsi, bool level)
{
	bool was;

	if (gsi >= VM_NR_GSI)
		return;
	was = vm->router.level & BIT(gsi);
	vm->router.level =
	    level ? vm->router.level | (uint32_t)BIT(gsi) : vm->router.level & ~(uint32_t)BIT(gsi);
	for (unsigned i = 0; i < VM_GSI_TARGETS; i++) {
		const struct irq_route *t = &vm->router.routes[gsi][i];
		if (t->kind == ROUTE_LINE)
			irq_line_set(&t->line, level);
		else if (t->kind == ROUTE_VECTOR && level && !was)
			vcpu_irq_raise(&vm->vcpus[t->vcpu], t->vector);
	}
}

static void line_to_router(void *ctx, unsigned gsi, bool level)
{
	vm_irq_set(ctx, gsi, level);
}

struct irq_line vm_irq_line(struct vm *vm, unsigned gsi)
{
	return (struct irq_line){.set = line_to_router, .ctx = vm, .line = gsi};
}
