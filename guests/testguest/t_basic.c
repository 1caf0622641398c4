/*
 * Scenarios about the machine itself: hello (boot information), cpuid (the hypervisor's
 * leaves), hypercall (HC_* numbers), msr (allowed reads, #GP for the others) and vmxon
 * (#UD reaches the guest). Each checks itself and returns.
 */
#include "guests/testguest/guest.h"
#include "lib/errno.h"
#include "lib/string.h"

#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_HV  BIT(31)
#define MSR_TSC	       0x10
#define MSR_VMX_BASIC  0x480
#define MSR_BOGUS      0x0BADC0DE
#define MSR_EFER       0xC0000080
#define MSR_FS_BASE    0xC0000100
#define EFER_LME       BIT(8)
#define EFER_LMA       BIT(10)
#define VEC_UD	       6
#define VEC_GP	       13
#define HC_UNKNOWN     0x1234

extern char __image_start[], __image_end[];

static void hello_print(void)
{
	gprintf("hello: loader \"%s\" cmdline \"%s\"\n", boot.loader ? boot.loader : "(none)",
		boot.cmdline ? boot.cmdline : "(none)");
	if (boot.have_meminfo)
		gprintf("hello: mem_lower %u KiB mem_upper %u KiB\n", boot.mem_lower,
			boot.mem_upper);
	for (unsigned i = 0; i < boot.nr_mmap; i++)
		gprintf("MMAP 0x%016llx-0x%016llx type %u\n", (unsigned long long)boot.mmap[i].base,
			(unsigned long long)(boot.mmap[i].base + boot.mmap[i].len),
			boot.mmap[i].type);
	for (unsigned i = 0; i < boot.nr_mods; i++)
		gprintf("MODULE 0x%08x-0x%08x \"%s\"\n", boot.mods[i].start, boot.mods[i].end,
			boot.mods[i].string);
}

/* The image must lie in RAM the memory map calls available. */
static bool mmap_covers_image(void)
{
	uint64_t lo = (uint64_t)__image_start, hi = (uint64_t)__image_end;

	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type == 1 && boot.mmap[i].base <= lo &&
		    boot.mmap[i].base + boot.mmap[i].len >= hi)
			return true;
	return false;
}

void t_hello(void)
{
	hello_print();
	if (!boot.cmdline)
		t_fail("no command line tag");
	if (!boot.nr_mmap)
		t_fail("no memory map tag");
	else if (!mmap_covers_image())
		t_fail("memory map has no type-1 entry over the image [0x%llx, 0x%llx)",
		       (unsigned long long)(uint64_t)__image_start,
		       (unsigned long long)(uint64_t)__image_end);
}

void t_cpuid(void)
{
	struct cpuid_regs l1 = cpuid(1, 0), hv = cpuid(CPUID_HV_BASE, 0);

	gprintf("cpuid: 1.ecx 0x%08x; 40000000: 0x%08x 0x%08x 0x%08x 0x%08x\n", l1.ecx, hv.eax,
		hv.ebx, hv.ecx, hv.edx);
	t_expect("leaf 1 ecx.vmx", l1.ecx & CPUID1_ECX_VMX, 0);
	t_expect("leaf 1 ecx.hypervisor", l1.ecx & CPUID1_ECX_HV, CPUID1_ECX_HV);
	t_expect("40000000.eax", hv.eax, CPUID_HV_VERSION);
	t_expect("40000000.ebx", hv.ebx, HV_SIG_EBX);
	t_expect("40000000.ecx", hv.ecx, HV_SIG_ECX);
	t_expect("40000000.edx", hv.edx, HV_SIG_EDX);
	t_expect("40000001.eax", cpuid(CPUID_HV_VERSION, 0).eax, HV_ABI_VERSION);
}

static void hc_vm_info_check(struct hc_vm_info *info)
{
	long r;

	memset(info, 0xAA, sizeof(*info));
	r = hypercall(HC_VM_INFO, (long)info, 0, 0);
	if (!t_expect("HC_VM_INFO result", (uint64_t)r, 0))
		return;
	gprintf("hypercall: vm_info version %u id %u ram %llu name \"%.32s\" restarts %u cpu %u\n",
		info->version, info->vm_id, (unsigned long long)info->ram_bytes, info->name,
		info->restarts, info->cpu);
	t_expect("vm_info.version", info->version, HV_ABI_VERSION);
	t_expect("vm_info.ram_bytes vs memory map", info->ram_bytes, boot_ram_bytes());
	if (strnlen(info->name, sizeof(info->name)) == sizeof(info->name) || !info->name[0])
		t_fail("vm_info.name empty or not NUL-terminated");
	if (info->restarts == 0xAAAAAAAA || info->cpu == 0xAAAAAAAA)
		t_fail("vm_info: restarts 0x%x cpu 0x%x not written (version 2 is 56 bytes)",
		       info->restarts, info->cpu);
}

void t_hypercall(void)
{
	static const char msg[] = "hypercall: hello through HC_CONSOLE_WRITE\n";
	static struct hc_vm_info info;
	unsigned traps = trap_fixups.count;
	long r = hypercall(HC_NULL, 0, 0, 0);

	if (trap_fixups.count != traps) {
		t_fail("VMCALL raised vector %llu (no hypervisor?)",
		       (unsigned long long)trap_fixups.vector);
		return;
	}
	t_expect("HC_NULL", (uint64_t)r, 0);
	r = hypercall(HC_CONSOLE_WRITE, (long)msg, sizeof(msg) - 1, 0);
	t_expect("HC_CONSOLE_WRITE", (uint64_t)r, sizeof(msg) - 1);
	r = hypercall(HC_CONSOLE_WRITE, GPA_UNMAPPED_LO, 16, 0);
	t_expect("HC_CONSOLE_WRITE outside RAM", (uint64_t)r, (uint64_t)-EFAULT);
	r = hypercall(HC_CONSOLE_WRITE, GPA_RAM_SIZE - 8, 16, 0);
	t_expect("HC_CONSOLE_WRITE across the end of RAM", (uint64_t)r, (uint64_t)-EFAULT);
	r = hypercall(HC_CONSOLE_WRITE, (long)msg, HC_CONSOLE_MAX + 1, 0);
	t_expect("HC_CONSOLE_WRITE too long", (uint64_t)r, (uint64_t)-EINVAL);
	hc_vm_info_check(&info);
	t_expect("HC_HEARTBEAT", (uint64_t)hypercall(HC_HEARTBEAT, 0, 0, 0), 0);
	r = hypercall(HC_DOORBELL, info.vm_id, 0, 0);
	t_expect("HC_DOORBELL to itself", (uint64_t)r, (uint64_t)-EINVAL);
	r = hypercall(HC_UNKNOWN, 0, 0, 0);
	t_expect("unknown number", (uint64_t)r, (uint64_t)-ENOSYS);
	r = hypercall((long)(BIT(32) | HC_NULL), 0, 0, 0);
	t_expect("number with bits above 31", (uint64_t)r, (uint64_t)-ENOSYS);
}

static void msr_expect_gp(const char *what, int err)
{
	if (err != -VEC_GP)
		t_fail("%s: want #GP, got %s %d", what, err ? "vector" : "no fault", -err);
}

void t_msr(void)
{
	uint64_t efer = 0, tsc0 = 0, tsc1 = 0, fs = 1, v;

	t_expect("rdmsr EFER fault", (uint64_t)rdmsr_safe(MSR_EFER, &efer), 0);
	t_expect("EFER.LME|LMA", efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	t_expect("rdmsr TSC fault",
		 (uint64_t)(rdmsr_safe(MSR_TSC, &tsc0) | rdmsr_safe(MSR_TSC, &tsc1)), 0);
	if (!tsc0 || tsc1 < tsc0)
		t_fail("IA32_TSC not counting: %llu then %llu", (unsigned long long)tsc0,
		       (unsigned long long)tsc1);
	t_expect("rdmsr FS_BASE fault", (uint64_t)rdmsr_safe(MSR_FS_BASE, &fs), 0);
	t_expect("FS_BASE", fs, 0);
	gprintf("msr: EFER 0x%llx TSC %llu\n", (unsigned long long)efer, (unsigned long long)tsc1);
	msr_expect_gp("rdmsr IA32_VMX_BASIC", rdmsr_safe(MSR_VMX_BASIC, &v));
	msr_expect_gp("rdmsr 0x0BADC0DE", rdmsr_safe(MSR_BOGUS, &v));
	msr_expect_gp("wrmsr IA32_VMX_BASIC", wrmsr_safe(MSR_VMX_BASIC, 0));
}

void t_vmxon(void)
{
	static uint8_t region[4096] __aligned(4096);
	uint64_t pa = (uint64_t)region;
	unsigned before = trap_fixups.count;

	__asm__ volatile("1: vmxon %0\n2:\n" EXTABLE("1b", "2b") : : "m"(pa) : "memory", "cc");
	if (trap_fixups.count == before)
		t_fail("VMXON did not fault");
	else
		t_expect("VMXON vector", trap_fixups.vector, VEC_UD);
}

/* HC_STATS from a privileged VM: the hypervisor prints its statistics and audits. */
void t_stats(void)
{
	long r = hypercall(HC_STATS, 0, 0, 0);

	gprintf("stats: HC_STATS -> %ld\n", r);
	t_expect("HC_STATS", (uint64_t)r, 0);
}
