/* Unit tests of the kernel command line built from a VM's config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/kargs.h"
#include "umlmon/cmdline.h"

static void build(void **state)
{
	struct vm_conf vm;
	struct cmdline cl;
	struct err e;

	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.name = "vm1";
	vm.kernel = "/shared/kernels/linux";
	vm.memory = 128ULL << 20;
	vm.ndisks = 2;
	vm.disks[0] = (struct disk_conf){.index = 0, .path = "/disks/root.dsk"};
	vm.disks[1] = (struct disk_conf){.index = 1, .flags = "r",
					 .path = "/disks/a.cow",
					 .backing = "/shared/disks/base.dsk"};
	vm.nchans = 4;
	vm.chans[0] = (struct chan_conf){.name = "con0", .mode = CHAN_LOG};
	vm.chans[1] = (struct chan_conf){.name = "con1", .mode = CHAN_PTY};
	vm.chans[2] = (struct chan_conf){.name = "con2", .mode = CHAN_NULL};
	vm.chans[3] = (struct chan_conf){.name = "ssl0", .mode = CHAN_PTY};
	vm.args = "quiet \"init=/bin/sh -x\"";
	assert_int_equal(cmdline_build(&vm, NULL, &cl, &e), 0);
	assert_string_equal(cl.text,
		"/shared/kernels/linux mem=128M ubd0=/disks/root.dsk "
		"ubd1r=/disks/a.cow,/shared/disks/base.dsk umid=vm1 umlmon.name=vm1 "
		"uml_dir=/tmp "
		"mconsole=notify:/tmp/umlmon.notify con=null ssl=null "
		"con0=fd:0,fd:1 con1=fd:3,fd:3 con2=null ssl0=fd:4,fd:4 quiet "
		"init=/bin/sh -x");
	assert_string_equal(cl.argv[cl.argc - 1], "init=/bin/sh -x");
	assert_null(cl.argv[cl.argc]);
	assert_int_equal(cl.con0_chan, 0);
	assert_int_equal(cl.nfds, 2);
	assert_int_equal(cl.fds[0].chan, 1);
	assert_int_equal(cl.fds[0].fd, 3);
	assert_int_equal(cl.fds[1].chan, 3);
	assert_int_equal(cl.fds[1].fd, 4);
	cmdline_free(&cl);

	/* the boot cuts, before the operator's args (a module parameter
	 * given there wins) */
	vm.fastboot = 1;
	assert_int_equal(cmdline_build(&vm, NULL, &cl, &e), 0);
	assert_non_null(strstr(cl.text, " ssl0=fd:4,fd:4 "
			       "initcall_blacklist=raid6_select_algo "
			       "initcall_blacklist=init_zswap pty.legacy_count=0 "
			       "quiet init=/bin/sh -x"));
	cmdline_free(&cl);
	vm.fastboot = 0;

	vm.args = "ubd3=/etc/shadow";
	assert_int_equal(cmdline_build(&vm, NULL, &cl, &e), -1);
	assert_non_null(strstr(e.msg, "'ubd3=/etc/shadow' is set by the monitor"));
	vm.args = "\"unbalanced";
	assert_int_equal(cmdline_build(&vm, NULL, &cl, &e), -1);
	assert_non_null(strstr(e.msg, "unbalanced"));
}

static void reserved(void **state)
{
	(void)state;
	assert_non_null(kargs_reserved("mem=1G"));
	assert_non_null(kargs_reserved("con1=pts"));
	assert_non_null(kargs_reserved("ssl=pty"));
	assert_non_null(kargs_reserved("ubd0r=/x"));
	assert_non_null(kargs_reserved("uml_dir=/"));
	assert_non_null(kargs_reserved("umlmon.name=x"));
	assert_null(kargs_reserved("console=tty0"));
	assert_null(kargs_reserved("quiet"));
	assert_null(kargs_reserved("eth0=tuntap,tap0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build),
		cmocka_unit_test(reserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
