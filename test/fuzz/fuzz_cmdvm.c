/*
 * libFuzzer target for config/cmdvm.c: the input is a hypervisor command line. On success every
 * string lies NUL-terminated in its store array and every count is within capacity; the config
 * is written back out as vm= words, which must parse to the same store, and is validated
 * against a small fake machine. On failure the error is one known code and one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "config/cmdvm.h"
#include "config/validate.h"

#define MAX_LINE 4096

static const char *const env_modules[] = {"kernel", "initrd", "bios", "k"};
static const struct validate_range env_hv[] = {{0x200000, 0x400000}};
static const struct validate_range env_ram[] = {{0x0, 0x9f000}, {0x100000, 0x8000000}};
static const struct validate_env env = {
    .free_bytes = 0x6000000,
    .modules = env_modules,
    .nr_modules = 4,
    .nr_cpus = 2,
    .max_gpa = BIT(48),
    .hv_ranges = env_hv,
    .nr_hv_ranges = 1,
    .ram_ranges = env_ram,
    .nr_ram_ranges = 2,
};

static void must(int cond)
{
	if (!cond)
		abort();
}

/* @s is NULL, or the string in @buf, NUL-terminated within @cap bytes. */
static void in_array(const char *s, const char *buf, size_t cap, int may_be_null)
{
	if (!s) {
		must(may_be_null);
		return;
	}
	must(s == buf && strnlen(buf, cap) < cap);
}

static void check_line(const char *err, size_t cap)
{
	must(strnlen(err, cap) < cap && err[0]);
	for (const char *p = err; *p; p++)
		must((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void check_store(const struct cmdvm_store *st, int n)
{
	must(n <= VALIDATE_MAX_RUN_VMS && st->cfg.nr_vms == (unsigned)n && st->cfg.vms == st->vms);
	must(!strcmp(st->cfg.name, CMDVM_CONFIG_NAME));
	for (int i = 0; i < n; i++) {
		const struct vm_config *vm = &st->vms[i];
		const struct cmdvm_vm *v = &st->vm[i];

		in_array(vm->name, v->name, sizeof(v->name), 0);
		must(vm->name[0]);
		in_array(vm->image, v->image, sizeof(v->image), 0);
		in_array(vm->cmdline, v->cmdline, sizeof(v->cmdline), 0);
		must(vm->regions == v->regions && vm->nr_regions <= VALIDATE_MAX_REGIONS);
		must(vm->modules == v->modules && vm->nr_modules <= VALIDATE_MAX_GUEST_MODULES);
		for (unsigned r = 0; r < vm->nr_regions; r++)
			in_array(vm->regions[r].name, v->region_names[r],
				 sizeof(v->region_names[r]),
				 vm->regions[r].kind == REGION_RAM ||
				     vm->regions[r].kind == REGION_MMIO_PASS);
		for (unsigned m = 0; m < vm->nr_modules; m++)
			in_array(vm->modules[m], v->module_names[m], sizeof(v->module_names[m]), 0);
	}
}

/* ---- write the configuration back out as vm= words ---- */

static const char *const protos[] = {"multiboot2", "multiboot", "linux", "auto"};
static const char *const policies[] = {"stop", "restart"};
static const char *const flags[] = {"", "privileged", "background", "privileged+background"};

static size_t put_region(char *out, size_t cap, const struct vm_region *r)
{
	switch (r->kind) {
	case REGION_RAM:
		return (size_t)snprintf(out, cap, ",ram=0x%lx:0x%lx", r->gpa, r->size);
	case REGION_ROM:
		return (size_t)snprintf(out, cap, ",rom=0x%lx:0x%lx:%s", r->gpa, r->size, r->name);
	case REGION_MMIO_EMUL:
		return (size_t)snprintf(out, cap, ",mmio=%lu:%lu:%s", r->gpa, r->size, r->name);
	case REGION_MMIO_PASS:
		return (size_t)snprintf(out, cap, ",pass=0x%lx:0x%lx:0x%lx", r->gpa, r->size,
					r->hpa);
	default:
		return (size_t)snprintf(out, cap, ",shm=0x%lx:0x%lx:%s", r->gpa, r->size, r->name);
	}
}

static void write_back(const struct cmdvm_store *st, char *out, size_t cap)
{
	size_t n = 0;

	for (unsigned i = 0; i < st->cfg.nr_vms; i++) {
		const struct vm_config *vm = &st->vms[i];

		n += (size_t)snprintf(out + n, cap - n,
				      "%svm=%s,cpus=%u,image=%s,proto=%s,policy=%s,"
				      "restarts=%u",
				      i ? " " : "", vm->name, vm->cpu, vm->image, protos[vm->proto],
				      policies[vm->policy], vm->max_restarts);
		if (vm->flags)
			n += (size_t)snprintf(out + n, cap - n, ",flags=%s", flags[vm->flags]);
		for (unsigned p = 0, first = 1; p < 64; p++)
			if (vm->peers >> p & 1) {
				n += (size_t)snprintf(out + n, cap - n, "%s%u",
						      first ? ",peers=" : "+", p);
				first = 0;
			}
		for (unsigned r = 0; r < vm->nr_regions; r++)
			n += put_region(out + n, cap - n, &vm->regions[r]);
		for (unsigned m = 0; m < vm->nr_modules; m++)
			n += (size_t)snprintf(out + n, cap - n, ",module=%s", vm->modules[m]);
		n += (size_t)snprintf(out + n, cap - n, ",cmdline=%s", vm->cmdline);
		must(n < cap);
	}
}

static void same_store(const struct cmdvm_store *a, const struct cmdvm_store *b)
{
	must(a->cfg.nr_vms == b->cfg.nr_vms);
	for (unsigned i = 0; i < a->cfg.nr_vms; i++) {
		const struct vm_config *x = &a->vms[i], *y = &b->vms[i];

		must(!strcmp(x->name, y->name) && x->cpu == y->cpu && !strcmp(x->image, y->image));
		must(x->proto == y->proto && x->policy == y->policy && x->flags == y->flags);
		must(x->max_restarts == y->max_restarts && !strcmp(x->cmdline, y->cmdline));
		must(x->peers == y->peers);
		must(x->nr_regions == y->nr_regions && x->nr_modules == y->nr_modules);
		for (unsigned r = 0; r < x->nr_regions; r++) {
			const struct vm_region *p = &x->regions[r], *q = &y->regions[r];

			must(p->kind == q->kind && p->rights == q->rights && p->gpa == q->gpa);
			must(p->size == q->size && p->hpa == q->hpa);
			must(!p->name == !q->name && (!p->name || !strcmp(p->name, q->name)));
		}
		for (unsigned m = 0; m < x->nr_modules; m++)
			must(!strcmp(x->modules[m], y->modules[m]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdvm_store st, again;
	static char line[MAX_LINE + 1], back[4 * MAX_LINE];
	char err[VALIDATE_ERR_LEN];
	size_t len = size < MAX_LINE ? size : MAX_LINE;
	int n, rc;

	memcpy(line, data, len);
	line[len] = '\0';
	n = cmdvm_parse(line, &st, err, sizeof(err));
	if (n < 0) {
		must(n == -EINVAL || n == -E2BIG || n == -ENOTSUP);
		check_line(err, sizeof(err));
		must(cmdvm_config(&st) == NULL);
		return 0;
	}
	must(err[0] == '\0');
	if (n == 0) {
		must(cmdvm_config(&st) == NULL && cmdvm_options_len(line) == strlen(line));
		return 0;
	}
	must(cmdvm_options_len(line) < strlen(line));
	check_store(&st, n);
	write_back(&st, back, sizeof(back));
	if (cmdvm_parse(back, &again, err, sizeof(err)) != n) {
		fprintf(stderr, "written back: %s\nrefused: %s\n", back, err);
		abort();
	}
	same_store(&st, &again);
	rc = vm_config_validate(cmdvm_config(&st), &env, err, sizeof(err));
	if (rc) {
		must(rc == -EINVAL || rc == -E2BIG || rc == -EEXIST || rc == -ENODEV ||
		     rc == -EBUSY || rc == -ENOENT || rc == -ERANGE || rc == -EPERM ||
		     rc == -ENOMEM);
		check_line(err, sizeof(err));
	}
	return 0;
}
