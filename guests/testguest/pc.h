/*
 * The PC platform as the platform scenarios (t_apic*.c, t_pit.c, t_rtc.c, t_uart.c) program
 * it: register maps of the local APIC, IOAPIC, 8259A, 8254, RTC and 16550, the TSC rate
 * calibrated against PIT channel 2, bounded waits, and a per-vector interrupt count and log
 * with a hook each (pc.c). Single CPU; IF = 0 except where a scenario opens a window.
 */
#ifndef GUEST_PC_H
#define GUEST_PC_H

#include "guests/testguest/guest.h"

/* ---- MSRs and CPUID ---- */
#define MSR_APIC_BASE	  0x1B
#define APIC_BASE_BSP	  BIT(8)
#define APIC_BASE_EXTD	  BIT(10)
#define APIC_BASE_EN	  BIT(11)
#define APIC_BASE_ADDR	  0xFEE00000ULL
#define MSR_TSC_DEADLINE  0x6E0
#define MSR_X2APIC(off)	  (0x800 + ((off) >> 4)) /* the x2APIC MSR of xAPIC offset off */
#define MSR_X2APIC_SELF	  0x83F
#define CPUID1_EDX_APIC	  BIT(9)
#define CPUID1_ECX_X2APIC BIT(21)
#define CPUID1_ECX_TSCDL  BIT(24)

/* ---- local APIC registers (xAPIC offsets; SDM "Local APIC Register Address Map") ---- */
#define APIC_ID		0x020
#define APIC_VER	0x030
#define APIC_TPR	0x080
#define APIC_PPR	0x0A0
#define APIC_EOI	0x0B0
#define APIC_LDR	0x0D0
#define APIC_DFR	0x0E0
#define APIC_SVR	0x0F0
#define APIC_ISR	0x100 /* 8 registers, 0x10 apart */
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_LVT_CMCI	0x2F0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_THERM	0x330
#define APIC_LVT_PERF	0x340
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3E0

#define APIC_SVR_ENABLE	  BIT(8)
#define APIC_LVT_MASKED	  BIT(16)
#define APIC_LVT_PERIODIC BIT(17)
#define APIC_LVT_TSCDL	  BIT(18)
#define APIC_DM_NMI	  (4u << 8)
#define APIC_DM_EXTINT	  (7u << 8)
#define APIC_ICR_PENDING  BIT(12) /* delivery status */
#define APIC_ICR_ASSERT	  BIT(14)
#define APIC_ICR_SELF	  (1u << 18) /* destination shorthand "self" */
#define APIC_DIV_16	  0x3
#define VEC_SPURIOUS	  0xFF

/* ---- IOAPIC (82093AA) ---- */
#define IOAPIC_BASE	   0xFEC00000ULL
#define IOAPIC_ID	   0x00
#define IOAPIC_VER	   0x01
#define IOAPIC_ARB	   0x02
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define IOAPIC_PINS	   24
#define IOAPIC_MASKED	   BIT(16)
#define IOAPIC_LEVEL	   BIT(15)
#define IOAPIC_RIRR	   BIT(14)
#define IOAPIC_DSTAT	   BIT(12)

/* ---- 8259A pair, 8254, port 0x61 ---- */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI	  0x20 /* OCW2 non-specific EOI */
#define PIT_CH0	  0x40
#define PIT_CH2	  0x42
#define PIT_MODE  0x43
#define PIT_HZ	  1193182ULL
#define PORT_61	  0x61
#define P61_GATE2 BIT(0)
#define P61_SPKR  BIT(1)
#define P61_OUT2  BIT(5)

/* ---- MC146818 RTC, 16550A COM1 ---- */
#define RTC_INDEX 0x70
#define RTC_DATA  0x71
#define COM1	  0x3F8

/* Vectors the scenarios use (class = vector >> 4); 0x40 is the doorbell, never used here. */
#define VEC_PIC_BASE 0x20 /* ICW2 of the master; 0x28 the slave */

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void irq_on(void)
{
	__asm__ volatile("sti" : : : "memory");
}
static inline void irq_off(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* ---- time ---- */
/* TSC ticks per second, from PIT channel 2 (first call calibrates; 0 and a failure if not). */
uint64_t pc_tsc_hz(void);
uint64_t pc_us_to_tsc(uint64_t us);
/* TSC ticks as microseconds (for messages). */
uint64_t pc_tsc_to_us(uint64_t ticks);
/* Spin with IF as it is for us microseconds. */
void pc_delay_us(uint64_t us);

/* ---- interrupts ---- */
typedef void (*irq_hook_fn)(unsigned vec);
#define IRQ_LOG 64
extern volatile unsigned irq_count[256];
extern volatile uint8_t irq_log[IRQ_LOG]; /* vectors in order of entry */
extern volatile unsigned irq_log_len;
extern volatile uint64_t irq_last_tsc[256]; /* RDTSC at the last entry */
/* Route vec to irq_dispatch(), which counts, logs, then calls hook (NULL: nothing, no EOI). */
void irq_set(unsigned vec, irq_hook_fn hook);
void irq_clear_counts(void);
/* Total of irq_count[] over vectors other than those set with irq_set(). */
unsigned irq_unexpected(void);
/* Spin with IF = 1 until *flag reaches want or us microseconds pass; true when reached. */
bool irq_wait_count(volatile unsigned *counter, unsigned want, uint64_t us);

/* ---- local APIC (xAPIC MMIO, or x2APIC MSRs once lapic_x2apic is set) ---- */
extern bool lapic_x2apic;
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
void lapic_eoi(void);
void lapic_eoi_hook(unsigned vec); /* an irq_hook_fn that EOIs */
/* Bit vec of the 256-bit register at base (APIC_ISR, APIC_TMR, APIC_IRR). */
bool lapic_vec_bit(uint32_t base, unsigned vec);
void lapic_self_ipi(unsigned vec);

/*
 * Each scenario starts here: checks CPUID and IA32_APIC_BASE (xAPIC at 0xFEE00000), maps
 * the APIC and IOAPIC pages, calibrates the TSC, masks the 8259As, every IOAPIC pin and the
 * LVTs, sets TPR 0, SVR enabled with the spurious vector 0xFF, LINT0 ExtINT (masked unless
 * extint), LINT1 NMI. Returns false (after t_fail) when the platform is not there.
 */
bool pc_setup(bool extint);
/* Stops the timers and masks every source again (IF = 0). */
void pc_teardown(void);

/* ---- IOAPIC, 8259A, 8254 ---- */
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
/* Pin to vector: fixed, physical, edge, active high, to the local APIC's ID. */
void ioapic_route(unsigned pin, unsigned vec);
void ioapic_mask(unsigned pin);
/* Linux's init_8259A(): ICW1 0x11, ICW2 0x20/0x28, ICW3 4/2, ICW4 1, then masks m1/m2. */
void pic_init(uint8_t mask1, uint8_t mask2);
/* Channel 0 in mode 2 (rate generator) with count latch. */
void pit_ch0_periodic(uint16_t latch);
/* Channel 0 to mode 0 with the longest count: one last interrupt, then silence. */
void pit_ch0_stop(void);

/* ---- checks ---- */
/* got within [want - slack, want + slack], slack = 1 + 2 % of want: values in thousandths. */
bool pc_expect_rate(const char *what, uint64_t got, uint64_t want_milli);

uint8_t rtc_read(uint8_t reg);
void rtc_write(uint8_t reg, uint8_t v);

#endif
