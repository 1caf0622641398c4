/*
 * Scenarios about the other regions of the test VM's map: rom (contents and execute
 * right), shared (shm0 reads back), passthrough (the host's VGA option ROM shows its
 * signature) and mmio_uart (the emulated 16550 at 0xD0002000). Each checks itself and returns.
 */
#include "guests/testguest/guest.h"
#include "lib/string.h"

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN	0x10
#define IOAPIC_REG_VER	0x01
#define SHM_SLICE	(64 * KiB) /* each VM id writes its own slice */
#define SHM_SEED	0x9E3779B97F4A7C15ULL

typedef uint32_t (*rom_fn)(void);

static uint32_t le32(const volatile uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void t_rom(void)
{
	const volatile uint8_t *rom = (const volatile uint8_t *)GPA_ROM;
	uint32_t len = le32(rom + 8), sum = 0, want = le32(rom + 12);
	char magic[9] = {0};

	for (unsigned i = 0; i < 8; i++)
		magic[i] = (char)rom[i];
	gprintf("rom: magic \"%s\" length %u checksum 0x%08x\n", magic, len, want);
	if (memcmp(magic, ROM_MAGIC, 8)) {
		t_fail("bad magic \"%s\"", magic);
		return;
	}
	if (!t_expect("length", len, GPA_ROM_SIZE - ROM_HDR_SIZE))
		return;
	for (uint32_t i = 0; i < len; i++)
		sum += rom[ROM_HDR_SIZE + i];
	t_expect("checksum", sum, want);
	t_expect("code in ROM returns", ((rom_fn)(GPA_ROM + ROM_CODE_OFF))(), TD_ID_VALUE);
}

static uint64_t shm_pattern(uint64_t i, uint32_t id)
{
	return (i * SHM_SEED) ^ ((uint64_t)id << 56) ^ 0x53484D30ULL;
}

void t_shared(void)
{
	struct hc_vm_info info = {0};
	unsigned traps = trap_fixups.count;
	uint32_t id = 0;
	volatile uint64_t *slice, *last = (volatile uint64_t *)(GPA_SHM + GPA_SHM_SIZE - 8);
	unsigned bad = 0;

	if (!hypercall(HC_VM_INFO, (long)&info, 0, 0) && trap_fixups.count == traps)
		id = info.vm_id % (GPA_SHM_SIZE / SHM_SLICE - 1);
	slice = (volatile uint64_t *)(GPA_SHM + id * SHM_SLICE);
	gprintf("shared: slice %u at 0x%llx held 0x%llx\n", id, (unsigned long long)(uint64_t)slice,
		(unsigned long long)slice[0]);
	for (uint64_t i = 0; i < SHM_SLICE / 8; i++)
		slice[i] = shm_pattern(i, id);
	for (uint64_t i = 0; i < SHM_SLICE / 8; i++)
		if (slice[i] != shm_pattern(i, id) && !bad++)
			t_fail("word %llu reads 0x%llx", (unsigned long long)i,
			       (unsigned long long)slice[i]);
	*last = 0x454E44;
	t_expect("last word of shm0", *last, 0x454E44);
}

/* The host's VGA option ROM: signature 0x55 0xAA, then its size in 512-byte blocks. */
void t_passthrough(void)
{
	const volatile uint8_t *rom = (const volatile uint8_t *)GPA_PASSTHRU;
	uint16_t sig = (uint16_t)(rom[0] | rom[1] << 8);

	gprintf("passthrough: option ROM signature 0x%04x, %u blocks of 512 bytes\n", sig, rom[2]);
	t_expect("option ROM signature", sig, 0xAA55);
}

static void uart_puts(uintptr_t base, const char *s)
{
	volatile uint8_t *u = (volatile uint8_t *)base;

	for (; *s; s++)
		u[0] = (uint8_t)*s;
}

void t_mmio_uart(void)
{
	const volatile uint8_t *lsr = (const volatile uint8_t *)(GPA_MMIO_UART + 5);
	const volatile uint8_t *lsr_hi = (const volatile uint8_t *)(VA_HI_DEV + 0x2000 + 5);

	t_expect("LSR.THRE", *lsr & LSR_THRE, LSR_THRE);
	t_expect("LSR.THRE (high VA)", *lsr_hi & LSR_THRE, LSR_THRE);
	uart_puts(GPA_MMIO_UART, "mmio_uart: hello through the MMIO UART\n");
	uart_puts(VA_HI_DEV + 0x2000, "mmio_uart: hello through its high VA\n");
}
