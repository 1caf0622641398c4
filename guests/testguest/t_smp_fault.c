/*
 * smp_fault: on the first boot the last AP faults on purpose after the BSP printed
 * "SMP FAULT AP n: <how>" ("smp_fault=triple", the default: empty IDT then UD2; or
 * "smp_fault=oob": a read of GPA_UNMAPPED_LO, outside the VM's map). Under the hypervisor
 * the whole VM must restart (policy restart); the next boot (restarts >= 1, from HC_VM_INFO
 * or "restarts=") starts every AP again and passes. Bare (VMCALL faults) the fault part is
 * skipped: a triple fault on a bare AP shuts that CPU down, which the SDM leaves to the
 * platform.
 * smp_secret: t_secret for every CPU. First boot: each CPU plants values in MSRs, DR0-3,
 * CR2, XMM0/7/15 and MXCSR and 64 bytes at its own page (SECRET_BASE + index * 4 KiB), then
 * the BSP leaves through the debug-exit port with status 7 (the policy restarts). Next
 * boot: the BSP checks RAM (t_secret's scan: every word the loader did not fill is zero)
 * before it writes the SIPI page, then each CPU checks its state reads as after reset.
 */
#include "guests/testguest/smp.h"
#include "lib/errno.h"
#include "lib/string.h"

#define FAULT_WAIT_US 1000000
#define SECRET_BASE   0x900000
#define SECRET_STATUS 7
#define PLANT	      0x5ec2e000ULL
#define MXCSR_PLANT   0x1f00
#define MXCSR_RESET   0x1f80
#define DR6_RESET     0xffff0ff0ULL

static const uint32_t plant_msrs[] = {0xc0000081, 0xc0000082, 0xc0000083,
				      0xc0000084, 0xc0000102, 0xc0000103};
static const char secret[64] = "kestrel smp secret: this must not outlive a restart 0123456789";

static void ap_triple_fault(void *arg)
{
	(void)arg;
	trap_load_empty_idt();
	__asm__ volatile("ud2");
}

static void ap_oob_read(void *arg)
{
	(void)arg;
	smp_this()->result = *(volatile uint64_t *)GPA_UNMAPPED_LO;
}

static bool bare(void)
{
	struct hc_vm_info info;

	return vm_info_get(&info) == -ENOSYS;
}

void t_smp_fault(void)
{
	struct hc_vm_info info;
	long restarts = vm_restarts(&info);
	bool oob = arg_is("smp_fault", "oob");
	unsigned ap;

	t_end_with_hc_exit();
	if (!smp_bringup())
		return;
	ap = smp_nr_cpus - 1;
	if (bare()) {
		gprintf("smp_fault: no hypervisor: the fault part is skipped\n");
		return;
	}
	if (restarts < 0) {
		t_fail("no restart count: HC_VM_INFO %ld", restarts);
		return;
	}
	if (restarts > 0) {
		gprintf("smp_fault: second boot (restarts %ld): %u CPUs up again\n", restarts,
			smp_nr_cpus);
		return;
	}
	if (!ap) {
		t_fail("one CPU: no AP to fault");
		return;
	}
	if (oob && pt_map(GPA_UNMAPPED_LO, GPA_UNMAPPED_LO, 2 * MiB, PTE_W)) {
		t_fail("cannot map 0x%x", GPA_UNMAPPED_LO);
		return;
	}
	gprintf("SMP FAULT AP %u: %s\n", ap, oob ? "read outside the VM's map" : "triple fault");
	smp_post(ap, oob ? ap_oob_read : ap_triple_fault, NULL);
	pc_delay_us(FAULT_WAIT_US);
	t_fail("survived: the VM still runs %u us after AP %u's fault", FAULT_WAIT_US, ap);
}

/* ---- smp_secret ---- */

static void sse_on(void)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | BIT(9)));
}

static void plant(void *arg)
{
	struct smp_cpu *me = smp_this();
	uint32_t mx = MXCSR_PLANT;

	(void)arg;
	for (unsigned i = 0; i < ARRAY_SIZE(plant_msrs); i++)
		wrmsr(plant_msrs[i], plant_msrs[i] == 0xc0000103 ? 0x1234 : PLANT + i);
	__asm__ volatile("mov %0, %%db0\n\tmov %0, %%db1\n\tmov %0, %%db2\n\tmov %0, %%db3\n\t"
			 "mov %0, %%cr2" ::"r"(PLANT + me->index));
	sse_on();
	__asm__ volatile("movq %0, %%xmm0\n\tmovq %0, %%xmm7\n\tmovq %0, %%xmm15\n\t"
			 "ldmxcsr %1" ::"r"(PLANT),
			 "m"(mx));
	memcpy((void *)(SECRET_BASE + me->index * PAGE_SIZE), secret, sizeof(secret));
	me->result = 1;
}

/* Bit per item not at its reset value: 0-5 the MSRs, 6-9 DR0-3, 10 DR6, 11 CR2, 12-14 XMM,
 * 15 MXCSR, 16 the secret page. */
static void check(void *arg)
{
	struct smp_cpu *me = smp_this();
	uint64_t dr[4], dr6, cr2, x[3], bad = 0;
	const volatile uint8_t *p = (const volatile uint8_t *)(SECRET_BASE + me->index * PAGE_SIZE);
	uint32_t mx;

	(void)arg;
	for (unsigned i = 0; i < ARRAY_SIZE(plant_msrs); i++)
		if (rdmsr(plant_msrs[i]))
			bad |= BIT(i);
	__asm__ volatile("mov %%db0, %0\n\tmov %%db1, %1\n\tmov %%db2, %2\n\tmov %%db3, %3"
			 : "=r"(dr[0]), "=r"(dr[1]), "=r"(dr[2]), "=r"(dr[3]));
	__asm__ volatile("mov %%db6, %0\n\tmov %%cr2, %1" : "=r"(dr6), "=r"(cr2));
	for (unsigned i = 0; i < 4; i++)
		if (dr[i])
			bad |= BIT(6 + i);
	bad |= (dr6 != DR6_RESET ? BIT(10) : 0) | (cr2 ? BIT(11) : 0);
	sse_on();
	__asm__ volatile("movq %%xmm0, %0\n\tmovq %%xmm7, %1\n\tmovq %%xmm15, %2\n\tstmxcsr %3"
			 : "=r"(x[0]), "=r"(x[1]), "=r"(x[2]), "=m"(mx));
	for (unsigned i = 0; i < 3; i++)
		if (x[i])
			bad |= BIT(12 + i);
	bad |= mx != MXCSR_RESET ? BIT(15) : 0;
	for (unsigned k = 0; k < sizeof(secret); k++)
		if (p[k])
			bad |= BIT(16);
	me->result = bad;
}

void t_smp_secret(void)
{
	struct hc_vm_info info;
	long restarts = vm_restarts(&info);

	if (restarts < 0) {
		t_fail("no restart count: HC_VM_INFO %ld (give restarts= without a hypervisor)",
		       restarts);
		return;
	}
	if (restarts > 0) {
		t_end_with_hc_exit();
		secret_scan_ram(); /* before smp_bringup() writes the SIPI page */
	}
	if (!smp_bringup())
		return;
	gprintf("smp_secret: restarts %ld, %u CPUs\n", restarts, smp_nr_cpus);
	if (!smp_call_all(restarts ? check : plant, NULL))
		return;
	for (unsigned c = 0; c < smp_nr_cpus; c++) {
		if (!restarts) {
			gprintf("smp_secret: CPU %u: state and 64 bytes at 0x%llx planted\n", c,
				(unsigned long long)(SECRET_BASE + c * PAGE_SIZE));
			continue;
		}
		if (smp_cpus[c].result)
			t_fail("CPU %u: state not at its reset values after the restart (items "
			       "0x%llx: bits 0-5 MSRs, 6-9 DR0-3, 10 DR6, 11 CR2, 12-14 XMM, 15 "
			       "MXCSR, 16 its secret page)",
			       c, (unsigned long long)smp_cpus[c].result);
		else
			gprintf("smp_secret: CPU %u: state after the restart checked\n", c);
	}
	if (!restarts) {
		gprintf("SMP SECRET written\n");
		guest_exit(SECRET_STATUS);
	}
}
