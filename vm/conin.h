/*
 * Console input: bytes arriving on the host's console (COM1) go to the one VM that has the
 * console, into the device that registered as its sink (the PC platform's 16550). Ctrl-A
 * starts a command: Ctrl-A n gives the input to the next VM, Ctrl-A 0-9 to the VM with that
 * index, Ctrl-A ? lists them, Ctrl-A Ctrl-A sends one Ctrl-A. Only the owner's vCPU reads
 * the host port (conin_poll), so a sink is fed on the CPU that runs its VM; the owner and the
 * command state are under one lock. Host-built; hv/ installs the host reader.
 */
#ifndef VM_CONIN_H
#define VM_CONIN_H

#include "vm/vm.h"

#define CONIN_ESCAPE 0x01 /* Ctrl-A */

/* The VM that has the input now (its id + 1; 0: none). Read without the lock. */
extern unsigned conin_owner_id;

/* A device of @vm takes console input (called by the device's attach). */
void conin_set_sink(struct vm *vm, const struct conin_sink *sink);
/*
 * Start console input with host reader @getc (a byte, or -1 when none waits): the first VM
 * whose configuration has VM_FLAG_CONSOLE gets it, else the first VM with a sink, else none.
 * Call once every VM is registered. @getc NULL: input off (the host has no console UART).
 */
void conin_init(int (*getc)(void));
/* Give the input to the VM at index @i of the VM table: 0, or -ENODEV (none, or no sink). */
int conin_give(unsigned i);

/* True when @vm has the input: its vCPU should poll. */
static inline bool conin_mine(const struct vm *vm)
{
	return __atomic_load_n(&conin_owner_id, __ATOMIC_RELAXED) == vm->id + 1;
}

/*
 * Owner's vCPU: move waiting host bytes into the sink while it has room (a byte that does
 * not fit stays in the host UART), acting on Ctrl-A commands. Returns the bytes delivered.
 */
unsigned conin_poll(struct vm *vm);
/* @vm stopped for good: the input goes to the next VM that can take it. */
void conin_vm_stopped(struct vm *vm);

#endif
