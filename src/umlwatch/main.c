/* umlwatch -- command-line client of the umlmon monitors. See umlwatch(1). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/remote.h"
#include "common/auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/paths.h"
#include "umlwatch/watch.h"

/* The control socket of the VM, from the configuration's vardir. Without
 * a configuration (unless one was named), the default layout, and
 * w->noconf says why. */
static char *socket_of(struct watch *w, const char *cfgpath, int explicit_cfg)
{
	struct config *cfg;
	struct err e;
	char *path;

	cfg = config_load(cfgpath, &e);
	if (!cfg) {
		if (explicit_cfg)
			die(WATCH_USAGE, "%s", e.msg);
		w->noconf = xstrdup(e.msg);
		return vm_ctrl_path(UMLMON_DEFAULT_VARDIR, w->vm);
	}
	if (!config_vm(cfg, w->vm))
		die(WATCH_NOMON, "%s: unknown VM (no [%s] section in %s)", w->vm,
		    w->vm, cfgpath);
	path = vm_ctrl_path(cfg->global.vardir, w->vm);
	config_free(cfg);
	return path;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "umlwatch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	watch_usage(stderr, "umlwatch");
	return WATCH_USAGE;
}

/* -list @HOST1,@HOST2...: each a target like the proto's (timeout, TLS). */
static int list_nodes(char *arg, const struct remote_target *proto, int json)
{
	struct remote_target t[WATCH_MAX_NODES];
	const char *nodes[WATCH_MAX_NODES];
	struct err e;
	int n = 0;

	for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (tok[0] != '@' || !tok[1])
			return usage_error("-list: '%s': each host is @HOST[:PORT]", tok);
		if (n == WATCH_MAX_NODES)
			die(WATCH_USAGE, "-list: more than %d hosts", WATCH_MAX_NODES);
		t[n] = *proto;
		if (remote_parse_host(tok + 1, &t[n], &e) < 0)
			die(WATCH_USAGE, "%s", e.msg);
		nodes[n++] = tok + 1;
	}
	return watch_list_nodes(t, nodes, n, json);
}

int main(int argc, char **argv)
{
	const char *cfgpath = NULL, *sock = NULL;
	struct watch w = {.escape = WATCH_ESCAPE_DEFAULT};
	struct remote_target target = {.timeout_ms = 10000};
	struct cmd_call *steps;
	struct err e;
	char *at;
	int i = 1, n, rc = WATCH_OK, list = 0;

	setlocale(LC_CTYPE, "");
	log_init("umlwatch", LOG_LVL_INFO);
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];
		int has_value = i + 1 < argc;

		if (!strcmp(o, "-h") || !strcmp(o, "-help") || !strcmp(o, "--help")) {
			watch_usage(stdout, "umlwatch");
			return 0;
		} else if (!strcmp(o, "-version") || !strcmp(o, "--version")) {
			printf("umlwatch %s\n", UMLMON_VERSION);
			return 0;
		} else if (!strcmp(o, "--commands")) {
			/* not in --help: for the shell's completion */
			watch_list_commands(stdout);
			return 0;
		} else if (!strcmp(o, "-c") || !strcmp(o, "--config")) {
			if (!has_value)
				return usage_error("%s needs a configuration file", o);
			cfgpath = argv[++i];
		} else if (!strcmp(o, "-s") || !strcmp(o, "--socket")) {
			if (!has_value)
				return usage_error("%s needs a socket path", o);
			sock = argv[++i];
		} else if (!strcmp(o, "-escape") || !strcmp(o, "--escape")) {
			if (!has_value)
				return usage_error("%s needs a key (^X, ^], none ...)", o);
			if (watch_parse_escape(argv[++i], &w.escape, &e) < 0)
				die(WATCH_USAGE, "%s", e.msg);
		} else if (!strcmp(o, "-redir") || !strcmp(o, "--redir")) {
			target.redir = 1;
		} else if (!strcmp(o, "-password-file") || !strcmp(o, "--password-file")) {
			if (!has_value)
				return usage_error("%s needs a file", o);
			w.password_file = argv[++i];
		} else if (!strcmp(o, "-tls") || !strcmp(o, "--tls")) {
			target.tls = 1;
		} else if (!strcmp(o, "-tls-ca") || !strcmp(o, "--tls-ca")) {
			if (!has_value)
				return usage_error("%s needs a CA file (PEM)", o);
			target.tls_ca = argv[++i];
		} else if (!strcmp(o, "-list") || !strcmp(o, "--list")) {
			list = 1;
		} else {
			return usage_error("unknown option '%s' (the commands come after "
					   "the VM name)", o);
		}
	}
	if (!target.tls_ca && getenv("UMLWATCH_TLS_CA") && *getenv("UMLWATCH_TLS_CA"))
		target.tls_ca = getenv("UMLWATCH_TLS_CA");
	if (list) {
		int json = i + 2 == argc && !strcmp(argv[i + 1], "--json");

		if ((i + 1 != argc && !json) || i >= argc || argv[i][0] != '@')
			return usage_error("%s", "-list takes @HOST[:PORT] [--json] and "
					   "nothing else");
		if (strchr(argv[i], ','))
			return list_nodes(argv[i], &target, json);
		if (remote_parse_host(argv[i] + 1, &target, &e) < 0)
			die(WATCH_USAGE, "%s", e.msg);
		return watch_list_host(&target, json);
	}
	if (i >= argc)
		return usage_error("%s", "no VM named");
	w.vm = argv[i++];
	at = strchr(w.vm, '@');
	if (at) {
		*at = '\0';
		/* without a host, or on localhost: the Unix socket */
		if (strcmp(at + 1, "localhost") && at[1]) {
			if (remote_parse_host(at + 1, &target, &e) < 0)
				die(WATCH_USAGE, "%s", e.msg);
			w.remote = &target;
		}
	}
	if (config_valid_name(w.vm, &e) < 0)
		die(WATCH_USAGE, "%s: %s", w.vm, e.msg);
	if (w.remote && sock)
		return usage_error("%s", "-s names a local socket; VM@HOST is remote");
	if (w.remote)
		w.sock = NULL;
	else
		w.sock = sock ? xstrdup(sock)
			      : socket_of(&w, config_default_path(cfgpath), cfgpath != NULL);
	/* the whole run is checked before its first command runs */
	steps = xcalloc((size_t)(argc - i) + 1, sizeof(*steps));
	n = watch_parse(argc - i, argv + i, steps, &e);
	if (n < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		rc = WATCH_USAGE;
	} else if (n == 0) {
		rc = watch_interactive(&w);
	} else if (watch_check_steps(&w, steps, n, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		rc = WATCH_FAILED; /* as the monitor's own answer would be */
	} else {
		for (int k = 0; k < n && rc == WATCH_OK; k++)
			rc = watch_run(&w, &steps[k]);
	}
	watch_close(&w);
	free(steps);
	free(w.sock);
	free(w.noconf);
	if (w.password)
		auth_wipe_free(w.password);
	return rc;
}
