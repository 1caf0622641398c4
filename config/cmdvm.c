/*
 * The vm= parser: splits the hypervisor's command line into VM specs, each spec into fields,
 * and copies every value into the store. It checks syntax and capacities only; what a value
 * means for the machine (alignment, overlaps, CPUs, modules) is the validator's business.
 * Invariants: never writes past a store array or past errlen; the store holds no VM on error.
 */
#include <stdarg.h>

#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "config/cmdvm.h"

#define VM_WORD	 "vm="
#define CMDLINE	 "cmdline="
#define SHOW_MAX 40 /* characters of a culprit quoted in an error */

struct span {
	const char *p;
	size_t n;
};

/* A culprit in an error line: quoted, cut to SHOW_MAX characters with "..." after. */
#define SPAN_FMT     "\"%.*s%s\""
#define SPAN_ARG(s)  (int)MIN((s).n, (size_t)SHOW_MAX), (s).p, (s).n > SHOW_MAX ? "..." : ""
#define NO_SPAN	     ((struct span){NULL, 0})
#define SPAN_STR(s)  ((struct span){(s), sizeof(s) - 1})
#define SPAN_REST(s) ((struct span){(s).p + 1, (s).n - 1})

struct pctx {
	struct cmdvm_store *st;
	unsigned vi;	   /* VM being parsed */
	bool named;	   /* its name is valid: errors say vm N ("NAME") */
	struct span field; /* field being parsed; p == NULL: none */
	uint32_t seen;	   /* one bit per single-valued field already given */
	char *err;
	size_t errlen, len; /* len: characters in err so far, < errlen */
};

/* ---- error line ---- */

static void err_vadd(struct pctx *c, const char *fmt, va_list ap)
{
	int n;

	if (c->len + 1 >= c->errlen)
		return;
	n = kvsnprintf(c->err + c->len, c->errlen - c->len, fmt, ap);
	c->len = MIN(c->len + (size_t)n, c->errlen - 1);
}

__attribute__((format(printf, 2, 3))) static void err_add(struct pctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vadd(c, fmt, ap);
	va_end(ap);
}

/* Prefix "vm N ("NAME"): field "F": ", then the message; the line stays one line. */
__attribute__((format(printf, 3, 4))) static int fail(struct pctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	err_add(c, "vm %u", c->vi);
	if (c->named)
		err_add(c, " (\"%s\")", c->st->vm[c->vi].name);
	err_add(c, ": ");
	if (c->field.p)
		err_add(c, "field " SPAN_FMT ": ", SPAN_ARG(c->field));
	va_start(ap, fmt);
	err_vadd(c, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < c->len; i++)
		if ((unsigned char)c->err[i] < 0x20 || c->err[i] == 0x7f)
			c->err[i] = '?';
	return rc;
}

/* ---- spans and numbers ---- */

static size_t span_find(struct span s, char ch)
{
	size_t i = 0;

	while (i < s.n && s.p[i] != ch)
		i++;
	return i;
}

static bool span_is(struct span s, const char *word)
{
	return strlen(word) == s.n && memcmp(s.p, word, s.n) == 0;
}

/* A field that starts "cmdline=": it takes the rest of the spec. */
static bool is_cmdline(struct span s)
{
	return s.n >= strlen(CMDLINE) && memcmp(s.p, CMDLINE, strlen(CMDLINE)) == 0;
}

/* Split @s at each @sep into at most @max parts; returns the count, max + 1 if there are more. */
static unsigned span_split(struct span s, char sep, struct span *part, unsigned max)
{
	unsigned k = 0;

	for (;;) {
		size_t i = span_find(s, sep);

		if (k == max)
			return max + 1;
		part[k++] = (struct span){s.p, i};
		if (i == s.n)
			return k;
		s = (struct span){s.p + i + 1, s.n - i - 1};
	}
}

static int digit(char ch, unsigned base)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (base == 16 && (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
		return (ch | 0x20) - 'a' + 10;
	return -1;
}

/* Decimal or 0x hex, with an optional K/M/G (KiB multiples) when @suffix: 0, -EINVAL, -ERANGE. */
static int parse_u64(struct span s, bool suffix, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	size_t i = 0;
	uint64_t v = 0;

	if (suffix && s.n) {
		char last = (char)(s.p[s.n - 1] | 0x20);

		shift = last == 'k' ? 10 : last == 'm' ? 20 : last == 'g' ? 30 : 0;
		s.n -= shift ? 1 : 0;
	}
	if (s.n > 2 && s.p[0] == '0' && (s.p[1] | 0x20) == 'x') {
		base = 16;
		i = 2;
	}
	if (i == s.n)
		return -EINVAL;
	for (; i < s.n; i++) {
		int d = digit(s.p[i], base);

		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + (unsigned)d;
	}
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* @what: "size", "address", "number"; a value above @max is "too large". */
static int get_num(struct pctx *c, struct span s, bool suffix, const char *what, uint64_t max,
		   uint64_t *out)
{
	int rc;

	*out = 0;
	rc = parse_u64(s, suffix, out);
	if (rc == -EINVAL)
		return fail(c, -EINVAL, "bad %s " SPAN_FMT, what, SPAN_ARG(s));
	if (rc || *out > max)
		return fail(c, -EINVAL, "%s " SPAN_FMT " too large", what, SPAN_ARG(s));
	return 0;
}

static bool name_char(char ch, bool dot)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || (dot && ch == '.');
}

/* A VM name (@dot false) or a module, device or shared-memory name (@dot: '.' allowed too). */
static int copy_name(struct pctx *c, struct span s, const char *what, bool dot, char *dst,
		     size_t cap)
{
	if (!s.n)
		return fail(c, -EINVAL, "empty %s", what);
	if (s.n >= cap)
		return fail(c, -EINVAL, "%s " SPAN_FMT " longer than %zu characters", what,
			    SPAN_ARG(s), cap - 1);
	for (size_t i = 0; i < s.n; i++)
		if (!name_char(s.p[i], dot))
			return fail(c, -EINVAL,
				    "%s " SPAN_FMT ": only letters, digits, '_', '-'%s allowed",
				    what, SPAN_ARG(s), dot ? ", '.'" : "");
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

/* ---- fields ---- */

static struct vm_config *cur(struct pctx *c)
{
	return &c->st->vms[c->vi];
}

static struct cmdvm_vm *store(struct pctx *c)
{
	return &c->st->vm[c->vi];
}

/* One CPU "N" or a range "A-B" (A <= B) of a cpus= list: its bounds. */
static int cpu_range(struct pctx *c, struct span v, uint64_t *first, uint64_t *last)
{
	struct span part[2];
	unsigned n = span_split(v, '-', part, 2);
	int rc;

	if (n > 2)
		return fail(c, -EINVAL, "bad CPU range " SPAN_FMT, SPAN_ARG(v));
	rc = get_num(c, part[0], false, "number", UINT32_MAX, first);
	*last = *first;
	if (!rc && n == 2)
		rc = get_num(c, part[1], false, "number", UINT32_MAX, last);
	if (!rc && *last < *first)
		return fail(c, -EINVAL, "bad CPU range " SPAN_FMT, SPAN_ARG(v));
	return rc;
}

/*
 * "cpus=N", "A-B", or a list "A+B+C-D": vCPU i runs on the i-th CPU named. One CPU
 * keeps .cpu alone; several fill .cpus (the validator checks repeats and presence).
 */
static int f_cpus(struct pctx *c, struct span v)
{
	struct span part[VM_MAX_VCPUS];
	unsigned n = span_split(v, '+', part, VM_MAX_VCPUS);
	struct vm_config *vm = cur(c);
	unsigned nr = 0;

	if (n > VM_MAX_VCPUS)
		return fail(c, -E2BIG, "more than %u vCPUs", VM_MAX_VCPUS);
	for (unsigned i = 0; i < n; i++) {
		uint64_t first = 0, last = 0;
		int rc = cpu_range(c, part[i], &first, &last);
		if (rc)
			return rc;
		if (last - first >= VM_MAX_VCPUS - nr)
			return fail(c, -E2BIG, "more than %u vCPUs", VM_MAX_VCPUS);
		for (uint64_t cpu = first; cpu <= last; cpu++)
			vm->cpus[nr++] = (uint32_t)cpu;
	}
	vm->cpu = vm->cpus[0];
	vm->nr_vcpus = nr > 1 ? nr : 0;
	return 0;
}

static int add_region(struct pctx *c, struct vm_region r, struct span name)
{
	struct vm_config *vm = cur(c);
	unsigned ri = vm->nr_regions;
	int rc;

	if (ri == VALIDATE_MAX_REGIONS)
		return fail(c, -E2BIG, "more than %u regions", VALIDATE_MAX_REGIONS);
	if (name.p) {
		rc = copy_name(c, name,
			       r.kind == REGION_SHARED ? "shared memory name"
			       : r.kind == REGION_ROM  ? "module name"
						       : "device name",
			       true, store(c)->region_names[ri], VALIDATE_MODULE_NAME_MAX);
		if (rc)
			return rc;
		r.name = store(c)->region_names[ri];
	}
	store(c)->regions[ri] = r;
	vm->nr_regions = ri + 1;
	return 0;
}

/* GPA:SIZE[:X], X a name, or the host address when @hpa is set. */
static int region3(struct pctx *c, struct span v, struct vm_region r, const char *want, bool hpa)
{
	struct span part[3];
	int rc;

	if (span_split(v, ':', part, 3) != 3)
		return fail(c, -EINVAL, "want %s", want);
	rc = get_num(c, part[0], true, "address", UINT64_MAX, &r.gpa);
	if (!rc)
		rc = get_num(c, part[1], true, "size", UINT64_MAX, &r.size);
	if (!rc && hpa)
		rc = get_num(c, part[2], true, "address", UINT64_MAX, &r.hpa);
	if (rc)
		return rc;
	return add_region(c, r, hpa ? NO_SPAN : part[2]);
}

static int f_ram(struct pctx *c, struct span v)
{
	struct vm_region r = RAM(0, 0);
	struct span part[2];
	unsigned n = span_split(v, ':', part, 2);
	int rc = 0;

	if (n > 2)
		return fail(c, -EINVAL, "want SIZE or GPA:SIZE");
	if (n == 2)
		rc = get_num(c, part[0], true, "address", UINT64_MAX, &r.gpa);
	if (!rc)
		rc = get_num(c, part[n - 1], true, "size", UINT64_MAX, &r.size);
	return rc ? rc : add_region(c, r, NO_SPAN);
}

/* "demand=GPA:SIZE": RAM with no frames until first touched; demand4k: 4 KiB blocks only. */
static int demand_region(struct pctx *c, struct span v, uint32_t flags)
{
	struct vm_region r = RAM(0, 0);
	struct span part[2];
	int rc;

	if (span_split(v, ':', part, 2) != 2)
		return fail(c, -EINVAL, "want GPA:SIZE");
	rc = get_num(c, part[0], true, "address", UINT64_MAX, &r.gpa);
	if (!rc)
		rc = get_num(c, part[1], true, "size", UINT64_MAX, &r.size);
	r.flags = flags;
	return rc ? rc : add_region(c, r, NO_SPAN);
}

static int f_demand(struct pctx *c, struct span v)
{
	return demand_region(c, v, REGION_F_DEMAND);
}

static int f_demand4k(struct pctx *c, struct span v)
{
	return demand_region(c, v, REGION_F_DEMAND | REGION_F_DEMAND_4K);
}

static int f_rom(struct pctx *c, struct span v)
{
	return region3(c, v, (struct vm_region)ROM(0, 0, NULL), "GPA:SIZE:MODULE", false);
}

static int f_mmio(struct pctx *c, struct span v)
{
	return region3(c, v, (struct vm_region)MMIO(0, 0, NULL), "GPA:SIZE:DEVICE", false);
}

static int f_pass(struct pctx *c, struct span v)
{
	return region3(c, v, (struct vm_region)PASSTHRU(0, 0, 0), "GPA:SIZE:HPA", true);
}

static int f_shm(struct pctx *c, struct span v)
{
	return region3(c, v, (struct vm_region)SHARED(0, 0, NULL), "GPA:SIZE:NAME", false);
}

static int f_image(struct pctx *c, struct span v)
{
	cur(c)->image = store(c)->image;
	return copy_name(c, v, "module name", true, store(c)->image, VALIDATE_MODULE_NAME_MAX);
}

static int f_module(struct pctx *c, struct span v)
{
	struct vm_config *vm = cur(c);
	unsigned k = vm->nr_modules;
	int rc;

	if (k == VALIDATE_MAX_GUEST_MODULES)
		return fail(c, -E2BIG, "more than %u modules", VALIDATE_MAX_GUEST_MODULES);
	rc = copy_name(c, v, "module name", true, store(c)->module_names[k],
		       VALIDATE_MODULE_NAME_MAX);
	if (rc)
		return rc;
	store(c)->modules[k] = store(c)->module_names[k];
	vm->nr_modules = k + 1;
	return 0;
}

static int f_proto(struct pctx *c, struct span v)
{
	if (span_is(v, "auto"))
		cur(c)->proto = BOOT_AUTO;
	else if (span_is(v, "multiboot"))
		cur(c)->proto = BOOT_MULTIBOOT1;
	else if (span_is(v, "multiboot2"))
		cur(c)->proto = BOOT_MULTIBOOT2;
	else if (span_is(v, "linux"))
		cur(c)->proto = BOOT_LINUX;
	else
		return fail(c, -EINVAL,
			    "unknown protocol " SPAN_FMT " (auto, multiboot, multiboot2, linux)",
			    SPAN_ARG(v));
	return 0;
}

static int f_policy(struct pctx *c, struct span v)
{
	if (span_is(v, "stop"))
		cur(c)->policy = VM_POLICY_STOP;
	else if (span_is(v, "restart"))
		cur(c)->policy = VM_POLICY_RESTART;
	else if (span_is(v, "rollback"))
		cur(c)->policy = VM_POLICY_ROLLBACK;
	else
		return fail(c, -EINVAL, "unknown policy " SPAN_FMT " (stop, restart, rollback)",
			    SPAN_ARG(v));
	return 0;
}

static int f_platform(struct pctx *c, struct span v)
{
	if (span_is(v, "pc"))
		cur(c)->platform = VM_PLATFORM_PC;
	else if (span_is(v, "minimal"))
		cur(c)->platform = VM_PLATFORM_MINIMAL;
	else
		return fail(c, -EINVAL, "unknown platform " SPAN_FMT " (pc, minimal)", SPAN_ARG(v));
	return 0;
}

static int f_restarts(struct pctx *c, struct span v)
{
	uint64_t n;
	int rc = get_num(c, v, false, "number", UINT32_MAX, &n);

	if (!rc)
		cur(c)->max_restarts = (unsigned)n;
	return rc;
}

/* NUMBER followed by us, ms or s: kept in microseconds (the validator checks the range). */
/* A time: a number then us, ms or s ("2000ms"), in microseconds. */
static int get_time(struct pctx *c, struct span v, uint64_t *us)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}};
	size_t digits = 0;
	uint64_t n;
	int rc;

	while (digits < v.n && v.p[digits] >= '0' && v.p[digits] <= '9')
		digits++;
	for (unsigned i = 0; i < ARRAY_SIZE(units); i++) {
		if (!span_is((struct span){v.p + digits, v.n - digits}, units[i].unit))
			continue;
		rc = get_num(c, (struct span){v.p, digits}, false, "time", UINT64_MAX / units[i].us,
			     &n);
		if (!rc)
			*us = n * units[i].us;
		return rc;
	}
	return fail(c, -EINVAL, "bad time " SPAN_FMT " (a number then us, ms or s: 2000ms)",
		    SPAN_ARG(v));
}

static int f_watchdog(struct pctx *c, struct span v)
{
	return get_time(c, v, &cur(c)->watchdog_us);
}

/* checkpoint=SIZE: memory reserved for the VM's checkpoints (vm/ckpt.h). */
static int f_checkpoint(struct pctx *c, struct span v)
{
	return get_num(c, v, true, "size", UINT64_MAX, &cur(c)->checkpoint_bytes);
}

static int f_checkpoint_period(struct pctx *c, struct span v)
{
	return get_time(c, v, &cur(c)->checkpoint_period_us);
}

static int f_flags(struct pctx *c, struct span v)
{
	for (;;) {
		size_t i = span_find(v, '+');
		struct span w = {v.p, i};

		if (span_is(w, "privileged"))
			cur(c)->flags |= VM_FLAG_PRIVILEGED;
		else if (span_is(w, "background"))
			cur(c)->flags |= VM_FLAG_BACKGROUND;
		else if (span_is(w, "console"))
			cur(c)->flags |= VM_FLAG_CONSOLE;
		else if (!w.n)
			return fail(c, -EINVAL, "empty flag");
		else
			return fail(c, -EINVAL,
				    "unknown flag " SPAN_FMT " (privileged, background, console)",
				    SPAN_ARG(w));
		if (i == v.n)
			return 0;
		v = (struct span){v.p + i + 1, v.n - i - 1};
	}
}

/* VM indices (the order of the vm= words) joined by '+': the VMs this one may ring. */
static int f_peers(struct pctx *c, struct span v)
{
	for (;;) {
		size_t i = span_find(v, '+');
		struct span w = {v.p, i};
		uint64_t n;
		int rc;

		if (!w.n)
			return fail(c, -EINVAL, "empty peer");
		rc = get_num(c, w, false, "peer", VM_MAX_PEERS - 1, &n);
		if (rc)
			return rc;
		cur(c)->peers |= PEER(n);
		if (i == v.n)
			return 0;
		v = (struct span){v.p + i + 1, v.n - i - 1};
	}
}

/* The rest of the spec, verbatim: commas and spaces belong to the guest. */
static int f_cmdline(struct pctx *c, struct span v)
{
	if (v.n >= VALIDATE_CMDLINE_MAX)
		return fail(c, -E2BIG, "cmdline of %zu characters, limit %u", v.n,
			    VALIDATE_CMDLINE_MAX - 1);
	memcpy(store(c)->cmdline, v.p, v.n);
	store(c)->cmdline[v.n] = '\0';
	return 0;
}

struct field {
	const char *key;
	int (*parse)(struct pctx *c, struct span v);
	bool repeat;   /* may be given more than once */
	bool empty_ok; /* an empty value means something */
};

static const struct field fields[] = {
    {"cpus", f_cpus, false, false},
    {"ram", f_ram, true, false},
    {"demand", f_demand, true, false},
    {"demand4k", f_demand4k, true, false},
    {"image", f_image, false, false},
    {"proto", f_proto, false, false},
    {"rom", f_rom, true, false},
    {"mmio", f_mmio, true, false},
    {"pass", f_pass, true, false},
    {"shm", f_shm, true, false},
    {"module", f_module, true, false},
    {"policy", f_policy, false, false},
    {"platform", f_platform, false, false},
    {"restarts", f_restarts, false, false},
    {"watchdog", f_watchdog, false, false},
    {"flags", f_flags, false, false},
    {"peers", f_peers, false, false},
    {"cmdline", f_cmdline, false, true},
    {"checkpoint", f_checkpoint, false, false},
    {"checkpoint-period", f_checkpoint_period, false, false},
};
static_assert(ARRAY_SIZE(fields) <= 32, "one bit of pctx.seen per field");

static int parse_field(struct pctx *c, struct span f)
{
	size_t eq = span_find(f, '=');
	struct span key = {f.p, eq}, val;

	c->field = f;
	if (!f.n)
		return fail(c, -EINVAL, "empty field");
	if (!is_cmdline(f) && span_find(f, ' ') < f.n)
		return fail(c, -EINVAL,
			    "space outside cmdline= (hypervisor options go before the "
			    "first vm=)");
	if (eq == f.n)
		return fail(c, -EINVAL, "no '=' (fields are key=value)");
	val = (struct span){f.p + eq + 1, f.n - eq - 1};
	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++) {
		if (!span_is(key, fields[i].key))
			continue;
		if (!val.n && !fields[i].empty_ok)
			return fail(c, -EINVAL, "empty value");
		if (!fields[i].repeat && (c->seen & BIT(i)))
			return fail(c, -EINVAL, "\"%s\" given twice", fields[i].key);
		c->seen |= (uint32_t)BIT(i);
		return fields[i].parse(c, val);
	}
	return fail(c, -EINVAL, "unknown field " SPAN_FMT, SPAN_ARG(key));
}

/* The field starting at @s: up to the next comma, or all of @s for cmdline=. */
static struct span next_field(struct span s)
{
	if (is_cmdline(s))
		return s;
	return (struct span){s.p, span_find(s, ',')};
}

static void vm_defaults(struct pctx *c)
{
	struct vm_config *vm = cur(c);
	struct cmdvm_vm *v = store(c);

	vm->name = v->name;
	vm->cpu = c->vi; /* one VM per CPU, in order, unless cpus= says otherwise */
	vm->regions = v->regions;
	vm->modules = v->modules;
	vm->proto = BOOT_AUTO;
	vm->platform = VM_PLATFORM_PC; /* what a stock kernel expects */
	vm->policy = VM_POLICY_STOP;
	vm->cmdline = v->cmdline;
}

/* "NAME,field=value,..." */
static int parse_vm(struct pctx *c, struct span spec)
{
	size_t comma = span_find(spec, ',');
	struct span rest = {spec.p + comma, spec.n - comma};
	int rc;

	c->named = false;
	c->field = NO_SPAN;
	c->seen = 0;
	vm_defaults(c);
	rc = copy_name(c, (struct span){spec.p, comma}, "name", false, store(c)->name,
		       VALIDATE_NAME_MAX);
	if (rc)
		return rc;
	c->named = true;
	while (rest.n) { /* rest starts at a comma */
		struct span f = next_field(SPAN_REST(rest));

		rc = parse_field(c, f);
		if (rc)
			return rc;
		rest = (struct span){f.p + f.n, (size_t)(rest.p + rest.n - (f.p + f.n))};
	}
	c->field = NO_SPAN;
	if (!cur(c)->image)
		return fail(c, -EINVAL, "no image= field (the guest kernel's module)");
	return 0;
}

/* ---- the command line ---- */

static const char *next_vm_word(const char *line, const char *from)
{
	for (const char *p = from; *p; p++)
		if ((p == line || p[-1] == ' ') && !strncmp(p, VM_WORD, strlen(VM_WORD)))
			return p;
	return NULL;
}

size_t cmdvm_options_len(const char *hv_cmdline)
{
	const char *p = next_vm_word(hv_cmdline, hv_cmdline);

	return p ? (size_t)(p - hv_cmdline) : strlen(hv_cmdline);
}

int cmdvm_parse(const char *hv_cmdline, struct cmdvm_store *st, char *err, size_t errlen)
{
	struct pctx c = {.st = st, .err = err, .errlen = errlen};
	const char *p = next_vm_word(hv_cmdline, hv_cmdline);

	memset(st, 0, sizeof(*st));
	st->cfg.name = CMDVM_CONFIG_NAME;
	st->cfg.vms = st->vms;
	if (errlen)
		err[0] = '\0';
	for (unsigned vi = 0; p; vi++) {
		const char *start = p + strlen(VM_WORD), *next = next_vm_word(hv_cmdline, start);
		const char *end = next ? next : start + strlen(start);
		int rc;

		while (end > start && end[-1] == ' ')
			end--;
		c.vi = vi;
		c.named = false;
		c.field = NO_SPAN;
		rc = vi < VALIDATE_MAX_RUN_VMS
			 ? parse_vm(&c, (struct span){start, (size_t)(end - start)})
			 : fail(&c, -E2BIG, "more than %u VMs on the command line",
				VALIDATE_MAX_RUN_VMS);
		if (rc) {
			st->cfg.nr_vms = 0;
			return rc;
		}
		st->cfg.nr_vms = vi + 1;
		p = next;
	}
	return (int)st->cfg.nr_vms;
}

const struct hv_config *cmdvm_config(struct cmdvm_store *st)
{
	return st->cfg.nr_vms ? &st->cfg : NULL;
}
