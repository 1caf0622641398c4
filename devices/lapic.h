/*
 * Virtual local APIC, one per vCPU (SDM "Advanced Programmable Interrupt Controller
 * (APIC)" and its x2APIC sections): xAPIC MMIO, x2APIC MSRs, priorities, LINT pins and
 * the timer. The register file is the architectural 4 KiB virtual-APIC page the caller
 * hands in, so VMX APIC-register virtualization can later work on the same frame.
 * Called by the vCPU's own exit handlers and by the VM's interrupt router.
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include "lib/errno.h"
#include "lib/types.h"
#include "vm/irq.h"

/* Register offsets in the xAPIC page; the x2APIC MSR of a register is 0x800 + off / 16. */
#define LAPIC_ID	   0x020
#define LAPIC_VER	   0x030
#define LAPIC_TPR	   0x080
#define LAPIC_APR	   0x090
#define LAPIC_PPR	   0x0A0
#define LAPIC_EOI	   0x0B0
#define LAPIC_RRD	   0x0C0
#define LAPIC_LDR	   0x0D0
#define LAPIC_DFR	   0x0E0
#define LAPIC_SVR	   0x0F0
#define LAPIC_ISR	   0x100 /* 8 registers, 16 bytes apart: vectors 32*i .. 32*i+31 */
#define LAPIC_TMR	   0x180
#define LAPIC_IRR	   0x200
#define LAPIC_ESR	   0x280
#define LAPIC_LVT_CMCI	   0x2F0
#define LAPIC_ICR_LO	   0x300
#define LAPIC_ICR_HI	   0x310
#define LAPIC_LVT_TIMER	   0x320
#define LAPIC_LVT_THERM	   0x330
#define LAPIC_LVT_PERF	   0x340
#define LAPIC_LVT_LINT0	   0x350
#define LAPIC_LVT_LINT1	   0x360
#define LAPIC_LVT_ERR	   0x370
#define LAPIC_TMICT	   0x380 /* timer initial count */
#define LAPIC_TMCCT	   0x390 /* timer current count */
#define LAPIC_TDCR	   0x3E0 /* timer divide configuration */
#define LAPIC_SELF_IPI	   0x3F0 /* x2APIC only (MSR 0x83F) */
#define LAPIC_REG_END	   0x400 /* every register is below */
#define LAPIC_MSR_BASE	   0x800
#define LAPIC_MSR_ICR	   0x830
#define LAPIC_MSR_SELF	   0x83F
#define LAPIC_MSR_FIRST	   0x800
#define LAPIC_MSR_LAST	   0x8FF
#define LAPIC_PAGE_SIZE	   4096
#define LAPIC_VERSION	   0x14
#define LAPIC_MAX_LVT	   6 /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
#define LAPIC_DEFAULT_BASE 0xFEE00000ULL

/* IA32_APIC_BASE (MSR 0x1B) */
#define LAPIC_BASE_BSP	BIT(8)
#define LAPIC_BASE_EXTD BIT(10) /* x2APIC mode */
#define LAPIC_BASE_EN	BIT(11) /* xAPIC global enable */
#define LAPIC_BASE_ADDR GENMASK(51, 12)

/* Fields shared by LVT entries and the ICR */
#define LAPIC_VECTOR	     GENMASK(7, 0)
#define LAPIC_DM	     GENMASK(10, 8) /* delivery mode, enum apic_delivery */
#define LAPIC_DM_SHIFT	     8
#define LAPIC_DEST_LOG	     BIT(11) /* ICR: logical destination mode */
#define LAPIC_DS	     BIT(12) /* delivery status: always idle here */
#define LAPIC_POLARITY	     BIT(13) /* LINT: active low */
#define LAPIC_LEVEL	     BIT(14) /* ICR: assert; LINT: remote IRR */
#define LAPIC_TRIGGER	     BIT(15) /* level triggered */
#define LAPIC_MASKED	     BIT(16)
#define LAPIC_TIMER_MODE     GENMASK(18, 17)
#define LAPIC_TIMER_ONESHOT  0
#define LAPIC_TIMER_PERIODIC 1
#define LAPIC_TIMER_DEADLINE 2
#define LAPIC_SHORTHAND	     GENMASK(19, 18)

/* SVR */
#define LAPIC_SVR_ENABLE    BIT(8)
#define LAPIC_SVR_FOCUS_OFF BIT(9)
#define LAPIC_SVR_NO_BCAST  BIT(12) /* EOI-broadcast suppression */
#define LAPIC_VER_NO_BCAST  BIT(24)

/* ESR bits */
#define LAPIC_ESR_SEND_ILLEGAL BIT(5)
#define LAPIC_ESR_RECV_ILLEGAL BIT(6)
#define LAPIC_ESR_ILLEGAL_REG  BIT(7)

/* Destination shorthand of an ICR write, as handed to ops->send_ipi */
#define LAPIC_SH_NONE	0
#define LAPIC_SH_SELF	1 /* handled inside the model, never reaches send_ipi */
#define LAPIC_SH_ALL	2 /* every APIC including the sender */
#define LAPIC_SH_OTHERS 3 /* every APIC but the sender */

/* lapic_mmio_*: the APIC is not in xAPIC mode, the page is not the APIC's (treat as memory). */
#define LAPIC_MMIO_ABSENT (-ENODEV)

/*
 * What the APIC calls out to. Every pointer may be NULL (the event is then dropped;
 * extint_ack then yields vector 0).
 * - send_ipi: an ICR write, except self-only IPIs which the model delivers itself.
 *   m->dest is the 8-bit xAPIC or 32-bit x2APIC destination, unused with a shorthand.
 * - eoi: EOI of a level-triggered vector (its TMR bit set), for the IOAPICs' remote IRR.
 * - notify: something became pending (interrupt, NMI, INIT, SIPI, ExtINT): kick the vCPU.
 * - extint_ack: the 8259's INTA cycle for ExtINT delivery; returns the PIC's vector.
 */
struct lapic_ops {
	void (*send_ipi)(void *ctx, const struct apic_msg *m, unsigned shorthand);
	void (*eoi)(void *ctx, uint8_t vector);
	void (*notify)(void *ctx);
	uint8_t (*extint_ack)(void *ctx);
};

/* What the vCPU's CPUID advertises and the clocks behind the APIC. */
struct lapic_config {
	uint32_t apic_id;    /* initial (x2)APIC ID; the xAPIC ID is its low 8 bits */
	bool bsp;	     /* IA32_APIC_BASE.BSP */
	uint64_t tsc_hz;     /* guest TSC rate, the unit of every `now` */
	uint64_t bus_hz;     /* APIC timer input clock (before the divider) */
	unsigned maxphyaddr; /* CPUID.80000008H:EAX[7:0]; base bits above it are reserved */
	bool x2apic;	     /* CPUID.1:ECX.x2APIC: EXTD may be set */
	bool tsc_deadline;   /* CPUID.1:ECX.TSC_Deadline: LVT timer mode 10b exists */
	bool eoi_suppress;   /* VER bit 24: SVR bit 12 suppresses EOI broadcasts */
};

/*
 * Invariants: regs is the 4 KiB register page; registers hold their architectural
 * values there except TMCCT (computed from time on read) and the delivery-status bits
 * (always 0: delivery is synchronous). PPR in the page is kept current when the model
 * changes TPR or ISR; TPR itself may change in the page without a call (TPR shadow).
 * ISR/TMR/IRR change only through the model (vec_words follows them): nothing in
 * the CPU writes them, as virtual-interrupt delivery would. Under VMX APIC-register
 * virtualization the CPU may store a guest's write in the page before the model hears
 * of it (an APIC-write exit): shadow[off / 16] is what the model last wrote to each
 * register, so lapic_apic_write can put it back and do the write as MMIO would. In x2APIC mode
 * ID is the 32-bit x2APIC ID, LDR the derived logical ID and ICR_HI the 32-bit dest.
 * Timer: while running, the count K since the count started is timer_j0 plus the ticks
 * from timer_base; timer_cycle0 (a multiple of TMICT) is where the one-shot cycle began.
 */
struct lapic {
	uint32_t *regs;
	struct lapic_config cfg;
	const struct lapic_ops *ops;
	void *ctx;
	uint64_t apic_base;
	uint32_t esr_pending; /* errors since the last ESR write */
	uint32_t ppr_tpr;     /* the TPR the page's PPR was computed from */
	uint8_t vec_words[3]; /* ISR, TMR, IRR: bit i set when the array's word i is nonzero */
	bool lint_level[2];   /* electrical level of LINT0/LINT1 */
	bool nmi_pending, init_pending, sipi_pending, extint_pending;
	uint8_t sipi_vector;
	bool timer_running;  /* one-shot/periodic count in progress */
	uint32_t timer_div;  /* divisor in force since timer_base */
	uint64_t timer_base; /* TSC from which ticks are counted */
	uint64_t timer_j0;
	uint64_t timer_cycle0;
	uint64_t timer_next;   /* absolute TSC of the next expiry, UINT64_MAX if none */
	uint64_t tsc_deadline; /* IA32_TSC_DEADLINE, 0 = disarmed */
	uint32_t shadow[LAPIC_REG_END / 16];
	bool cpu_vectors; /* virtual-interrupt delivery: the CPU moves IRR/ISR bits too */
};

/*
 * Stores the wiring and does a power-on reset.
 * @pre page is 4 KiB, 4 KiB aligned and outlives l; cfg->tsc_hz and cfg->bus_hz > 0,
 *      cfg->tsc_hz < 2^56 (tsc_hz * 128 fits in 64 bits); 12 < cfg->maxphyaddr <= 52.
 */
void lapic_init(struct lapic *l, void *page, const struct lapic_config *cfg,
		const struct lapic_ops *ops, void *ctx);
/*
 * Power-on/RESET (init_signal false): xAPIC mode at 0xFEE00000, ID = initial ID.
 * INIT (true): mode, IA32_APIC_BASE and ID are kept, every other register is reset;
 * a latched SIPI survives (it may arrive before the vCPU has processed the INIT).
 */
void lapic_reset(struct lapic *l, bool init_signal);

/* IA32_APIC_BASE. lapic_set_base returns -1 for #GP. A new base address is accepted:
 * the caller compares lapic_mmio_base() before and after and moves its MMIO window. */
uint64_t lapic_get_base(const struct lapic *l);
int lapic_set_base(struct lapic *l, uint64_t val);
uint64_t lapic_mmio_base(const struct lapic *l);
bool lapic_hw_enabled(const struct lapic *l);
bool lapic_x2apic_mode(const struct lapic *l);
bool lapic_sw_enabled(const struct lapic *l);

/*
 * xAPIC MMIO, off relative to the base. Registers are 32-bit at 16-byte alignment;
 * reads of 1, 2 or 4 bytes within a register's first dword work, other reads give 0
 * and other writes are dropped. Returns 0, or LAPIC_MMIO_ABSENT when not in xAPIC mode.
 * @pre off < 4096
 */
int lapic_mmio_read(struct lapic *l, uint32_t off, unsigned width, uint64_t now, uint32_t *val);
int lapic_mmio_write(struct lapic *l, uint32_t off, unsigned width, uint64_t now, uint32_t val);

/*
 * VMX APIC-write exit (trap-like): the CPU has stored a guest write to the page at @off
 * (bits 31:0 of the register at off & ~0xF). The register is given back the value the model
 * last wrote, then the write takes the MMIO path (lapic_mmio_write, 4 bytes): a write not
 * at the register's start (a byte or word further in) is dropped, as from MMIO. Returns
 * 0, LAPIC_MMIO_ABSENT when not in xAPIC mode (the page is restored all the same).
 * @pre off < 4096
 */
int lapic_apic_write(struct lapic *l, uint32_t off, uint64_t now);

/*
 * VMX virtual-interrupt delivery: while @on, the CPU delivers fixed vectors from IRR (RVI)
 * and retires ISR on EOI (SVI) in the page itself, between the model's calls, on the
 * vCPU's own CPU only; the model then reads the arrays from the page instead of its
 * summaries (and rebuilds them when @off).
 */
void lapic_set_cpu_vectors(struct lapic *l, bool on);
/*
 * For the VMCS before an entry: the guest interrupt status (RVI, the highest IRR vector,
 * in bits 7:0; SVI, the highest ISR vector, in 15:8; 0 for none) and the EOI-exit bitmap:
 * the level-triggered vectors (TMR), whose EOI the IOAPIC or a LINT pin must see.
 */
uint16_t lapic_intr_status(const struct lapic *l, uint64_t eoi_exit[4]);
/* An EOI-induced exit: the CPU has retired @vector from ISR; broadcast it, free its LINT. */
void lapic_virtual_eoi(struct lapic *l, uint8_t vector);

/* x2APIC MSRs 0x800-0x8FF: 0, or -1 for #GP (including when not in x2APIC mode). */
int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t now, uint64_t *val);
int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t now, uint64_t val);

/* Interrupt state seen by the CPU. lapic_pending: highest IRR vector whose priority
 * class is above PPR's, or -1. ExtINT and NMI bypass it (see below). */
int lapic_pending(const struct lapic *l);
/* The CPU took `vector`: IRR -> ISR, PPR raised. @pre vector == lapic_pending(l) */
void lapic_ack(struct lapic *l, uint8_t vector);
uint8_t lapic_get_ppr(const struct lapic *l);
/*
 * VMX TPR shadow: the CPU may write TPR in the page (MOV to CR8) behind the model's back;
 * every use of PPR derives it from the page's TPR and ISR, so that needs no call. The TPR
 * threshold: the priority class (0-15) below which a TPR write must exit so a vector TPR
 * now holds back is delivered; 0 when there is none. Never above TPR[7:4].
 */
uint8_t lapic_tpr_threshold(const struct lapic *l);
uint8_t lapic_get_tpr(const struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint8_t tpr);
/* MOV to/from CR8: CR8[3:0] is TPR[7:4]; a CR8 write clears TPR[3:0]. @pre cr8 < 16 */
uint8_t lapic_get_cr8(const struct lapic *l);
void lapic_set_cr8(struct lapic *l, uint8_t cr8);

/* Messages from the router (IOAPIC, MSI, other APICs' IPIs). */
bool lapic_match_dest(const struct lapic *l, const struct apic_msg *m);
void lapic_deliver(struct lapic *l, const struct apic_msg *m);
bool lapic_nmi_pending(const struct lapic *l);
bool lapic_take_nmi(struct lapic *l);
bool lapic_take_init(struct lapic *l); /* the caller then calls lapic_reset(l, true) */
bool lapic_take_sipi(struct lapic *l, uint8_t *vector);
/* ExtINT (LINT0 in ExtINT mode with the pin high, an ExtINT message, or LINT0 as the
 * plain INTR pin while the APIC is globally disabled). ack runs the PIC's INTA. */
bool lapic_extint_pending(const struct lapic *l);
uint8_t lapic_extint_ack(struct lapic *l);

/* LINT0/LINT1 pin level (before the LVT's polarity). @pre pin < 2 */
void lapic_set_lint(struct lapic *l, unsigned pin, bool level);

/* Timer. The deadline MSR reads 0 and ignores writes outside TSC-deadline mode;
 * a deadline at or before `now` fires at once, 0 disarms. */
void lapic_set_tsc_deadline(struct lapic *l, uint64_t deadline, uint64_t now);
uint64_t lapic_get_tsc_deadline(const struct lapic *l);
uint64_t lapic_next_event(const struct lapic *l);
void lapic_advance(struct lapic *l, uint64_t now);

#endif
