/*
 * Device models: the registry hv/ builds a VM's devices from. A model is its
 * state size, an attach function that claims its ranges on the VM's I/O bus
 * (and its interrupt lines), and a reset. Nothing outside devices/ needs to
 * know a model exists. Builds on the host.
 */
#ifndef DEVICES_DEVICES_H
#define DEVICES_DEVICES_H

#include "vm/vm.h"

struct dev_model {
	const char *name;
	size_t state_size;
	/*
	 * Claim ranges for @r (an emulated-MMIO region of the configuration), or at
	 * the model's fixed ports when @r is NULL. 0 or -errno (the bus's refusal).
	 */
	int (*attach)(struct vm *vm, void *state, const struct vm_region *r);
	void (*reset)(void *state); /* power-on state; keeps what attach wired */
};

/* The model named @name, or NULL. */
const struct dev_model *dev_model_find(const char *name);
/*
 * Instantiate model @name in @vm: state block, attach, reset. 0; -ENODEV (no
 * such model), -ENOSPC (VM_MAX_DEVS), -ENOMEM, or attach's error.
 */
int dev_attach(struct vm *vm, const char *name, const struct vm_region *r);
/* Every device of @vm back to its power-on state (VM restart). */
void dev_reset_all(struct vm *vm);
/*
 * The platform devices a VM gets at fixed addresses: the debug-exit port, and
 * COM1 transmit-only (VM_PLATFORM_MINIMAL) or the whole PC (devices/pc.h).
 */
int dev_attach_platform(struct vm *vm);

/* Models (one file each). */
extern const struct dev_model testdev_model, testdev_slow_model, uart_mmio_model, com1_model,
    debug_exit_model, pc_model;

#endif
