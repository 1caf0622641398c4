/*
 * HC_VM_INFO for the scenarios: version 2 (restart count, CPU) or an error, and the restart
 * count a scenario acts on, which the command line may override for runs under plain QEMU.
 */
#include "guests/testguest/guest.h"
#include "lib/errno.h"
#include "lib/string.h"

int vm_info_get(struct hc_vm_info *info)
{
	unsigned traps = trap_fixups.count;
	long r;

	memset(info, 0, sizeof(*info));
	r = hypercall(HC_VM_INFO, (long)info, 0, 0);
	if (hypercall_faulted(traps)) {
		memset(info, 0, sizeof(*info));
		return -ENOSYS;
	}
	if (r)
		return (int)r;
	return info->version >= HC_VM_INFO_VERSION ? 0 : -ENOTSUP;
}

long vm_restarts(struct hc_vm_info *info)
{
	int err = vm_info_get(info);

	if (arg_value("restarts"))
		return (long)arg_u64("restarts", 0);
	return err ? err : (long)info->restarts;
}
