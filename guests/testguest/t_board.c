/*
 * board_writer: fill a shared region with a pattern another VM reads back (the Linux
 * side-by-side configuration, config "linux-pair": busybox devmem in Linux's initramfs).
 * shm=GPA names the region; its first 16 words become BOARD_MAGIC, i * i for i = 1..14,
 * and last a "done" word written after the others. Then the VM idles until the run ends
 * (it is a background VM).
 */
#include "guests/testguest/guest.h"

#define BOARD_MAGIC 0x4b455354u /* "KEST" */
#define BOARD_DONE  0x444f4e45u /* "DONE" */
#define BOARD_WORDS 16

void t_board_writer(void)
{
	uint64_t gpa = arg_u64("shm", 0);
	volatile uint32_t *w = (volatile uint32_t *)gpa;

	if (!gpa || pt_map_identity(gpa, 2 * MiB)) {
		t_fail("board_writer: no shm=GPA, or it cannot be mapped");
		return;
	}
	w[0] = BOARD_MAGIC;
	for (unsigned i = 1; i < BOARD_WORDS - 1; i++)
		w[i] = i * i;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w[BOARD_WORDS - 1] = BOARD_DONE;
	gprintf("board_writer: %u words at 0x%llx\n", BOARD_WORDS, (unsigned long long)gpa);
	for (;;)
		__asm__ volatile("sti; hlt" ::: "memory");
}
