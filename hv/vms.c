/*
 * The VM steps of the boot sequence: pick the configuration named on the
 * command line, validate it against this machine, build every VM, run them.
 * A bad configuration stops the boot with one line before anything is built.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mm.h"
#include "arch/x86/smp.h"
#include "arch/x86/power.h"
#include "config/builtin.h"
#include "config/cmdvm.h"
#include "config/validate.h"
#include "drivers/serial.h"
#include "fw/acpi.h"
#include "hv/hv.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "lib/string.h"
#include "vm/conin.h"

#define MAX_VMS VALIDATE_MAX_RUN_VMS

static struct vm vms[MAX_VMS];
static char module_names[MB2_MAX_MODULES][VALIDATE_MODULE_NAME_MAX];
static struct cmdvm_store cmdline_vms;

/* VMs described by vm= words (config/cmdvm.h), or NULL when there are none. */
static const struct hv_config *pick_cmdline_vms(const char *opts, const char *full)
{
	char err[VALIDATE_ERR_LEN], name[32];
	int n = cmdvm_parse(full, &cmdline_vms, err, sizeof(err));

	if (n < 0) {
		pr_err("config: %s\n", err);
		pr_err(
		    "config: the vm= words on the command line were refused; no VM was started\n");
		power_off(HV_EXIT_FAIL);
	}
	if (n > 0 && cmdline_get(opts, "config", name, sizeof(name))) {
		pr_err("config: both config=%s and vm= words on the command line: give one\n",
		       name);
		power_off(HV_EXIT_FAIL);
	}
	return n > 0 ? cmdvm_config(&cmdline_vms) : NULL;
}

const struct hv_config *vms_pick_config(const char *opts, const char *full)
{
	const struct hv_config *cmd = pick_cmdline_vms(opts, full);
	char name[32] = "demo";

	if (cmd)
		return cmd;
	cmdline_get(opts, "config", name, sizeof(name));
	for (unsigned i = 0; i < nr_hv_configs; i++)
		if (!strcmp(hv_configs[i].name, name))
			return &hv_configs[i];
	pr_err("config: no configuration named \"%s\"; built in:", name);
	for (unsigned i = 0; i < nr_hv_configs; i++)
		if (hv_config_visible(&hv_configs[i]))
			pr_err(" %s", hv_configs[i].name);
	pr_err("; or describe VMs with vm= words (docs/config.md)\n");
	power_off(HV_EXIT_FAIL);
}

/*
 * Each boot module's first word, as the validator compares names (mb2_find_module's
 * words). A word longer than a configuration may name (VALIDATE_MODULE_NAME_MAX - 1)
 * is kept as "", which no name matches: never cut to a prefix another name could match.
 * Boot only (one CPU, before any VM): the static table needs no lock.
 */
static unsigned first_words(const struct mb2_info *bi, const char **out)
{
	for (unsigned i = 0; i < bi->nr_modules; i++) {
		const char *s = bi->modules[i].string;
		unsigned n = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		while (s[n] && s[n] != ' ' && s[n] != '\t' && n + 1 < sizeof(module_names[i])) {
			module_names[i][n] = s[n];
			n++;
		}
		if (s[n] && s[n] != ' ' && s[n] != '\t')
			n = 0;
		module_names[i][n] = '\0';
		out[i] = module_names[i];
	}
	return bi->nr_modules;
}

/* What the validator names a non-RAM entry of the firmware memory map by. */
static const char *fw_range_name(uint32_t type)
{
	switch (type) {
	case MB2_MMAP_RESERVED:
		return "firmware-reserved range (reserved)";
	case MB2_MMAP_ACPI_RECLAIMABLE:
		return "firmware-reserved range (ACPI reclaimable)";
	case MB2_MMAP_NVS:
		return "firmware-reserved range (ACPI NVS)";
	case MB2_MMAP_BADRAM:
		return "firmware-reserved range (bad RAM)";
	default:
		return "firmware-reserved range (unknown type)";
	}
}

#define MAX_PLATFORM (2 + ACPI_MAX_MMIO + MB2_MAX_MMAP)

/*
 * Host ranges no VM may be given by passthrough: this CPU's IA32_APIC_BASE page, the
 * boot loader's framebuffer (the console draws there), the devices the ACPI tables
 * name (with the PC's defaults), every non-RAM firmware entry.
 */
static unsigned platform_ranges(const struct mb2_mmap_entry *fw, unsigned nr_fw,
				const struct acpi_info *acpi, const struct mb2_info *bi,
				struct validate_platform *out)
{
	struct acpi_mmio m[ACPI_MAX_MMIO];
	uint64_t apic = rdmsr(MSR_IA32_APIC_BASE) & GENMASK(51, 12);
	unsigned n = 0, nm = acpi_platform_mmio(acpi, m, ACPI_MAX_MMIO);

	out[n++] = (struct validate_platform){apic, apic + PAGE_SIZE, "local APIC"};
	if (bi->fb.present)
		out[n++] = (struct validate_platform){bi->fb.addr, bi->fb.addr + bi->fb.size,
						      "framebuffer"};
	for (unsigned i = 0; i < nm; i++)
		out[n++] = (struct validate_platform){m[i].start, m[i].end, m[i].what};
	for (unsigned i = 0; i < nr_fw && n < MAX_PLATFORM; i++)
		if (fw[i].type != MB2_MMAP_AVAILABLE && fw[i].len &&
		    fw[i].base <= UINT64_MAX - fw[i].len)
			out[n++] = (struct validate_platform){fw[i].base, fw[i].base + fw[i].len,
							      fw_range_name(fw[i].type)};
	return n;
}

/* All host RAM: every type-1 entry of the firmware map, usable by us or not. */
static unsigned ram_ranges(const struct mb2_mmap_entry *fw, unsigned nr_fw,
			   struct validate_range *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nr_fw && n < MB2_MAX_MMAP; i++)
		if (fw[i].type == MB2_MMAP_AVAILABLE && fw[i].len &&
		    fw[i].base <= UINT64_MAX - fw[i].len)
			out[n++] = (struct validate_range){fw[i].base, fw[i].base + fw[i].len};
	return n;
}

void vms_validate(const struct hv_config *cfg, const struct mb2_mmap_entry *fw, unsigned nr_fw,
		  const struct acpi_info *acpi, const struct mb2_info *bi, uint64_t image_start,
		  uint64_t image_end)
{
	static struct validate_range ram[MB2_MAX_MMAP];
	static struct validate_platform platform[MAX_PLATFORM];
	const char *mods[MB2_MAX_MODULES];
	struct mem_range meta = mm_meta_range();
	struct validate_range hv[2] = {{image_start, image_end}, {meta.start, meta.end}};
	struct validate_env env = {
	    .free_bytes = buddy_free_frames(mm_buddy()) * PAGE_SIZE,
	    .modules = mods,
	    .nr_modules = first_words(bi, mods),
	    .nr_cpus = smp_nr_cpus(),
	    .max_gpa = 1ULL << 48,
	    .hv_ranges = hv,
	    .nr_hv_ranges = 2,
	    .ram_ranges = ram,
	    .nr_ram_ranges = ram_ranges(fw, nr_fw, ram),
	    .platform = platform,
	    .nr_platform = platform_ranges(fw, nr_fw, acpi, bi, platform),
	};
	char err[VALIDATE_ERR_LEN];

	if (vm_config_validate(cfg, &env, err, sizeof(err))) {
		pr_err("config: %s\n", err);
		pr_err("config: \"%s\" rejected; no VM was started\n", cfg->name);
		power_off(HV_EXIT_FAIL);
	}
	pr_info("config: \"%s\" valid, %u VM(s)\n", cfg->name, cfg->nr_vms);
}

/* VMs whose final stop was a fault their configuration does not expect, each named. */
static int vms_faulted(unsigned n)
{
	int faulted = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!vm_faulted(&vms[i]))
			continue;
		pr_err("kestrel: vm \"%s\" ended on a fault (%s)\n", vms[i].cfg->name,
		       vms[i].stop_reason);
		faulted++;
	}
	return faulted;
}

struct vm_job {
	struct vm *vm;
	const struct vm_config *cfg;
	unsigned id;
	const struct mb2_info *bi;
	const char *extra;
	int ret;
};

/* A VM is built on the CPU that will run it: its VMCS holds that CPU's host state. */
static void create_here(void *arg)
{
	struct vm_job *j = arg;

	j->ret = vm_create(j->vm, j->cfg, j->id, j->bi, j->extra);
}

/* A vCPU on its CPU: the boot vCPU runs the VM's lifecycle, an AP follows it. */
static void run_here(void *arg)
{
	struct vcpu *v = arg;

	if (v->index)
		vm_run_ap(v);
	else
		vm_run(v->vm);
}

static int on_cpu(unsigned cpu, smp_fn fn, void *arg)
{
	int ret = 0;

	if (cpu == smp_this_cpu()) {
		fn(arg);
	} else {
		ret = smp_run_on(cpu, fn, arg);
		if (!ret)
			smp_wait(cpu);
	}
	return ret;
}

static void create_all(const struct hv_config *cfg, unsigned n, const struct mb2_info *bi,
		       const char *extra)
{
	static struct vm_job jobs[MAX_VMS];

	owner_registry_init(&hv_owners, cfg);
	for (unsigned i = 0; i < n; i++) {
		jobs[i] = (struct vm_job){&vms[i], &cfg->vms[i], i, bi, extra, 0};
		if (on_cpu(vm_cfg_cpu(&cfg->vms[i], 0), create_here, &jobs[i]) || jobs[i].ret) {
			pr_err("vm \"%s\": not started\n", cfg->vms[i].name);
			power_off(HV_EXIT_FAIL);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (vm_audit(&vms[i]))
			panic("ownership audit failed after boot");
}

/* Static partitioning: a CPU that runs no VM halts for good. */
static void park_idle_cpus(const struct hv_config *cfg, unsigned n)
{
	for (unsigned c = 1; c < smp_nr_cpus(); c++) {
		bool used = false;
		for (unsigned i = 0; i < n; i++)
			for (unsigned k = 0; k < vm_cfg_vcpus(&cfg->vms[i]); k++)
				used |= vm_cfg_cpu(&cfg->vms[i], k) == c;
		if (!used && !smp_park(c))
			pr_info("smp: CPU %u runs no VM: halted\n", c);
	}
}

int vms_create_and_run(const struct hv_config *cfg, const struct mb2_info *bi, const char *cmdline)
{
	static char inject[32], extra[HV_GUESTARGS_MAX];
	char whole[HV_GUESTARGS_MAX + 1];
	unsigned n = cfg->nr_vms;

	if (n > MAX_VMS) /* vms_validate refused it: config/validate.c checks the same limit */
		panic("config \"%s\": %u VMs past validation, limit %u", cfg->name, n, MAX_VMS);
	if (cmdline_get(cmdline, "guestargs", whole, sizeof(whole)) &&
	    strlen(whole) >= sizeof(extra)) {
		pr_err("config: guestargs= longer than %zu characters: refused, not cut short\n",
		       sizeof(extra) - 1);
		power_off(HV_EXIT_FAIL);
	}
	vm_stats_printer = hv_print_stats;
	cmdline_get(cmdline, "guestargs", extra, sizeof(extra));
	for (unsigned i = 0; i < sizeof(extra); i++)
		if (extra[i] == '+')
			extra[i] = ' '; /* GRUB-friendly spelling of spaces */
	cmdline_get(cmdline, "inject", inject, sizeof(inject));
	create_all(cfg, n, bi, extra);
	park_idle_cpus(cfg, n);
	for (unsigned i = 0; i < n; i++)
		vms[i].inject = inject[0] ? inject : NULL;
	conin_init(serial_present() ? serial_getc : NULL);
	/* every vCPU on its own CPU; the one on this CPU last, as this call runs it */
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < vms[i].nr_vcpus; k++) {
			struct vcpu *v = &vms[i].vcpus[k];
			if (v->cpu != smp_this_cpu() && smp_run_on(v->cpu, run_here, v))
				pr_err("vm \"%s\": CPU %u would not take vCPU %u\n",
				       cfg->vms[i].name, v->cpu, k);
		}
	hooks_nmi_vms(cmdline, vms, n);
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < vms[i].nr_vcpus; k++)
			if (vms[i].vcpus[k].cpu == smp_this_cpu())
				run_here(&vms[i].vcpus[k]);
	smp_wait_all();
	hv_print_stats(NULL);
	return vms_faulted(n);
}
