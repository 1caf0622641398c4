/*
 * The test guest's internal interfaces: console, CPU helpers, traps with fix-ups, page
 * tables and its virtual layout, boot information, hypercalls and the scenario runner.
 * Everything here runs in 64-bit mode after entry.S; single CPU, interrupts off.
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
extern bool pt_have_1g;

/* ---- console (COM1) and exit ---- */
void con_write(const char *s, size_t n);
int gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int gvprintf(const char *fmt, va_list ap);
__noreturn void guest_exit(unsigned status);

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

/* rdmsr/wrmsr that return the vector they faulted with (negated), or 0. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);

/* ---- hypercalls ---- */
struct hc_vm_info {
	uint32_t version;
	uint32_t vm_id;
	uint64_t ram_bytes;
	char name[32];
};
static_assert(sizeof(struct hc_vm_info) == 48, "docs/abi.md: struct hc_vm_info is 48 bytes");

/* VMCALL; a #UD (no hypervisor) resumes after it with RAX unchanged and is recorded. */
static inline long hypercall(long nr, long a0, long a1, long a2)
{
	__asm__ volatile("1: vmcall\n2:\n" EXTABLE("1b", "2b")
			 : "+a"(nr)
			 : "D"(a0), "S"(a1), "d"(a2)
			 : "memory");
	return nr;
}

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
};
extern struct boot_info boot;
extern uint64_t boot_tsc;   /* RDTSC at entry (entry.S) */
extern uint32_t boot_magic; /* EAX at entry */
extern uint32_t boot_mbi;   /* EBX at entry */
int mb2_parse(uint64_t mbi, struct boot_info *out);
uint64_t boot_ram_bytes(void); /* sum of type-1 map entries */

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
void t_oob_exec(void);
void t_nx_exec(void);
void t_rom_write(void);
void t_triple_fault(void);

#endif
