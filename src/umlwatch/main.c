/* umlwatch -- command-line client of the umlmon monitors. See umlwatch(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "lib/watch.h"

/* The control socket of vm: from the configuration's vardir. */
static char *socket_of(const char *cfgpath, const char *vm, int explicit_cfg)
{
	struct config *cfg;
	struct err e;
	char *path;

	cfg = config_load(cfgpath, &e);
	if (!cfg) {
		/* without a readable configuration, the default layout */
		if (explicit_cfg)
			die(WATCH_USAGE, "%s", e.msg);
		return xasprintf("%s/%s/ctrl", UMLMON_DEFAULT_VARDIR, vm);
	}
	if (!config_vm(cfg, vm))
		die(WATCH_NOMON, "%s: unknown VM (no [%s] section in %s)", vm, vm,
		    cfgpath);
	path = xasprintf("%s/%s/ctrl", cfg->global.vardir, vm);
	config_free(cfg);
	return path;
}

int main(int argc, char **argv)
{
	const char *cfgpath = NULL, *sock = NULL;
	struct watch w = {0};
	char *at;
	int i = 1, rc = WATCH_OK;

	log_init("umlwatch", LOG_LVL_INFO);
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-h") || !strcmp(o, "-help") || !strcmp(o, "--help")) {
			watch_usage(stdout, "umlwatch");
			return 0;
		} else if (!strcmp(o, "-version") || !strcmp(o, "--version")) {
			printf("umlwatch %s\n", UMLMON_VERSION);
			return 0;
		} else if ((!strcmp(o, "-c") || !strcmp(o, "--config")) && i + 1 < argc) {
			cfgpath = argv[++i];
		} else if ((!strcmp(o, "-s") || !strcmp(o, "--socket")) && i + 1 < argc) {
			sock = argv[++i];
		} else {
			fprintf(stderr, "umlwatch: unknown option '%s'\n", o);
			watch_usage(stderr, "umlwatch");
			return WATCH_USAGE;
		}
	}
	if (i >= argc) {
		watch_usage(stderr, "umlwatch");
		return WATCH_USAGE;
	}
	w.vm = argv[i++];
	at = strchr(w.vm, '@');
	if (at) {
		if (strcmp(at + 1, "localhost"))
			die(WATCH_NOMON, "%s: remote monitors need umldir, which this "
			    "version does not have yet", w.vm);
		*at = '\0';
	}
	{
		struct err e;

		if (config_valid_name(w.vm, &e) < 0)
			die(WATCH_USAGE, "%s: %s", w.vm, e.msg);
	}
	w.sock = sock ? xstrdup(sock)
		      : socket_of(config_default_path(cfgpath), w.vm, cfgpath != NULL);
	if (i >= argc) {
		rc = watch_interactive(&w);
	} else {
		while (i < argc && rc == WATCH_OK) {
			const struct watch_cmd *cmd;
			struct err e;
			int n;

			if (argv[i][0] != '-') {
				fprintf(stderr, "umlwatch: '%s': expected a command such "
					"as -info (see --help)\n", argv[i]);
				rc = WATCH_USAGE;
				break;
			}
			cmd = watch_find(argv[i] + 1, &e);
			if (!cmd) {
				fprintf(stderr, "umlwatch: %s\n", e.msg);
				rc = WATCH_USAGE;
				break;
			}
			i++;
			n = watch_count_args(cmd, argc - i, argv + i);
			rc = watch_run(&w, cmd, n, argv + i);
			i += n;
		}
	}
	watch_close(&w);
	free(w.sock);
	return rc;
}
