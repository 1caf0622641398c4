/*
 * slots: RAM slots added and removed at run time (HC_SLOT_ADD, HC_SLOT_REMOVE).
 * role=ctl (a privileged VM) and role=target (its neighbour, unprivileged) meet in shm0's
 * mailbox: the target says its id; ctl checks the refusals, adds a 2 MiB slot at
 * GPA_UNMAPPED_LO in the target and in itself; the target finds it zeroed, writes and
 * reads it; ctl removes it; the target's next access must stop it as outside its map
 * (its configuration expects that fault). With drop=1 the target faults instead while the
 * slot is there: its restart must drop the slot (ctl's remove then finds none) and its next
 * boot faults reading there. role=smp (a privileged VM of two vCPUs, alone): vCPU 0 adds a
 * slot to its own VM while vCPU 1 runs, uses it from both, removes it while vCPU 1 spins in
 * its guest; vCPU 1's next read there (its TLB held the slot) must fault. role=bench (privileged, alone): BENCH lines for
 * add and remove of 2 MiB and 1 GiB slots in itself, in TSC ticks.
 */
#include "guests/testguest/guest.h"
#include "guests/testguest/smp.h"
#include "lib/errno.h"

#define SLOT_GPA   GPA_UNMAPPED_LO /* 1 GiB: nothing is configured there */
#define SLOT_SIZE  (2 * MiB)
#define SLOT_RW	   0x3ULL		/* REGION_R | REGION_W */
#define MBOX	   (GPA_SHM + 0x1E0000) /* below the ring's page */
#define MBOX_MAGIC 0x534c4f54		/* "SLOT" */

enum { ST_NONE, ST_READY, ST_ADDED, ST_CHECKED, ST_REMOVED, ST_REBOOTED };

struct mbox {
	uint32_t magic, state;
	uint64_t target_id;
	uint64_t sum; /* what the target read back */
};

/* HC_SLOT_ADD's fourth argument (the rights) is in R10, as every hypercall's fourth. */
static long slot_add(uint64_t id, uint64_t gpa, uint64_t size, uint64_t rights)
{
	register uint64_t r10 __asm__("r10") = rights;
	long nr = HC_SLOT_ADD;

	__asm__ volatile("vmcall" : "+a"(nr) : "D"(id), "S"(gpa), "d"(size), "r"(r10) : "memory");
	return nr;
}

static long slot_remove(uint64_t id, uint64_t gpa)
{
	return hypercall(HC_SLOT_REMOVE, (long)id, (long)gpa, 0);
}

static volatile struct mbox *mbox(void)
{
	return (volatile struct mbox *)MBOX;
}

static void wait_state(uint32_t s)
{
	while (READ_ONCE(mbox()->state) != s)
		cpu_relax();
}

static void set_state(uint32_t s)
{
	mfence();
	WRITE_ONCE(mbox()->state, s);
}

static void map_identity_or_fail(uint64_t a)
{
	if (pt_map_identity(a, 2 * MiB))
		t_fail("cannot map 0x%llx in the guest page tables", (unsigned long long)a);
}

static void map_slot(void)
{
	if (pt_map_identity(SLOT_GPA, 2 * MiB))
		t_fail("cannot map 0x%llx in the guest page tables", (unsigned long long)SLOT_GPA);
}

/* Zeros first, then what we write stays: returns a checksum of what was read back. */
static uint64_t use_slot(const char *who)
{
	volatile uint64_t *p = (volatile uint64_t *)SLOT_GPA;
	const uint64_t n = SLOT_SIZE / 8, step = 4096 / 8 + 1;
	uint64_t sum = 0, nonzero = 0;

	for (uint64_t i = 0; i < n; i += step)
		nonzero += p[i] != 0;
	nonzero += p[n - 1] != 0;
	t_expect("new slot reads zero (non-zero words)", nonzero, 0);
	for (uint64_t i = 0; i < n; i += step)
		p[i] = 0x5107000000000000ULL | i;
	p[n - 1] = 0x5107000000000000ULL | (n - 1); /* the last word, maybe again */
	for (uint64_t i = 0; i < n; i += step) {
		if (p[i] != (0x5107000000000000ULL | i))
			t_fail("slot word %llu reads back 0x%llx", (unsigned long long)i,
			       (unsigned long long)p[i]);
		sum += p[i];
	}
	if (p[n - 1] != (0x5107000000000000ULL | (n - 1)))
		t_fail("slot's last word reads back 0x%llx", (unsigned long long)p[n - 1]);
	sum += p[n - 1];
	gprintf("SLOTS %s slot at 0x%llx: zeros, then wrote and read back, sum 0x%llx\n", who,
		(unsigned long long)SLOT_GPA, (unsigned long long)sum);
	return sum;
}

static void expect_err(const char *what, long got, long want)
{
	if (t_expect(what, (uint64_t)got, (uint64_t)want))
		gprintf("SLOTS refused %s: %ld\n", what, got);
}

static void ctl_refusals(uint64_t id)
{
	expect_err("unaligned gpa", slot_add(id, SLOT_GPA + 0x800, SLOT_SIZE, SLOT_RW), -EINVAL);
	expect_err("size 0", slot_add(id, SLOT_GPA, 0, SLOT_RW), -EINVAL);
	expect_err("no rights", slot_add(id, SLOT_GPA, SLOT_SIZE, 0), -ENOTSUP);
	expect_err("rights bit 63", slot_add(id, SLOT_GPA, SLOT_SIZE, SLOT_RW | (1ULL << 63)),
		   -ENOTSUP);
	expect_err("wrap", slot_add(id, 0xfffffffffff00000ULL, 2 * MiB, SLOT_RW), -ERANGE);
	expect_err("above 2^48", slot_add(id, 1ULL << 48, SLOT_SIZE, SLOT_RW), -ERANGE);
	expect_err("overlaps RAM", slot_add(id, 0, SLOT_SIZE, SLOT_RW), -EEXIST);
	expect_err("overlaps shm0", slot_add(id, GPA_SHM - MiB, SLOT_SIZE, SLOT_RW), -EEXIST);
	expect_err("beyond 2 GiB of run-time RAM", slot_add(id, 4 * GiB, 4 * GiB, SLOT_RW), -E2BIG);
	expect_err("no such VM", slot_add(id + 7, SLOT_GPA, SLOT_SIZE, SLOT_RW), -ENODEV);
	expect_err("id's upper bits", slot_add(id | (1ULL << 32), SLOT_GPA, SLOT_SIZE, SLOT_RW),
		   -ENODEV);
	expect_err("remove configured RAM", slot_remove(id, 0), -EFAULT);
	expect_err("remove nothing", slot_remove(id, SLOT_GPA), -ENOENT);
	expect_err("remove unaligned", slot_remove(id, SLOT_GPA + 8), -EINVAL);
	expect_err("remove no such VM", slot_remove(1ULL << 40, SLOT_GPA), -ENODEV);
}

static void ctl_self(void)
{
	struct hc_vm_info info;
	uint64_t self;

	if (vm_info_get(&info)) {
		t_fail("HC_VM_INFO");
		return;
	}
	self = info.vm_id;
	t_expect("add to itself", (uint64_t)slot_add(self, SLOT_GPA, SLOT_SIZE, SLOT_RW), 0);
	map_slot();
	use_slot("ctl");
	t_expect("remove from itself", (uint64_t)slot_remove(self, SLOT_GPA), 0);
}

static void ctl(void)
{
	volatile struct mbox *m = mbox();
	uint64_t id;

	while (READ_ONCE(m->magic) != MBOX_MAGIC || READ_ONCE(m->state) != ST_READY)
		cpu_relax();
	id = READ_ONCE(m->target_id);
	gprintf("SLOTS ctl: target is vm %llu\n", (unsigned long long)id);
	ctl_refusals(id);
	ctl_self();
	t_expect("add to the target", (uint64_t)slot_add(id, SLOT_GPA, SLOT_SIZE, SLOT_RW), 0);
	expect_err("add it twice", slot_add(id, SLOT_GPA, SLOT_SIZE, SLOT_RW), -EEXIST);
	gprintf("SLOTS ctl: added [0x%llx..0x%llx) to vm %llu\n", (unsigned long long)SLOT_GPA,
		(unsigned long long)(SLOT_GPA + SLOT_SIZE), (unsigned long long)id);
	set_state(ST_ADDED);
	wait_state(ST_CHECKED);
	if (arg_u64("drop", 0)) {
		wait_state(ST_REBOOTED);
		expect_err("remove after the target's restart", slot_remove(id, SLOT_GPA), -ENOENT);
		expect_err("restarted target's RAM still configured", slot_remove(id, 0), -EFAULT);
		set_state(ST_REMOVED);
		return;
	}
	t_expect("remove from the target", (uint64_t)slot_remove(id, SLOT_GPA), 0);
	expect_err("remove it twice", slot_remove(id, SLOT_GPA), -ENOENT);
	gprintf("SLOTS ctl: removed the slot of vm %llu (target read sum 0x%llx)\n",
		(unsigned long long)id, (unsigned long long)READ_ONCE(m->sum));
	set_state(ST_REMOVED);
}

static void target(void)
{
	volatile struct mbox *m = mbox();
	struct hc_vm_info info;
	uint64_t v;

	if (vm_info_get(&info)) {
		t_fail("HC_VM_INFO");
		return;
	}
	if (info.restarts) { /* drop=1, second boot: the restart took the slot away */
		map_slot();
		set_state(ST_REBOOTED);
		wait_state(ST_REMOVED);
		t_attempt("read gpa 0x%llx after the restart", (unsigned long long)SLOT_GPA);
		v = *(volatile uint64_t *)SLOT_GPA;
		t_fail("survived (read 0x%llx)", (unsigned long long)v);
		return;
	}
	expect_err("unprivileged add", slot_add(info.vm_id, SLOT_GPA, SLOT_SIZE, SLOT_RW), -EPERM);
	expect_err("unprivileged remove", slot_remove(info.vm_id, 0), -EPERM);
	map_slot();
	WRITE_ONCE(m->target_id, info.vm_id);
	WRITE_ONCE(m->magic, MBOX_MAGIC);
	set_state(ST_READY);
	wait_state(ST_ADDED);
	WRITE_ONCE(m->sum, use_slot("target"));
	set_state(ST_CHECKED);
	if (arg_u64("drop", 0)) {
		map_identity_or_fail(GPA_UNMAPPED_HI);
		t_attempt("write gpa 0x%x with the slot still there", GPA_UNMAPPED_HI);
		*(volatile uint64_t *)GPA_UNMAPPED_HI = 1;
		t_fail("survived");
		return;
	}
	wait_state(ST_REMOVED);
	t_attempt("read the removed slot at gpa 0x%llx", (unsigned long long)SLOT_GPA);
	v = *(volatile uint64_t *)SLOT_GPA;
	t_fail("survived (read 0x%llx)", (unsigned long long)v);
}

/* role=smp: what vCPU 1 does, told by vCPU 0 through these. */
static struct {
	volatile uint32_t added, stop, done, removed, go;
	volatile uint64_t uses, spins;
} sx;

static void smp_ap_work(void *arg)
{
	volatile uint64_t *p = (volatile uint64_t *)SLOT_GPA;
	uint64_t v;

	(void)arg;
	while (!sx.added)
		cpu_relax();
	while (!sx.stop) { /* the slot's translation stays in this CPU's TLB */
		p[8] = sx.uses;
		if (p[8] == sx.uses)
			sx.uses++;
	}
	sx.done = 1;
	while (!sx.removed) /* in the guest, no exit: the remove must kick and hold us */
		sx.spins++;
	while (!sx.go)
		cpu_relax();
	v = p[8]; /* must fault: the slot is gone and this CPU flushed */
	sx.uses = v | (1ULL << 63);
}

static void smp_self(void)
{
	struct hc_vm_info info;

	if (vm_info_get(&info) || !smp_bringup()) {
		t_fail("HC_VM_INFO or AP start-up");
		return;
	}
	map_slot();
	smp_post(1, smp_ap_work, NULL);
	t_expect("add to itself", (uint64_t)slot_add(info.vm_id, SLOT_GPA, SLOT_SIZE, SLOT_RW), 0);
	sx.added = 1;
	use_slot("smp");
	while (sx.uses < 100)
		cpu_relax();
	sx.stop = 1;
	while (!sx.done)
		cpu_relax();
	t_expect("remove from itself", (uint64_t)slot_remove(info.vm_id, SLOT_GPA), 0);
	sx.removed = 1;
	gprintf(
	    "SLOTS smp: vCPU 1 used the slot %llu times, then spun %llu times around the remove\n",
	    (unsigned long long)sx.uses, (unsigned long long)sx.spins);
	t_attempt("vCPU 1 reads the removed slot at gpa 0x%llx", (unsigned long long)SLOT_GPA);
	sx.go = 1;
	if (!smp_wait(1, SMP_WAIT_US))
		t_fail("vCPU 1 neither faulted nor finished");
	t_fail("vCPU 1 survived (read 0x%llx)", (unsigned long long)(sx.uses & ~(1ULL << 63)));
}

/* One add and one remove of @size in this VM, @n times: average ticks of each. */
static void bench_size(const char *name, uint64_t gpa, uint64_t size, unsigned n, uint64_t self)
{
	uint64_t add = 0, del = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t0 = rdtsc_ordered(), t1, t2;
		long a = slot_add(self, gpa, size, SLOT_RW);
		t1 = rdtsc_ordered();
		long r = a ? 0 : slot_remove(self, gpa);
		t2 = rdtsc_ordered();
		if (a || r) {
			gprintf("BENCH-ERR slot %s add %ld remove %ld\n", name, a, r);
			return;
		}
		add += t1 - t0;
		del += t2 - t1;
	}
	gprintf("BENCH slot_add_%s %llu\n", name, (unsigned long long)(add / n));
	gprintf("BENCH slot_remove_%s %llu\n", name, (unsigned long long)(del / n));
}

static void bench(void)
{
	struct hc_vm_info info;

	if (vm_info_get(&info)) {
		t_fail("HC_VM_INFO");
		return;
	}
	bench_size("2m", SLOT_GPA, 2 * MiB, 8, info.vm_id);
	bench_size("1g", 4 * GiB, GiB, 1, info.vm_id);
	/* once more, kept while HC_STATS's audit shows the leaves it got (the stop drops it) */
	t_expect("1 GiB slot kept", (uint64_t)slot_add(info.vm_id, 4 * GiB, GiB, SLOT_RW), 0);
	hypercall(HC_STATS, 0, 0, 0);
}

void t_slots(void)
{
	if (arg_is("role", "ctl"))
		ctl();
	else if (arg_is("role", "target"))
		target();
	else if (arg_is("role", "smp"))
		smp_self();
	else if (arg_is("role", "bench"))
		bench();
	else
		t_fail("role= is ctl, target, smp or bench");
}
