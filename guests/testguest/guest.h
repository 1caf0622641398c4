/*
 * The test guest's internal interfaces: console, CPU helpers, traps with fix-ups, page
 * tables and its virtual layout, boot information, command line, hypercalls, doorbells and
 * the scenario runner. Everything here runs in 64-bit mode after entry.S on the boot CPU,
 * with interrupts off except inside irq_sleep(); the SMP scenarios' APs (smp.h) share the
 * IDT, GDT and page tables, and never print, fail a check or touch the boot information.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include "lib/types.h"
#include "guests/testguest/abi.h"

/* ---- virtual layout (see docs/guests.md) ---- */
/* Identity: [0, 1 GiB) with 2 MiB pages, plus 2 MiB identity pages over each device region. */
#define VA_HI_DEV_NUM 0xFFFFFFFFC0205000 /* 4 KiB pages: page 0, page 1, MMIO UART */
#define VA_HI_DEV     ((uint64_t)VA_HI_DEV_NUM)
#define VA_HI_SWAP    (VA_HI_DEV + 0x4000) /* 4 KiB pages in swapped order: page 1, page 0 */
#define VA_LO_DEV_NUM 0x60003000	   /* 4 KiB pages: page 0, page 1 (RIP-relative reach) */
#define VA_LO_DEV     ((uint64_t)VA_LO_DEV_NUM)
#define VA_ALIAS      0xFFFF800000000000ULL    /* 1 GiB pages when the CPU has them, else 2 MiB */
#define VA_RAM_ALIAS  VA_ALIAS		       /* + GPA, for GPA < 1 GiB */
#define VA_DEV_ALIAS  (VA_ALIAS + GPA_TESTDEV) /* the 1 GiB page over [3 GiB, 4 GiB) */

#define XSTR(x) STR(x)
#define STR(x)	#x

#define PTE_P	 BIT(0)
#define PTE_W	 BIT(1)
#define PTE_PWT	 BIT(3)
#define PTE_PCD	 BIT(4)
#define PTE_PS	 BIT(7)
#define PTE_ADDR GENMASK(51, 12)
#define PTE_UC	 (PTE_PCD | PTE_PWT)

void pt_init(void);
int pt_map(uint64_t va, uint64_t pa, uint64_t page_size, uint64_t flags);
/* The physical address va maps to through the current tables: 0, or -ENOENT. */
int pt_lookup(uint64_t va, uint64_t *pa);
/* Make pa reachable at virtual address pa, adding a page of page_size if needed (smaller
 * where that range already holds a lower-level table). */
int pt_map_identity(uint64_t pa, uint64_t page_size);
extern bool pt_have_1g;

/* ---- console (COM1) and exit ---- */
void con_write(const char *s, size_t n);
int gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int gvprintf(const char *fmt, va_list ap);
/* Port 0xF4 first (the VM's policy may restart it), then HC_EXIT, then a halt loop. */
__noreturn void guest_exit(unsigned status);
/* HC_EXIT first (always stops the VM), then port 0xF4 (no hypervisor), then a halt loop. */
__noreturn void guest_stop(unsigned status);

/* ---- CPU ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}
struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}
static inline void mfence(void)
{
	__asm__ volatile("mfence" : : : "memory");
}
#define barrier()	 __asm__ volatile("" : : : "memory")
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* ---- traps ---- */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout is shared with isr.S");

/*
 * Fix-ups: an instruction that may fault on purpose is listed in section .extable as
 * (address, resume address). A fault there resumes at the second address and is recorded
 * in trap_fixups (count, last vector); any other fault ends the run.
 */
struct trap_record {
	unsigned count;
	uint64_t vector, error, rip;
};
extern volatile struct trap_record trap_fixups;
#define EXTABLE(insn, resume)                                                                      \
	".pushsection .extable, \"a\"\n.balign 8\n.quad " insn ", " resume "\n.popsection\n"

void trap_init(void);
void trap_load_empty_idt(void);
/* Load the IDT trap_init() built (an AP's first step; smp.c). */
void trap_load_idt(void);
/* Send vector vec (32-255, not VEC_DOORBELL) to irq_dispatch() (on) or back to counting. */
void trap_route_irq(unsigned vec, bool on);
/* Vector @vec's gate to @handler, an assembly stub ending in IRETQ. */
void trap_set_gate(unsigned vec, void (*handler)(void));
/* Vector 2 goes here when set, instead of the exception report (t_apic_ipi.c). */
#define VEC_NMI 2
struct trap_frame;
extern void (*volatile nmi_hook)(struct trap_frame *f);
/* Called by trap_handler() for a routed vector, IF = 0 (pc.c). */
void irq_dispatch(unsigned vec);

/*
 * Interrupts: vector VEC_DOORBELL counts into doorbell_count (no EOI: the hypervisor needs
 * none); any other vector from 32 up counts into stray_irq_count. Both handlers only count.
 */
extern volatile uint64_t doorbell_count, stray_irq_count;
/*
 * Called with IF = 0: enable interrupts, halt until one is taken, disable them again. A
 * doorbell rung while IF was 0 stays pending and ends the HLT at once (STI's one-instruction
 * shadow covers the HLT), so checking a condition with IF = 0 and then sleeping loses none.
 */
static inline void irq_sleep(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

/* rdmsr/wrmsr that return the vector they faulted with (negated), or 0. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);

/* ---- hypercalls ---- */
/* struct hc_vm_info comes from abi/kestrel.h */
#define HC_VM_INFO_V1_SIZE 48

/* VMCALL; a #UD (no hypervisor) resumes after it with RAX unchanged and is recorded. */
static inline long hypercall(long nr, long a0, long a1, long a2)
{
	__asm__ volatile("1: vmcall\n2:\n" EXTABLE("1b", "2b")
			 : "+a"(nr)
			 : "D"(a0), "S"(a1), "d"(a2)
			 : "memory");
	return nr;
}

/* True when the last hypercall() since traps_before raised an exception (no hypervisor). */
static inline bool hypercall_faulted(unsigned traps_before)
{
	return trap_fixups.count != traps_before;
}

/*
 * HC_VM_INFO into *info (zeroed first): 0, -ENOSYS when VMCALL faults (no hypervisor), the
 * hypercall's error, or -ENOTSUP for a version below 2.
 */
int vm_info_get(struct hc_vm_info *info);
/*
 * This boot's restart count: "restarts=N" on the command line when given (for runs without
 * the hypervisor), else HC_VM_INFO's. Returns it, or vm_info_get()'s error; *info is filled
 * as vm_info_get() leaves it.
 */
long vm_restarts(struct hc_vm_info *info);

/* ---- command line: "key=value" words ---- */
/* The value text of "key=" (up to the next space or the end), or NULL when absent. */
const char *arg_value(const char *key);
/* "key=N" as a number (decimal or 0x-prefixed hex), or def when absent or malformed. */
uint64_t arg_u64(const char *key, uint64_t def);
/* True when "key=value" is present with exactly that value. */
bool arg_is(const char *key, const char *value);

/* ---- boot information ---- */
#define BOOT_MAX_MMAP 32
#define BOOT_MAX_MODS 8
struct boot_mmap {
	uint64_t base, len;
	uint32_t type;
};
struct boot_mod {
	uint32_t start, end;
	const char *string;
};
struct boot_info {
	uint32_t magic;
	uint64_t mbi;
	const char *cmdline;
	const char *loader;
	bool have_meminfo;
	uint32_t mem_lower, mem_upper;
	unsigned nr_mmap, nr_mods;
	struct boot_mmap mmap[BOOT_MAX_MMAP];
	struct boot_mod mods[BOOT_MAX_MODS];
	const void *rsdp; /* the loader's copy of the ACPI RSDP (tag 15, else 14), or NULL */
};
extern struct boot_info boot;
extern uint64_t boot_tsc;   /* RDTSC at entry (entry.S) */
extern uint32_t boot_magic; /* EAX at entry */
extern uint32_t boot_mbi;   /* EBX at entry */
int mb2_parse(uint64_t mbi, struct boot_info *out);
uint64_t boot_ram_bytes(void); /* sum of type-1 map entries */
/* True when [lo, hi) overlaps the image, the boot information or a module. */
bool boot_range_used(uint64_t lo, uint64_t hi);
/* One past the highest byte of the image, the boot information and the modules. */
uint64_t boot_used_end(void);
/* True when [lo, hi) lies in one type-1 (RAM) entry of the memory map. */
bool boot_range_is_ram(uint64_t lo, uint64_t hi);

/* ---- scenarios ---- */
struct scenario {
	const char *name;
	void (*run)(void);
	bool in_all; /* part of test=all: self-checking and returns */
};
extern const struct scenario scenarios[];
extern const unsigned nr_scenarios;

/* Record a failure of the running scenario (the first one becomes its FAIL detail). */
void t_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Check helper: fails with "what got=.. want=.." when they differ; returns got == want. */
bool t_expect(const char *what, uint64_t got, uint64_t want);
/* A fault scenario announces what it is about to do: "ATTEMPT <what>". */
void t_attempt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned t_failures(void);

void t_hello(void);
void t_cpuid(void);
void t_hypercall(void);
void t_stats(void);
void t_msr(void);
void t_vmxon(void);
void t_rom(void);
void t_shared(void);
void t_passthrough(void);
void t_mmio_uart(void);
void t_mmio(void);
void t_mmio_extra(void);
void t_mmio_selftest(void);
void t_bench(void);
void t_oob_read(void);
void t_oob_write(void);
void t_pt_in_mmio(void);
void t_fetch_remap(void);
void t_oob_exec(void);
void t_nx_exec(void);
void t_rom_write(void);
void t_triple_fault(void);
void t_ring_producer(void);
void t_ring_consumer(void);
void t_ring_selftest(void);
void t_heartbeat(void);
void t_spin(void);
void t_victim(void);
void t_hostile(void);
void t_secret(void);
void t_restart_loop(void);
void t_dirty(void);
void t_dirty_bench(void);
void t_demand(void);
/* the PC platform (pc.h) */
void t_apic_regs(void);
void t_x2apic(void);
void t_apic_timer_periodic(void);
void t_apic_timer_oneshot(void);
void t_apic_tsc_deadline(void);
void t_self_ipi_nested(void);
void t_spurious(void);
void t_apic_nmi(void);
void t_pc_bench(void);
void t_board_writer(void);
void t_pit_pic(void);
void t_pit_ioapic(void);
void t_ioapic_regs(void);
void t_rtc_periodic(void);
void t_uart_irq(void);
void t_absent_device(void);
/* several CPUs (smp.h) */
void t_smp_start(void);
void t_smp_ipi(void);
void t_smp_lock(void);
void t_smp_fault(void);
void t_smp_secret(void);
void t_smp_bench(void);
void t_coalesced(void);
void t_coalesced_bench(void);
void t_coalesced_restart(void);
void t_slots(void);
/* t_secret's RAM check, for smp_secret: every word below 1 GiB the loader did not fill is
 * zero (t_fail otherwise). */
void secret_scan_ram(void);

/* The run ends with guest_stop() (HC_EXIT first) rather than guest_exit(): for VMs whose
 * policy restarts them on the debug-exit port. */
void t_end_with_hc_exit(void);

#endif
