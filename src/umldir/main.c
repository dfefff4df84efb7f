/* umldir -- the directory of a host's monitors and its redirector. See
 * umldir(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/paths.h"
#include "serve/daemon.h"
#include "umldir/dird.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: umldir [-fg] [-c CONFIG] [-d]\n"
		"Tells which VMs run on this host and where their monitors listen\n"
		"(service umldir), and passes a connection on to the monitor of the\n"
		"VM it names (service umlredir). Binds as root, then runs as\n"
		"umldir_user (umlmon(5)).\n\n"
		"  -fg, --foreground  stay in the foreground, log to stderr too\n"
		"  -c, --config FILE  configuration (default $UMLMON_CONFIG or %s)\n"
		"  -d, --debug        debug messages\n"
		"  -version           print the version\n"
		"  -h, --help         this text\n", UMLMON_DEFAULT_CONFIG);
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
		{NULL, 0, NULL, 0},
	};
	const char *cfgpath = NULL;
	int fg = 0, opt, report_fd = -1, pidfd;
	struct config *cfg;
	struct dird *d;
	char *pidpath;
	struct err e;

	daemon_close_inherited();
	log_init("umldir", LOG_LVL_INFO);
	while ((opt = getopt_long_only(argc, argv, "c:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': fg = 1; break;
		case 'c': cfgpath = optarg; break;
		case 'd': log_init("umldir", LOG_LVL_DEBUG); break;
		case 'V': printf("umldir %s\n", UMLMON_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = daemon_load_global(&cfgpath, "umldir");
	if (geteuid() != 0)
		die(1, "must run as root (it binds its ports, then runs as %s)",
		    cfg->global.umldir_user);
	if (mkdir_p(cfg->global.rundir, 0755) < 0)
		die(1, "%s: %s", cfg->global.rundir, strerror(errno));
	pidpath = umldir_pid_path(cfg->global.rundir);
	pidfd = pidfile_lock(pidpath, "umldir", &e);
	if (pidfd < 0)
		die(1, "%s", e.msg);
	if (!fg)
		report_fd = daemon_fork("umldir");
	/* the daemon owns cfg from here on */
	d = dird_new(cfg, &e);
	if (!d)
		daemon_ready(report_fd, e.msg);
	if (dird_listen(d, fg, &e) < 0 || dird_drop(d, &e) < 0) {
		dird_free(d);
		daemon_ready(report_fd, e.msg);
	}
	if (pidfile_write(pidfd) < 0)
		log_warn("%s: %s", pidpath, strerror(errno));
	if (!fg)
		daemon_null_stdio();
	log_info("umldir running (pid %d)", (int)getpid());
	daemon_ready(report_fd, NULL);
	dird_run(d);
	dird_free(d);
	log_info("umldir exiting");
	/* RUNDIR is root's: the pid file cannot go, it is emptied (and its
	 * lock released with the process) */
	if (ftruncate(pidfd, 0) < 0)
		log_warn("%s: %s", pidpath, strerror(errno));
	close(pidfd);
	free(pidpath);
	return 0;
}
