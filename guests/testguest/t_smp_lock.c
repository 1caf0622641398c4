/*
 * smp_lock: every CPU increments shared counters N times ("smp_iters=", default 20000)
 * at once: one under an XCHG spinlock, one under a LOCK CMPXCHG spinlock (each a plain
 * load-add-store inside its lock, so a broken lock loses counts), and one with LOCK XADD.
 * Exact totals checked, and that no CPU ever found another inside a critical section.
 */
#include "guests/testguest/smp.h"

struct lock_test {
	volatile uint32_t go;
	volatile uint32_t xchg_lock, cmpxchg_lock;
	volatile uint32_t xchg_owner, cmpxchg_owner; /* index + 1 inside, 0 outside */
	volatile uint64_t xchg_count, cmpxchg_count, xadd_count;
	volatile uint32_t overlaps;
	uint64_t iters;
};

static struct lock_test lt;

static void xchg_acquire(volatile uint32_t *l)
{
	for (;;) {
		uint32_t v = 1;

		__asm__ volatile("xchg %0, %1" : "+r"(v), "+m"(*l) : : "memory");
		if (!v)
			return;
		while (*l)
			cpu_relax();
	}
}

static void cmpxchg_acquire(volatile uint32_t *l)
{
	for (;;) {
		uint32_t old = 0;
		bool ok;

		__asm__ volatile("lock cmpxchg %3, %1"
				 : "+a"(old), "+m"(*l), "=@ccz"(ok)
				 : "r"(1u)
				 : "memory");
		if (ok)
			return;
		while (*l)
			cpu_relax();
	}
}

static void release(volatile uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* A plain read-modify-write and an owner check: only mutual exclusion keeps both right. */
static void critical(volatile uint32_t *owner, volatile uint64_t *count, uint32_t me)
{
	uint64_t v;

	if (*owner)
		__atomic_fetch_add(&lt.overlaps, 1, __ATOMIC_RELAXED);
	*owner = me;
	v = *count;
	barrier();
	*count = v + 1;
	if (*owner != me)
		__atomic_fetch_add(&lt.overlaps, 1, __ATOMIC_RELAXED);
	*owner = 0;
}

static void lock_worker(void *arg)
{
	uint32_t me = smp_this()->index + 1;

	(void)arg;
	while (!__atomic_load_n(&lt.go, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (uint64_t i = 0; i < lt.iters; i++) {
		xchg_acquire(&lt.xchg_lock);
		critical(&lt.xchg_owner, &lt.xchg_count, me);
		release(&lt.xchg_lock);
		cmpxchg_acquire(&lt.cmpxchg_lock);
		critical(&lt.cmpxchg_owner, &lt.cmpxchg_count, me);
		release(&lt.cmpxchg_lock);
		__atomic_fetch_add(&lt.xadd_count, 1, __ATOMIC_SEQ_CST);
	}
}

void t_smp_lock(void)
{
	uint64_t want;

	t_end_with_hc_exit();
	if (!smp_bringup())
		return;
	lt = (struct lock_test){.iters = arg_u64("smp_iters", 20000)};
	want = lt.iters * smp_nr_cpus;
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		smp_post(c, lock_worker, NULL);
	__atomic_store_n(&lt.go, 1, __ATOMIC_RELEASE);
	lock_worker(NULL);
	for (unsigned c = 1; c < smp_nr_cpus; c++)
		if (!smp_wait(c, SMP_WAIT_US * 50))
			t_fail("CPU %u did not finish its %llu rounds", c,
			       (unsigned long long)lt.iters);
	gprintf("smp_lock: %u CPUs x %llu: xchg lock %llu, cmpxchg lock %llu, xadd %llu, "
		"overlaps %u\n",
		smp_nr_cpus, (unsigned long long)lt.iters, (unsigned long long)lt.xchg_count,
		(unsigned long long)lt.cmpxchg_count, (unsigned long long)lt.xadd_count,
		lt.overlaps);
	t_expect("counter under the XCHG lock", lt.xchg_count, want);
	t_expect("counter under the LOCK CMPXCHG lock", lt.cmpxchg_count, want);
	t_expect("LOCK XADD counter", lt.xadd_count, want);
	t_expect("critical sections entered while another CPU was inside", lt.overlaps, 0);
}
