/* config.c -- the umlmon configuration file, umlmon(5).
 *
 * The file is INI-like and read with libinih.  libinih does not tell the
 * handler the line number, so the line reader counts lines itself; each
 * error is collected as "file:line: key: cause" and counted against its
 * section, so that a monitor refuses to run a bad VM section while others
 * stay usable. */
#include "config.h"
#include "netconf.h"

#include "kargs.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse {
	struct config *cfg;
	FILE *f;
	int line;          /* line the reader returned last */
	int long_line;     /* the current line did not fit */
	char section[128];
	struct vm_conf *vm;   /* current VM section, or NULL */
	int in_global;
	int bad_section;   /* the current header was rejected */
	/* where each key of the current section was set, for duplicates */
	struct seen { char key[32]; int line; } seen[128];
	int nseen;
	/* where each section starts, to place inih's syntax errors */
	struct secline { int line; char name[128]; } *secs;
	int nsecs;
};

static void add_error(struct parse *p, int *counter, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add_error(struct parse *p, int *counter, const char *key,
		      const char *fmt, ...)
{
	struct config *cfg = p->cfg;
	char cause[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	cfg->errors = xrealloc(cfg->errors,
			       sizeof(char *) * (size_t)(cfg->nerrors + 1));
	cfg->error_sections = xrealloc(cfg->error_sections,
				       sizeof(char *) * (size_t)(cfg->nerrors + 1));
	cfg->error_sections[cfg->nerrors] = xstrdup(p->section);
	if (key)
		cfg->errors[cfg->nerrors++] =
			xasprintf("%s:%d: %s: %s", cfg->path, p->line, key, cause);
	else
		cfg->errors[cfg->nerrors++] =
			xasprintf("%s:%d: %s", cfg->path, p->line, cause);
	if (counter)
		(*counter)++;
}

const char *chan_mode_name(enum chan_mode m)
{
	switch (m) {
	case CHAN_PTY: return "pty";
	case CHAN_LOG: return "log";
	case CHAN_NULL: return "null";
	}
	return "?";
}

const char *start_mode_name(enum start_mode m)
{
	switch (m) {
	case START_MANUAL: return "manual";
	case START_OFF: return "off";
	case START_BOOT: return "boot";
	}
	return "?";
}

const char *config_default_path(const char *opt)
{
	const char *env = getenv("UMLMON_CONFIG");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return UMLMON_DEFAULT_CONFIG;
}

int config_valid_name(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (n == 0 || n > VM_NAME_MAX) {
		err_set(e, "VM name must have 1 to %d characters", VM_NAME_MAX);
		return -1;
	}
	if (!isalnum((unsigned char)name[0])) {
		err_set(e, "VM name must start with a letter or digit");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
			err_set(e, "VM name may hold only letters, digits, '-', '_' and '.'");
			return -1;
		}
	}
	if (!strcmp(name, "shared") || !strcasecmp(name, "GLOBAL")) {
		err_set(e, "'%s' is reserved", name);
		return -1;
	}
	return 0;
}

/* A path inside the jail: absolute, normalized, no "..", no "//". */
static int jail_path_ok(const char *path, const char **cause)
{
	if (path[0] != '/') {
		*cause = "must be an absolute path inside the jail";
		return 0;
	}
	if (strstr(path, "//")) {
		*cause = "contains '//'";
		return 0;
	}
	for (const char *p = path; (p = strstr(p, "/.")); p++) {
		if (p[2] == '/' || p[2] == '\0' ||
		    (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))) {
			*cause = "contains '.' or '..' components";
			return 0;
		}
	}
	if (path[strlen(path) - 1] == '/') {
		*cause = "ends with '/'";
		return 0;
	}
	for (const char *p = path; *p; p++) {
		if (*p == ',' || *p == ' ' || *p == ':' || iscntrl((unsigned char)*p)) {
			*cause = "contains ',', ':', a space or a control character";
			return 0;
		}
	}
	return 1;
}

static const char *suffix(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	return (dot && (!slash || dot > slash)) ? dot : "";
}

/* A disk image path: in /disks or /shared/disks, a known suffix. */
static int disk_path_ok(const char *path, const char **cause)
{
	const char *sfx;

	if (!jail_path_ok(path, cause))
		return 0;
	if (strncmp(path, "/disks/", 7) && strncmp(path, "/shared/disks/", 14)) {
		*cause = "disks must be in /disks or /shared/disks";
		return 0;
	}
	sfx = suffix(path);
	if (strcmp(sfx, ".dsk") && strcmp(sfx, ".cow") && strcmp(sfx, ".dev")) {
		*cause = "unknown disk kind (expected a .dsk, .cow or .dev file)";
		return 0;
	}
	return 1;
}

static struct vm_conf *new_vm(struct config *cfg, const char *name, int line)
{
	struct vm_conf *vm;

	cfg->vms = xrealloc(cfg->vms, sizeof(*cfg->vms) * (size_t)(cfg->nvms + 1));
	vm = &cfg->vms[cfg->nvms++];
	memset(vm, 0, sizeof(*vm));
	vm->name = xstrdup(name);
	vm->line = line;
	vm->memory = UMLMON_DEFAULT_MEMORY;
	vm->stop_timeout = UMLMON_DEFAULT_STOP_TIMEOUT;
	vm->log_max = UMLMON_DEFAULT_LOG_MAX;
	vm->log_keep = UMLMON_DEFAULT_LOG_KEEP;
	vm->uid = (uid_t)-1;
	vm->gid = (gid_t)-1;
	return vm;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int parse_global(struct parse *p, const char *key, const char *val)
{
	struct global_conf *g = &p->cfg->global;
	int *nerr = &g->nerrors;

	if (!strcmp(key, "vardir") || !strcmp(key, "shared") ||
	    !strcmp(key, "rundir")) {
		const char *cause;

		if (!jail_path_ok(val, &cause) || !strcmp(val, "/")) {
			add_error(p, nerr, key, "'%s': %s", val,
				  strcmp(val, "/") ? cause : "must not be /");
			return 0;
		}
		set_str(!strcmp(key, "vardir") ? &g->vardir :
			!strcmp(key, "shared") ? &g->shared : &g->rundir, val);
	} else if (!strcmp(key, "ctrl_group")) {
		struct group *gr = getgrnam(val);

		if (!gr) {
			add_error(p, nerr, key, "no such group '%s'", val);
			return 0;
		}
		set_str(&g->ctrl_group, val);
		g->ctrl_gid = gr->gr_gid;
	} else if (!strcmp(key, "mac_pool")) {
		char cause[256];

		if (netconf_parse_pool(val, &g->mac_lo, &g->mac_hi, cause,
				       sizeof(cause)) < 0) {
			add_error(p, nerr, key, "%s", cause);
			return 0;
		}
	} else {
		add_error(p, nerr, key, "unknown key in [GLOBAL] "
			  "(expected vardir, shared, rundir, ctrl_group, mac_pool)");
		return 0;
	}
	return 1;
}

/* "con3" -> 3 with prefix "con"; -1 if not of that form or out of range. */
static int indexed(const char *key, const char *prefix, int max,
		   const char **rest)
{
	size_t n = strlen(prefix);
	long v = 0;
	const char *p;

	if (strncmp(key, prefix, n) || !isdigit((unsigned char)key[n]))
		return -1;
	p = key + n;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return -1;
	while (isdigit((unsigned char)*p) && v < 1000)
		v = v * 10 + (*p++ - '0');
	if (v >= max)
		return -2;
	if (rest)
		*rest = p;
	else if (*p)
		return -1;
	return (int)v;
}

static void set_chan(struct vm_conf *vm, const char *name, enum chan_mode m,
		     int line)
{
	for (int i = 0; i < vm->nchans; i++) {
		if (!strcmp(vm->chans[i].name, name)) {
			vm->chans[i].mode = m;
			vm->chans[i].line = line;
			return;
		}
	}
	if (vm->nchans >= VM_MAX_CHANS)
		return;
	snprintf(vm->chans[vm->nchans].name, sizeof(vm->chans[0].name), "%s", name);
	vm->chans[vm->nchans].mode = m;
	vm->chans[vm->nchans].line = line;
	vm->nchans++;
}

static int parse_disk(struct parse *p, struct vm_conf *vm, const char *key,
		      int idx, const char *flags, const char *val)
{
	struct disk_conf d;
	const char *cause;
	char *comma;

	memset(&d, 0, sizeof(d));
	d.index = idx;
	d.line = p->line;
	if (strlen(flags) >= sizeof(d.flags) ||
	    strspn(flags, "rsdt") != strlen(flags)) {
		add_error(p, &vm->nerrors, key,
			  "unknown disk flags '%s' (expected r, s, d, t)", flags);
		return 0;
	}
	for (const char *f = flags; *f; f++) {
		if (strchr(f + 1, *f)) {
			add_error(p, &vm->nerrors, key, "flag '%c' given twice", *f);
			return 0;
		}
	}
	snprintf(d.flags, sizeof(d.flags), "%s", flags);
	d.path = xstrdup(val);
	comma = strchr(d.path, ',');
	if (comma) {
		*comma = '\0';
		d.backing = xstrdup(comma + 1);
		while (*d.backing == ' ')
			memmove(d.backing, d.backing + 1, strlen(d.backing));
	}
	for (char *e = d.path + strlen(d.path); e > d.path && e[-1] == ' ';)
		*--e = '\0';
	if (!disk_path_ok(d.path, &cause)) {
		add_error(p, &vm->nerrors, key, "'%s': %s", d.path, cause);
		goto bad;
	}
	if (d.backing) {
		if (strcmp(suffix(d.path), ".cow")) {
			add_error(p, &vm->nerrors, key,
				  "'%s': only a .cow file can have a backing file",
				  d.path);
			goto bad;
		}
		if (!disk_path_ok(d.backing, &cause)) {
			add_error(p, &vm->nerrors, key, "backing file '%s': %s",
				  d.backing, cause);
			goto bad;
		}
		if (!strcmp(suffix(d.backing), ".cow")) {
			add_error(p, &vm->nerrors, key,
				  "backing file '%s': a COW file cannot back another",
				  d.backing);
			goto bad;
		}
	}
	for (int i = 0; i < vm->ndisks; i++) {
		if (!strcmp(vm->disks[i].path, d.path)) {
			add_error(p, &vm->nerrors, key, "'%s' is already ubd%d",
				  d.path, vm->disks[i].index);
			goto bad;
		}
	}
	/* keep sorted by index */
	{
		int at = vm->ndisks;

		while (at > 0 && vm->disks[at - 1].index > idx) {
			vm->disks[at] = vm->disks[at - 1];
			at--;
		}
		vm->disks[at] = d;
		vm->ndisks++;
	}
	return 1;
bad:
	free(d.path);
	free(d.backing);
	return 0;
}

/* Keeps the interfaces sorted by index. */
static void add_nic(struct vm_conf *vm, const struct nic_conf *n)
{
	int at = vm->nnics;

	while (at > 0 && vm->nics[at - 1].index > n->index) {
		vm->nics[at] = vm->nics[at - 1];
		at--;
	}
	vm->nics[at] = *n;
	vm->nnics++;
}

static int parse_vm(struct parse *p, struct vm_conf *vm, const char *key,
		    const char *val)
{
	int *nerr = &vm->nerrors;
	const char *rest;
	int idx;

	if (!strcmp(key, "vmuser")) {
		struct passwd *pw = getpwnam(val);

		if (!pw) {
			add_error(p, nerr, key, "no such user '%s'", val);
			return 0;
		}
		if (pw->pw_uid == 0) {
			add_error(p, nerr, key, "'%s' is root; a VM must run as "
				  "an unprivileged user", val);
			return 0;
		}
		set_str(&vm->vmuser, val);
		vm->uid = pw->pw_uid;
		vm->gid = pw->pw_gid;
	} else if (!strcmp(key, "kernel")) {
		const char *cause;

		if (!jail_path_ok(val, &cause)) {
			add_error(p, nerr, key, "'%s': %s", val, cause);
			return 0;
		}
		set_str(&vm->kernel, val);
	} else if (!strcmp(key, "memory")) {
		uint64_t m;

		if (parse_size(val, &m) < 0) {
			add_error(p, nerr, key, "'%s' is not a size (e.g. 128M, 1G)",
				  val);
			return 0;
		}
		if (val[strspn(val, "0123456789")] == '\0')
			m <<= 20; /* a bare number is MiB, as with mem= */
		if (m < (16ULL << 20) || m > (64ULL << 30)) {
			add_error(p, nerr, key, "'%s' is out of range (16M to 64G)",
				  val);
			return 0;
		}
		vm->memory = m & ~((1ULL << 20) - 1);
	} else if (!strcmp(key, "args")) {
		char **argv;
		int argc;
		struct err e;

		if (kargs_split(val, &argv, &argc, &e) < 0) {
			add_error(p, nerr, key, "%s", e.msg);
			return 0;
		}
		for (int i = 0; i < argc; i++) {
			const char *why = kargs_reserved(argv[i]);

			if (why) {
				add_error(p, nerr, key, "'%s' is set by the monitor (%s)",
					  argv[i], why);
				kargs_free(argv, argc);
				return 0;
			}
		}
		kargs_free(argv, argc);
		if (vm->args) {
			char *joined = xasprintf("%s %s", vm->args, val);

			free(vm->args);
			vm->args = joined;
		} else {
			vm->args = xstrdup(val);
		}
	} else if (!strcmp(key, "stop_timeout")) {
		long v;

		if (parse_long(val, 0, 3600, &v) < 0) {
			add_error(p, nerr, key, "'%s' is not a number of seconds "
				  "from 0 to 3600", val);
			return 0;
		}
		vm->stop_timeout = (int)v;
	} else if (!strcmp(key, "log_max")) {
		uint64_t m;

		if (parse_size(val, &m) < 0 || (m && m < 4096)) {
			add_error(p, nerr, key, "'%s' is not a log size (0 for no cap, "
				  "else 4K or more, e.g. 1M)", val);
			return 0;
		}
		vm->log_max = m;
	} else if (!strcmp(key, "log_keep")) {
		long v;

		if (parse_long(val, 0, 100, &v) < 0) {
			add_error(p, nerr, key, "'%s' is not a number of files from 0 "
				  "to 100", val);
			return 0;
		}
		vm->log_keep = (int)v;
	} else if (!strcmp(key, "start")) {
		if (!strcmp(val, "manual"))
			vm->start = START_MANUAL;
		else if (!strcmp(val, "off"))
			vm->start = START_OFF;
		else if (!strcmp(val, "boot"))
			vm->start = START_BOOT;
		else {
			add_error(p, nerr, key, "unknown start mode '%s' "
				  "(expected off, manual, boot)", val);
			return 0;
		}
	} else if (!strcmp(key, "on_panic")) {
		if (!strcmp(val, "end"))
			vm->on_panic = PANIC_END;
		else if (!strcmp(val, "keep"))
			vm->on_panic = PANIC_KEEP;
		else {
			add_error(p, nerr, key, "unknown action '%s' (expected end, "
				  "keep)", val);
			return 0;
		}
	} else if ((idx = indexed(key, "ubd", VM_MAX_DISKS, &rest)) != -1) {
		if (idx == -2) {
			add_error(p, nerr, key, "the kernel has ubd0 to ubd%d",
				  VM_MAX_DISKS - 1);
			return 0;
		}
		return parse_disk(p, vm, key, idx, rest, val);
	} else if ((idx = indexed(key, "con", VM_MAX_CON, NULL)) != -1 ||
		   (idx = indexed(key, "ssl", VM_MAX_SSL, NULL)) != -1) {
		enum chan_mode m;

		if (idx == -2) {
			add_error(p, nerr, key, "the kernel has con0 to con%d and "
				  "ssl0 to ssl%d", VM_MAX_CON - 1, VM_MAX_SSL - 1);
			return 0;
		}
		if (!strcmp(val, "pty"))
			m = CHAN_PTY;
		else if (!strcmp(val, "log"))
			m = CHAN_LOG;
		else if (!strcmp(val, "null"))
			m = CHAN_NULL;
		else {
			add_error(p, nerr, key, "unknown channel '%s' "
				  "(expected pty, log, null)", val);
			return 0;
		}
		set_chan(vm, key, m, p->line);
	} else if ((idx = indexed(key, "eth", VM_MAX_NICS, NULL)) != -1) {
		struct nic_conf n;
		char cause[512];

		if (idx == -2) {
			add_error(p, nerr, key, "at most %d interfaces (eth0 to eth%d)",
				  VM_MAX_NICS, VM_MAX_NICS - 1);
			return 0;
		}
		if (netconf_parse_nic(val, &n, cause, sizeof(cause)) < 0) {
			add_error(p, nerr, key, "%s", cause);
			return 0;
		}
		n.index = idx;
		n.line = p->line;
		add_nic(vm, &n);
	} else if (!strcmp(key, "netdriver")) {
		if (!strcmp(val, "vector")) {
			vm->netdriver = NET_VECTOR;
		} else if (!strcmp(val, "tuntap")) {
			vm->netdriver = NET_TUNTAP;
		} else {
			add_error(p, nerr, key, "'%s': expected vector or tuntap", val);
			return 0;
		}
	} else {
		add_error(p, nerr, key, "unknown key (expected vmuser, kernel, "
			  "memory, ubdN, conN, sslN, ethN, netdriver, args, "
			  "stop_timeout, log_max, log_keep, start, on_panic)");
		return 0;
	}
	return 1;
}

/* Called by the line reader for every "[name]" line, so that a section
 * without keys is known too. */
static void begin_section(struct parse *p, const char *section)
{
	struct err e;
	struct vm_conf *prev;

	snprintf(p->section, sizeof(p->section), "%s", section);
	p->secs = xrealloc(p->secs, sizeof(*p->secs) * (size_t)(p->nsecs + 1));
	p->secs[p->nsecs].line = p->line;
	snprintf(p->secs[p->nsecs].name, sizeof(p->secs[0].name), "%s", section);
	p->nsecs++;
	p->nseen = 0;
	p->vm = NULL;
	p->in_global = 0;
	p->bad_section = 0;
	if (!strcmp(section, "GLOBAL")) {
		p->in_global = 1;
	} else if (config_valid_name(section, &e) < 0) {
		add_error(p, NULL, NULL, "[%s]: %s", section, e.msg);
		p->bad_section = 1;
	} else if ((prev = config_vm(p->cfg, section))) {
		add_error(p, &prev->nerrors, NULL,
			  "[%s]: section given twice (first at line %d)",
			  section, prev->line);
		p->bad_section = 1;
	} else {
		p->vm = new_vm(p->cfg, section, p->line);
	}
}

static int handler(void *user, const char *section, const char *key,
		   const char *val)
{
	struct parse *p = user;
	int *nerr;

	(void)section; /* the line reader tracks sections, see begin_section */
	if (p->bad_section)
		return 1;
	if (!p->in_global && !p->vm) {
		add_error(p, &p->cfg->global.nerrors, key,
			  "key outside of a section (start with [GLOBAL] or [vmname])");
		return 1;
	}
	nerr = p->in_global ? &p->cfg->global.nerrors : &p->vm->nerrors;
	if (p->long_line) {
		add_error(p, nerr, key, "line is too long (at most 199 characters; "
			  "'args' may be given on several lines)");
		return 1;
	}
	if (!*val) {
		add_error(p, nerr, key, "empty value");
		return 1;
	}
	if (strcmp(key, "args")) {
		for (int i = 0; i < p->nseen; i++) {
			if (!strcmp(p->seen[i].key, key)) {
				add_error(p, nerr, key, "given twice (first at line %d)",
					  p->seen[i].line);
				return 1;
			}
		}
		if (p->nseen < (int)ARRAY_SIZE(p->seen)) {
			snprintf(p->seen[p->nseen].key, sizeof(p->seen[0].key),
				 "%s", key);
			p->seen[p->nseen++].line = p->line;
		}
	}
	if (p->in_global)
		parse_global(p, key, val);
	else
		parse_vm(p, p->vm, key, val);
	return 1;
}

static char *reader(char *buf, int n, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(buf, n, p->f);
	size_t len;

	if (!r)
		return NULL;
	len = strlen(buf);
	if (p->long_line && len > 0) {
		/* the tail of an over-long line that inih skips */
		if (buf[len - 1] == '\n')
			p->long_line = 0;
		return r;
	}
	p->line++;
	p->long_line = (len == (size_t)n - 1 && buf[len - 1] != '\n' && !feof(p->f));
	{
		char *s = buf + strspn(buf, " \t"), *end;

		if (*s == '[' && (end = strchr(s, ']'))) {
			char name[128];
			size_t l;

			s++;
			s += strspn(s, " \t");
			while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			l = (size_t)(end - s) < sizeof(name) - 1 ?
				(size_t)(end - s) : sizeof(name) - 1;
			memcpy(name, s, l);
			name[l] = '\0';
			begin_section(p, name);
		}
	}
	return r;
}

/* Defaults that hold for every VM, then the checks across keys. */
static void finish_vm(struct parse *p, struct vm_conf *vm)
{
	static const struct { const char *name; enum chan_mode mode; } defaults[] = {
		{"con0", CHAN_LOG}, {"con1", CHAN_PTY}, {"ssl0", CHAN_PTY},
	};
	struct chan_conf keep[VM_MAX_CHANS];
	int n = 0;

	p->line = vm->line;
	snprintf(p->section, sizeof(p->section), "%s", vm->name);
	if (!vm->vmuser)
		add_error(p, &vm->nerrors, NULL, "[%s]: 'vmuser' is missing "
			  "(the unprivileged user the VM runs as)", vm->name);
	if (!vm->kernel)
		vm->kernel = xstrdup(UMLMON_DEFAULT_KERNEL);
	if (vm->ndisks == 0)
		add_error(p, &vm->nerrors, NULL, "[%s]: no disk (set ubd0 = "
			  "/disks/root.dsk or similar)", vm->name);
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (!vm_chan(vm, defaults[i].name))
			set_chan(vm, defaults[i].name, defaults[i].mode, 0);
	/* order: con0..con15, then ssl0..ssl63 */
	for (int kind = 0; kind < 2; kind++) {
		for (int idx = 0; idx < (kind ? VM_MAX_SSL : VM_MAX_CON); idx++) {
			char name[16];
			const struct chan_conf *c;

			snprintf(name, sizeof(name), "%s%d", kind ? "ssl" : "con", idx);
			c = vm_chan(vm, name);
			if (c)
				keep[n++] = *c;
		}
	}
	memcpy(vm->chans, keep, sizeof(keep[0]) * (size_t)n);
	vm->nchans = n;
}

/* Across VMs: a host interface or an explicit MAC address belongs to one
 * interface only. */
static void check_nics(struct parse *p, struct config *cfg)
{
	for (int i = 0; i < cfg->nvms; i++) {
		struct vm_conf *vm = &cfg->vms[i];

		for (int a = 0; a < vm->nnics; a++) {
			const struct nic_conf *n = &vm->nics[a];

			for (int j = 0; j <= i; j++) {
				const struct vm_conf *o = &cfg->vms[j];

				for (int b = 0; b < (j == i ? a : o->nnics); b++) {
					const struct nic_conf *m = &o->nics[b];
					char key[16];

					snprintf(key, sizeof(key), "eth%d", n->index);
					p->line = n->line;
					snprintf(p->section, sizeof(p->section), "%s", vm->name);
					if (n->proxy_if[0] && !strcmp(n->proxy_if, m->proxy_if))
						add_error(p, &vm->nerrors, key, "proxy_if %s is "
							  "already %s's eth%d (line %d)",
							  n->proxy_if, o->name, m->index, m->line);
					if (n->mac[0] && !strcmp(n->mac, m->mac))
						add_error(p, &vm->nerrors, key, "mac %s is "
							  "already %s's eth%d (line %d)", n->mac,
							  o->name, m->index, m->line);
				}
			}
		}
	}
}

struct config *config_load(const char *path, struct err *e)
{
	struct config *cfg;
	struct parse *p;
	int r;

	p = xcalloc(1, sizeof(*p));
	p->f = fopen(path, "re");
	if (!p->f) {
		err_sys(e, "%s", path);
		free(p);
		return NULL;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	p->cfg = cfg;
	r = ini_parse_stream(reader, p, handler, p);
	if (r > 0) {
		/* inih only reports the first line it could not parse; charge it
		 * to the section it is in */
		struct vm_conf *vm = NULL;

		p->section[0] = '\0';
		for (int i = 0; i < p->nsecs; i++)
			if (p->secs[i].line <= r)
				snprintf(p->section, sizeof(p->section), "%s",
					 p->secs[i].name);
		vm = config_vm(cfg, p->section);
		p->line = r;
		add_error(p, vm ? &vm->nerrors : &cfg->global.nerrors, NULL,
			  "syntax error (expected '[section]', 'key = value' or a "
			  "comment)");
	} else if (r < 0) {
		err_set(e, "%s: cannot parse (libinih error %d)", path, r);
		fclose(p->f);
		free(p->secs);
		free(p);
		config_free(cfg);
		return NULL;
	}
	fclose(p->f);
	if (!cfg->global.vardir)
		cfg->global.vardir = xstrdup(UMLMON_DEFAULT_VARDIR);
	if (!cfg->global.shared)
		cfg->global.shared = xasprintf("%s/shared", cfg->global.vardir);
	if (!cfg->global.rundir)
		cfg->global.rundir = xstrdup(UMLMON_DEFAULT_RUNDIR);
	if (!cfg->global.mac_lo && !cfg->global.mac_hi) {
		char cause[128];

		netconf_parse_pool(UMLMON_DEFAULT_MAC_POOL, &cfg->global.mac_lo,
				   &cfg->global.mac_hi, cause, sizeof(cause));
	}
	for (int i = 0; i < cfg->nvms; i++)
		finish_vm(p, &cfg->vms[i]);
	check_nics(p, cfg);
	free(p->secs);
	free(p);
	return cfg;
}

static void free_vm(struct vm_conf *vm)
{
	free(vm->name);
	free(vm->vmuser);
	free(vm->kernel);
	free(vm->args);
	for (int i = 0; i < vm->ndisks; i++) {
		free(vm->disks[i].path);
		free(vm->disks[i].backing);
	}
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < cfg->nvms; i++)
		free_vm(&cfg->vms[i]);
	free(cfg->vms);
	for (int i = 0; i < cfg->nerrors; i++) {
		free(cfg->errors[i]);
		free(cfg->error_sections[i]);
	}
	free(cfg->errors);
	free(cfg->error_sections);
	free(cfg->global.vardir);
	free(cfg->global.shared);
	free(cfg->global.rundir);
	free(cfg->global.ctrl_group);
	free(cfg->path);
	free(cfg);
}

struct vm_conf *config_vm(struct config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nvms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return &cfg->vms[i];
	return NULL;
}

const struct chan_conf *vm_chan(const struct vm_conf *vm, const char *name)
{
	for (int i = 0; i < vm->nchans; i++)
		if (!strcmp(vm->chans[i].name, name))
			return &vm->chans[i];
	return NULL;
}
