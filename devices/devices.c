/*
 * The registry of device models and their instantiation in a VM. A device's
 * state block comes from the page interface, owned by the hypervisor, and
 * lives as long as the VM; a restart only resets it.
 */
#include "devices/devices.h"
#include "lib/errno.h"
#include "lib/string.h"

static const struct dev_model *const models[] = {
    &testdev_model, &testdev_slow_model, &uart_mmio_model,
    &com1_model,    &debug_exit_model,	 &pc_model,
};

const struct dev_model *dev_model_find(const char *name)
{
	for (unsigned i = 0; name && i < ARRAY_SIZE(models); i++)
		if (!strcmp(models[i]->name, name))
			return models[i];
	return NULL;
}

static unsigned state_order(size_t size)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

int dev_attach(struct vm *vm, const char *name, const struct vm_region *r)
{
	const struct dev_model *m = dev_model_find(name);
	struct dev_instance *d = &vm->devs[vm->nr_devs];
	int ret;

	if (!m)
		return -ENODEV;
	if (vm->nr_devs == VM_MAX_DEVS)
		return -ENOSPC;
	d->model = m;
	d->order = state_order(m->state_size);
	d->state = page_alloc(d->order, OWNER_HYP, NULL);
	if (!d->state)
		return -ENOMEM;
	ret = m->attach(vm, d->state, r);
	if (ret) {
		page_free(d->state, d->order, OWNER_HYP);
		return ret;
	}
	if (m->reset)
		m->reset(d->state);
	vm->nr_devs++;
	return 0;
}

void dev_reset_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].model->reset)
			vm->devs[i].model->reset(vm->devs[i].state);
}

int dev_attach_platform(struct vm *vm)
{
	int ret = dev_attach(vm, vm->cfg->platform == VM_PLATFORM_PC ? "pc" : "com1", NULL);

	return ret ? ret : dev_attach(vm, "debug-exit", NULL);
}
