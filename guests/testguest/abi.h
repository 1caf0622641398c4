/*
 * The guest's view of docs/abi.md: ports, hypercall numbers, CPUID leaves and the test VM's
 * guest-physical map. Keep in step with docs/abi.md; included by C and assembly.
 */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

#include "abi/kestrel.h"

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_BOOT_MAGIC	 0x36d76289

#define PORT_COM1_LSR 0x3FD
#define LSR_THRE      0x20

#define HC_VM_INFO_VERSION 2 /* the first version with the 56-byte struct hc_vm_info */

#define HV_ABI_VERSION KESTREL_ABI_VERSION

/* The "test" VM's guest-physical map. */
#define GPA_RAM_SIZE	 0x08000000 /* 128 MiB */
#define GPA_SHM		 0xC0000000
#define GPA_SHM_SIZE	 0x00200000
#define GPA_TESTDEV	 0xD0000000 /* page 0: normal (fast path after the first trap) */
#define GPA_TESTDEV_SLOW 0xD0001000 /* page 1: every access an EPT violation */
#define GPA_MMIO_UART	 0xD0002000
#define GPA_IOAPIC	 0xFEC00000 /* the PC platform's */
#define GPA_PASSTHRU	 0xD0100000 /* the host's VGA option ROM (hpa 0xC0000), read-only */
#define GPA_ROM		 0xFFF00000
#define GPA_ROM_SIZE	 0x00010000
#define GPA_UNMAPPED_LO	 0x40000000	      /* never mapped */
#define GPA_UNMAPPED_HI	 0xE0000000	      /* never mapped */
#define GPA_RING	 (GPA_SHM + 0x1F0000) /* the ring of ring_producer/ring_consumer */

/* Test device registers (each page). */

/* Test ROM header. */
#define ROM_MAGIC    "KSTLROM1"
#define ROM_HDR_SIZE 16
#define ROM_CODE_OFF 16 /* mov eax, TD_ID_VALUE; ret */

#endif
