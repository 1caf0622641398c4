/*
 * secret: the first boot (restarts 0) writes a 64-byte secret at GPA 0x800000 and a few
 * other places and leaves through the debug-exit port with status 7, which the VM's policy
 * answers with a restart; the next boot (restarts >= 1) finds those bytes, and every byte
 * of RAM the loader did not fill, zero, and ends with HC_EXIT.
 */
#include "guests/testguest/pc.h" /* rdmsr, wrmsr */
#include "lib/string.h"

#define SECRET_LEN	  64
#define SECRET_STATUS	  7
#define SECRET_SCAN_LIMIT GiB /* identity-mapped RAM only */

static const char secret[SECRET_LEN] =
    "kestrel secret: this must not outlive a restart 0123456789abcde";

/* The end of the highest RAM entry, within the identity-mapped first GiB. */
static uint64_t ram_top(void)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1)
			top =
			    MAX(top, MIN(boot.mmap[i].base + boot.mmap[i].len, SECRET_SCAN_LIMIT));
	return top;
}

/* Fixed places plus the last bytes of RAM; those the loader fills or outside RAM skipped. */
static unsigned secret_places(uint64_t at[], unsigned max)
{
	static const uint64_t fixed[] = {0x800000, 0x10000, 0x3FFFE0 /* across 4 MiB */};
	unsigned n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(fixed) + 1 && n < max; i++) {
		uint64_t a = i < ARRAY_SIZE(fixed) ? fixed[i] : ram_top() - SECRET_LEN;

		if (boot_range_is_ram(a, a + SECRET_LEN) && !boot_range_used(a, a + SECRET_LEN))
			at[n++] = a;
	}
	return n;
}

/* ---- CPU state outside the VMCS: planted before the restart, power-on values after ---- */

#define PLANT	    0x5ec2e000ULL /* canonical, and no reserved bit of any of the MSRs */
#define MXCSR_PLANT 0x1f00	  /* every exception masked but precision: not the reset value */

static const uint32_t plant_msrs[] = {0xc0000081, 0xc0000082, 0xc0000083,
				      0xc0000084, 0xc0000102, 0xc0000103};

static void sse_on(void)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | BIT(9)));
}

static void plant_cpu_state(void)
{
	uint32_t mx = MXCSR_PLANT;

	for (unsigned i = 0; i < ARRAY_SIZE(plant_msrs); i++)
		wrmsr(plant_msrs[i], plant_msrs[i] == 0xc0000103 ? 0x1234 : PLANT + i);
	__asm__ volatile("mov %0, %%db0\n\tmov %0, %%db1\n\tmov %0, %%db2\n\tmov %0, %%db3\n\t"
			 "mov %0, %%cr2" ::"r"(PLANT));
	sse_on();
	__asm__ volatile("movq %0, %%xmm0\n\tmovq %0, %%xmm7\n\tmovq %0, %%xmm15\n\t"
			 "ldmxcsr %1" ::"r"(PLANT),
			 "m"(mx));
	gprintf("secret: CPU state planted (6 MSRs, DR0-3, CR2, XMM0/7/15, MXCSR)\n");
}

static void check_cpu_state(void)
{
	uint64_t dr[4], dr6, cr2, x0, x7, x15;
	uint32_t mx;

	for (unsigned i = 0; i < ARRAY_SIZE(plant_msrs); i++)
		if (rdmsr(plant_msrs[i]))
			t_fail("MSR 0x%x holds 0x%llx after the restart", plant_msrs[i],
			       (unsigned long long)rdmsr(plant_msrs[i]));
	__asm__ volatile("mov %%db0, %0\n\tmov %%db1, %1\n\tmov %%db2, %2\n\tmov %%db3, %3"
			 : "=r"(dr[0]), "=r"(dr[1]), "=r"(dr[2]), "=r"(dr[3]));
	__asm__ volatile("mov %%db6, %0\n\tmov %%cr2, %1" : "=r"(dr6), "=r"(cr2));
	for (unsigned i = 0; i < 4; i++)
		if (dr[i])
			t_fail("DR%u holds 0x%llx after the restart", i, (unsigned long long)dr[i]);
	t_expect("DR6 after the restart", dr6, 0xffff0ff0ULL);
	t_expect("CR2 after the restart", cr2, 0);
	sse_on();
	__asm__ volatile("movq %%xmm0, %0\n\tmovq %%xmm7, %1\n\tmovq %%xmm15, %2\n\tstmxcsr %3"
			 : "=r"(x0), "=r"(x7), "=r"(x15), "=m"(mx));
	t_expect("XMM0 after the restart", x0, 0);
	t_expect("XMM7 after the restart", x7, 0);
	t_expect("XMM15 after the restart", x15, 0);
	t_expect("MXCSR after the restart", mx, 0x1f80);
	gprintf("secret: CPU state after the restart checked\n");
}

static __noreturn void secret_write(const uint64_t at[], unsigned n)
{
	plant_cpu_state();
	for (unsigned i = 0; i < n; i++) {
		memcpy((void *)at[i], secret, SECRET_LEN);
		gprintf("secret: %u bytes at 0x%llx\n", SECRET_LEN, (unsigned long long)at[i]);
	}
	gprintf("SECRET written\n");
	guest_exit(SECRET_STATUS);
}

static void secret_check_places(const uint64_t at[], unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const volatile uint8_t *p = (const volatile uint8_t *)at[i];

		for (unsigned k = 0; k < SECRET_LEN; k++) {
			if (p[k]) {
				t_fail("0x%llx holds 0x%02x after the restart",
				       (unsigned long long)(at[i] + k), p[k]);
				break;
			}
		}
	}
}

/* Words not zero in [lo, hi), 8-aligned; the first one's address into *first. */
static uint64_t count_nonzero(uint64_t lo, uint64_t hi, bool skip_used, uint64_t *first)
{
	uint64_t n = 0;

	for (uint64_t a = lo; a < hi; a += 8) {
		if (skip_used && boot_range_used(a, a + 8))
			continue;
		if (*(const volatile uint64_t *)a && !n++)
			*first = a;
	}
	return n;
}

/* Every word of RAM below 1 GiB that the loader did not fill must read zero; page by page,
 * word by word only on pages the loader touched. */
void secret_scan_ram(void)
{
	uint64_t nonzero = 0, first = 0, pages = 0;

	for (unsigned i = 0; i < boot.nr_mmap; i++) {
		uint64_t lo = ALIGN_UP(boot.mmap[i].base, PAGE_SIZE);
		uint64_t hi = MIN(ALIGN_DOWN(boot.mmap[i].base + boot.mmap[i].len, PAGE_SIZE),
				  SECRET_SCAN_LIMIT);

		for (uint64_t p = lo; boot.mmap[i].type == 1 && p < hi; p += PAGE_SIZE, pages++) {
			uint64_t f = 0, n;

			n = count_nonzero(p, p + PAGE_SIZE, boot_range_used(p, p + PAGE_SIZE), &f);
			if (n && !nonzero)
				first = f;
			nonzero += n;
		}
	}
	gprintf("secret: %llu KiB of RAM scanned, %llu words not zero\n",
		(unsigned long long)(pages * 4), (unsigned long long)nonzero);
	if (nonzero)
		t_fail("RAM not scrubbed: 0x%llx holds 0x%016llx (%llu words not zero)",
		       (unsigned long long)first,
		       (unsigned long long)*(const volatile uint64_t *)first,
		       (unsigned long long)nonzero);
}

void t_secret(void)
{
	struct hc_vm_info info;
	long restarts = vm_restarts(&info);
	uint64_t at[4];
	unsigned n = secret_places(at, ARRAY_SIZE(at));

	if (restarts < 0) {
		t_fail("no restart count: HC_VM_INFO %ld (give restarts= without a hypervisor)",
		       restarts);
		return;
	}
	gprintf("secret: restarts %ld, %u places\n", restarts, n);
	if (restarts == 0)
		secret_write(at, n);
	t_end_with_hc_exit();
	secret_check_places(at, n);
	check_cpu_state();
	secret_scan_ram();
}
