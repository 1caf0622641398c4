/*
 * Descriptor tables, one set per CPU in its struct percpu: GDT (code, data, TSS),
 * TSS with IST stacks for #DF and NMI, IDT with a stub per exception vector (isr.S).
 * Called on each CPU: by hv_main for the boot CPU, by ap_main for the others.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/string.h"

static const uint64_t gdt_template[CPU_GDT_ENTRIES] = {
    0, 0x00af9a000000ffffULL, /* CPU_SEL_CODE: 64-bit code */
    0x00cf92000000ffffULL,    /* CPU_SEL_DATA */
};
/* The boot CPU's IST stacks: it loads its tables before any allocator exists. */
static uint8_t bsp_ist_df[PERCPU_IST_SIZE] __aligned(16);
static uint8_t bsp_ist_nmi[PERCPU_IST_SIZE] __aligned(16);
extern const uint64_t isr_table[CPU_NR_VECTORS];

static void gdt_set_tss(struct percpu *pc)
{
	uint64_t base = (uint64_t)&pc->tss, limit = sizeof(pc->tss) - 1;

	pc->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		     (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	pc->gdt[4] = base >> 32;
}

static void idt_set(struct percpu *pc, unsigned vec, uint64_t handler, uint8_t ist)
{
	pc->idt[vec] = (struct idt_gate){
	    .off_lo = (uint16_t)handler,
	    .sel = CPU_SEL_CODE,
	    .ist = ist,
	    .type = 0x8e,
	    .off_mid = (uint16_t)(handler >> 16),
	    .off_hi = (uint32_t)(handler >> 32),
	};
}

static void load_tables(struct percpu *pc)
{
	struct desc_ptr gdtr = {sizeof(pc->gdt) - 1, (uint64_t)pc->gdt};
	struct desc_ptr idtr = {sizeof(pc->idt) - 1, (uint64_t)pc->idt};

	__asm__ volatile("lgdt %0" ::"m"(gdtr));
	__asm__ volatile(
	    "pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" ::"i"(CPU_SEL_CODE)
	    : "rax", "memory");
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" ::"r"((uint64_t)CPU_SEL_DATA));
	__asm__ volatile("ltr %w0" ::"r"(CPU_SEL_TSS));
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void cpu_init_tables(unsigned cpu)
{
	struct percpu *pc = percpu_get(cpu);

	if (cpu == 0) {
		pc->ist_top[PERCPU_IST_DF] = (uint64_t)(bsp_ist_df + PERCPU_IST_SIZE);
		pc->ist_top[PERCPU_IST_NMI] = (uint64_t)(bsp_ist_nmi + PERCPU_IST_SIZE);
	}
	memcpy(pc->gdt, gdt_template, sizeof(pc->gdt));
	memset(&pc->tss, 0, sizeof(pc->tss));
	pc->tss.ist[PERCPU_IST_DF] = pc->ist_top[PERCPU_IST_DF];
	pc->tss.ist[PERCPU_IST_NMI] = pc->ist_top[PERCPU_IST_NMI];
	pc->tss.iomap_base = sizeof(pc->tss);
	gdt_set_tss(pc);
	for (unsigned v = 0; v < CPU_NR_VECTORS; v++)
		idt_set(pc, v, isr_table[v],
			v == 8	 ? PERCPU_IST_DF + 1
			: v == 2 ? PERCPU_IST_NMI + 1
				 : 0);
	load_tables(pc);
}

uint16_t cpu_tr_selector(void)
{
	return CPU_SEL_TSS;
}
uint64_t cpu_gdt_base(void)
{
	return (uint64_t)this_cpu()->gdt;
}
uint64_t cpu_idt_base(void)
{
	return (uint64_t)this_cpu()->idt;
}
uint64_t cpu_tss_base(void)
{
	return (uint64_t)&this_cpu()->tss;
}
