/*
 * VMs described on the hypervisor's command line ("vm=NAME,field=value,...", docs/config.md
 * "VMs on the command line"): a parser that fills a caller-owned store with a struct hv_config.
 * Pure: no allocation, no console, builds freestanding and on the host. The result still goes
 * through vm_config_validate() like a built-in configuration.
 */
#ifndef CONFIG_CMDVM_H
#define CONFIG_CMDVM_H

#include "lib/types.h"
#include "config/config.h"
#include "config/validate.h"

#define CMDVM_CONFIG_NAME "cmdline"

/* One VM's copy of everything its vm_config points to. */
struct cmdvm_vm {
	struct vm_region regions[VALIDATE_MAX_REGIONS];
	const char *modules[VALIDATE_MAX_GUEST_MODULES];
	char name[VALIDATE_NAME_MAX];
	char image[VALIDATE_MODULE_NAME_MAX];
	char cmdline[VALIDATE_CMDLINE_MAX];
	char region_names[VALIDATE_MAX_REGIONS][VALIDATE_MODULE_NAME_MAX];
	char module_names[VALIDATE_MAX_GUEST_MODULES][VALIDATE_MODULE_NAME_MAX];
};

/*
 * Invariants after cmdvm_parse(): cfg.vms == vms, cfg.nr_vms <= VALIDATE_MAX_RUN_VMS, and every
 * pointer in vms[] points into vm[] (strings NUL-terminated within their arrays) or is NULL.
 */
struct cmdvm_store {
	struct hv_config cfg;
	struct vm_config vms[VALIDATE_MAX_RUN_VMS];
	struct cmdvm_vm vm[VALIDATE_MAX_RUN_VMS];
};

/*
 * Parse every vm= word of @hv_cmdline into @st (which is reset first). Returns the number of
 * VMs (0: no vm= word), or -EINVAL (malformed), -E2BIG (beyond a capacity) or -ENOTSUP (a
 * feature not there yet) with one line in @err naming the VM and field, e.g.
 * `vm 1 ("rt"): field "ram=12Q": bad size "12Q"`. @err is always NUL-terminated when
 * @errlen > 0 ("" unless an error); it may be NULL when @errlen is 0.
 * @pre @hv_cmdline is NUL-terminated.
 */
int cmdvm_parse(const char *hv_cmdline, struct cmdvm_store *st, char *err, size_t errlen);

/* The configuration named "cmdline" that @st holds, or NULL when it holds no VM. */
const struct hv_config *cmdvm_config(struct cmdvm_store *st);

/*
 * Length of @hv_cmdline's hypervisor options: everything before the first vm= word. Options
 * (loglevel=, config=) are looked up there only, never in a guest's command line.
 */
size_t cmdvm_options_len(const char *hv_cmdline);

#endif
