/*
 * Unit tests for mm/gmem.c: guest memory reads, writes and zeroing through memslots backed by
 * guarded host buffers; slot boundaries, holes, ROM, shared and MMIO slots, all-or-nothing faults.
 */
#include "lib/errno.h"
#include "mm/gmem.h"

#include "loader_fixture.h"

static void test_gmem_cross_slots(void **state)
{
	uint8_t src[64], back[64];

	poison_all();
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 3 + 1);
	assert_int_equal(gmem_write(&ms, gpa(RAM1_GPA - 20), src, sizeof(src)), 0);
	assert_memory_equal(bufs[B_RAM0].mem + MiB - 20, src, 20);
	assert_memory_equal(bufs[B_RAM1].mem, src + 20, 44);
	assert_int_equal(bufs[B_RAM0].mem[MiB - 21], POISON);
	assert_int_equal(bufs[B_RAM1].mem[44], POISON);
	assert_int_equal(gmem_read(&ms, gpa(RAM1_GPA - 20), back, sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
	assert_int_equal(gmem_zero(&ms, gpa(RAM1_GPA - 4), 8), 0);
	assert_guest_fill(RAM1_GPA - 4, 0, 8);
	assert_guest_bytes(RAM1_GPA - 20, src, 16);
	assert_guest_bytes(RAM1_GPA + 4, src + 24, 40);
	assert_int_equal(gmem_write(&ms, gpa(0x123), src, 0), 0);
	assert_int_equal(gmem_write(&ms, gpa(0x40000000), src, 0), 0); /* nothing to check */
}

static void test_gmem_faults_write_nothing(void **state)
{
	uint8_t src[32] = {1, 2, 3}, back[32];

	poison_all();
	/* runs from RAM into the hole: nothing at all is written */
	assert_int_equal(gmem_write(&ms, gpa(2 * MiB - 8), src, sizeof(src)), -EFAULT);
	assert_int_equal(gmem_zero(&ms, gpa(2 * MiB - 8), 9), -EFAULT);
	assert_int_equal(gmem_write(&ms, gpa(RAM2_GPA - 1), src, 2), -EFAULT);
	/* ROM: not for the guest; emulated and passthrough MMIO: never */
	assert_int_equal(gmem_write(&ms, gpa(ROM_GPA), src, 4), -EFAULT);
	assert_int_equal(gmem_zero(&ms, gpa(ROM_GPA), 4), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(MMIO_GPA), src, 4, GMEM_BACKED), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(PASS_GPA), src, 4, ~0u), -EFAULT);
	assert_int_equal(gmem_read_kinds(&ms, gpa(PASS_GPA), back, 4, ~0u), -EFAULT);
	assert_int_equal(gmem_read(&ms, gpa(MMIO_GPA + 0x100), back, 4), -EFAULT);
	/* read-only shared memory refuses guest writes, not the loader's */
	assert_int_equal(gmem_write(&ms, gpa(SHMRO_GPA), src, 4), -EFAULT);
	/* the range wraps the address space */
	assert_int_equal(gmem_write(&ms, gpa(UINT64_MAX - 3), src, 8), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(0x10), src, 4, GMEM_ROM), -EFAULT);
	assert_false(gmem_covered(&ms, gpa(0), UINT64_MAX, GMEM_BACKED));
	assert_all_poisoned();
}

static void test_gmem_rom_and_shared(void **state)
{
	uint8_t src[16] = "kestrel rom!", back[16];

	poison_all();
	assert_int_equal(
	    gmem_write_kinds(&ms, gpa(ROM_GPA + 0x10), src, sizeof(src), GMEM_RAM | GMEM_ROM), 0);
	assert_memory_equal(bufs[B_ROM].mem + 0x10, src, sizeof(src));
	assert_int_equal(gmem_read(&ms, gpa(ROM_GPA + 0x10), back, sizeof(back)), 0);
	assert_memory_equal(back, src, sizeof(src));
	/* shared memory slots are separate: the write stops at the end of SHM */
	assert_int_equal(gmem_write(&ms, gpa(SHM_GPA + 8 * KiB - 8), src, 8), 0);
	assert_memory_equal(bufs[B_SHM].mem + 8 * KiB - 8, src, 8);
	/* adjacent shared slots: RW then RO */
	assert_int_equal(gmem_write(&ms, gpa(SHM_GPA + 8 * KiB - 8), src, 16), -EFAULT);
	assert_int_equal(gmem_write_kinds(&ms, gpa(SHM_GPA + 8 * KiB - 8), src, 16, GMEM_SHARED),
			 0);
	assert_memory_equal(bufs[B_SHM_RO].mem, src + 8, 8);
	assert_true(gmem_covered(&ms, gpa(0), 2 * MiB, GMEM_RAM));
	assert_false(gmem_covered(&ms, gpa(0), 2 * MiB + 1, GMEM_RAM));
	assert_false(gmem_covered(&ms, gpa(ROM_GPA), 1, GMEM_RAM));
	check_guards();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gmem_cross_slots),
	    cmocka_unit_test(test_gmem_faults_write_nothing),
	    cmocka_unit_test(test_gmem_rom_and_shared),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
