/*
 * Every VM of the run: registered once built, found by id for doorbells,
 * and the end-of-run rule (when the foreground VMs are done, so is the run).
 * Registration happens on the boot CPU before any VM runs; lookups are lock-free.
 */
#include "abi/kestrel.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "vm/vm.h"

#define MAX_VM_TABLE VALIDATE_MAX_RUN_VMS /* hv/vms.c builds no more (the validator says) */

volatile bool vms_ending;
void (*vm_stats_printer)(const struct vm *asker);
static struct vm *vm_table[MAX_VM_TABLE];
static unsigned nr_vm_table;

int vm_register(struct vm *vm)
{
	if (nr_vm_table >= MAX_VM_TABLE)
		return -ENOSPC; /* never after validation; refused, not dropped */
	vm_table[nr_vm_table++] = vm;
	return 0;
}

struct vm *vm_by_id(unsigned id)
{
	for (unsigned i = 0; i < nr_vm_table; i++)
		if (vm_table[i]->id == id)
			return vm_table[i];
	return NULL;
}

unsigned vm_count(void)
{
	return nr_vm_table;
}

struct vm *vm_at(unsigned i)
{
	return i < nr_vm_table ? vm_table[i] : NULL;
}

void vm_note_stopped(void)
{
	for (unsigned i = 0; i < nr_vm_table; i++)
		if (!(vm_table[i]->cfg->flags & VM_FLAG_BACKGROUND) &&
		    vm_table[i]->state != VM_STOPPED)
			return;
	if (!vms_ending)
		pr_info("kestrel: every foreground VM has stopped; ending the run\n");
	vms_ending = true;
}

/* Permission before existence: a VM learns nothing of the VMs it may not ring. */
static int doorbell_check(const struct vm *from, uint64_t peer_id, struct vm **peer)
{
	if (peer_id >= VM_MAX_PEERS || peer_id == from->id)
		return -EINVAL;
	if (!(from->cfg->peers & BIT(peer_id)))
		return -EPERM;
	*peer = vm_by_id((unsigned)peer_id);
	if (!*peer || (*peer)->state == VM_STOPPED)
		return -EINVAL;
	return 0;
}

int vm_ring_doorbell(struct vm *from, uint64_t peer_id)
{
	struct vm *peer = NULL;
	int rc = doorbell_check(from, peer_id, &peer);

	if (rc) {
		from->doorbells_refused++;
		return rc;
	}
	if (!vcpu_irq_raise(&peer->vcpus[0], VEC_DOORBELL))
		from->doorbells_coalesced++;
	from->doorbells_sent++;
	return 0;
}
