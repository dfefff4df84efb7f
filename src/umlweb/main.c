/* umlweb -- the web console of a host's VMs. See umlweb(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "serve/daemon.h"
#include "web/web.h"

#ifndef UMLWEB_ROOT
#define UMLWEB_ROOT "/usr/share/umlmon/web"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: umlweb [-fg] [-c CONFIG] [-root DIR] [-d]\n"
		"Serves the web console of this host's VMs: their state, actions and\n"
		"live consoles (umlweb(8)). Binds web_bind:web_port as root, then runs\n"
		"as web_user (umlmon(5)).\n\n"
		"  -fg, --foreground  stay in the foreground, log to stderr too\n"
		"  -c, --config FILE  configuration (default $UMLMON_CONFIG or %s)\n"
		"  -root DIR          the front end's files (default %s)\n"
		"  -d, --debug        debug messages\n"
		"  -version           print the version\n"
		"  -h, --help         this text\n", UMLMON_DEFAULT_CONFIG, UMLWEB_ROOT);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"fg", no_argument, NULL, 'f'},
		{"foreground", no_argument, NULL, 'f'},
		{"config", required_argument, NULL, 'c'},
		{"root", required_argument, NULL, 'r'},
		{"debug", no_argument, NULL, 'd'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cfgpath = NULL, *root = UMLWEB_ROOT;
	int fg = 0, opt, report_fd = -1;
	struct config *cfg;
	struct web *w;
	struct err e;

	daemon_close_inherited();
	log_init("umlweb", LOG_LVL_INFO);
	while ((opt = getopt_long_only(argc, argv, "c:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': fg = 1; break;
		case 'c': cfgpath = optarg; break;
		case 'r': root = optarg; break;
		case 'd': log_init("umlweb", LOG_LVL_DEBUG); break;
		case 'V': printf("umlweb %s\n", UMLMON_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = daemon_load_global(&cfgpath, "umlweb");
	if (geteuid() != 0)
		die(1, "must run as root (it reads the passwords' keys and binds "
		    "its port, then runs as %s)", cfg->global.web_user);
	if (access(root, R_OK | X_OK) < 0)
		die(1, "%s: %s (the front end's files; -root)", root, strerror(errno));
	if (!fg)
		report_fd = daemon_fork("umlweb");
	/* the daemon owns cfg from here on */
	w = web_new(cfg, root, &e);
	if (!w)
		daemon_ready(report_fd, e.msg);
	if (web_listen(w, &e) < 0 || web_drop(w, &e) < 0) {
		web_free(w);
		daemon_ready(report_fd, e.msg);
	}
	if (!fg)
		daemon_null_stdio();
	log_info("umlweb running (pid %d)", (int)getpid());
	daemon_ready(report_fd, NULL);
	web_run(w);
	web_free(w);
	log_info("umlweb exiting");
	return 0;
}
