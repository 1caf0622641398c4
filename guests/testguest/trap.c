/*
 * The guest's IDT (256 interrupt gates) and its one trap handler: a fault at an instruction
 * listed in .extable resumes at its fix-up and is recorded; anything else is reported
 * (vector, error code, RIP, CR2) and ends the run with a failure status. Vectors 32-255 are
 * interrupts: VEC_DOORBELL and the rest only count (isr.S), unless trap_route_irq() sends one
 * through trap_handler() to irq_dispatch() (pc.c).
 */
#include "guests/testguest/guest.h"

#define EXC_VECTORS 32
#define IDT_VECTORS 256
#define SEL_CODE64  0x10
#define GATE_INTR64 0x8E00 /* present, DPL 0, 64-bit interrupt gate */
#define VEC_PF	    14

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint16_t flags; /* IST, type, DPL, P */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __packed;
static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate descriptor is 16 bytes");

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

struct extable_entry {
	uint64_t insn, resume;
};

extern const uint64_t isr_stubs[EXC_VECTORS];
extern const char doorbell_isr[], stray_isr[], irq_stubs[];
extern const struct extable_entry __extable_start[], __extable_end[];
void t_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static struct idt_gate idt[IDT_VECTORS] __aligned(16);
volatile struct trap_record trap_fixups;
void (*volatile nmi_hook)(struct trap_frame *f);
static unsigned trap_depth;

volatile uint64_t doorbell_count, stray_irq_count;

static const char *const vector_names[EXC_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF",	"#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "rsvd", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static void idt_set(unsigned vec, uint64_t handler)
{
	idt[vec] = (struct idt_gate){
	    .off_lo = (uint16_t)handler,
	    .sel = SEL_CODE64,
	    .flags = GATE_INTR64,
	    .off_mid = (uint16_t)(handler >> 16),
	    .off_hi = (uint32_t)(handler >> 32),
	};
}

void trap_load_idt(void)
{
	struct idt_ptr p = {sizeof(idt) - 1, (uint64_t)idt};

	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_init(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++)
		idt_set(v, v < EXC_VECTORS ? isr_stubs[v] : (uint64_t)stray_isr);
	idt_set(VEC_DOORBELL, (uint64_t)doorbell_isr);
	trap_load_idt();
}

#define IRQ_STUB_SIZE 16 /* isr.S */

void trap_set_gate(unsigned vec, void (*handler)(void))
{
	idt_set(vec, (uint64_t)handler);
}

void trap_route_irq(unsigned vec, bool on)
{
	if (vec < EXC_VECTORS || vec >= IDT_VECTORS || vec == VEC_DOORBELL)
		return;
	idt_set(vec, on ? (uint64_t)irq_stubs + (vec - EXC_VECTORS) * IRQ_STUB_SIZE
			: (uint64_t)stray_isr);
}

void trap_load_empty_idt(void)
{
	struct idt_ptr p = {0, 0};

	__asm__ volatile("lidt %0" : : "m"(p));
}

static const struct extable_entry *extable_find(uint64_t rip)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e;
	return NULL;
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
	const struct extable_entry *e;
	const char *name = f->vector < 22 ? vector_names[f->vector] : "?";

	if (f->vector >= EXC_VECTORS) {
		irq_dispatch((unsigned)f->vector);
		return;
	}
	if (f->vector == VEC_NMI && nmi_hook) {
		nmi_hook(f);
		return;
	}
	e = extable_find(f->rip);
	if (e) {
		trap_fixups.vector = f->vector;
		trap_fixups.error = f->error;
		trap_fixups.rip = f->rip;
		trap_fixups.count++;
		f->rip = e->resume;
		return;
	}
	if (trap_depth++)
		guest_exit(1); /* faulted while reporting a fault */
	gprintf("EXCEPTION vector=%llu (%s) error=0x%llx rip=0x%llx rsp=0x%llx cr2=0x%llx\n",
		(unsigned long long)f->vector, name, (unsigned long long)f->error,
		(unsigned long long)f->rip, (unsigned long long)f->rsp,
		f->vector == VEC_PF ? (unsigned long long)read_cr2() : 0ULL);
	t_abort("exception %s rip=0x%llx", name, (unsigned long long)f->rip);
}

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	unsigned before = trap_fixups.count;
	uint32_t lo = 0, hi = 0;

	__asm__ volatile("1: rdmsr\n2:\n" EXTABLE("1b", "2b")
			 : "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return trap_fixups.count != before ? -(int)trap_fixups.vector : 0;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
	unsigned before = trap_fixups.count;

	__asm__ volatile("1: wrmsr\n2:\n" EXTABLE("1b", "2b")
			 :
			 : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "memory");
	return trap_fixups.count != before ? -(int)trap_fixups.vector : 0;
}
