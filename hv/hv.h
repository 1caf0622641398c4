/*
 * The top of the hypervisor: the boot sequence (hv/main.c), VM placement
 * (hv/vms.c), VM assembly (hv/vmbuild.c), lifecycle policy (hv/lifecycle.c)
 * and the test hooks (hv/hooks.c). Nothing below hv/ includes this.
 */
#ifndef HV_HV_H
#define HV_HV_H

#include "config/config.h"
#include "fw/mb2.h"
#include "mm/memmap.h"
#include "mm/owner.h"
#include "vm/vm.h"

/* guestargs= (added to every guest command line) is at most 127 characters: longer is refused. */
#define HV_GUESTARGS_MAX 128

/* hv/main.c: the TSC's rate, measured at boot */
extern uint64_t hv_tsc_hz;

/* hv/hooks.c: with "bench" on the command line, allocator costs in instructions. */
void hooks_benchmarks(const char *cmdline);
/* inject=hv-pagefault / hv-gp: fault in the hypervisor on purpose; inject=missing-control (tests). */
void hooks_faults(const char *cmdline);
/* inject=nmi: physical NMIs to the CPUs of @vms but this one, while those VMs run. */
void hooks_nmi_vms(const char *cmdline, struct vm *vms, unsigned n);

/* hv/probe.c: config=probe, what this machine offers and a starter vm= line */
struct acpi_info;
void probe_report(const struct mb2_mmap_entry *fw, unsigned nr_fw, const struct memmap *m,
		  const struct acpi_info *acpi, unsigned online, uint64_t free_bytes);

/* hv/vms.c: the VM steps of the boot sequence */
/* vm= words of @full if any, else config=NAME of @opts (the options before any vm=). */
const struct hv_config *vms_pick_config(const char *opts, const char *full);
/*
 * Check @cfg against this machine: free RAM, CPUs, modules, and for passthrough the
 * hypervisor (its image where it was loaded, [@image_start, @image_end)), host RAM and
 * platform hardware (@fw's non-RAM entries, @acpi's devices, @bi's framebuffer; @acpi
 * NULL: the PC's defaults). A bad configuration powers off with one line.
 */
void vms_validate(const struct hv_config *cfg, const struct mb2_mmap_entry *fw, unsigned nr_fw,
		  const struct acpi_info *acpi, const struct mb2_info *bi, uint64_t image_start,
		  uint64_t image_end);
/* Build and run every VM; the number of VMs that ended on a fault they did not expect. */
int vms_create_and_run(const struct hv_config *cfg, const struct mb2_info *bi, const char *cmdline);

/* hv/vmbuild.c: build a VM from its validated configuration on the CPU that runs it. */
int vm_create(struct vm *vm, const struct vm_config *cfg, unsigned id, const struct mb2_info *bi,
	      const char *extra_args);
/* Load (or reload) the guest image, modules and boot information; set up the vCPU. */
int vm_load_guest(struct vm *vm);
/* Check the VM's EPT against the owner tags; returns the number of violations. */
int vm_audit(const struct vm *vm);
extern struct owner_registry hv_owners; /* shared regions of the running configuration */

/* hv/lifecycle.c: run a VM until it stops for good, restarting it per its policy. */
void vm_run(struct vm *vm);
/* An AP of a VM with several vCPUs, on its CPU: its starts and runs until the VM ends. */
void vm_run_ap(struct vcpu *v);
int vm_restart(struct vm *vm);
/* Statistics of every VM and CPU, and an ownership audit: at shutdown and on HC_STATS. */
void hv_print_stats(const struct vm *asker);
void vm_print_stats(const struct vm *vm);

#endif
