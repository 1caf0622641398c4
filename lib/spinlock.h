/*
 * Ticket spinlock: CPUs get the lock in the order they asked (FIFO), spinning with
 * PAUSE. Not recursive; interrupts are not touched (the hypervisor runs with IF=0).
 * Any CPU may take any lock; hold one only for short, bounded work.
 */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include "lib/types.h"

/* Invariant: owner <= next; next - owner CPUs hold or wait for the lock. */
typedef struct {
	uint32_t next;	/* the ticket the next arrival takes */
	uint32_t owner; /* the ticket being served */
} spinlock_t;

#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0, 0                                                                               \
	}

static inline void spin_lock(spinlock_t *l)
{
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		__asm__ volatile("pause" ::: "memory");
}

/* Take the lock only if nobody holds or waits for it; true when taken. */
static inline bool spin_trylock(spinlock_t *l)
{
	uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t want = owner;

	return __atomic_compare_exchange_n(&l->next, &want, owner + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif
