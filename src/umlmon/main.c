/* umlmon -- the monitor daemon of one UML virtual machine. See umlmon(8). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/names.h"
#include "common/paths.h"
#include "umlmon/monitor.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "serve/daemon.h"

/* How long -upgrade waits for the new image to answer. */
#define UPGRADE_WAIT_MS 30000

static void usage(FILE *f)
{
	fprintf(f, "usage: umlmon [-fg] [-c CONFIG] [-d] VM\n"
		"       umlmon -reload [-c CONFIG] VM\n"
		"       umlmon -upgrade [-c CONFIG] VM\n"
		"Runs the monitor of VM: prepares its jail, serves the control\n"
		"socket VARDIR/VM/ctrl; the VM boots on 'umlwatch VM -start' (or at\n"
		"once with start = boot in the configuration).\n\n"
		"  -fg, --foreground  stay in the foreground, log to stderr too\n"
		"  -c, --config FILE  configuration (default $UMLMON_CONFIG or %s)\n"
		"  -d, --debug        debug messages\n"
		"  -reload            have the running monitor of VM read the\n"
		"                     configuration again (as SIGHUP does) and say\n"
		"                     what changes at the VM's next boot\n"
		"  -upgrade           have the running monitor of VM execute its\n"
		"                     program again in place (as SIGUSR2 does); it\n"
		"                     re-attaches to the running VM\n"
		"  -version           print the version\n"
		"  -h, --help         this text\n", UMLMON_DEFAULT_CONFIG);
}

/* umlmon -reload: asks the running monitor, and prints its answer. */
static int reload(const struct config *cfg, const char *name)
{
	char *sock = vm_ctrl_path(cfg->global.vardir, name);
	struct rpc_client *c;
	um_result r;
	struct err e;
	int rc = 1;

	c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
	if (!c && errno == EACCES) {
		fprintf(stderr, "umlmon: %s: %s: only root reloads a monitor's "
			"configuration\n", name, sock);
		free(sock);
		return 1;
	}
	if (!c) {
		fprintf(stderr, "umlmon: %s: no monitor to reload (%s)\n", name, e.msg);
		free(sock);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	if (rpc_client_call(c, UM_RELOAD, (xdrproc_t)xdr_rpc_void, NULL,
			    (xdrproc_t)xdr_um_result, &r, 10000, &e) < 0) {
		fprintf(stderr, "umlmon: %s: %s\n", name, e.msg);
	} else {
		fprintf(r.status == UM_OK ? stdout : stderr, "%s%s\n",
			r.status == UM_OK ? "" : "umlmon: ", r.message);
		rc = r.status == UM_OK ? 0 : 1;
		xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	}
	rpc_client_free(c);
	free(sock);
	return rc;
}

/* The monitor's pid from its pid file, if that process runs. */
static pid_t monitor_pid(const struct config *cfg, const char *name)
{
	char *path = vm_pid_path(cfg->global.rundir, name), *s;
	long pid = 0;

	s = read_file(path, 64, NULL);
	if (s && parse_long(strtok(s, "\n"), 2, 1 << 30, &pid) < 0)
		pid = 0;
	if (pid > 0 && kill((pid_t)pid, 0) < 0)
		pid = 0;
	free(s);
	free(path);
	return (pid_t)pid;
}

/* UM_INFO of the monitor of name; -1 if it does not answer. */
static int get_info(const char *sock, um_info *r)
{
	struct rpc_client *c;
	struct err e;
	int rc;

	c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
	if (!c)
		return -1;
	memset(r, 0, sizeof(*r));
	rc = rpc_client_call(c, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
			     (xdrproc_t)xdr_um_info, r, 2000, &e);
	rpc_client_free(c);
	return rc;
}

/* umlmon -upgrade: SIGUSR2 to the running monitor, then until its new
 * image answers (it re-attached, or there was no VM to attach to). */
static int upgrade(const struct config *cfg, const char *name)
{
	char *sock = vm_ctrl_path(cfg->global.vardir, name);
	pid_t pid = monitor_pid(cfg, name);
	struct timespec ts;
	int64_t asked;
	um_info r;
	int rc = 1;

	if (!pid) {
		fprintf(stderr, "umlmon: %s: no monitor to upgrade\n", name);
		free(sock);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	asked = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (kill(pid, SIGUSR2) < 0) {
		fprintf(stderr, "umlmon: %s: monitor pid %d: %s\n", name, (int)pid,
			strerror(errno));
		free(sock);
		return 1;
	}
	/* the control socket goes away and comes back with the new image */
	for (int i = 0; i < UPGRADE_WAIT_MS / 100 && rc; i++) {
		if (get_info(sock, &r) == 0) {
			if (r.image_started_ms >= asked) {
				if (r.reattached)
					printf("%s: upgraded: monitor pid %d executed again, "
					       "re-attached to kernel pid %d\n", name,
					       r.monitor_pid, r.kernel_pid);
				else
					printf("%s: upgraded: monitor pid %d executed again "
					       "(state %s)\n", name, r.monitor_pid,
					       vm_state_name(r.state));
				rc = 0;
			}
			xdr_free((xdrproc_t)xdr_um_info, (char *)&r);
		}
		if (rc)
			usleep(100000);
	}
	if (rc)
		fprintf(stderr, "umlmon: %s: the monitor (pid %d) did not execute "
			"itself again within %d s (its log says why)\n", name,
			(int)pid, UPGRADE_WAIT_MS / 1000);
	free(sock);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"fg", no_argument, NULL, 'f'},
		{"foreground", no_argument, NULL, 'f'},
		{"config", required_argument, NULL, 'c'},
		{"debug", no_argument, NULL, 'd'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{"reload", no_argument, NULL, 'R'},
		{"upgrade", no_argument, NULL, 'U'},
		{"upgraded", no_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	const char *cfgpath = NULL;
	int fg = 0, debug = 0, opt, bad = 0, report_fd = -1, pidfd, do_reload = 0;
	int do_upgrade = 0, upgraded = 0;
	char self[PATH_MAX];
	ssize_t n;
	struct config *cfg;
	struct vm_conf *vm;
	struct monitor *m;
	char *pidpath, *logpath, name[VM_NAME_MAX + 1];
	struct err e;

	daemon_close_inherited();
	log_init("umlmon", LOG_LVL_INFO);
	/* the path, not the file: an upgrade executes what is there then */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	while ((opt = getopt_long_only(argc, argv, "c:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': fg = 1; break;
		case 'c': cfgpath = optarg; break;
		case 'd': debug = 1; break;
		case 'V': printf("umlmon %s\n", UMLMON_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		case 'R': do_reload = 1; break;
		case 'U': do_upgrade = 1; break;
		case 'u': upgraded = 1; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (debug)
		log_init("umlmon", LOG_LVL_DEBUG);
	cfgpath = config_default_path(cfgpath);
	cfg = config_load(cfgpath, &e);
	if (!cfg)
		die(1, "%s", e.msg);
	vm = config_vm(cfg, argv[optind]);
	if (do_reload || do_upgrade) {
		int rc;

		/* the monitor reads the file and reports its errors itself */
		if (config_valid_name(argv[optind], &e) < 0)
			die(2, "%s: %s", argv[optind], e.msg);
		rc = do_reload ? reload(cfg, argv[optind]) : upgrade(cfg, argv[optind]);
		config_free(cfg);
		return rc;
	}
	for (int i = 0; i < cfg->nerrors; i++) {
		const char *sec = cfg->error_sections[i];

		if (!*sec || !strcmp(sec, "GLOBAL") || !strcmp(sec, argv[optind])) {
			fprintf(stderr, "umlmon: %s\n", cfg->errors[i]);
			bad++;
		}
	}
	if (!vm) {
		if (config_valid_name(argv[optind], &e) < 0)
			die(1, "%s: %s", argv[optind], e.msg);
		die(1, "%s: unknown VM (no [%s] section in %s)", argv[optind],
		    argv[optind], cfgpath);
	}
	if (bad)
		die(1, "%s: refusing to run with %d error%s in %s", vm->name, bad,
		    bad > 1 ? "s" : "", cfgpath);
	if (geteuid() != 0)
		die(1, "%s: must run as root (it mounts the jail and drops the VM's "
		    "privileges)", vm->name);

	if (mkdir_p(cfg->global.rundir, 0755) < 0)
		die(1, "%s: %s", cfg->global.rundir, strerror(errno));
	pidpath = vm_pid_path(cfg->global.rundir, vm->name);
	pidfd = pidfile_lock(pidpath, "a monitor", &e);
	if (pidfd < 0)
		die(1, "%s: %s", vm->name, e.msg);
	/* an upgraded image is the daemon already: nobody waits for it */
	if (!fg && !upgraded)
		report_fd = daemon_fork("umlmon");
	/* everything from here on belongs to the daemon process */
	/* the monitor owns the configuration from here on (a reload
	 * replaces it) */
	snprintf(name, sizeof(name), "%s", vm->name);
	m = monitor_new(cfg, name, upgraded, &e);
	if (!m)
		daemon_ready(report_fd, e.msg);
	monitor_set_program(m, self, argv);
	logpath = xstrdup(monitor_paths(m)->monitor_log);
	if (log_to_file(logpath, fg, monitor_vm(m)->log_max,
			monitor_vm(m)->log_keep) < 0)
		log_warn("%s: %s", logpath, strerror(errno));
	/* after the log is open: what it removes is in the VM's log */
	monitor_clean_left(m);
	if (monitor_listen(m, &e) < 0) {
		monitor_free(m);
		daemon_ready(report_fd, e.msg);
	}
	if (pidfile_write(pidfd) < 0)
		log_warn("%s: %s", pidpath, strerror(errno));
	if (!fg)
		daemon_null_stdio();
	log_info("%s: monitor running (pid %d, control socket %s)", name,
		 (int)getpid(), monitor_paths(m)->ctrl);
	if (log_file_error()) {
		/* a monitor that cannot log even its start is refused: said
		 * here, to its starter, and not left running unheard. Later
		 * a full disk only costs lines (umlmon(8), LOGS). */
		char msg[600];

		snprintf(msg, sizeof(msg), "%s: cannot write its log %s: %s (free "
			 "space under the state directory, then start it again)",
			 name, logpath, strerror(log_file_error()));
		monitor_free(m);
		unlink(pidpath);
		daemon_ready(report_fd, msg);
	}
	daemon_ready(report_fd, NULL);
	if (monitor_vm(m)->start == START_BOOT && !monitor_reattached(m) &&
	    monitor_start(m, NULL, NULL, &e) < 0)
		log_err("%s", e.msg);
	monitor_run(m);
	monitor_free(m);
	log_info("%s: monitor exiting", name);
	unlink(pidpath);
	close(pidfd);
	free(pidpath);
	free(logpath);
	return 0;
}
