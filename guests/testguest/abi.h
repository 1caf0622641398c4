/*
 * The guest's view of docs/abi.md: ports, hypercall numbers, CPUID leaves and the test VM's
 * guest-physical map. Keep in step with docs/abi.md; included by C and assembly.
 */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_BOOT_MAGIC	 0x36d76289

#define PORT_COM1	0x3F8
#define PORT_COM1_LSR	0x3FD
#define LSR_THRE	0x20
#define PORT_DEBUG_EXIT 0xF4
#define PORT_POST	0x80

#define HC_NULL		   0
#define HC_CONSOLE_WRITE   1
#define HC_EXIT		   2
#define HC_VM_INFO	   3
#define HC_HEARTBEAT	   4
#define HC_DOORBELL	   5
#define HC_STATS	   6
#define HC_NULL_MIN	   0xFFFF
#define HC_CONSOLE_MAX	   4096
#define HC_VM_INFO_VERSION 2

#define VEC_DOORBELL 0x40 /* the external interrupt HC_DOORBELL raises in the peer */

#define CPUID_HV_BASE	 0x40000000
#define CPUID_HV_VERSION 0x40000001
#define HV_SIG_EBX	 0x7473654B /* "Kest" */
#define HV_SIG_ECX	 0x486C6572 /* "relH" */
#define HV_SIG_EDX	 0x00000056 /* "V\0\0\0" */
#define HV_ABI_VERSION	 2

/* The "test" VM's guest-physical map. */
#define GPA_RAM_SIZE	 0x08000000 /* 128 MiB */
#define GPA_SHM		 0xC0000000
#define GPA_SHM_SIZE	 0x00200000
#define GPA_TESTDEV	 0xD0000000 /* page 0: normal (fast path after the first trap) */
#define GPA_TESTDEV_SLOW 0xD0001000 /* page 1: every access an EPT violation */
#define GPA_MMIO_UART	 0xD0002000
#define GPA_IOAPIC	 0xFEC00000
#define GPA_ROM		 0xFFF00000
#define GPA_ROM_SIZE	 0x00010000
#define GPA_UNMAPPED_LO	 0x40000000	      /* never mapped */
#define GPA_UNMAPPED_HI	 0xE0000000	      /* never mapped */
#define GPA_RING	 (GPA_SHM + 0x1F0000) /* the ring of ring_producer/ring_consumer */

/* Test device registers (each page). */
#define TD_ID	       0x000
#define TD_R64	       0x008
#define TD_R32	       0x010
#define TD_R16	       0x014
#define TD_R8	       0x016
#define TD_COUNT       0x018
#define TD_SCRATCH     0x100
#define TD_SCRATCH_END 0x1000
#define TD_ID_VALUE    0x4B53544C

/* Test ROM header. */
#define ROM_MAGIC    "KSTLROM1"
#define ROM_HDR_SIZE 16
#define ROM_CODE_OFF 16 /* mov eax, TD_ID_VALUE; ret */

#endif
