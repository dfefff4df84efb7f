/* Unit tests of what -info shows: the fields of a um_info in their order,
 * only those that apply, and their text exactly as scripts read it
 * ("kernel pid" and "state" are read by the end-to-end tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "client/vminfo.h"

static char *text(const um_info *r)
{
	struct vminfo v;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	vminfo_fields(r, &v);
	vminfo_print_text(f, &v);
	vminfo_free(&v);
	fclose(f);
	return out;
}

static void running(void **state)
{
	um_disk disks[] = {
		{"ubd0", "", "/disks/root.cow", "/shared/disks/base.dsk"},
		{"ubd1", "r", "/shared/disks/data.dsk", ""},
	};
	um_nic nics[] = {{"eth0", "host_to_host", "tap vm1-0, 10.0.0.1", "vec0",
			  "52:54:00:00:00:01"}};
	um_chan chans[] = {
		{"con0", UM_CHAN_LOG, "/var/lib/umlmon/vm1/log/con0", 1234, 0, 1},
		{"con1", UM_CHAN_PTY, "", 5, 1, 1},
		{"ssl0", UM_CHAN_NULL, "", 0, 0, 0},
	};
	um_info r = {
		.name = "vm1", .state = UM_RUNNING, .monitor_pid = 100,
		.watcher_pid = 101, .kernel_pid = 102, .started = 0,
		.uptime_ms = 3723000, .vmuser = "nobody",
		.kernel = "/shared/kernels/linux", .memory = 64 << 20,
		.vardir = "/var/lib/umlmon", .jail = "/var/lib/umlmon/vm1/jail",
		.cmdline = "mem=64M con0=fd:0,fd:1", .stop_timeout = 30,
		.disks = {2, disks}, .nics = {1, nics}, .chans = {3, chans},
		.last_exit = {1, 0, 0, 1, 60, "halted by a client"},
		.boot = 2, .ready_ms = 1250, .pending = "memory",
		.cgroup = {"/sys/fs/cgroup/memory/umlmon/vm1", "v1", 1, 100 << 20,
			   50 << 20, 60 << 20, 0, 9, ~0ULL, 2},
		.reattached = 3700, .reattach_how = "monitor restart, pid 99",
	};
	char *t;

	(void)state;
	r.started = 3600; /* 01:00:00 */
	t = text(&r);
	assert_string_equal(t,
		"name          vm1\n"
		"state         running\n"
		"boot          2 since the monitor started\n"
		"guest up      1.2 s after the start\n"
		"kernel pid    102\n"
		"watcher pid   101\n"
		"monitor pid   100\n"
		"started       1970-01-01 01:00:00 (up 1:02:03)\n"
		"re-attached   1970-01-01 01:01:40 (monitor restart, pid 99)\n"
		"pending       at the next boot: memory\n"
		"vmuser        nobody\n"
		"kernel        /shared/kernels/linux\n"
		"memory        64M\n"
		"stop timeout  30 s\n"
		"vardir        /var/lib/umlmon\n"
		"jail          /var/lib/umlmon/vm1/jail\n"
		"ubd0          /disks/root.cow over /shared/disks/base.dsk\n"
		"ubd1r         /shared/disks/data.dsk\n"
		"eth0          host_to_host: tap vm1-0, 10.0.0.1; in the guest vec0, mac "
		"52:54:00:00:00:01\n"
		"con0          log  open   1234 bytes of output, 0 readers, log "
		"/var/lib/umlmon/vm1/log/con0\n"
		"con1          pty  open   5 bytes of output, 1 reader\n"
		"ssl0          null\n"
		"cmdline       mem=64M con0=fd:0,fd:1\n"
		"cgroup        /sys/fs/cgroup/memory/umlmon/vm1 (v1)\n"
		"cgroup memory limit 104857600 bytes, current 52428800, peak 62914560, "
		"oom kills 0\n"
		"cgroup pids   current 9, max max, limit hits 2\n"
		"last exit     halted by a client at 1970-01-01 00:01:00\n");
	free(t);
}

/* A VM that never ran: no boot, pids, start or exit. */
static void stopped(void **state)
{
	um_info r = {
		.name = "vm2", .state = UM_STOPPED, .monitor_pid = 7, .vmuser = "nobody",
		.kernel = "/k", .memory = 1 << 30, .vardir = "/v", .jail = "/v/vm2/jail",
		.cmdline = "", .stop_timeout = 5, .pending = "",
	};
	char *t;

	(void)state;
	t = text(&r);
	assert_string_equal(t,
		"name          vm2\n"
		"state         stopped\n"
		"monitor pid   7\n"
		"vmuser        nobody\n"
		"kernel        /k\n"
		"memory        1G\n"
		"stop timeout  5 s\n"
		"vardir        /v\n"
		"jail          /v/vm2/jail\n"
		"cmdline       \n");
	free(t);
	/* starting: the guest is not up yet */
	r.state = UM_STARTING;
	t = text(&r);
	assert_non_null(strstr(t, "\nguest up      not yet (no ready notice nor login "
			       "prompt on con1)\n"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(running),
		cmocka_unit_test(stopped),
	};

	/* the times in the text are local */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
