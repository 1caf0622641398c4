/*
 * A VM's interrupt routing: device lines (GSIs) go to interrupt-controller
 * inputs (the PIC's and IOAPIC's pins, both for an ISA line as on a PC) or,
 * without a controller, straight to a vector on a vCPU. The controllers then
 * raise vectors on vCPUs (vcpu_irq_raise), which the backend injects.
 */
#ifndef VM_INTR_H
#define VM_INTR_H

#include "vm/irq.h"

#define VM_NR_GSI      24
#define VM_GSI_TARGETS 2

enum route_kind { ROUTE_NONE, ROUTE_LINE, ROUTE_VECTOR };

struct irq_route {
	enum route_kind kind;
	struct irq_line line; /* ROUTE_LINE: a controller's input */
	unsigned vcpu;	      /* ROUTE_VECTOR: raised on a rising edge */
	uint8_t vector;
};

struct irq_router {
	struct irq_route routes[VM_NR_GSI][VM_GSI_TARGETS];
	uint32_t level; /* bit g: GSI g is high */
};

struct vm;

void irq_router_init(struct irq_router *r);
/* Add a target for @gsi. 0, -EINVAL (no such GSI or vCPU), -ENOSPC (two already). */
int vm_irq_route_line(struct vm *vm, unsigned gsi, struct irq_line target);
int vm_irq_route_vector(struct vm *vm, unsigned gsi, unsigned vcpu, uint8_t vector);
/* A device's line @gsi changed to @level: every target sees it. */
void vm_irq_set(struct vm *vm, unsigned gsi, bool level);
/* The line a device model holds for @gsi of @vm. */
struct irq_line vm_irq_line(struct vm *vm, unsigned gsi);

#endif
