/*
 * libFuzzer target for fw/mb2.c: arbitrary bytes as boot information (avail =
 * size). Aborts when the output breaks its invariants: every pointer inside the input
 * and every string terminated there, counts within their arrays, sane module ranges.
 * The parsed map is then carved, as boot/main.c does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/mb2.h"
#include "lib/errno.h"
#include "mm/memmap.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static const uint8_t *lo, *hi; /* the bytes the parser may have used */

static void check_span(const void *p, size_t n)
{
	const uint8_t *q = p;

	CHECK(q >= lo && q <= hi && n <= (size_t)(hi - q));
}

static void check_string(const char *s)
{
	if (!s)
		return;
	check_span(s, 1);
	CHECK(memchr(s, '\0', (size_t)(hi - (const uint8_t *)s)) != NULL);
}

static void check_maps(const struct mb2_info *in)
{
	CHECK(in->nr_mmap <= MB2_MAX_MMAP && in->nr_efi_mmap <= MB2_MAX_MMAP);
	CHECK(in->has_mmap || in->nr_mmap == 0);
	CHECK(in->has_efi_mmap || (in->nr_efi_mmap == 0 && in->nr_efi_descr == 0));
	if (in->has_efi_mmap) {
		CHECK(in->efi_descr_size >= 40);
		check_span(in->efi_descr, (size_t)in->nr_efi_descr * in->efi_descr_size);
	}
	for (unsigned i = 0; i < in->nr_efi_mmap; i++) {
		CHECK(in->efi_mmap[i].len > 0);
		CHECK(in->efi_mmap[i].base + in->efi_mmap[i].len >= in->efi_mmap[i].base);
		CHECK(in->efi_mmap[i].type >= 1 && in->efi_mmap[i].type <= 5);
	}
	if (in->nr_mmap) {
		CHECK(in->best_mmap == in->mmap && in->nr_best_mmap == in->nr_mmap);
	} else if (in->nr_efi_mmap) {
		CHECK(in->best_mmap == in->efi_mmap && in->nr_best_mmap == in->nr_efi_mmap);
	} else {
		CHECK(in->best_mmap == NULL && in->nr_best_mmap == 0);
	}
}

static void check_modules(const struct mb2_info *in)
{
	CHECK(in->nr_modules <= MB2_MAX_MODULES);
	for (unsigned i = 0; i < in->nr_modules; i++) {
		const struct mb2_module *m = &in->modules[i];
		char word[32];
		size_t n = 0;
		const char *s = m->string;

		CHECK(m->string && m->start <= m->end && m->end <= UINT32_MAX);
		check_string(m->string);
		while (*s == ' ' || *s == '\t')
			s++;
		while (n < sizeof(word) - 1 && s[n] && s[n] != ' ' && s[n] != '\t')
			word[n] = s[n], n++;
		word[n] = '\0';
		if (n == 0 || n == sizeof(word) - 1)
			continue;
		const struct mb2_module *f = mb2_find_module(in, word);
		CHECK(f && f <= m && f >= in->modules);
	}
}

static void check_errors(const struct mb2_info *in, int ret)
{
	CHECK(ret == 0 || ret == -EINVAL);
	CHECK(in->nr_errors <= MB2_MAX_ERRORS);
	CHECK(in->nr_errors_dropped == 0 || in->nr_errors == MB2_MAX_ERRORS);
	CHECK(ret == 0 || in->nr_errors > 0);
	for (unsigned i = 0; i < in->nr_errors; i++)
		CHECK(memchr(in->errors[i], '\0', MB2_ERROR_LEN) != NULL && in->errors[i][0]);
}

/* Carve the map with the exclusions boot/main.c would pass. */
static void carve(const struct mb2_info *in)
{
	static struct memmap mm;
	struct mem_range ex[MB2_MAX_MODULES + 1] = {{0, 1 << 20, "first MiB"}};
	unsigned n = 1;

	for (unsigned i = 0; i < in->nr_modules; i++)
		ex[n++] = (struct mem_range){in->modules[i].start, in->modules[i].end, "module"};
	int ret = memmap_carve(in->best_mmap, in->nr_best_mmap, ex, n, &mm);
	CHECK(ret == 0 || ret == -E2BIG);
	for (unsigned i = 0; i < mm.nr_usable; i++)
		CHECK(mm.usable[i].start >= (1 << 20) && mm.usable[i].start < mm.usable[i].end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mb2_info in;
	int ret = mb2_parse(data, size, &in);

	lo = data;
	hi = data + (in.info_size ? in.info_size : 0);
	CHECK(in.info_size <= size);
	check_errors(&in, ret);
	check_string(in.cmdline);
	check_string(in.loader);
	if (in.rsdp.bytes) {
		check_span(in.rsdp.bytes, in.rsdp.len);
		CHECK(in.rsdp.len >= (in.rsdp.tag == MB2_TAG_ACPI_NEW ? 36u : 20u));
	}
	check_maps(&in);
	check_modules(&in);
	carve(&in);
	return 0;
}
