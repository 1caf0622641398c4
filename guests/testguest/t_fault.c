/*
 * Fault scenarios: each announces "ATTEMPT <what>" and then does something the hypervisor
 * must answer by stopping the VM. Returning at all is the failure ("survived").
 */
#include "guests/testguest/guest.h"

typedef void (*jump_fn)(void);

static void map_identity(uint64_t gpa)
{
	if (pt_map(gpa, gpa, 2 * MiB, PTE_W))
		t_fail("cannot map 0x%llx in the guest page tables", (unsigned long long)gpa);
}

void t_oob_read(void)
{
	uint64_t v;

	map_identity(GPA_UNMAPPED_LO);
	t_attempt("read gpa 0x%x", GPA_UNMAPPED_LO);
	v = *(volatile uint64_t *)GPA_UNMAPPED_LO;
	t_fail("survived (read 0x%llx)", (unsigned long long)v);
}

void t_oob_write(void)
{
	map_identity(GPA_UNMAPPED_HI);
	t_attempt("write gpa 0x%x", GPA_UNMAPPED_HI);
	*(volatile uint64_t *)GPA_UNMAPPED_HI = 0x4F4F4257;
	t_fail("survived");
}

void t_oob_exec(void)
{
	map_identity(GPA_UNMAPPED_LO);
	t_attempt("execute at gpa 0x%x", GPA_UNMAPPED_LO);
	((jump_fn)GPA_UNMAPPED_LO)();
	t_fail("survived");
}

/*
 * A page directory entry that names the slow test-device page as its page table: the
 * CPU's own page walk reads device memory (an EPT violation on a paging-structure access),
 * which the hypervisor must not emulate as the load's operand.
 */
#define VA_PT_IN_MMIO 0x7FE00000ULL

void t_pt_in_mmio(void)
{
	uint64_t *t = (uint64_t *)(read_cr3() & PTE_ADDR), v;

	if (pt_map(VA_PT_IN_MMIO, GPA_TESTDEV, 4 * KiB, PTE_W | PTE_UC)) {
		t_fail("cannot map 0x%llx", VA_PT_IN_MMIO);
		return;
	}
	for (unsigned shift = 39; shift > 21; shift -= 9)
		t = (uint64_t *)(t[(VA_PT_IN_MMIO >> shift) & 511] & PTE_ADDR);
	t[(VA_PT_IN_MMIO >> 21) & 511] = GPA_TESTDEV_SLOW | PTE_P | PTE_W;
	__asm__ volatile("invlpg (%0)" : : "r"(VA_PT_IN_MMIO) : "memory");
	t_attempt("read through a page table in device memory at gpa 0x%x", GPA_TESTDEV_SLOW);
	v = *(volatile uint64_t *)VA_PT_IN_MMIO;
	t_fail("survived (read 0x%llx)", (unsigned long long)v);
}

/* Shared memory is RW, not X: a fetch from it must stop the VM. */
void t_nx_exec(void)
{
	*(volatile uint8_t *)GPA_SHM = 0xC3; /* RET, should the fetch wrongly succeed */
	t_attempt("execute in shared memory at gpa 0x%x", GPA_SHM);
	((jump_fn)GPA_SHM)();
	t_fail("survived");
}

void t_rom_write(void)
{
	t_attempt("write rom gpa 0x%x", GPA_ROM);
	*(volatile uint32_t *)GPA_ROM = 0;
	t_fail("survived");
}

void t_triple_fault(void)
{
	t_attempt("triple fault (empty IDT, then ud2)");
	trap_load_empty_idt();
	__asm__ volatile("ud2");
	t_fail("survived");
}
