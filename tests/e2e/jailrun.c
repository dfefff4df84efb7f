/* jailrun -- starts a jail helper as the monitor does (jail_spawn(), the
 * monitor's own code) for the VM of a configuration, with a kernel that
 * does not exist and /dev/null as its console, prints each line the
 * helper reports and then how the helper ended: the test core_jail makes
 * each step fail with it. Needs root; the jail is the VM's, its mounts
 * stay in the helper's own namespace. Run by another user, it shows what
 * that user can do with a helper. Given a KERNEL (a path in the jail),
 * the helper runs that program instead, with jailrun's standard output as
 * its 1 and 2 (jail_seccomp runs a probe so).
 * Usage: jailrun CONFIG VM HELPER [STEP-TO-FAIL|-] [KERNEL] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "host/jail.h"
#include "host/uidalloc.h"

int main(int argc, char **argv)
{
	char *kargv[] = {"/nonexistent-kernel", NULL}, *kenv[] = {"PATH=/", NULL};
	struct config *cfg;
	struct vm_conf *vm;
	struct jail_exec x;
	struct jail j;
	struct err e;
	int status[2], src[3], st;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: jailrun CONFIG VM HELPER [STEP-TO-FAIL|-] "
			"[KERNEL]\n");
		return 2;
	}
	cfg = config_load(argv[1], &e);
	/* as another user than root: the jail as root left it */
	if (!cfg || !(vm = config_vm(cfg, argv[2])) ||
	    uidalloc_resolve(cfg, geteuid() == 0 ? vm->name : NULL, &e) < 0 ||
	    jail_init(&j, cfg, vm, &e) < 0 ||
	    (geteuid() == 0 && jail_layout(&j, &e) < 0)) {
		fprintf(stderr, "jailrun: %s\n", cfg ? e.msg : "no configuration");
		return 1;
	}
	if (pipe2(status, O_CLOEXEC) < 0)
		return 1;
	for (int i = 0; i < 3; i++)
		src[i] = i && argc == 6 ? fcntl(1, F_DUPFD_CLOEXEC, 3) :
			 open("/dev/null", O_RDWR | O_CLOEXEC);
	if (argc == 6)
		kargv[0] = argv[5];
	memset(&x, 0, sizeof(x));
	x.hostname = vm->name;
	x.limits = &vm->limits;
	x.seccomp = vm->seccomp;
	x.argv = kargv;
	x.envp = kenv;
	x.nfds = 3;
	x.src = src;
	x.status_fd = status[1];
	sigemptyset(&x.sigmask);
	x.helper = argv[3];
	x.fail_step = argc >= 5 && strcmp(argv[4], "-") ? argv[4] : NULL;
	pid = jail_spawn(&j, &x, &e);
	close(status[1]);
	if (pid < 0) {
		fprintf(stderr, "jailrun: %s\n", e.msg);
		return 1;
	}
	while ((n = read(status[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(st))
		printf("helper exit %d\n", WEXITSTATUS(st));
	else
		printf("helper signal %d\n", WTERMSIG(st));
	jail_free(&j);
	config_free(cfg);
	return 0;
}
