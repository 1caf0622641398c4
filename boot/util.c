/*
 * Boot helpers: command-line words, the memory summary printed at boot, and
 * the in-image allocator benchmark (Bochs's TSC counts instructions).
 */
#include "boot/boot.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "lib/console.h"
#include "lib/printf.h"
#include "lib/string.h"

void strncpy_safe(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Find @key as a whole word, followed by '=' when @eq, at a word start. */
static const char *find_word(const char *s, const char *key, bool eq)
{
	size_t k = strlen(key);

	for (const char *p = s; *p; p++) {
		if ((p != s && p[-1] != ' ') || strncmp(p, key, k))
			continue;
		if (eq ? p[k] == '=' : (p[k] == ' ' || p[k] == '\0'))
			return p + k + (eq ? 1 : 0);
	}
	return NULL;
}

bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
	const char *v = find_word(cmdline, key, true);
	size_t n = 0;

	if (!v)
		return false;
	while (v[n] && v[n] != ' ' && n + 1 < len) {
		buf[n] = v[n];
		n++;
	}
	buf[n] = '\0';
	return true;
}

bool cmdline_has(const char *cmdline, const char *word)
{
	return find_word(cmdline, word, false) != NULL;
}

void mem_print_summary(const struct memmap *map, const struct buddy *b, struct mem_range meta)
{
	char line[256];
	int n = 0;

	for (unsigned i = 0; i < map->nr_usable; i++)
		pr_info("mem: usable   [0x%09lx..0x%09lx) %6lu KiB\n", map->usable[i].start,
			map->usable[i].end, (map->usable[i].end - map->usable[i].start) / KiB);
	for (unsigned i = 0; i < map->nr_reserved; i++)
		pr_info("mem: reserved [0x%09lx..0x%09lx) %s\n", map->reserved[i].start,
			map->reserved[i].end, map->reserved[i].label);
	pr_info("mem: reserved [0x%09lx..0x%09lx) %s\n", meta.start, meta.end, meta.label);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER && n < (int)sizeof(line); o++)
		n += ksnprintf(line + n, sizeof(line) - (size_t)n, " %u:%lu", o,
			       buddy_free_blocks(b, o));
	pr_info("mem: free blocks per order%s\n", line);
	int top = buddy_largest_free_order(b);
	pr_info("mem: largest free block %lu KiB (order %d)\n",
		top < 0 ? 0 : (PAGE_SIZE << top) / KiB, top);
	pr_info("mem: total usable %lu KiB, free %lu KiB\n", map->total_usable / KiB,
		buddy_free_frames(b) * PAGE_SIZE / KiB);
}

#define BENCH_ROUNDS 1000

static uint64_t bench_pairs(unsigned order)
{
	struct buddy *b = mm_buddy();
	uint64_t t0 = rdtsc();
	hpa_t a;

	for (int i = 0; i < BENCH_ROUNDS; i++) {
		if (buddy_alloc(b, order, OWNER_HYP, &a))
			return 0;
		buddy_free(b, a, order, OWNER_HYP);
	}
	return (rdtsc() - t0) / BENCH_ROUNDS;
}

void boot_benchmarks(const char *cmdline)
{
	if (!cmdline_has(cmdline, "bench"))
		return;
	pr_info("BENCH hv_entry_tsc %lu\n", boot_tsc);
	pr_info("BENCH buddy_order0_pair %lu\n", bench_pairs(0));
	pr_info("BENCH buddy_2m_pair %lu\n", bench_pairs(9));
}

/*
 * Test hooks for the exception path: the hypervisor faults on purpose and
 * must print the vector, error code, RIP, CR2 and registers, then power off.
 */
void boot_test_hooks(const char *cmdline)
{
	char what[32];

	if (!cmdline_get(cmdline, "inject", what, sizeof(what)))
		return;
	if (!strcmp(what, "hv-pagefault"))
		*(volatile uint64_t *)0x100000000000ULL = 1; /* 16 TiB: beyond the direct map */
	else if (!strcmp(what, "hv-gp"))
		*(volatile uint64_t *)0x8000000000000000ULL = 1; /* non-canonical */
}
