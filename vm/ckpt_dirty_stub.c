/*
 * Stand-in for the dirty log (vm/dirty.h, the dirty15 work) until it lands: logging
 * "enables" and every harvest reports every page dirty, so checkpoints are correct,
 * only never smaller than all touched RAM. Weak: the real functions replace these.
 */
#include "lib/types.h"

struct vm;
struct vcpu;

__attribute__((weak)) int vm_dirty_enable(struct vm *vm, struct vcpu *self, unsigned region,
					  bool on)
{
	return 0;
}

__attribute__((weak)) long vm_dirty_harvest(struct vm *vm, struct vcpu *self, unsigned region,
					    uint64_t *bitmap, uint64_t nbits)
{
	for (uint64_t i = 0; i < nbits; i++)
		bitmap[i / 64] |= BIT(i % 64);
	return (long)nbits;
}
