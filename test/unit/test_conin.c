/*
 * Unit tests for console input (vm/conin.c): who gets the input at start, bytes into the
 * owner's sink only while it has room, the Ctrl-A commands (next, by index, list, literal,
 * unknown), a switch that stops the old owner's reading, and the hand-over when the owner
 * stops. Three VMs are registered once (the VM table has no removal): "a" has no sink,
 * "b" and "c" have one; each test resets their state.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "test/unit/vm_fixture.h"
#include "vm/conin.h"

#define NVM 3

static struct vm vms[NVM];
static struct vm_config cfgs[NVM];
static const char *names[NVM] = {"a", "b", "c"};

/* A sink: what it got, and how much room it says it has. */
struct sink {
	char got[64];
	unsigned len, room;
};
static struct sink sinks[NVM];

static bool sink_put(void *ctx, uint8_t b)
{
	struct sink *s = ctx;

	if (!s->room)
		return false;
	s->got[s->len++] = (char)b;
	s->room--;
	return true;
}

static unsigned sink_room(void *ctx)
{
	return ((struct sink *)ctx)->room;
}

/* The host port: a queue of bytes, and how many were read. */
static const char *host;
static unsigned host_pos, host_len, host_reads;

static int host_getc(void)
{
	host_reads++;
	return host_pos < host_len ? (unsigned char)host[host_pos++] : -1;
}

static void type(const char *s, unsigned n)
{
	host = s;
	host_len = n;
	host_pos = 0;
	host_reads = 0;
}

static int group_setup(void **state)
{
	for (unsigned i = 0; i < NVM; i++) {
		fx_setup(&vms[i], &cfgs[i], i);
		cfgs[i].name = names[i];
		vm_register(&vms[i]);
	}
	return 0;
}

/* Fresh state: VMs running, sinks empty with room 32, flags as given, input started. */
static void start(uint32_t flags_b, uint32_t flags_c)
{
	fx_out_len = 0;
	fx_out[0] = '\0';
	cfgs[1].flags = flags_b;
	cfgs[2].flags = flags_c;
	for (unsigned i = 0; i < NVM; i++) {
		vms[i].state = VM_RUNNING;
		memset(&sinks[i], 0, sizeof(sinks[i]));
		sinks[i].room = 32;
		vms[i].conin = (struct conin_sink){0};
		if (i)
			conin_set_sink(&vms[i],
				       &(struct conin_sink){sink_put, sink_room, &sinks[i]});
	}
	type("", 0);
	conin_init(host_getc);
}

static void test_first_vm_with_a_sink(void **state)
{
	start(0, 0);
	assert_true(conin_mine(&vms[1]));
	assert_false(conin_mine(&vms[0]));
	assert_false(conin_mine(&vms[2]));
	assert_non_null(strstr(fx_out, "console: input goes to vm \"b\""));
}

static void test_console_flag_wins(void **state)
{
	start(0, VM_FLAG_CONSOLE);
	assert_true(conin_mine(&vms[2]));
	assert_false(conin_mine(&vms[1]));
}

static void test_no_reader_no_owner(void **state)
{
	start(0, 0);
	conin_init(NULL);
	assert_false(conin_mine(&vms[1]));
	assert_int_equal(conin_owner_id, 0);
	type("x", 1);
	assert_int_equal(conin_poll(&vms[1]), 0);
	assert_int_equal(host_reads, 0);
}

static void test_bytes_to_owner_only(void **state)
{
	start(0, 0);
	type("ls\r", 3);
	assert_int_equal(conin_poll(&vms[2]), 0); /* not the owner: does not read */
	assert_int_equal(host_reads, 0);
	assert_int_equal(conin_poll(&vms[1]), 3);
	assert_int_equal(sinks[1].len, 3);
	assert_memory_equal(sinks[1].got, "ls\r", 3);
	assert_int_equal(sinks[2].len, 0);
}

static void test_room_paces_reading(void **state)
{
	start(0, 0);
	sinks[1].room = 2;
	type("abcde", 5);
	assert_int_equal(conin_poll(&vms[1]), 2);
	assert_int_equal(host_reads, 2); /* the rest waits in the host UART */
	sinks[1].room = 8;
	assert_int_equal(conin_poll(&vms[1]), 3);
	assert_memory_equal(sinks[1].got, "abcde", 5);
}

static void test_ctrl_a_n_switches_and_stops_old_reader(void **state)
{
	static const char in[] = {'x', CONIN_ESCAPE, 'n', 'y', 'z'};

	start(0, 0);
	type(in, sizeof(in));
	assert_int_equal(conin_poll(&vms[1]), 1); /* 'x', then the switch: b stops reading */
	assert_int_equal(host_pos, 3);
	assert_true(conin_mine(&vms[2]));
	assert_non_null(strstr(fx_out, "console: input goes to vm \"c\""));
	assert_int_equal(conin_poll(&vms[1]), 0);
	assert_int_equal(conin_poll(&vms[2]), 2);
	assert_memory_equal(sinks[2].got, "yz", 2);
	assert_int_equal(sinks[1].len, 1);
}

static void test_ctrl_a_n_wraps_past_vm_without_sink(void **state)
{
	static const char in[] = {CONIN_ESCAPE, 'n'};

	start(0, VM_FLAG_CONSOLE);
	type(in, sizeof(in));
	conin_poll(&vms[2]);
	assert_true(conin_mine(&vms[1])); /* c -> (a has no sink) -> b */
}

static void test_ctrl_a_digit(void **state)
{
	static const char in[] = {CONIN_ESCAPE, '0', 'p',	   CONIN_ESCAPE,
				  '7',		'q', CONIN_ESCAPE, '2'};

	start(0, 0);
	type(in, sizeof(in));
	conin_poll(&vms[1]);
	/* VM 0 has no sink, VM 7 does not exist: both refused, the input stays with b */
	assert_non_null(strstr(fx_out, "console: no VM 0 takes input"));
	assert_non_null(strstr(fx_out, "console: no VM 7 takes input"));
	assert_true(conin_mine(&vms[2]));
	assert_memory_equal(sinks[1].got, "pq", 2);
	assert_int_equal(sinks[1].len, 2);
}

static void test_ctrl_a_ctrl_a_is_literal_and_unknown_dropped(void **state)
{
	static const char in[] = {CONIN_ESCAPE, CONIN_ESCAPE, CONIN_ESCAPE, 'x', 'y'};

	start(0, 0);
	type(in, sizeof(in));
	assert_int_equal(conin_poll(&vms[1]), 2);
	assert_int_equal(sinks[1].got[0], CONIN_ESCAPE);
	assert_int_equal(sinks[1].got[1], 'y');
}

static void test_escape_spans_polls(void **state)
{
	static const char a[] = {'k', CONIN_ESCAPE};
	static const char b[] = {'n'};

	start(0, 0);
	type(a, sizeof(a));
	conin_poll(&vms[1]);
	type(b, sizeof(b));
	conin_poll(&vms[1]);
	assert_true(conin_mine(&vms[2]));
	assert_int_equal(sinks[1].len, 1);
}

static void test_list(void **state)
{
	static const char in[] = {CONIN_ESCAPE, '?'};

	start(0, 0);
	vms[2].state = VM_STOPPED;
	type(in, sizeof(in));
	conin_poll(&vms[1]);
	assert_non_null(strstr(fx_out, "console:   0 vm \"a\" (no console input)"));
	assert_non_null(strstr(fx_out, "console: * 1 vm \"b\"\n"));
	assert_non_null(strstr(fx_out, "console:   2 vm \"c\" (stopped)"));
}

static void test_owner_stops_hand_over(void **state)
{
	start(0, 0);
	vms[1].state = VM_STOPPED;
	conin_vm_stopped(&vms[1]);
	assert_true(conin_mine(&vms[2]));
	vms[2].state = VM_STOPPED;
	conin_vm_stopped(&vms[2]);
	assert_int_equal(conin_owner_id, 0);
	assert_non_null(strstr(fx_out, "console: no VM takes input now"));
}

static void test_non_owner_stopping_changes_nothing(void **state)
{
	start(0, 0);
	vms[2].state = VM_STOPPED;
	conin_vm_stopped(&vms[2]);
	assert_true(conin_mine(&vms[1]));
}

static void test_stopped_vm_not_chosen_at_start(void **state)
{
	start(0, VM_FLAG_CONSOLE);
	vms[2].state = VM_STOPPED;
	conin_init(host_getc);
	assert_true(conin_mine(&vms[1]));
	assert_int_equal(conin_give(2), -ENODEV);
	assert_int_equal(conin_give(0), -ENODEV);
	assert_int_equal(conin_give(9), -ENODEV);
	assert_int_equal(conin_give(1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_vm_with_a_sink),
	    cmocka_unit_test(test_console_flag_wins),
	    cmocka_unit_test(test_no_reader_no_owner),
	    cmocka_unit_test(test_bytes_to_owner_only),
	    cmocka_unit_test(test_room_paces_reading),
	    cmocka_unit_test(test_ctrl_a_n_switches_and_stops_old_reader),
	    cmocka_unit_test(test_ctrl_a_n_wraps_past_vm_without_sink),
	    cmocka_unit_test(test_ctrl_a_digit),
	    cmocka_unit_test(test_ctrl_a_ctrl_a_is_literal_and_unknown_dropped),
	    cmocka_unit_test(test_escape_spans_polls),
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_owner_stops_hand_over),
	    cmocka_unit_test(test_non_owner_stopping_changes_nothing),
	    cmocka_unit_test(test_stopped_vm_not_chosen_at_start),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
