/* Helpers of the boot sequence (boot/main.c): command line, summaries, benchmarks. */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#include "lib/types.h"
#include "mm/buddy.h"
#include "mm/memmap.h"
#include "fw/mb2.h"

/* Copy the value of "key=value" from @cmdline into @buf; true when present. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
bool cmdline_has(const char *cmdline, const char *word);
void strncpy_safe(char *dst, const char *src, size_t len);
void mem_print_summary(const struct memmap *map, const struct buddy *b, struct mem_range meta);
/* With "bench" on the command line: allocator costs in instructions. */
void boot_benchmarks(const char *cmdline);
/* inject=hv-pagefault / hv-gp: fault in the hypervisor on purpose (tests). */
void boot_test_hooks(const char *cmdline);

/* The parsed multiboot2 information of this boot (boot/main.c). */
struct mb2_info;
const struct mb2_info *boot_mb2_info(void);

/* boot/vms.c: the VM steps */
struct hv_config;
const struct hv_config *vms_pick_config(const char *cmdline);
void vms_validate(const struct hv_config *cfg, const struct memmap *map, uint64_t image_end);
void vms_create_and_run(const struct hv_config *cfg, const char *cmdline);

#endif
