/*
 * ckpt: a guest counting in memory is checkpointed (HC_CHECKPOINT at at= and at2=: a full
 * then an incremental one), and with fault=N scribbles over its memory and triple-faults at
 * count N. Under policy=rollback the hypervisor puts the last checkpoint back and the guest
 * goes on from its count there (HC_CHECKPOINT then returns KESTREL_CKPT_RESUMED), so every
 * later line is the same as a run without fault= prints. Also the refusals of another VM's
 * id, another VM's (other=N: -EOPNOTSUPP), and with nospc=1 a checkpoint too big for the
 * reservation's staging area (-ENOSPC). The integration case compares the two VMs' lines.
 */
#include "guests/testguest/guest.h"
#include "lib/printf.h"
#include "lib/string.h"

#define PAGES 128 /* the count lives in 512 KiB of the guest's RAM */

static uint64_t buf[PAGES][512] __attribute__((aligned(4096)));

static uint64_t sum(void)
{
	uint64_t s = 0;

	for (unsigned p = 0; p < PAGES; p++)
		for (unsigned i = 0; i < 512; i += 64)
			s = s * 31 + buf[p][i];
	return s;
}

/* Count @i: a few pages change (a different few each time). */
static void step(uint64_t i)
{
	for (unsigned k = 0; k < 3; k++)
		buf[(i * 7 + k * 13) % PAGES][(i * 64 + k * 128) % 512] +=
		    i * 0x9e3779b97f4a7c15ULL + k;
}

static __noreturn void fault_now(void)
{
	trap_load_empty_idt();
	__asm__ volatile("ud2");
	__builtin_unreachable();
}

static __noreturn void triple_fault(void)
{
	memset(buf, 0xee, sizeof(buf)); /* what the rollback must undo */
	fault_now();
}

void t_ckpt(void)
{
	uint64_t at = arg_u64("at", 6), at2 = arg_u64("at2", 9), fault = arg_u64("fault", 0);
	uint64_t steps = arg_u64("steps", 20);
	struct hc_vm_info info;
	long r = -1;

	t_end_with_hc_exit(); /* the end (pass or fail) must not roll it back */
	if (vm_info_get(&info)) {
		t_fail("no HC_VM_INFO");
		return;
	}
	for (uint64_t i = 0; i < steps; i++) {
		step(i);
		gprintf("ckpt: count %lu sum 0x%lx\n", i, sum());
		if (i == at || i == at2) {
			r = hypercall(HC_CHECKPOINT, info.vm_id, 0, 0);
			if (r == 0)
				gprintf("ckpt: checkpoint taken at count %lu\n", i);
			else if (r == KESTREL_CKPT_RESUMED)
				gprintf("ckpt: resumed from the checkpoint at count %lu\n", i);
			else
				t_fail("HC_CHECKPOINT at count %lu returned %ld", i, r);
		}
		if (fault && i == fault && r == 0) {
			t_attempt("triple fault at count %lu", i);
			triple_fault();
		}
	}
	/* other=N: a VM that exists, whose checkpoints this one may not take */
	if (arg_value("other"))
		t_expect("HC_CHECKPOINT of another VM",
			 (uint64_t)hypercall(HC_CHECKPOINT, (long)arg_u64("other", 0), 0, 0),
			 (uint64_t)-95);
	t_expect("HC_CHECKPOINT of VM 1000 (none)", (uint64_t)hypercall(HC_CHECKPOINT, 1000, 0, 0),
		 (uint64_t)-22);
	t_expect("HC_CHECKPOINT of its id with bit 32 set",
		 (uint64_t)hypercall(HC_CHECKPOINT, (long)(BIT(32) | info.vm_id), 0, 0),
		 (uint64_t)-22);
	gprintf("ckpt: done at count %lu sum 0x%lx\n", steps, sum());
	/* nospc=1: more pages written than the reservation stages (the case's is 116) */
	if (arg_is("nospc", "1")) {
		for (unsigned p = 0; p < PAGES; p++)
			buf[p][1] ^= p + 1;
		r = hypercall(HC_CHECKPOINT, info.vm_id, 0, 0);
		t_expect("HC_CHECKPOINT of 128 pages written, 116 staged", (uint64_t)r,
			 (uint64_t)-28);
		gprintf("ckpt: refused with %ld\n", r);
	}
}

/*
 * ckpt_bench (bench/b_ckpt.py): every 2 MiB chunk of RAM from 4 MiB up is touched, then a
 * full checkpoint; 1% of the RAM's pages written and an incremental one; 1% more and a
 * triple fault, which the rollback undoes (the hypervisor prints what each cost). Above
 * the image, the stack and .bss, through entry.S's identity map.
 */
#define BENCH_FROM (4 * MiB)

static void write_pages(uint64_t top, uint64_t every, uint64_t salt)
{
	for (uint64_t a = BENCH_FROM; a < top; a += every * PAGE_SIZE)
		*(volatile uint64_t *)(uintptr_t)(a + (salt % 512) * 8) = a ^ salt;
}

void t_ckpt_bench(void)
{
	struct hc_vm_info info;
	uint64_t top, dirty;
	long r;

	t_end_with_hc_exit();
	if (vm_info_get(&info) || info.ram_bytes <= BENCH_FROM) {
		t_fail("no HC_VM_INFO or RAM of at most 4 MiB");
		return;
	}
	top = MIN(info.ram_bytes, (uint64_t)GiB);
	dirty = (top / PAGE_SIZE) / 100; /* 1% of the VM's pages */
	write_pages(top, 1, 1);
	t_expect("full checkpoint", (uint64_t)hypercall(HC_CHECKPOINT, info.vm_id, 0, 0), 0);
	write_pages(BENCH_FROM + dirty * PAGE_SIZE, 1, 2);
	r = hypercall(HC_CHECKPOINT, info.vm_id, 0, 0);
	if (r == KESTREL_CKPT_RESUMED) {
		gprintf("ckpt_bench: resumed from the incremental checkpoint\n");
		return;
	}
	t_expect("incremental checkpoint", (uint64_t)r, 0);
	gprintf("ckpt_bench: %lu pages written, then a triple fault\n", dirty);
	write_pages(BENCH_FROM + dirty * PAGE_SIZE, 1, 3);
	fault_now();
}
