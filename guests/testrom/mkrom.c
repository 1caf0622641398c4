/*
 * Host tool: writes the test VM's 64 KiB ROM image (layout in docs/abi.md): the magic
 * "KSTLROM1", the payload length and checksum, a callable stub, then a byte pattern.
 * Usage: mkrom OUT
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guests/testguest/abi.h"

static const uint8_t rom_code[] = {0xB8, 0x4C, 0x54, 0x53, 0x4B, 0xC3}; /* mov eax,ID; ret */

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv)
{
	static uint8_t rom[GPA_ROM_SIZE];
	uint32_t sum = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT\n", argv[0]);
		return 2;
	}
	for (uint32_t i = ROM_HDR_SIZE; i < sizeof(rom); i++)
		rom[i] = (uint8_t)(i * 7 + 3);
	memcpy(rom + ROM_CODE_OFF, rom_code, sizeof(rom_code));
	for (uint32_t i = ROM_HDR_SIZE; i < sizeof(rom); i++)
		sum += rom[i];
	memcpy(rom, ROM_MAGIC, 8);
	put_le32(rom + 8, sizeof(rom) - ROM_HDR_SIZE);
	put_le32(rom + 12, sum);
	f = fopen(argv[1], "wb");
	if (!f || fwrite(rom, 1, sizeof(rom), f) != sizeof(rom) || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
