/*
 * hv_main: the boot sequence, one step per call, in order. Each step either
 * succeeds or ends the run with a clear message and a failure status.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "arch/x86/power.h"
#include "arch/x86/smp.h"
#include "devices/pc.h"
#include "drivers/clock.h"
#include "drivers/hwcon.h"
#include "config/cmdvm.h"
#include "fw/acpi.h"
#include "fw/mb2.h"
#include "hv/hv.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/memmap.h"
#include "vmx/caps.h"
#include "vmx/vmx.h"

#define MB2_INFO_MAX (1 * MiB)

extern char __image_start[], __image_end[];

static struct mb2_info boot_info;
static struct memmap boot_mem;
static struct acpi_info acpi;
static bool acpi_ok;
#define CMDLINE_MAX 4096
static char cmdline_full[CMDLINE_MAX]; /* options, then any vm= words (config/cmdvm.h) */
static char cmdline_buf[CMDLINE_MAX];  /* the hypervisor's options only: what precedes vm= */

static void read_boot_info(uint32_t magic, const void *info)
{
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("boot: not loaded by a multiboot2 loader (magic 0x%x, want 0x%x)\n", magic,
		       MB2_BOOTLOADER_MAGIC);
		power_off(HV_EXIT_FAIL);
	}
	if (mb2_parse(info, MB2_INFO_MAX, &boot_info) < 0 && !boot_info.best_mmap) {
		pr_err("boot: multiboot2 information unusable: %s\n",
		       boot_info.nr_errors ? boot_info.errors[0] : "no detail");
		power_off(HV_EXIT_FAIL);
	}
	for (unsigned i = 0; i < boot_info.nr_errors; i++)
		pr_err("boot: %s\n", boot_info.errors[i]);
	if (boot_info.cmdline) {
		strncpy_safe(cmdline_full, boot_info.cmdline, sizeof(cmdline_full));
		strncpy_safe(cmdline_buf, cmdline_full,
			     MIN(sizeof(cmdline_buf), cmdvm_options_len(cmdline_full) + 1));
	}
}

#define LINK_BASE 0x200000 /* linker.ld */

/* Where GRUB put the image (boot/entry.S has relocated it): a line when not at LINK_BASE. */
static void report_load_address(void)
{
	uint64_t at = (uint64_t)__image_start;

	printk(at == LINK_BASE ? LOG_DEBUG : LOG_INFO,
	       "boot: image at [0x%lx..0x%lx), linked at 0x%x%s\n", at, (uint64_t)__image_end,
	       LINK_BASE, at == LINK_BASE ? "" : ": loaded elsewhere by the boot loader");
	if (boot_info.has_load_base && boot_info.load_base != at)
		pr_warn("boot: the loader's load base 0x%lx is not the image's start 0x%lx\n",
			boot_info.load_base, at);
}

static void apply_cmdline(void)
{
	char level[16];

	if (cmdline_get(cmdline_buf, "loglevel", level, sizeof(level)) && console_set_level(level))
		pr_err("boot: loglevel=%s unknown (error, warn, info, debug): keeping info\n",
		       level);
	pr_info("kestrel: micro-hypervisor, loaded by %s\n",
		boot_info.loader ? boot_info.loader : "unknown loader");
	pr_info("boot: cmdline \"%s\"\n", cmdline_full);
	report_load_address();
	for (unsigned i = 0; i < boot_info.nr_modules; i++)
		pr_debug("boot: module %u [0x%lx..0x%lx) \"%s\"\n", i, boot_info.modules[i].start,
			 boot_info.modules[i].end, boot_info.modules[i].string);
}

/* Under UEFI the EFI memory map is the firmware's own word: prefer it. */
static void pick_firmware_map(const struct mb2_mmap_entry **map, unsigned *nr, const char **src)
{
	if (boot_info.has_efi_mmap && boot_info.nr_efi_mmap) {
		*map = boot_info.efi_mmap;
		*nr = boot_info.nr_efi_mmap;
		*src = "EFI memory map (tag 17)";
	} else {
		*map = boot_info.best_mmap;
		*nr = boot_info.nr_best_mmap;
		*src = "multiboot2 memory map (tag 6)";
	}
}

static void carve_memory(const void *info)
{
	struct mem_range excl[MB2_MAX_MODULES + 3];
	const struct mb2_mmap_entry *fw;
	const char *src;
	unsigned n = 0, nr_fw;
	int ret;

	if (!boot_info.best_mmap) {
		pr_err("boot: no memory map from the boot loader (neither tag 6 nor tag 17)\n");
		power_off(HV_EXIT_FAIL);
	}
	excl[n++] = (struct mem_range){0, MiB, "first MiB"};
	excl[n++] =
	    (struct mem_range){(uint64_t)__image_start, (uint64_t)__image_end, "hypervisor image"};
	excl[n++] = (struct mem_range){(uint64_t)info, (uint64_t)info + boot_info.info_size,
				       "boot information"};
	for (unsigned i = 0; i < boot_info.nr_modules; i++)
		excl[n++] = (struct mem_range){boot_info.modules[i].start, boot_info.modules[i].end,
					       "module"};
	pick_firmware_map(&fw, &nr_fw, &src);
	ret = memmap_carve(fw, nr_fw, excl, n, &boot_mem);
	if (ret) {
		pr_err("mem: cannot carve the firmware memory map (%d)\n", ret);
		power_off(HV_EXIT_FAIL);
	}
	pr_debug("mem: firmware map: %s, %u entries\n", src, nr_fw);
}

static void mem_print_summary(const struct memmap *map, const struct buddy *b,
			      struct mem_range meta)
{
	char line[256];
	int n = 0;

	for (unsigned i = 0; i < map->nr_usable; i++)
		pr_debug("mem: usable   [0x%09lx..0x%09lx) %6lu KiB\n", map->usable[i].start,
			 map->usable[i].end, (map->usable[i].end - map->usable[i].start) / KiB);
	for (unsigned i = 0; i < map->nr_reserved; i++)
		pr_debug("mem: reserved [0x%09lx..0x%09lx) %s\n", map->reserved[i].start,
			 map->reserved[i].end, map->reserved[i].label);
	pr_debug("mem: reserved [0x%09lx..0x%09lx) %s\n", meta.start, meta.end, meta.label);
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER && n < (int)sizeof(line); o++)
		n += ksnprintf(line + n, sizeof(line) - (size_t)n, " %u:%lu", o,
			       buddy_free_blocks(b, o));
	pr_debug("mem: free blocks per order%s\n", line);
	int top = buddy_largest_free_order(b);
	pr_debug("mem: largest free block %lu KiB (order %d)\n",
		 top < 0 ? 0 : (PAGE_SIZE << top) / KiB, top);
	pr_info("mem: total usable %lu KiB, free %lu KiB\n", map->total_usable / KiB,
		buddy_free_frames(b) * PAGE_SIZE / KiB);
}

static void init_memory(void)
{
	if (mm_init(&boot_mem) || mm_direct_map(boot_mem.top)) {
		pr_err("mem: cannot set up the frame allocator\n");
		power_off(HV_EXIT_FAIL);
	}
	mem_print_summary(&boot_mem, mm_buddy(), mm_meta_range());
}

/* ACPI tables through the direct map, which covers [0, max(RAM top, 4 GiB)) by 1 GiB. */
static const void *acpi_phys(uint64_t pa, size_t len, void *ctx)
{
	uint64_t mapped = ALIGN_UP(MAX(boot_mem.top, 4 * GiB), GiB);

	return pa + len >= pa && pa + len <= mapped ? hpa_to_va(hpa(pa)) : NULL;
}

static void read_acpi(void)
{
	const struct mb2_rsdp *r = &boot_info.rsdp;

	if (cmdline_has(cmdline_buf, "acpi=off") || !r->bytes) {
		pr_info("acpi: %s: no ACPI tables used\n",
			r->bytes ? "acpi=off on the command line" : "no RSDP from the boot loader");
		return;
	}
	acpi_ok = !acpi_parse(r->bytes, r->len, acpi_phys, NULL, 0, &acpi);
	for (unsigned i = 0; i < acpi.nr_errors; i++)
		pr_err("acpi: %s\n", acpi.errors[i]);
	if (!acpi_ok)
		return;
	pr_info("acpi: RSDP rev %u \"%s\", %s at 0x%lx with %u tables; MADT %s, FADT %s\n",
		acpi.revision, acpi.oem_id, acpi.xsdt ? "XSDT" : "RSDT", acpi.root_addr,
		acpi.nr_tables, acpi.has_madt ? "yes" : "no", acpi.has_fadt ? "yes" : "no");
	if (acpi.has_fadt)
		pr_debug("acpi: PM1a_CNT 0x%x, PM timer 0x%x (%u-bit), \\_S5 SLP_TYP %u (%s)\n",
			 acpi.pm1a_cnt, acpi.pm_tmr, acpi.pm_tmr_bits, acpi.s5_typ_a,
			 acpi.has_s5 ? acpi.s5_table : "no \\_S5 package found");
	if (acpi.pm1a_cnt && acpi.has_s5)
		power_set_acpi(&acpi);
	if (cmdline_has(cmdline_buf, "poweroff=acpi"))
		power_prefer_acpi();
}

uint64_t hv_tsc_hz;

/* The TSC's rate and the wall clock: every VM's timers and RTC start from them. */
static void read_clocks(void)
{
	struct clock_time t = {0};
	const char *how;
	struct rtc_tm tm;

	hv_tsc_hz = clock_tsc_hz(&how);
	if (!hv_tsc_hz) {
		hv_tsc_hz = 1000000000;
		how = "unknown: no PIT, no CPUID leaf 0x15/0x16; assuming 1 GHz";
	}
	pc_boot_tsc = rdtsc();
	if (!clock_cmos_time(&t)) {
		tm = (struct rtc_tm){t.year, t.mon, t.mday, t.hour, t.min, t.sec, 0};
		pc_boot_epoch = (uint64_t)rtc_tm_to_time(&tm);
	}
	pr_info("clock: TSC %lu.%03lu MHz (%s); CMOS %04d-%02d-%02d %02d:%02d:%02d\n",
		hv_tsc_hz / 1000000, hv_tsc_hz / 1000 % 1000, how, t.year, t.mon, t.mday, t.hour,
		t.min, t.sec);
}

static void start_cpus(const void *info)
{
	smp_init(acpi_ok ? &acpi : NULL, &boot_info, info, vmx_on);
	if (cmdline_has(cmdline_buf, "smptest"))
		smp_selftest();
}

/* config=probe: report what the machine offers, then end the run (needs no VMX). */
static void probe_if_asked(void)
{
	const struct mb2_mmap_entry *fw;
	const char *src;
	unsigned nr_fw;

	if (!cmdline_has(cmdline_buf, "config=probe"))
		return;
	pick_firmware_map(&fw, &nr_fw, &src);
	probe_report(fw, nr_fw, &boot_mem, acpi_ok ? &acpi : NULL, smp_nr_cpus(),
		     buddy_free_frames(mm_buddy()) * PAGE_SIZE);
	power_off(HV_EXIT_OK);
}

static const struct hv_config *picked;

/* The configuration against the firmware map and ACPI tables this boot found. */
static void validate_config(const struct hv_config *cfg)
{
	const struct mb2_mmap_entry *fw;
	const char *src;
	unsigned nr_fw;

	pick_firmware_map(&fw, &nr_fw, &src);
	vms_validate(cfg, fw, nr_fw, acpi_ok ? &acpi : NULL, &boot_info, (uint64_t)__image_start,
		     (uint64_t)__image_end);
	picked = cfg;
}

static void enter_vmx_root(void)
{
	if (vmx_on()) {
		pr_err("vmx: cannot enter VMX root operation\n");
		power_off(HV_EXIT_FAIL);
	}
}

static void check_cpu(void)
{
	char why[160];

	if (vmx_caps_probe(why, sizeof(why))) {
		if (vmx_caps.vmx)
			vmx_caps_print();
		pr_err("cpu: %s\n", why);
		pr_err("cpu: kestrel needs Intel VT-x with EPT; stopping\n");
		power_off(HV_EXIT_FAIL);
	}
	vmx_caps_print();
}

void hv_main(uint32_t magic, const void *info)
{
	console_init(&hwcon_backend);
	read_boot_info(magic, info);
	apply_cmdline();
	cpu_init_tables(0);
	carve_memory(info);
	init_memory();
	hwcon_fb_start(&boot_info.fb, cmdline_buf);
	read_acpi();
	read_clocks();
	start_cpus(info);
	hooks_faults(cmdline_buf);
	probe_if_asked();
	check_cpu();
	pr_debug("boot: checks done in %lu instructions\n", rdtsc() - boot_tsc);
	hooks_benchmarks(cmdline_buf);
	validate_config(vms_pick_config(cmdline_buf, cmdline_full));
	enter_vmx_root();
	power_off(vms_create_and_run(picked, &boot_info, cmdline_buf) ? HV_EXIT_VM_FAULT
								      : HV_EXIT_OK);
}
