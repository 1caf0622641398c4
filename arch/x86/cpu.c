/*
 * Descriptor tables of the boot CPU: GDT (code, data, TSS), TSS with IST
 * stacks for #DF and NMI, IDT with a stub per exception vector (isr.S).
 * Called once from hv_main; the VMCS host state reads the bases back.
 */
#include "arch/x86/cpu.h"
#include "lib/string.h"

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS	 0x18
#define NR_VECTORS 32
#define IST_STACK_SIZE 8192

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;
static_assert(sizeof(struct tss64) == 104, "64-bit TSS layout");

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* P, DPL, type 0xE interrupt gate */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __packed;
static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;
static_assert(sizeof(struct desc_ptr) == 10, "descriptor-table register layout");

/* GDT: null, 64-bit code, data, 16-byte TSS descriptor */
static uint64_t gdt[5] __aligned(16) = {
	0,
	0x00af9a000000ffffULL,
	0x00cf92000000ffffULL,
};
static struct tss64 tss __aligned(16);
static struct idt_gate idt[NR_VECTORS] __aligned(16);
static uint8_t ist_df[IST_STACK_SIZE] __aligned(16);
static uint8_t ist_nmi[IST_STACK_SIZE] __aligned(16);
extern const uint64_t isr_table[NR_VECTORS];

static void gdt_set_tss(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

static void idt_set(unsigned vec, uint64_t handler, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = (uint16_t)handler,
		.sel = SEL_CODE,
		.ist = ist,
		.type = 0x8e,
		.off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32),
	};
}

void cpu_init_tables(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	tss.ist[0] = (uint64_t)(ist_df + IST_STACK_SIZE);
	tss.ist[1] = (uint64_t)(ist_nmi + IST_STACK_SIZE);
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();
	for (unsigned v = 0; v < NR_VECTORS; v++)
		idt_set(v, isr_table[v], v == 8 ? 1 : v == 2 ? 2 : 0);

	__asm__ volatile("lgdt %0" ::"m"(gdtr));
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" ::"i"(SEL_CODE)
			 : "rax", "memory");
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" ::"r"((uint64_t)SEL_DATA));
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

uint16_t cpu_tr_selector(void) { return SEL_TSS; }
uint64_t cpu_gdt_base(void) { return (uint64_t)gdt; }
uint64_t cpu_idt_base(void) { return (uint64_t)idt; }
uint64_t cpu_tss_base(void) { return (uint64_t)&tss; }
