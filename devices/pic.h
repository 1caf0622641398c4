/*
 * The PC/AT pair of 8259A interrupt controllers (master at 0x20/0x21, slave at
 * 0xA0/0xA1 cascaded on master IR2) and the PIIX edge/level control registers
 * (ELCR, 0x4D0/0x4D1). Pure state machine: the VM's glue feeds input levels,
 * port accesses and the CPU's interrupt acknowledge; the master's INT pin is
 * the one output. Not thread-safe: the caller serialises all calls.
 */
#ifndef DEVICES_PIC_H
#define DEVICES_PIC_H

#include "lib/types.h"
#include "vm/irq.h"

#define PIC_MASTER_CMD	0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD	0xA0
#define PIC_SLAVE_DATA	0xA1
#define PIC_ELCR1	0x4D0 /* IRQ 0-7 */
#define PIC_ELCR2	0x4D1 /* IRQ 8-15 */
#define PIC_CASCADE_IR	2     /* master input the slave's INT drives */

/*
 * One 8259A. Invariants: armed has a bit set for every low input (the edge
 * sense latch arms while its line is low and disarms on acknowledge and ICW1);
 * the IRR is derived, never stored: lines & (level-mode inputs | armed), which
 * is the datasheet's rule that an edge request vanishes if its line falls
 * before the acknowledge.
 */
struct pic_chip {
	uint8_t lines;	   /* IR input levels */
	uint8_t armed;	   /* edge sense latches */
	uint8_t isr;	   /* in-service register */
	uint8_t imr;	   /* interrupt mask register (OCW1) */
	uint8_t elcr;	   /* level-triggered inputs (PIIX ELCR) */
	uint8_t lowest;	   /* level with the lowest priority, 7 after ICW1 */
	uint8_t icw1;	   /* LTIM, SNGL, IC4 as last initialised */
	uint8_t vbase;	   /* ICW2 & 0xF8: vector of IR0 */
	uint8_t icw3;	   /* master: inputs with a slave; slave: its id */
	uint8_t icw4;	   /* uPM, AEOI, BUF, M/S, SFNM */
	uint8_t init_step; /* 0: ready; 2, 3, 4: next data write is that ICW */
	bool read_isr;	   /* OCW3 RIS: a command-port read returns ISR, not IRR */
	bool poll;	   /* OCW3 P: the next read is a poll */
	bool smm;	   /* special mask mode */
	bool rotate_aeoi;  /* rotate on automatic EOI */
};

struct pic {
	struct pic_chip chip[2]; /* [0] master, [1] slave */
	struct irq_line intr;	 /* master INT towards the CPU (LINT0 / ExtINT) */
	bool int_out;		 /* level last driven on intr */
};

/* Stores the wiring, clears the input levels and resets. */
void pic_init(struct pic *p, struct irq_line intr_out);

/*
 * Power-on state. The 8259A has no reset pin, so this is our choice: both
 * chips as after the PC/AT initialisation (cascade on IR2, 8086 mode, vectors
 * 0x08 and 0x70) but with every input masked, and the ELCR all edge. Input
 * levels are left alone: they belong to the devices driving them.
 */
void pic_reset(struct pic *p);

/*
 * An ISA interrupt line changed level. IRQ 2 is the cascade and is ignored
 * (on the AT the ISA bus's IRQ2 pin is wired to IRQ 9). An edge-triggered
 * request needs its line held high until pic_intack, as on the 8259A.
 * @pre irq < 16
 */
void pic_set_irq(struct pic *p, unsigned irq, bool level);

/*
 * Port accesses for 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 (absolute port
 * numbers, byte wide). Other ports read as 0xFF and ignore writes. Return 0.
 */
int pic_read(struct pic *p, uint16_t port, uint8_t *val);
int pic_write(struct pic *p, uint16_t port, uint8_t val);

/*
 * The CPU's interrupt acknowledge cycle: returns the vector (0-255) and moves
 * the request into service. With nothing to deliver it returns the vector of
 * IR7 (IR15 for the slave, the master's IR2 going into service) and sets no
 * ISR bit, like the 8259A's default IR7.
 */
int pic_intack(struct pic *p);

/* The master INT pin: an unmasked request outranks everything in service. */
bool pic_has_interrupt(const struct pic *p);

#endif
