/*
 * restart_loop: one boot of a VM that restarts again and again next to another doing the
 * same on another CPU (issue 11: two VMs restarting at once once booted with each other's
 * command line). Each boot checks that what it was given is its own: the command line names
 * this VM (self=, against HC_VM_INFO's name, which the hypervisor takes from the VM's
 * configuration), the boot information's memory map adds up to its own RAM (mib=, against
 * HC_VM_INFO's and the map's), and the multiboot2 magic. Then it restarts through the
 * debug-exit port, until restarts reaches boots=, and that boot ends with HC_EXIT.
 */
#include "guests/testguest/guest.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MB2_MAGIC 0x36d76289

/* Bytes of non-RAM memory-map entries below @limit (the ACPI tables' page in our RAM). */
static uint64_t reserved_below(uint64_t limit)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < boot.nr_mmap; i++)
		if (boot.mmap[i].type != 1 && boot.mmap[i].base < limit)
			sum += MIN(boot.mmap[i].len, limit - boot.mmap[i].base);
	return sum;
}

static void check_own(const struct hc_vm_info *info)
{
	const char *self = arg_value("self");
	uint64_t mib = arg_u64("mib", 0);
	char want[64];
	size_t n;

	if (!self || !mib) {
		t_fail("give self=NAME and mib=N (the VM's name and RAM)");
		return;
	}
	n = strnlen(info->name, sizeof(info->name));
	if (strncmp(self, info->name, n) || (self[n] != ' ' && self[n] != '\0')) {
		int w = 0;
		while (w < 31 && self[w] && self[w] != ' ')
			w++;
		t_fail("command line says self=%.*s, but this VM is \"%.31s\"", w, self,
		       info->name);
	}
	ksnprintf(want, sizeof(want), "test=restart_loop self=%.31s ", info->name);
	if (!boot.cmdline || strncmp(boot.cmdline, want, strlen(want)))
		t_fail("boot information's command line \"%.60s\" is not this VM's",
		       boot.cmdline ? boot.cmdline : "(none)");
	t_expect("HC_VM_INFO ram_bytes", info->ram_bytes, mib * MiB);
	/* the PC platform's ACPI tables (a reserved page at 0xE0000) are carved out of it */
	t_expect("memory map RAM and firmware tables", boot_ram_bytes() + reserved_below(mib * MiB),
		 mib * MiB);
	t_expect("multiboot2 magic", boot_magic, MB2_MAGIC);
}

void t_restart_loop(void)
{
	struct hc_vm_info info;
	long restarts = vm_restarts(&info);
	uint64_t boots = arg_u64("boots", 0);

	t_end_with_hc_exit(); /* a failure stops the VM instead of restarting it */
	if (restarts < 0) {
		t_fail("no restart count: HC_VM_INFO %ld", restarts);
		return;
	}
	check_own(&info);
	if (t_failures())
		return;
	gprintf("restart_loop: boot %ld/%llu on cpu %u: command line and boot information are "
		"its own\n",
		restarts, (unsigned long long)boots, info.cpu);
	if ((uint64_t)restarts < boots)
		guest_exit(0); /* the restart policy boots it again */
}
