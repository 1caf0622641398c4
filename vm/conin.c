/*
 * Console input: one owner VM, a Ctrl-A command prefix, bytes handed to the owner's sink
 * only while it has room. The owner's vCPU is the only reader of the host port, so a
 * switch takes effect at the next byte: the old owner sees it is no longer the owner and
 * stops reading. Called by vmx/ (polls), devices/ (sinks) and hv/ (start, stops).
 */
#include "vm/conin.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/spinlock.h"

unsigned conin_owner_id;

static struct {
	spinlock_t lock;
	int (*getc)(void);
	bool escape; /* Ctrl-A seen: the next byte is a command */
} ci = {SPINLOCK_INIT, NULL, false};

void conin_set_sink(struct vm *vm, const struct conin_sink *sink)
{
	vm->conin = *sink;
}

static bool can_take(const struct vm *vm)
{
	return vm && vm->conin.put && vm->state != VM_STOPPED;
}

static void set_owner(struct vm *vm)
{
	__atomic_store_n(&conin_owner_id, vm ? vm->id + 1 : 0, __ATOMIC_RELAXED);
	if (vm)
		pr_info("console: input goes to vm \"%s\" (Ctrl-A n: next VM, Ctrl-A ?: list)\n",
			vm->cfg->name);
	else
		pr_info("console: no VM takes input now\n");
}

/* Index in the VM table of the owner, or -1. */
static int owner_index(void)
{
	unsigned id = __atomic_load_n(&conin_owner_id, __ATOMIC_RELAXED);

	for (unsigned i = 0; id && i < vm_count(); i++)
		if (vm_at(i)->id + 1 == id)
			return (int)i;
	return -1;
}

/* The next VM after the owner (table order, wrapping) that can take input, or NULL. */
static struct vm *next_taker(void)
{
	unsigned n = vm_count();
	int from = owner_index();

	for (unsigned k = 1; k <= n; k++) {
		unsigned i = (unsigned)(from + (int)k) % n;
		if ((int)i != from && can_take(vm_at(i)))
			return vm_at(i);
	}
	return NULL;
}

void conin_init(int (*getc)(void))
{
	struct vm *first = NULL;

	ci.getc = getc;
	ci.escape = false;
	__atomic_store_n(&conin_owner_id, 0, __ATOMIC_RELAXED);
	if (!getc)
		return;
	for (unsigned i = 0; i < vm_count() && !first; i++)
		if ((vm_at(i)->cfg->flags & VM_FLAG_CONSOLE) && can_take(vm_at(i)))
			first = vm_at(i);
	for (unsigned i = 0; i < vm_count() && !first; i++)
		if (can_take(vm_at(i)))
			first = vm_at(i);
	if (first)
		set_owner(first);
}

int conin_give(unsigned i)
{
	if (i >= vm_count() || !can_take(vm_at(i)))
		return -ENODEV;
	set_owner(vm_at(i));
	return 0;
}

static void list_vms(void)
{
	int own = owner_index();

	for (unsigned i = 0; i < vm_count(); i++) {
		const struct vm *vm = vm_at(i);
		const char *note = "";
		if (!vm->conin.put)
			note = " (no console input)";
		else if (vm->state == VM_STOPPED)
			note = " (stopped)";
		pr_info("console: %c %u vm \"%s\"%s\n", (int)i == own ? '*' : ' ', i, vm->cfg->name,
			note);
	}
	pr_info("console: Ctrl-A n next VM, Ctrl-A 0-9 that VM, Ctrl-A Ctrl-A sends Ctrl-A\n");
}

/* A byte after Ctrl-A. False when the input moved away from @vm. */
static bool command(struct vm *vm, uint8_t c)
{
	struct vm *to;

	switch (c) {
	case 'n':
		to = next_taker();
		if (to)
			set_owner(to);
		else
			pr_info("console: no other VM takes input\n");
		break;
	case '?':
	case 'h':
		list_vms();
		break;
	default:
		if (c >= '0' && c <= '9' && conin_give((unsigned)(c - '0')))
			pr_info("console: no VM %c takes input\n", c);
		break;
	}
	return conin_mine(vm);
}

unsigned conin_poll(struct vm *vm)
{
	unsigned delivered = 0;

	if (!conin_mine(vm) || !ci.getc)
		return 0;
	spin_lock(&ci.lock);
	while (conin_mine(vm) && vm->conin.room(vm->conin.ctx)) {
		int c = ci.getc();
		if (c < 0)
			break;
		if (ci.escape) {
			ci.escape = false;
			if (c != CONIN_ESCAPE) {
				if (!command(vm, (uint8_t)c))
					break;
				continue;
			}
		} else if (c == CONIN_ESCAPE) {
			ci.escape = true;
			continue;
		}
		if (vm->conin.put(vm->conin.ctx, (uint8_t)c))
			delivered++;
	}
	spin_unlock(&ci.lock);
	return delivered;
}

void conin_vm_stopped(struct vm *vm)
{
	if (!conin_mine(vm))
		return;
	spin_lock(&ci.lock);
	if (conin_mine(vm))
		set_owner(next_taker());
	spin_unlock(&ci.lock);
}
