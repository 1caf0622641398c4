/*
 * Attack 0 of the hostile scenario: everything a guest may try that must NOT stop it, each
 * checked for the answer docs/abi.md promises: wild hypercalls (error codes, nothing written
 * on refusal), VMX instructions and MONITOR/MWAIT (#UD), MSRs off the allow-list (#GP), and ports that would
 * reset or reconfigure a real machine (ignored; reads all ones).
 */
#include "guests/testguest/hostile.h"
#include "lib/errno.h"

#define VEC_UD 6
#define VEC_GP 13

static unsigned probes_ok;

static void probe_result(const char *what, uint64_t got, uint64_t want)
{
	if (got == want) {
		probes_ok++;
		gprintf("ATTACK survived-ok %s\n", what);
		return;
	}
	gprintf("ATTACK failed %s: got 0x%llx want 0x%llx\n", what, (unsigned long long)got,
		(unsigned long long)want);
	t_fail("attack 0: %s: got 0x%llx want 0x%llx", what, (unsigned long long)got,
	       (unsigned long long)want);
}

/* ---- hypercalls ---- */

static void probe_hc(const char *what, long nr, long a0, long a1, long want)
{
	unsigned traps = trap_fixups.count;
	long r = hypercall(nr, a0, a1, 0);

	if (hypercall_faulted(traps))
		r = -1000 - (long)trap_fixups.vector; /* shows as an odd error */
	probe_result(what, (uint64_t)r, (uint64_t)want);
}

static void probe_hypercalls(const struct hostile_map *m, uint32_t self)
{
	static const char msg[] = "hostile: a valid HC_CONSOLE_WRITE\n";
	static struct hc_vm_info info;
	volatile uint64_t *canary = (volatile uint64_t *)(m->ram_end - 8);
	long end = (long)m->ram_end;

	probe_hc("hypercall 0x7fffffff -> -ENOSYS", 0x7FFFFFFF, 0, 0, -ENOSYS);
	probe_hc("hypercall -1 -> -ENOSYS", -1, 0, 0, -ENOSYS);
	probe_hc("hypercall HC_VM_INFO + 2^32 -> -ENOSYS", (long)(BIT(32) | HC_VM_INFO),
		 (long)&info, 0, -ENOSYS);
	if (m->ram_end_free) {
		probe_hc("HC_CONSOLE_WRITE past the end of RAM -> -EFAULT", HC_CONSOLE_WRITE, end,
			 16, -EFAULT);
		probe_hc("HC_CONSOLE_WRITE across the end of RAM -> -EFAULT", HC_CONSOLE_WRITE,
			 end - 8, 16, -EFAULT);
		probe_hc("HC_VM_INFO past the end of RAM -> -EFAULT", HC_VM_INFO, end, 0, -EFAULT);
	}
	if (m->ram_end_free && !boot_range_used(m->ram_end - 8, m->ram_end)) {
		*canary = 0x43414E415259;
		probe_hc("HC_VM_INFO across the end of RAM -> -EFAULT", HC_VM_INFO, end - 8, 0,
			 -EFAULT);
		probe_result("HC_VM_INFO refused wrote nothing", *canary, 0x43414E415259);
	}
	probe_hc("HC_CONSOLE_WRITE wrapping at 2^64 -> -EFAULT", HC_CONSOLE_WRITE, -16, 32,
		 -EFAULT);
	probe_hc("HC_CONSOLE_WRITE at 64 GiB -> -EFAULT", HC_CONSOLE_WRITE, (long)(64 * GiB), 16,
		 -EFAULT);
	probe_hc("HC_CONSOLE_WRITE length 4097 -> -EINVAL", HC_CONSOLE_WRITE, (long)msg, 4097,
		 -EINVAL);
	probe_hc("HC_CONSOLE_WRITE length 2^63 -> -EINVAL", HC_CONSOLE_WRITE, (long)msg,
		 (long)BIT(63), -EINVAL);
	probe_hc("HC_CONSOLE_WRITE length 0 -> 0", HC_CONSOLE_WRITE, (long)msg, 0, 0);
	probe_hc("HC_CONSOLE_WRITE valid -> length", HC_CONSOLE_WRITE, (long)msg, sizeof(msg) - 1,
		 sizeof(msg) - 1);
	probe_hc("HC_VM_INFO wrapping at 2^64 -> -EFAULT", HC_VM_INFO, -8, 0, -EFAULT);
	probe_hc("HC_DOORBELL self -> -EINVAL", HC_DOORBELL, self, 0, -EINVAL);
	probe_hc("HC_DOORBELL 2^32 + self -> -EINVAL", HC_DOORBELL, (long)(BIT(32) + self), 0,
		 -EINVAL);
	probe_hc("HC_DOORBELL 0xffffffff -> -EINVAL", HC_DOORBELL, 0xFFFFFFFFL, 0, -EINVAL);
	probe_hc("HC_DOORBELL -1 -> -EINVAL", HC_DOORBELL, -1, 0, -EINVAL);
	probe_hc("HC_DOORBELL 64 -> -EINVAL", HC_DOORBELL, 64, 0, -EINVAL);
	probe_hc("HC_DOORBELL a VM its peers do not name -> -EPERM", HC_DOORBELL, self ^ 1, 0,
		 -EPERM);
	probe_hc("HC_STATS unprivileged -> -EPERM", HC_STATS, 0, 0, -EPERM);
	probe_hc("HC_HEARTBEAT with junk arguments -> 0", HC_HEARTBEAT, -1, -1, 0);
}

/* ---- VMX instructions: #UD each ---- */

#define UD_PROBE(fn, text)                                                                         \
	static void fn(uint64_t *mem)                                                              \
	{                                                                                          \
		uint64_t a = 0, b = 0;                                                             \
		__asm__ volatile("1: " text "\n2:\n" EXTABLE("1b", "2b")                           \
				 : "+a"(a), "+b"(b)                                                \
				 : "D"(mem), "c"(0)                                                \
				 : "memory", "cc");                                                \
	}
UD_PROBE(ud_vmxon, "vmxon (%%rdi)")
UD_PROBE(ud_vmxoff, "vmxoff")
UD_PROBE(ud_vmclear, "vmclear (%%rdi)")
UD_PROBE(ud_vmptrld, "vmptrld (%%rdi)")
UD_PROBE(ud_vmptrst, "vmptrst (%%rdi)")
UD_PROBE(ud_vmread, "vmread %%rax, %%rbx")
UD_PROBE(ud_vmwrite, "vmwrite %%rbx, %%rax")
UD_PROBE(ud_vmlaunch, "vmlaunch")
UD_PROBE(ud_vmresume, "vmresume")
UD_PROBE(ud_invept, "invept (%%rdi), %%rax")
UD_PROBE(ud_invvpid, "invvpid (%%rdi), %%rax")
UD_PROBE(ud_vmfunc, "vmfunc")

/*
 * MONITOR and MWAIT: our CPUID says there are none (CPUID.01H:ECX.MONITOR = 0), so each
 * is #UD (SDM), whether or not the physical CPU has them: the hypervisor intercepts both
 * and must never let the guest idle the CPU. MONITOR gets a mapped address in RAX.
 */
static void ud_monitor(uint64_t *mem)
{
	__asm__ volatile("1: monitor\n2:\n" EXTABLE("1b", "2b")::"a"(mem), "c"(0), "d"(0)
			 : "memory", "cc");
}

static void ud_mwait(uint64_t *mem __attribute__((unused)))
{
	__asm__ volatile("1: mwait\n2:\n" EXTABLE("1b", "2b")::"a"(0), "c"(0) : "memory", "cc");
}

static const struct {
	const char *what;
	void (*fn)(uint64_t *mem);
} ud_probes[] = {
    {"MONITOR -> #UD", ud_monitor},   {"MWAIT -> #UD", ud_mwait},
    {"VMXON -> #UD", ud_vmxon},	      {"VMXOFF -> #UD", ud_vmxoff},
    {"VMCLEAR -> #UD", ud_vmclear},   {"VMPTRLD -> #UD", ud_vmptrld},
    {"VMPTRST -> #UD", ud_vmptrst},   {"VMREAD -> #UD", ud_vmread},
    {"VMWRITE -> #UD", ud_vmwrite},   {"VMLAUNCH -> #UD", ud_vmlaunch},
    {"VMRESUME -> #UD", ud_vmresume}, {"INVEPT -> #UD", ud_invept},
    {"INVVPID -> #UD", ud_invvpid},   {"VMFUNC -> #UD", ud_vmfunc},
};

static void probe_vmx(void)
{
	static uint64_t region[512] __aligned(4096);

	for (unsigned i = 0; i < ARRAY_SIZE(ud_probes); i++) {
		unsigned before = trap_fixups.count;

		region[0] = 0;
		ud_probes[i].fn(region);
		probe_result(ud_probes[i].what,
			     trap_fixups.count == before ? ~0ULL : trap_fixups.vector, VEC_UD);
	}
}

/* ---- MSRs off the allow-list: #GP each ---- */

static const struct {
	const char *what;
	uint32_t msr;
	bool write;
} gp_probes[] = {
    {"WRMSR IA32_TSC (read-only) -> #GP", 0x10, true},
    {"RDMSR IA32_APIC_BASE -> #GP", 0x1B, false},
    {"WRMSR IA32_APIC_BASE -> #GP", 0x1B, true},
    {"RDMSR IA32_FEATURE_CONTROL -> #GP", 0x3A, false},
    {"WRMSR IA32_FEATURE_CONTROL -> #GP", 0x3A, true},
    {"WRMSR IA32_BIOS_UPDT_TRIG -> #GP", 0x79, true},
    {"WRMSR IA32_SMM_MONITOR_CTL -> #GP", 0x9B, true},
    {"WRMSR IA32_DEBUGCTL -> #GP", 0x1D9, true},
    {"WRMSR IA32_MTRR_DEF_TYPE -> #GP", 0x2FF, true},
    {"RDMSR IA32_VMX_BASIC -> #GP", 0x480, false},
    {"WRMSR IA32_VMX_BASIC -> #GP", 0x480, true},
    {"RDMSR IA32_VMX_PROCBASED_CTLS2 -> #GP", 0x48B, false},
    {"RDMSR 0x40000000 -> #GP", 0x40000000, false},
    {"RDMSR 0xC0010114 (AMD VM_CR) -> #GP", 0xC0010114, false},
    {"WRMSR 0xFFFFFFFF -> #GP", 0xFFFFFFFF, true},
};

/*
 * A VM on the PC platform (CPUID.1:EDX[9], a local APIC) has IA32_APIC_BASE, the PIC,
 * the RTC and the reset ports as a PC has them: the probes that expect the minimal
 * platform's absence of them are skipped there.
 */
static bool pc_platform(void)
{
	return cpuid(1, 0).edx & BIT(9);
}

/*
 * RDPMC: the guest's CPUID leaf 0xA reports no performance counters (vm/cpuid.c), so every
 * counter index is invalid and RDPMC raises #GP(0) (SDM "RDPMC"), at CPL 0 too: the host's
 * counters (a side channel on the neighbours) are never read. Fixed-function counter 0 and
 * general counter 0 are both asked for.
 */
static void probe_rdpmc(void)
{
	static const uint32_t ecx[] = {0, 1u << 30};

	for (unsigned i = 0; i < ARRAY_SIZE(ecx); i++) {
		unsigned before = trap_fixups.count;
		uint32_t lo = 0, hi = 0;

		__asm__ volatile("1: rdpmc\n2:\n" EXTABLE("1b", "2b")
				 : "+a"(lo), "+d"(hi)
				 : "c"(ecx[i])
				 : "memory");
		probe_result(i ? "RDPMC fixed counter 0 -> #GP" : "RDPMC counter 0 -> #GP",
			     trap_fixups.count == before ? ~0ULL : trap_fixups.vector, VEC_GP);
	}
}

static void probe_msrs(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(gp_probes); i++) {
		uint64_t v = 0;
		if (gp_probes[i].msr == 0x1B && pc_platform())
			continue;
		int err = gp_probes[i].write ? wrmsr_safe(gp_probes[i].msr, 0)
					     : rdmsr_safe(gp_probes[i].msr, &v);

		probe_result(gp_probes[i].what, err ? (uint64_t)-err : ~0ULL, VEC_GP);
	}
}

/* ---- ports: resets and host configuration are not reachable ---- */

static uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static void probe_ports(void)
{
	outl(0xCF8, 0x80000000); /* PCI configuration address: bus 0, device 0 */
	probe_result("IN 0xCFC (PCI configuration data) -> all ones", inl(0xCFC), 0xFFFFFFFF);
	if (pc_platform()) {
		gprintf("hostile: PC platform: its PIC, RTC and reset ports are not probed\n");
		return;
	}
	probe_result("IN 0x60 (keyboard controller) -> all ones", inb(0x60), 0xFF);
	probe_result("IN 0x21 (PIC mask) -> all ones", inb(0x21), 0xFF);
	outb(0x70, 0x80); /* CMOS index with NMI disable */
	probe_result("OUT 0x70 (NMI disable), IN 0x71 -> all ones", inb(0x71), 0xFF);
	outb(0x64, 0xFE); /* keyboard controller: pulse reset */
	probe_result("OUT 0x64 0xFE (pulse reset) ignored", 0, 0);
	outb(0xCF9, 0x06); /* reset control register: hard reset */
	probe_result("OUT 0xCF9 0x06 (reset) ignored", 0, 0);
	outb(0x92, 0x01); /* system control port A: fast reset */
	probe_result("OUT 0x92 0x01 (fast reset) ignored", 0, 0);
}

unsigned hostile_probes(const struct hostile_map *m, uint32_t self)
{
	probes_ok = 0;
	probe_hypercalls(m, self);
	probe_rdpmc();
	probe_vmx();
	probe_msrs();
	probe_ports();
	return probes_ok;
}
