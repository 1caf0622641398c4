/*
 * demand: the VM's demand-faulted RAM region, named on the command line (dgpa=, dsize=:
 * the guest cannot tell it from other RAM), inside the identity-mapped first GiB.
 * touch=N: N pages spread evenly over it, each read first (zero: nothing was there),
 * then written and read back; with restart=1 the first boot writes a pattern to them
 * and restarts (debug-exit status 7), and the next boot must read zeros again.
 * touch=all: every 4 KiB page written in order until the hypervisor stops the VM out of
 * memory (the region is larger than the machine's free RAM); reaching the end fails.
 * bench=N: N first touches, each timed (TSC), printed as the mean. wait=N: N pause loops
 * first (a neighbour that should outlive another VM's out-of-memory stop).
 */
#include "guests/testguest/guest.h"
#include "lib/string.h"

#define DEMAND_STATUS 7
#define PATTERN	      0x6b657374726c3135ULL /* "kestrl15" */

static bool region_ok(uint64_t gpa, uint64_t size)
{
	if (!gpa || !size || gpa % PAGE_SIZE || size % PAGE_SIZE || gpa + size > GiB) {
		t_fail("give dgpa= and dsize= (4 KiB aligned, below 1 GiB), got 0x%llx+0x%llx",
		       (unsigned long long)gpa, (unsigned long long)size);
		return false;
	}
	return true;
}

/* Page i of n spread over the region (the first and the last included). */
static volatile uint64_t *page(uint64_t gpa, uint64_t size, uint64_t i, uint64_t n)
{
	uint64_t pages = size / PAGE_SIZE, p = n > 1 ? i * (pages - 1) / (n - 1) : 0;

	return (volatile uint64_t *)(gpa + p * PAGE_SIZE);
}

static void touch_all(uint64_t gpa, uint64_t size)
{
	for (uint64_t a = gpa; a < gpa + size; a += PAGE_SIZE) {
		if ((a - gpa) % (64 * MiB) == 0)
			gprintf("demand: writing at 0x%llx\n", (unsigned long long)a);
		*(volatile uint64_t *)a = a ^ PATTERN;
	}
	t_fail("wrote all 0x%llx bytes: the VM was not stopped out of memory",
	       (unsigned long long)size);
}

static void bench(uint64_t gpa, uint64_t size, uint64_t n)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *p = page(gpa, size, i, n);
		uint64_t t0 = rdtsc_ordered();
		*p = 1;
		sum += rdtsc_ordered() - t0;
	}
	gprintf("demand: bench %llu first touches, %llu TSC each\n", (unsigned long long)n,
		(unsigned long long)(n ? sum / n : 0));
}

void t_demand(void)
{
	uint64_t gpa = arg_u64("dgpa", 0), size = arg_u64("dsize", 0), n = arg_u64("touch", 3);
	struct hc_vm_info info;
	long restarts = arg_is("restart", "1") ? vm_restarts(&info) : 0;
	unsigned bad = 0;

	if (!region_ok(gpa, size))
		return;
	for (uint64_t i = arg_u64("wait", 0); i; i--)
		cpu_relax();
	if (arg_value("bench")) {
		bench(gpa, size, arg_u64("bench", 0));
		return;
	}
	if (arg_is("touch", "all")) {
		touch_all(gpa, size);
		return;
	}
	if (restarts < 0) {
		t_fail("no restart count: HC_VM_INFO %ld", restarts);
		return;
	}
	gprintf("demand: restarts %ld, %llu pages of [0x%llx..0x%llx)\n", restarts,
		(unsigned long long)n, (unsigned long long)gpa, (unsigned long long)(gpa + size));
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *p = page(gpa, size, i, n);
		bad += p[0] != 0 || p[PAGE_SIZE / 8 - 1] != 0;
		p[0] = PATTERN ^ i;
		p[PAGE_SIZE / 8 - 1] = ~PATTERN ^ i;
		bad += p[0] != (PATTERN ^ i) || p[PAGE_SIZE / 8 - 1] != (~PATTERN ^ i);
	}
	gprintf("demand: %llu pages read zero first, then back what was written: %u bad\n",
		(unsigned long long)n, bad);
	t_expect("pages not zero before or not read back", bad, 0);
	if (arg_is("restart", "1") && restarts == 0)
		guest_exit(DEMAND_STATUS); /* the policy restarts it: the next boot reads zeros */
	t_end_with_hc_exit();
}
