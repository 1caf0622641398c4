/*
 * Exceptions taken in the hypervisor itself are bugs: print the vector, error
 * code, RIP, CR2 and every register, then power off with a failure status.
 * An NMI is not an exception but a platform event: counted, and the
 * interrupted code resumes (isr.S returns with IRETQ, which ends the CPU's
 * blocking by NMI).
 */
#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/nmi.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/power.h"
#include "lib/console.h"
#include "lib/printf.h"

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(struct trap_frame) == 22 * 8, "frame pushed by isr.S and the CPU");

static const char *const vector_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization exception",
    "#CP control protection",
};

#define VECTOR_NMI 2

/* Per CPU, each written only by its own CPU: no lock, nothing an NMI could wait on. */
static uint64_t nmis[SMP_MAX_CPUS];

void nmi_note(void)
{
	unsigned cpu = smp_this_cpu();

	if (cpu < SMP_MAX_CPUS)
		__atomic_fetch_add(&nmis[cpu], 1, __ATOMIC_RELAXED);
}

uint64_t nmi_count(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS ? __atomic_load_n(&nmis[cpu], __ATOMIC_RELAXED) : 0;
}

/*
 * Returns only for an NMI. It may have interrupted anything, the console's
 * lock holder included: count it and print nothing here.
 */
void trap_handler(struct trap_frame *f)
{
	const char *name =
	    f->vector < 32 && vector_names[f->vector] ? vector_names[f->vector] : "?";

	if (f->vector == VECTOR_NMI) {
		nmi_note();
		return;
	}

	pr_err("\nFATAL: exception %lu (%s) error code 0x%lx\n", f->vector, name, f->error);
	pr_err("  RIP %04lx:%016lx RFLAGS %016lx CR2 %016lx\n", f->cs, f->rip, f->rflags,
	       read_cr2());
	pr_err("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	pr_err("  RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	pr_err("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	pr_err("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
	pr_err("  CR0 %016lx CR3 %016lx CR4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
	power_off(HV_EXIT_BUG);
}

__noreturn void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_err("\nPANIC: %s\n", buf);
	pr_err("  CR0 %016lx CR3 %016lx CR4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
	power_off(HV_EXIT_BUG);
}
