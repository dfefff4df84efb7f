/* config.c -- the umlmon configuration file, umlmon(5).
 *
 * The file is INI-like and read with libinih.  libinih does not tell the
 * handler the line number, so the line reader counts lines itself; each
 * error is collected as "file:line: key: cause" and counted against its
 * section, so that a monitor refuses to run a bad VM section while others
 * stay usable. */
#include "common/config.h"
#include "common/names.h"
#include "common/netconf.h"

#include "common/kargs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stddef.h>
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
	/* per VM (as cfg->vms): keys given, valid or not, so that a bad
	 * vmuser line is not also reported as a missing vmuser */
	struct given { int vmuser, disk; } *given;
	int *error_lines;  /* per error, to sort them */
	int idx;           /* the number of a numbered key (ubd3r: 3), or -1 */
	const char *rest;  /* what follows that number ("r"), or "" */
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
	p->error_lines = xrealloc(p->error_lines,
				  sizeof(int) * (size_t)(cfg->nerrors + 1));
	p->error_lines[cfg->nerrors] = p->line;
	if (key)
		cfg->errors[cfg->nerrors++] =
			xasprintf("%s:%d: %s: %s", cfg->path, p->line, key, cause);
	else
		cfg->errors[cfg->nerrors++] =
			xasprintf("%s:%d: %s", cfg->path, p->line, cause);
	if (counter)
		(*counter)++;
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
	/* VARDIR/shared, VARDIR/umldir, VARDIR/uids are not a VM's */
	if (!strcmp(name, "shared") || !strcmp(name, "umldir") ||
	    !strcmp(name, "uids") ||
	    !strcasecmp(name, "GLOBAL")) {
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

static void remote_defaults(struct remote_conf *r)
{
	r->max_clients = UMLMON_DEFAULT_MAX_CLIENTS;
	r->max_clients_per_peer = UMLMON_DEFAULT_MAX_CLIENTS_PER_PEER;
	r->max_unauth = UMLMON_DEFAULT_MAX_UNAUTH;
	r->auth_timeout = UMLMON_DEFAULT_AUTH_TIMEOUT;
	r->kdf_iterations = UMLMON_DEFAULT_KDF_ITERATIONS;
}

static void limits_defaults(struct limits_conf *l)
{
	l->v[LIMIT_NOFILE] = UMLMON_DEFAULT_LIMIT_NOFILE;
	l->v[LIMIT_NPROC] = UMLMON_DEFAULT_LIMIT_NPROC;
	l->v[LIMIT_CORE] = UMLMON_DEFAULT_LIMIT_CORE;
	l->v[LIMIT_MEMLOCK] = UMLMON_DEFAULT_LIMIT_MEMLOCK;
}

static void cgroup_defaults(struct cgroup_conf *c)
{
	c->v[CG_MEM_ALLOWANCE] = UMLMON_DEFAULT_MEMORY_ALLOWANCE;
	c->v[CG_CPU_WEIGHT] = UMLMON_DEFAULT_CPU_WEIGHT;
	c->v[CG_CPU_QUOTA] = UMLMON_DEFAULT_CPU_QUOTA;
	c->v[CG_PIDS_MAX] = UMLMON_DEFAULT_PIDS_MAX;
	c->v[CG_IO_WEIGHT] = UMLMON_DEFAULT_IO_WEIGHT;
}

static void remote_free(struct remote_conf *r)
{
	free(r->tcp_bind);
	free(r->tls_cert);
	free(r->tls_key);
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
	remote_defaults(&vm->remote);
	limits_defaults(&vm->limits);
	vm->seccomp = -1; /* [GLOBAL]'s */
	vm->fastboot = -1; /* likewise */
	cgroup_defaults(&vm->cgroup);
	vm->uid = (uid_t)-1;
	vm->gid = (gid_t)-1;
	vm->vmuser_shared = -1;
	return vm;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
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
		if (vm->disks[i].index == idx) {
			add_error(p, &vm->nerrors, key, "ubd%d is already given "
				  "(line %d)", idx, vm->disks[i].line);
			goto bad;
		}
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

/* ---- keys ------------------------------------------------------------- */

/* Where the errors of the current section are counted. */
static int *nerr_of(struct parse *p)
{
	return p->in_global ? &p->cfg->global.nerrors : &p->vm->nerrors;
}

/* A key's parser (a numbered key's number and suffix are in p->idx and
 * p->rest). Returns 1 if the value was taken, 0 after an error. */
typedef int (*key_fn)(struct parse *p, const char *key, const char *val);

static int key_dir(struct parse *p, const char *key, const char *val)
{
	struct global_conf *g = &p->cfg->global;
	const char *cause;

	if (!jail_path_ok(val, &cause) || !strcmp(val, "/")) {
		add_error(p, nerr_of(p), key, "'%s': %s", val,
			  strcmp(val, "/") ? cause : "must not be /");
		return 0;
	}
	set_str(!strcmp(key, "vardir") ? &g->vardir :
		!strcmp(key, "shared") ? &g->shared : &g->rundir, val);
	return 1;
}

static int key_ctrl_group(struct parse *p, const char *key, const char *val)
{
	struct group *gr = getgrnam(val);

	if (!gr) {
		add_error(p, nerr_of(p), key, "no such group '%s'", val);
		return 0;
	}
	set_str(&p->cfg->global.ctrl_group, val);
	p->cfg->global.ctrl_gid = gr->gr_gid;
	return 1;
}

static int key_mac_pool(struct parse *p, const char *key, const char *val)
{
	struct global_conf *g = &p->cfg->global;
	char cause[256];

	if (netconf_parse_pool(val, &g->mac_lo, &g->mac_hi, cause,
			       sizeof(cause)) < 0) {
		add_error(p, nerr_of(p), key, "%s", cause);
		return 0;
	}
	return 1;
}

static int key_vmuser(struct parse *p, const char *key, const char *val)
{
	struct passwd *pw;

	if (!strcmp(val, "auto")) {
		set_str(&p->vm->vmuser, val);
		p->vm->uid_auto = 1;
		p->vm->uid = (uid_t)-1;
		p->vm->gid = (gid_t)-1;
		return 1;
	}
	if (!(pw = getpwnam(val))) {
		add_error(p, nerr_of(p), key, "no such user '%s'", val);
		return 0;
	}
	if (pw->pw_uid == 0) {
		add_error(p, nerr_of(p), key, "'%s' is root; a VM must run as "
			  "an unprivileged user", val);
		return 0;
	}
	set_str(&p->vm->vmuser, val);
	p->vm->uid_auto = 0;
	p->vm->uid = pw->pw_uid;
	p->vm->gid = pw->pw_gid;
	return 1;
}

static int key_kernel(struct parse *p, const char *key, const char *val)
{
	const char *cause;

	if (!jail_path_ok(val, &cause)) {
		add_error(p, nerr_of(p), key, "'%s': %s", val, cause);
		return 0;
	}
	set_str(&p->vm->kernel, val);
	return 1;
}

static int key_memory(struct parse *p, const char *key, const char *val)
{
	const char *cause;
	uint64_t m;
	int r;

	if (val[strspn(val, "0123456789.")] == '\0') {
		/* a bare number is MiB, as with mem= */
		char *mib = xasprintf("%sM", val);

		r = parse_size_cause(mib, &m, &cause);
		free(mib);
	} else {
		r = parse_size_cause(val, &m, &cause);
	}
	if (r < 0) {
		add_error(p, nerr_of(p), key, "'%s' %s", val, cause);
		return 0;
	}
	if (m < UMLMON_MIN_MEMORY) {
		/* too little fails at random, by the host's heap placement */
		add_error(p, nerr_of(p), key, "'%s' is below the minimum of %lluM "
			  "(the kernel does not boot reliably with less)", val,
			  (unsigned long long)(UMLMON_MIN_MEMORY >> 20));
		return 0;
	}
	if (m > UMLMON_MAX_MEMORY) {
		add_error(p, nerr_of(p), key, "'%s' is above the maximum of %lluG",
			  val, (unsigned long long)(UMLMON_MAX_MEMORY >> 30));
		return 0;
	}
	if (m & ((1ULL << 20) - 1)) {
		add_error(p, nerr_of(p), key, "'%s' is not a whole number of MiB "
			  "(the kernel's mem= takes MiB)", val);
		return 0;
	}
	p->vm->memory = m;
	return 1;
}

static int key_args(struct parse *p, const char *key, const char *val)
{
	struct vm_conf *vm = p->vm;
	char **argv;
	int argc;
	struct err e;

	if (kargs_split(val, &argv, &argc, &e) < 0) {
		add_error(p, nerr_of(p), key, "%s", e.msg);
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		const char *why = kargs_reserved(argv[i]);

		if (why) {
			add_error(p, nerr_of(p), key, "'%s' is set by the monitor (%s)",
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
	return 1;
}

/* A whole number of units from lo to hi into *dst. */
static int set_number(struct parse *p, const char *key, const char *val,
		      long lo, long hi, const char *units, int *dst)
{
	long v;

	if (parse_long(val, lo, hi, &v) < 0) {
		add_error(p, nerr_of(p), key, "'%s' is not a number of %s from %ld "
			  "to %ld", val, units, lo, hi);
		return 0;
	}
	*dst = (int)v;
	return 1;
}

static int key_stop_timeout(struct parse *p, const char *key, const char *val)
{
	return set_number(p, key, val, 0, 3600, "seconds", &p->vm->stop_timeout);
}

/* A size value (128M, 1.5G); 0 with the error added if it is none. */
static int size_value(struct parse *p, const char *key, const char *val,
		      uint64_t *m)
{
	const char *cause;

	if (parse_size_cause(val, m, &cause) < 0) {
		add_error(p, nerr_of(p), key, "'%s' %s", val, cause);
		return 0;
	}
	return 1;
}

static int key_log_max(struct parse *p, const char *key, const char *val)
{
	uint64_t m;

	if (!size_value(p, key, val, &m))
		return 0;
	if (m && m < 4096) {
		add_error(p, nerr_of(p), key, "'%s' is too small (0 for no cap, "
			  "else 4K or more, e.g. 1M)", val);
		return 0;
	}
	p->vm->log_max = m;
	return 1;
}

static int key_host_reserve(struct parse *p, const char *key, const char *val)
{
	return size_value(p, key, val, &p->cfg->global.host_reserve);
}

static int key_start_concurrency(struct parse *p, const char *key, const char *val)
{
	return set_number(p, key, val, 0, 4096, "VMs", &p->cfg->global.start_concurrency);
}

static int key_log_keep(struct parse *p, const char *key, const char *val)
{
	return set_number(p, key, val, 0, 100, "files", &p->vm->log_keep);
}

/* One of a few words (in the order the message lists them), into *dst. */
struct choice { const char *name; int value; };

static const struct choice yes_no[] = {
	{"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {"on", 1},
	{"off", 0}, {"1", 1}, {"0", 0},
};

static int set_choice(struct parse *p, const char *key, const char *val,
		      const char *what, const struct choice *c, size_t n, int *dst)
{
	struct strbuf list;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(val, c[i].name)) {
			*dst = c[i].value;
			return 1;
		}
	sb_init(&list);
	for (size_t i = 0; i < n; i++)
		sb_printf(&list, "%s%s", i ? ", " : "", c[i].name);
	add_error(p, nerr_of(p), key, "unknown %s '%s' (expected %s)", what, val,
		  list.buf);
	sb_free(&list);
	return 0;
}

static int key_start(struct parse *p, const char *key, const char *val)
{
	static const struct choice c[] = {
		{"off", START_OFF}, {"manual", START_MANUAL}, {"boot", START_BOOT},
	};
	int v;

	if (!set_choice(p, key, val, "start mode", c, ARRAY_SIZE(c), &v))
		return 0;
	p->vm->start = (enum start_mode)v;
	return 1;
}

static int key_on_panic(struct parse *p, const char *key, const char *val)
{
	static const struct choice c[] = {
		{"end", PANIC_END}, {"keep", PANIC_KEEP},
	};
	int v;

	if (!set_choice(p, key, val, "action", c, ARRAY_SIZE(c), &v))
		return 0;
	p->vm->on_panic = (enum panic_action)v;
	return 1;
}

static int key_ubd(struct parse *p, const char *key, const char *val)
{
	return parse_disk(p, p->vm, key, p->idx, p->rest, val);
}

static int key_chan(struct parse *p, const char *key, const char *val)
{
	static const struct choice c[] = {
		{"pty", CHAN_PTY}, {"log", CHAN_LOG}, {"null", CHAN_NULL},
	};
	int v;

	if (!set_choice(p, key, val, "channel", c, ARRAY_SIZE(c), &v))
		return 0;
	set_chan(p->vm, key, (enum chan_mode)v, p->line);
	return 1;
}

static int key_eth(struct parse *p, const char *key, const char *val)
{
	struct nic_conf n;
	char cause[512];

	if (netconf_parse_nic(val, &n, cause, sizeof(cause)) < 0) {
		add_error(p, nerr_of(p), key, "%s", cause);
		return 0;
	}
	n.index = p->idx;
	n.line = p->line;
	add_nic(p->vm, &n);
	return 1;
}

static int key_netdriver(struct parse *p, const char *key, const char *val)
{
	static const struct choice c[] = {
		{"vector", NET_VECTOR}, {"tuntap", NET_TUNTAP},
	};
	int v;

	if (!set_choice(p, key, val, "driver", c, ARRAY_SIZE(c), &v))
		return 0;
	p->vm->netdriver = (enum net_driver)v;
	return 1;
}

/* Remote control keys: a [GLOBAL] one is the default of every VM; the
 * same key in a VM's section wins (see inherit_remote). */
enum {
	REMOTE_TCP = 1 << 0, REMOTE_BIND = 1 << 1, REMOTE_TLS_CERT = 1 << 2,
	REMOTE_TLS_KEY = 1 << 3, REMOTE_MAX = 1 << 4, REMOTE_MAX_PEER = 1 << 5,
	REMOTE_MAX_UNAUTH = 1 << 6, REMOTE_AUTH_TIMEOUT = 1 << 7,
	REMOTE_KDF = 1 << 8,
};

static struct remote_conf *remote_of(struct parse *p)
{
	return p->in_global ? &p->cfg->global.remote : &p->vm->remote;
}

static int key_tcp(struct parse *p, const char *key, const char *val)
{
	if (!set_choice(p, key, val, "value", yes_no, ARRAY_SIZE(yes_no),
			&remote_of(p)->tcp))
		return 0;
	remote_of(p)->given |= REMOTE_TCP;
	return 1;
}

/* A numeric IPv4 or IPv6 address: no names, so that what is bound does not
 * depend on the resolver. */
static int bind_addr_ok(struct parse *p, const char *key, const char *val)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, val, buf) == 1 || inet_pton(AF_INET6, val, buf) == 1)
		return 1;
	add_error(p, nerr_of(p), key, "'%s' is not a numeric IPv4 or IPv6 "
		  "address (e.g. 0.0.0.0, 192.0.2.1, ::)", val);
	return 0;
}

static int key_tcp_bind(struct parse *p, const char *key, const char *val)
{
	if (!bind_addr_ok(p, key, val))
		return 0;
	set_str(&remote_of(p)->tcp_bind, val);
	remote_of(p)->given |= REMOTE_BIND;
	return 1;
}

/* A host file: an absolute path (read by the monitor, outside any jail). */
static int host_path_ok(struct parse *p, const char *key, const char *val)
{
	if (val[0] == '/')
		return 1;
	add_error(p, nerr_of(p), key, "'%s' is not an absolute path", val);
	return 0;
}

static int key_tls(struct parse *p, const char *key, const char *val)
{
	struct remote_conf *r = remote_of(p);
	int cert = !strcmp(key, "tls_cert");

	if (!host_path_ok(p, key, val))
		return 0;
	set_str(cert ? &r->tls_cert : &r->tls_key, val);
	r->given |= cert ? REMOTE_TLS_CERT : REMOTE_TLS_KEY;
	return 1;
}

static int key_remote_limit(struct parse *p, const char *key, const char *val)
{
	static const struct {
		const char *key; unsigned bit; long lo, hi; const char *units;
		size_t off;
	} lim[] = {
		{"max_clients", REMOTE_MAX, 1, 10000, "connections",
		 offsetof(struct remote_conf, max_clients)},
		{"max_clients_per_peer", REMOTE_MAX_PEER, 1, 10000, "connections",
		 offsetof(struct remote_conf, max_clients_per_peer)},
		{"max_unauthenticated", REMOTE_MAX_UNAUTH, 1, 10000, "connections",
		 offsetof(struct remote_conf, max_unauth)},
		{"auth_timeout", REMOTE_AUTH_TIMEOUT, 1, 300, "seconds",
		 offsetof(struct remote_conf, auth_timeout)},
		{"kdf_iterations", REMOTE_KDF, 10000, 10000000, "iterations",
		 offsetof(struct remote_conf, kdf_iterations)},
	};
	struct remote_conf *r = remote_of(p);

	for (size_t i = 0; i < ARRAY_SIZE(lim); i++) {
		if (strcmp(key, lim[i].key))
			continue;
		if (!set_number(p, key, val, lim[i].lo, lim[i].hi, lim[i].units,
				(int *)((char *)r + lim[i].off)))
			return 0;
		r->given |= lim[i].bit;
		return 1;
	}
	return 0;
}

/* The kernel's seccomp filter: [GLOBAL]'s is the default of every VM, a
 * VM's wins (see config_load). */
static int key_seccomp(struct parse *p, const char *key, const char *val)
{
	return set_choice(p, key, val, "value", yes_no, ARRAY_SIZE(yes_no),
			  p->in_global ? &p->cfg->global.seccomp : &p->vm->seccomp);
}

/* The kernel switches that cut what a UML guest does not need from its
 * boot (cmdline.c): likewise [GLOBAL]'s for every VM, a VM's wins. */
static int key_fastboot(struct parse *p, const char *key, const char *val)
{
	return set_choice(p, key, val, "value", yes_no, ARRAY_SIZE(yes_no),
			  p->in_global ? &p->cfg->global.fastboot : &p->vm->fastboot);
}

/* The kernel's rlimits and its cgroup's limits: a [GLOBAL] one is the
 * default of every VM; the same key in a VM's section wins (see
 * inherit_limits). A count, or a size that may be "unlimited"; a
 * percentage that may be "none". */
static int key_limit(struct parse *p, const char *key, const char *val)
{
	enum { COUNT, SIZE, PERCENT };
	static const struct {
		const char *key; int cg, which, kind; uint64_t lo, hi;
		const char *range;
	} lim[] = {
		{"limit_nofile", 0, LIMIT_NOFILE, COUNT, 64, 1048576, "descriptors "
		 "from 64 to 1048576"},
		{"limit_nproc", 0, LIMIT_NPROC, COUNT, 16, 4194304, "processes from "
		 "16 to 4194304"},
		{"limit_core", 0, LIMIT_CORE, SIZE, 0, 1ULL << 40, "0 to 1T, or "
		 "unlimited"},
		{"limit_memlock", 0, LIMIT_MEMLOCK, SIZE, 0, 64ULL << 30, "0 to 64G, "
		 "or unlimited"},
		{"memory_allowance", 1, CG_MEM_ALLOWANCE, SIZE, 0, 64ULL << 30,
		 "0 to 64G"},
		{"cpu_weight", 1, CG_CPU_WEIGHT, COUNT, 1, 10000, "1 to 10000"},
		{"cpu_quota", 1, CG_CPU_QUOTA, PERCENT, 1, 100000, "percent of one "
		 "CPU from 1 to 100000, or none"},
		{"pids_max", 1, CG_PIDS_MAX, COUNT, 16, 4194304, "processes from 16 "
		 "to 4194304"},
		{"io_weight", 1, CG_IO_WEIGHT, COUNT, 1, 10000, "1 to 10000"},
	};
	struct vm_conf *vm = p->vm;
	struct global_conf *g = &p->cfg->global;

	for (size_t i = 0; i < ARRAY_SIZE(lim); i++) {
		uint64_t *v = lim[i].cg ? (p->in_global ? g->cgroup.v : vm->cgroup.v) :
			      (p->in_global ? g->limits.v : vm->limits.v);
		unsigned *given = lim[i].cg ?
				  (p->in_global ? &g->cgroup.given : &vm->cgroup.given) :
				  (p->in_global ? &g->limits.given : &vm->limits.given);
		uint64_t n64;
		long n;

		if (strcmp(key, lim[i].key))
			continue;
		if (lim[i].kind == SIZE && !lim[i].cg && !strcmp(val, "unlimited")) {
			n64 = UMLMON_LIMIT_INFINITY;
		} else if (lim[i].kind == PERCENT && !strcmp(val, "none")) {
			n64 = 0;
		} else if (lim[i].kind == SIZE) {
			if (!size_value(p, key, val, &n64))
				return 0;
			if (n64 < lim[i].lo || n64 > lim[i].hi) {
				add_error(p, nerr_of(p), key, "'%s' is out of range (%s)",
					  val, lim[i].range);
				return 0;
			}
		} else {
			if (parse_long(val, (long)lim[i].lo, (long)lim[i].hi, &n) < 0) {
				add_error(p, nerr_of(p), key, "'%s' is not a number of %s",
					  val, lim[i].range);
				return 0;
			}
			n64 = (uint64_t)n;
		}
		v[lim[i].which] = n64;
		*given |= 1u << lim[i].which;
		return 1;
	}
	return 0;
}

/* The VMs' cgroups are PARENT/VM under each hierarchy's root: one
 * directory name. */
static int key_cgroup_parent(struct parse *p, const char *key, const char *val)
{
	if (!val[0] || strchr(val, '/') || !strcmp(val, ".") || !strcmp(val, "..") ||
	    strlen(val) > 64) {
		add_error(p, nerr_of(p), key, "'%s' is not a directory name (no '/', "
			  "at most 64 characters)", val);
		return 0;
	}
	set_str(&p->cfg->global.cgroup_parent, val);
	return 1;
}

static int key_password(struct parse *p, const char *key, const char *val)
{
	int master = !strncmp(key, "master_", 7);
	char **dst = master ? &p->cfg->global.master_password : &p->vm->password;

	if (strlen(val) < UMLMON_PASSWORD_MIN) {
		add_error(p, nerr_of(p), key, "too short (at least %d characters; "
			  "umladmin password makes a good one)", UMLMON_PASSWORD_MIN);
		return 0;
	}
	set_str(dst, val);
	return 1;
}

static int key_password_file(struct parse *p, const char *key, const char *val)
{
	int master = !strncmp(key, "master_", 7);

	if (!host_path_ok(p, key, val))
		return 0;
	set_str(master ? &p->cfg->global.master_password_file :
		&p->vm->password_file, val);
	return 1;
}

static int key_port(struct parse *p, const char *key, const char *val)
{
	struct global_conf *g = &p->cfg->global;

	return set_number(p, key, val, 1, 65535, "a port",
			  !strcmp(key, "umldir_port") ? &g->umldir_port :
			  &g->umlredir_port);
}

static int key_umldir_bind(struct parse *p, const char *key, const char *val)
{
	if (!bind_addr_ok(p, key, val))
		return 0;
	set_str(&p->cfg->global.umldir_bind, val);
	return 1;
}

static int key_umldir_user(struct parse *p, const char *key, const char *val)
{
	if (!getpwnam(val)) {
		add_error(p, nerr_of(p), key, "no such user '%s'", val);
		return 0;
	}
	set_str(&p->cfg->global.umldir_user, val);
	return 1;
}

static int key_web(struct parse *p, const char *key, const char *val)
{
	struct global_conf *g = &p->cfg->global;

	if (!strcmp(key, "web_port"))
		return set_number(p, key, val, 1, 65535, "a port", &g->web_port);
	if (!strcmp(key, "web_bind")) {
		if (!bind_addr_ok(p, key, val))
			return 0;
		set_str(&g->web_bind, val);
		return 1;
	}
	if (!strcmp(key, "web_remote")) {
		/* HOST[:PORT] words; umlweb checks each (client/remote.c) */
		set_str(&g->web_remote, val);
		return 1;
	}
	if (!strcmp(key, "web_user")) {
		if (!getpwnam(val)) {
			add_error(p, nerr_of(p), key, "no such user '%s'", val);
			return 0;
		}
		set_str(&g->web_user, val);
		return 1;
	}
	if (!host_path_ok(p, key, val))
		return 0;
	set_str(!strcmp(key, "web_tls_cert") ? &g->web_tls_cert : &g->web_tls_key,
		val);
	return 1;
}

/* FIRST-LAST: the uids of the VMs without a user of their own; neither
 * root nor -1 (no user), nor beyond 2^31 (signed ids in some tools). */
static int key_uid_range(struct parse *p, const char *key, const char *val)
{
	char first[16];
	const char *dash = strchr(val, '-');
	long a, b;

	if (!dash || (size_t)(dash - val) >= sizeof(first)) {
		add_error(p, nerr_of(p), key, "'%s' is not FIRST-LAST (e.g. %d-%d)",
			  val, UMLMON_DEFAULT_UID_FIRST, UMLMON_DEFAULT_UID_LAST);
		return 0;
	}
	snprintf(first, sizeof(first), "%.*s", (int)(dash - val), val);
	if (parse_long(first, 1, 2147483646L, &a) < 0 ||
	    parse_long(dash + 1, 1, 2147483646L, &b) < 0 || a > b) {
		add_error(p, nerr_of(p), key, "'%s': FIRST and LAST must be uids "
			  "from 1 to 2147483646, FIRST <= LAST", val);
		return 0;
	}
	p->cfg->global.uid_first = (uid_t)a;
	p->cfg->global.uid_last = (uid_t)b;
	return 1;
}

static int key_vmuser_shared(struct parse *p, const char *key, const char *val)
{
	return set_choice(p, key, val, "value", yes_no, ARRAY_SIZE(yes_no),
			  p->in_global ? &p->cfg->global.vmuser_shared :
			  &p->vm->vmuser_shared);
}

_Static_assert(VM_MAX_DISKS == 16 && VM_MAX_CON == 16 && VM_MAX_SSL == 64 &&
	       VM_MAX_NICS == 8, "update the ranges in keys[]");

/* Every key of umlmon(5), in the order the messages list them. */
static const struct keydef {
	const char *name;   /* a key, or the stem of numbered keys (ubd: ubd0..) */
	int global;         /* 1: a [GLOBAL] key, 0: a VM key */
	int count;          /* numbered: stem0 to stem{count-1}; 0: a plain key */
	int suffix;         /* numbered: text may follow the number (ubd0r) */
	const char *range;  /* numbered: the message for a number out of range */
	key_fn fn;
} keys[] = {
	{"vardir", 1, 0, 0, NULL, key_dir},
	{"shared", 1, 0, 0, NULL, key_dir},
	{"rundir", 1, 0, 0, NULL, key_dir},
	{"ctrl_group", 1, 0, 0, NULL, key_ctrl_group},
	{"mac_pool", 1, 0, 0, NULL, key_mac_pool},
	{"master_password", 1, 0, 0, NULL, key_password},
	{"master_password_file", 1, 0, 0, NULL, key_password_file},
	{"umldir_port", 1, 0, 0, NULL, key_port},
	{"umlredir_port", 1, 0, 0, NULL, key_port},
	{"umldir_bind", 1, 0, 0, NULL, key_umldir_bind},
	{"umldir_user", 1, 0, 0, NULL, key_umldir_user},
	{"web_bind", 1, 0, 0, NULL, key_web},
	{"web_port", 1, 0, 0, NULL, key_web},
	{"web_user", 1, 0, 0, NULL, key_web},
	{"web_remote", 1, 0, 0, NULL, key_web},
	{"web_tls_cert", 1, 0, 0, NULL, key_web},
	{"web_tls_key", 1, 0, 0, NULL, key_web},
	{"vm_uid_range", 1, 0, 0, NULL, key_uid_range},
	{"vmuser_shared", 1, 0, 0, NULL, key_vmuser_shared},
	{"tcp", 1, 0, 0, NULL, key_tcp},
	{"tcp_bind", 1, 0, 0, NULL, key_tcp_bind},
	{"tls_cert", 1, 0, 0, NULL, key_tls},
	{"tls_key", 1, 0, 0, NULL, key_tls},
	{"max_clients", 1, 0, 0, NULL, key_remote_limit},
	{"max_clients_per_peer", 1, 0, 0, NULL, key_remote_limit},
	{"max_unauthenticated", 1, 0, 0, NULL, key_remote_limit},
	{"auth_timeout", 1, 0, 0, NULL, key_remote_limit},
	{"kdf_iterations", 1, 0, 0, NULL, key_remote_limit},
	{"limit_nofile", 1, 0, 0, NULL, key_limit},
	{"limit_nproc", 1, 0, 0, NULL, key_limit},
	{"limit_core", 1, 0, 0, NULL, key_limit},
	{"limit_memlock", 1, 0, 0, NULL, key_limit},
	{"seccomp", 1, 0, 0, NULL, key_seccomp},
	{"fastboot", 1, 0, 0, NULL, key_fastboot},
	{"host_reserve", 1, 0, 0, NULL, key_host_reserve},
	{"start_concurrency", 1, 0, 0, NULL, key_start_concurrency},
	{"memory_allowance", 1, 0, 0, NULL, key_limit},
	{"cpu_weight", 1, 0, 0, NULL, key_limit},
	{"cpu_quota", 1, 0, 0, NULL, key_limit},
	{"pids_max", 1, 0, 0, NULL, key_limit},
	{"io_weight", 1, 0, 0, NULL, key_limit},
	{"cgroup_parent", 1, 0, 0, NULL, key_cgroup_parent},
	{"vmuser", 0, 0, 0, NULL, key_vmuser},
	{"vmuser_shared", 0, 0, 0, NULL, key_vmuser_shared},
	{"kernel", 0, 0, 0, NULL, key_kernel},
	{"memory", 0, 0, 0, NULL, key_memory},
	{"ubd", 0, VM_MAX_DISKS, 1, "the kernel has ubd0 to ubd15", key_ubd},
	{"con", 0, VM_MAX_CON, 0,
	 "the kernel has con0 to con15 and ssl0 to ssl63", key_chan},
	{"ssl", 0, VM_MAX_SSL, 0,
	 "the kernel has con0 to con15 and ssl0 to ssl63", key_chan},
	{"eth", 0, VM_MAX_NICS, 0, "at most 8 interfaces (eth0 to eth7)", key_eth},
	{"netdriver", 0, 0, 0, NULL, key_netdriver},
	{"args", 0, 0, 0, NULL, key_args},
	{"stop_timeout", 0, 0, 0, NULL, key_stop_timeout},
	{"log_max", 0, 0, 0, NULL, key_log_max},
	{"log_keep", 0, 0, 0, NULL, key_log_keep},
	{"start", 0, 0, 0, NULL, key_start},
	{"on_panic", 0, 0, 0, NULL, key_on_panic},
	{"password", 0, 0, 0, NULL, key_password},
	{"password_file", 0, 0, 0, NULL, key_password_file},
	{"tcp", 0, 0, 0, NULL, key_tcp},
	{"tcp_bind", 0, 0, 0, NULL, key_tcp_bind},
	{"tls_cert", 0, 0, 0, NULL, key_tls},
	{"tls_key", 0, 0, 0, NULL, key_tls},
	{"max_clients", 0, 0, 0, NULL, key_remote_limit},
	{"max_clients_per_peer", 0, 0, 0, NULL, key_remote_limit},
	{"max_unauthenticated", 0, 0, 0, NULL, key_remote_limit},
	{"auth_timeout", 0, 0, 0, NULL, key_remote_limit},
	{"kdf_iterations", 0, 0, 0, NULL, key_remote_limit},
	{"limit_nofile", 0, 0, 0, NULL, key_limit},
	{"limit_nproc", 0, 0, 0, NULL, key_limit},
	{"limit_core", 0, 0, 0, NULL, key_limit},
	{"limit_memlock", 0, 0, 0, NULL, key_limit},
	{"seccomp", 0, 0, 0, NULL, key_seccomp},
	{"fastboot", 0, 0, 0, NULL, key_fastboot},
	{"memory_allowance", 0, 0, 0, NULL, key_limit},
	{"cpu_weight", 0, 0, 0, NULL, key_limit},
	{"cpu_quota", 0, 0, 0, NULL, key_limit},
	{"pids_max", 0, 0, 0, NULL, key_limit},
	{"io_weight", 0, 0, 0, NULL, key_limit},
};

/* The entry of key among the keys of one kind of section. For a numbered
 * key, *idx gets its number (-2 if out of range) and *rest what follows
 * it. */
static const struct keydef *key_find(const char *key, int global, int *idx,
				     const char **rest)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct keydef *k = &keys[i];
		size_t n = strlen(k->name);
		const char *d = key + n;
		long v = 0;

		if (k->global != global)
			continue;
		*idx = -1;
		*rest = "";
		if (!k->count) {
			if (!strcmp(key, k->name))
				return k;
			continue;
		}
		/* stem, a number without leading zeros, a suffix if allowed */
		if (strncmp(key, k->name, n) || !isdigit((unsigned char)*d) ||
		    (*d == '0' && isdigit((unsigned char)d[1])))
			continue;
		while (isdigit((unsigned char)*d) && v < 1000)
			v = v * 10 + (*d++ - '0');
		if (isdigit((unsigned char)*d) || v >= k->count) {
			*idx = -2;
			return k;
		}
		if (*d && !k->suffix)
			continue;
		*idx = (int)v;
		*rest = d;
		return k;
	}
	return NULL;
}

/* The key of this kind of section that an unknown key most likely meant
 * (at most two edits, fewer than half its letters), in buf; or NULL. A
 * numbered key keeps its number: udb0r -> ubd0r. */
static const char *key_suggest(const char *key, int global, char *buf, size_t n)
{
	size_t best = 3;
	const char *found = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct keydef *k = &keys[i];
		const char *num = key + strcspn(key, "0123456789");
		char stem[64];
		size_t d;

		if (k->global != global)
			continue;
		if (k->count) {
			if (!*num || num == key || (size_t)(num - key) >= sizeof(stem))
				continue;
			snprintf(stem, sizeof(stem), "%.*s", (int)(num - key), key);
			d = edit_distance(stem, k->name);
		} else {
			num = "";
			d = edit_distance(key, k->name);
		}
		if (d >= best || 2 * d >= strlen(k->name))
			continue;
		snprintf(stem, sizeof(stem), "%s%s", k->name, num);
		if (!strcmp(stem, key))
			continue; /* e.g. ubd01: not a spelling matter */
		best = d;
		snprintf(buf, n, "%s", stem);
		found = buf;
	}
	return found;
}

/* Notes a key of a VM that was given, valid or not (or meant, when
 * misspelt). */
static void mark_given(struct parse *p, const char *key)
{
	struct given *g;

	if (!p->vm)
		return;
	g = &p->given[p->vm - p->cfg->vms];
	g->vmuser |= !strcmp(key, "vmuser");
	g->disk |= !strncmp(key, "ubd", 3);
}

static void unknown_key(struct parse *p, const char *key)
{
	const struct keydef *other;
	const char *rest, *meant;
	char buf[80];
	struct strbuf list;
	int idx;

	if ((other = key_find(key, !p->in_global, &idx, &rest))) {
		add_error(p, nerr_of(p), key, p->in_global ?
			  "a VM's key; it belongs in a VM section, not in [GLOBAL]" :
			  "a key of [GLOBAL], not of a VM section");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].count && keys[i].global == p->in_global &&
		    !strcmp(key, keys[i].name)) {
			add_error(p, nerr_of(p), key, "needs a number (%s0, %s1, ...)",
				  key, key);
			return;
		}
	if ((meant = key_suggest(key, p->in_global, buf, sizeof(buf)))) {
		mark_given(p, meant);
		add_error(p, nerr_of(p), key, "unknown key; did you mean '%s'?", meant);
		return;
	}
	sb_init(&list);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].global == p->in_global)
			sb_printf(&list, "%s%s%s", list.len ? ", " : "", keys[i].name,
				  keys[i].count ? "N" : "");
	add_error(p, nerr_of(p), key, "unknown key%s (expected %s)",
		  p->in_global ? " in [GLOBAL]" : "", list.buf);
	sb_free(&list);
}

static void parse_key(struct parse *p, const char *key, const char *val)
{
	const struct keydef *k = key_find(key, p->in_global, &p->idx, &p->rest);

	if (!k)
		unknown_key(p, key);
	else if (p->idx == -2)
		add_error(p, nerr_of(p), key, "%s", k->range);
	else
		k->fn(p, key, val);
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
		p->given = xrealloc(p->given, sizeof(*p->given) * (size_t)p->cfg->nvms);
		memset(&p->given[p->cfg->nvms - 1], 0, sizeof(*p->given));
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
	nerr = nerr_of(p);
	mark_given(p, key);
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
	parse_key(p, key, val);
	{
		/* for umladmin config: which keys the section gave */
		char **keys = p->vm ? &p->vm->keys : &p->cfg->global.keys;
		char *old = *keys;

		*keys = xasprintf("%s%s ", old ? old : " ", key);
		free(old);
	}
	return 1;
}

int config_given(const char *keys, const char *key)
{
	size_t n = strlen(key);

	for (const char *k = keys; k && (k = strstr(k, key)); k += n)
		if (k[-1] == ' ' && k[n] == ' ')
			return 1;
	return 0;
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

/* The channel of a VM by name, or NULL. */
static const struct chan_conf *vm_chan(const struct vm_conf *vm, const char *name)
{
	for (int i = 0; i < vm->nchans; i++)
		if (!strcmp(vm->chans[i].name, name))
			return &vm->chans[i];
	return NULL;
}

/* Defaults that hold for every VM, then the checks across keys. A key
 * that was given but refused is one error already, not also a missing
 * one. */
static void order_chans(struct vm_conf *vm);

static void finish_vm(struct parse *p, struct vm_conf *vm,
		      const struct given *given)
{
	static const struct { const char *name; enum chan_mode mode; } defaults[] = {
		{"con0", CHAN_LOG}, {"con1", CHAN_PTY}, {"ssl0", CHAN_PTY},
	};

	p->line = vm->line;
	snprintf(p->section, sizeof(p->section), "%s", vm->name);
	/* without one, a user of its own (uidalloc.h) */
	if (!vm->vmuser && !given->vmuser) {
		vm->vmuser = xstrdup("auto");
		vm->uid_auto = 1;
	}
	if (vm->vmuser_shared < 0)
		vm->vmuser_shared = p->cfg->global.vmuser_shared;
	if (!vm->kernel)
		vm->kernel = xstrdup(UMLMON_DEFAULT_KERNEL);
	if (vm->ndisks == 0 && !given->disk)
		add_error(p, &vm->nerrors, NULL, "[%s]: no disk (set ubd0 = "
			  "/disks/root.dsk or similar)", vm->name);
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (!vm_chan(vm, defaults[i].name))
			set_chan(vm, defaults[i].name, defaults[i].mode, 0);
	order_chans(vm);
}

/* The channels in the order of the command line and -info: con0..con15,
 * then ssl0..ssl63. */
static void order_chans(struct vm_conf *vm)
{
	struct chan_conf keep[VM_MAX_CHANS];
	int n = 0;

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

/* A VM's remote keys not given in its section take [GLOBAL]'s (or the
 * defaults); then the checks across keys: TLS needs both files, TCP needs
 * a password (it fails closed). */
static void inherit_remote(struct parse *p, struct vm_conf *vm)
{
	const struct global_conf *g = &p->cfg->global;
	const struct remote_conf *d = &g->remote;
	struct remote_conf *r = &vm->remote;

#define INHERIT(bit, field) \
	if (!(r->given & (bit)) && (d->given & (bit))) \
		r->field = d->field
	INHERIT(REMOTE_TCP, tcp);
	INHERIT(REMOTE_MAX, max_clients);
	INHERIT(REMOTE_MAX_PEER, max_clients_per_peer);
	INHERIT(REMOTE_MAX_UNAUTH, max_unauth);
	INHERIT(REMOTE_AUTH_TIMEOUT, auth_timeout);
	INHERIT(REMOTE_KDF, kdf_iterations);
#undef INHERIT
	if (!(r->given & REMOTE_BIND) && d->tcp_bind)
		r->tcp_bind = xstrdup(d->tcp_bind);
	if (!(r->given & (REMOTE_TLS_CERT | REMOTE_TLS_KEY)) && d->tls_cert)
		r->tls_cert = xstrdup(d->tls_cert);
	if (!(r->given & (REMOTE_TLS_CERT | REMOTE_TLS_KEY)) && d->tls_key)
		r->tls_key = xstrdup(d->tls_key);
	p->line = vm->line;
	snprintf(p->section, sizeof(p->section), "%s", vm->name);
	if (vm->password && vm->password_file)
		add_error(p, &vm->nerrors, NULL, "[%s]: 'password' and "
			  "'password_file' both given (one of them)", vm->name);
	if (!r->tls_cert != !r->tls_key)
		add_error(p, &vm->nerrors, NULL, "[%s]: TLS needs both 'tls_cert' "
			  "and 'tls_key'", vm->name);
	if (r->tcp && !vm->password && !vm->password_file &&
	    !g->master_password && !g->master_password_file)
		add_error(p, &vm->nerrors, NULL, "[%s]: 'tcp = yes' needs a "
			  "password ('password' or 'password_file', or "
			  "'master_password' in [GLOBAL])", vm->name);
}

/* A VM's limit keys not given in its section take [GLOBAL]'s (or the
 * defaults). */
static void inherit_limits(struct parse *p, struct vm_conf *vm)
{
	const struct limits_conf *d = &p->cfg->global.limits;
	const struct cgroup_conf *c = &p->cfg->global.cgroup;

	for (int i = 0; i < LIMIT_COUNT; i++)
		if (!(vm->limits.given & (1u << i)) && (d->given & (1u << i)))
			vm->limits.v[i] = d->v[i];
	for (int i = 0; i < CG_COUNT; i++)
		if (!(vm->cgroup.given & (1u << i)) && (c->given & (1u << i)))
			vm->cgroup.v[i] = c->v[i];
}

/* A port from /etc/services, or the default. */
static int service_port(const char *name, int dflt)
{
	struct servent *se = getservbyname(name, "tcp");

	return se ? ntohs((uint16_t)se->s_port) : dflt;
}

/* An interface that holds the value key already: its error. */
static void nic_taken(struct parse *p, struct config *cfg, struct nameidx *x,
		      const char *key, int me, const char *what)
{
	int w = nameidx_put(x, key, me);
	struct vm_conf *vm = &cfg->vms[me / VM_MAX_NICS];
	const struct nic_conf *n = &vm->nics[me % VM_MAX_NICS];
	const struct vm_conf *o;
	const struct nic_conf *m;
	char name[16];

	if (w < 0)
		return;
	o = &cfg->vms[w / VM_MAX_NICS];
	m = &o->nics[w % VM_MAX_NICS];
	snprintf(name, sizeof(name), "eth%d", n->index);
	p->line = n->line;
	snprintf(p->section, sizeof(p->section), "%s", vm->name);
	add_error(p, &vm->nerrors, name, "%s %s is already %s's eth%d (line %d)",
		  what, key, o->name, m->index, m->line);
}

/* Across VMs: a host interface or an explicit MAC address belongs to one
 * interface only. One index each, not every pair of interfaces: a file
 * of many VMs is read in linear time. */
static void check_nics(struct parse *p, struct config *cfg)
{
	struct nameidx ifs = {0}, macs = {0};

	for (int i = 0; i < cfg->nvms; i++)
		for (int a = 0; a < cfg->vms[i].nnics; a++) {
			const struct nic_conf *n = &cfg->vms[i].nics[a];

			if (n->proxy_if[0])
				nic_taken(p, cfg, &ifs, n->proxy_if, i * VM_MAX_NICS + a,
					  "proxy_if");
			if (n->mac[0])
				nic_taken(p, cfg, &macs, n->mac, i * VM_MAX_NICS + a, "mac");
		}
	nameidx_free(&ifs);
	nameidx_free(&macs);
}

/* Into line order (stable: one line's errors keep theirs): the checks
 * made once the whole file was read (a missing key, interfaces across
 * VMs, inih's syntax error) found theirs last. */
static void sort_errors(struct config *cfg, int *lines)
{
	for (int i = 1; i < cfg->nerrors; i++) {
		char *err = cfg->errors[i], *sec = cfg->error_sections[i];
		int line = lines[i], j = i;

		for (; j > 0 && lines[j - 1] > line; j--) {
			cfg->errors[j] = cfg->errors[j - 1];
			cfg->error_sections[j] = cfg->error_sections[j - 1];
			lines[j] = lines[j - 1];
		}
		cfg->errors[j] = err;
		cfg->error_sections[j] = sec;
		lines[j] = line;
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
	remote_defaults(&cfg->global.remote);
	limits_defaults(&cfg->global.limits);
	cfg->global.seccomp = 1;
	cfg->global.fastboot = 1;
	cfg->global.host_reserve = UMLMON_DEFAULT_HOST_RESERVE;
	cfg->global.start_concurrency = UMLMON_DEFAULT_START_CONCURRENCY;
	cgroup_defaults(&cfg->global.cgroup);
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
		free(p->given);
		free(p->error_lines);
		free(p->secs);
		free(p);
		config_free(cfg);
		return NULL;
	}
	fclose(p->f);
	if (!cfg->global.vardir)
		cfg->global.vardir = xstrdup(UMLMON_DEFAULT_VARDIR);
	if (!cfg->global.cgroup_parent)
		cfg->global.cgroup_parent = xstrdup(UMLMON_DEFAULT_CGROUP_PARENT);
	if (!cfg->global.shared)
		cfg->global.shared = xasprintf("%s/shared", cfg->global.vardir);
	if (!cfg->global.rundir)
		cfg->global.rundir = xstrdup(UMLMON_DEFAULT_RUNDIR);
	if (!cfg->global.mac_lo && !cfg->global.mac_hi) {
		char cause[128];

		netconf_parse_pool(UMLMON_DEFAULT_MAC_POOL, &cfg->global.mac_lo,
				   &cfg->global.mac_hi, cause, sizeof(cause));
	}
	if (cfg->global.master_password && cfg->global.master_password_file) {
		p->line = 0;
		snprintf(p->section, sizeof(p->section), "GLOBAL");
		add_error(p, &cfg->global.nerrors, NULL, "[GLOBAL]: 'master_password' "
			  "and 'master_password_file' both given (one of them)");
	}
	if (!cfg->global.umldir_port)
		cfg->global.umldir_port = service_port("umldir",
						       UMLMON_DEFAULT_UMLDIR_PORT);
	if (!cfg->global.umlredir_port)
		cfg->global.umlredir_port = service_port("umlredir",
							 UMLMON_DEFAULT_UMLREDIR_PORT);
	if (!cfg->global.umldir_user)
		cfg->global.umldir_user = xstrdup("nobody");
	if (!cfg->global.web_bind)
		cfg->global.web_bind = xstrdup(UMLMON_DEFAULT_WEB_BIND);
	if (!cfg->global.web_port)
		cfg->global.web_port = service_port("umlweb",
						    UMLMON_DEFAULT_WEB_PORT);
	if (!cfg->global.web_user)
		cfg->global.web_user = xstrdup(UMLMON_DEFAULT_WEB_USER);
	if (!cfg->global.web_tls_cert != !cfg->global.web_tls_key) {
		p->line = 0;
		snprintf(p->section, sizeof(p->section), "GLOBAL");
		add_error(p, &cfg->global.nerrors, NULL, "[GLOBAL]: 'web_tls_cert' "
			  "and 'web_tls_key' go together (both or neither)");
	}
	if (!cfg->global.uid_first) {
		cfg->global.uid_first = UMLMON_DEFAULT_UID_FIRST;
		cfg->global.uid_last = UMLMON_DEFAULT_UID_LAST;
	}
	for (int i = 0; i < cfg->nvms; i++) {
		finish_vm(p, &cfg->vms[i], &p->given[i]);
		inherit_remote(p, &cfg->vms[i]);
		inherit_limits(p, &cfg->vms[i]);
		if (cfg->vms[i].seccomp < 0)
			cfg->vms[i].seccomp = cfg->global.seccomp;
		if (cfg->vms[i].fastboot < 0)
			cfg->vms[i].fastboot = cfg->global.fastboot;
	}
	check_nics(p, cfg);
	sort_errors(cfg, p->error_lines);
	free(p->given);
	free(p->error_lines);
	free(p->secs);
	free(p);
	return cfg;
}

static void free_vm(struct vm_conf *vm)
{
	free(vm->keys);
	free(vm->name);
	free(vm->vmuser);
	free(vm->kernel);
	free(vm->args);
	free(vm->password);
	free(vm->password_file);
	remote_free(&vm->remote);
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
	free(cfg->global.master_password);
	free(cfg->global.master_password_file);
	free(cfg->global.umldir_bind);
	free(cfg->global.umldir_user);
	free(cfg->global.web_bind);
	free(cfg->global.web_user);
	free(cfg->global.web_remote);
	free(cfg->global.web_tls_cert);
	free(cfg->global.web_tls_key);
	free(cfg->global.cgroup_parent);
	free(cfg->global.keys);
	remote_free(&cfg->global.remote);
	free(cfg->path);
	nameidx_free(&cfg->byname);
	free(cfg);
}

struct vm_conf *config_vm(struct config *cfg, const char *name)
{
	int i;

	/* VMs are only ever added: the index takes those it lacks */
	while ((int)cfg->byname.n < cfg->nvms) {
		i = (int)cfg->byname.n;
		if (nameidx_put(&cfg->byname, cfg->vms[i].name, i) >= 0)
			break; /* a name given twice, which the parse refused */
	}
	i = nameidx_get(&cfg->byname, name);
	if (i >= 0)
		return &cfg->vms[i];
	/* after a name given twice: the index stopped there */
	for (i = (int)cfg->byname.n; i < cfg->nvms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return &cfg->vms[i];
	return NULL;
}

int config_global_errors(const struct config *cfg, const char *prog)
{
	int bad = 0;

	for (int i = 0; i < cfg->nerrors; i++) {
		const char *sec = cfg->error_sections[i];

		if (!*sec || !strcmp(sec, "GLOBAL")) {
			fprintf(stderr, "%s: %s\n", prog, cfg->errors[i]);
			bad++;
		}
	}
	return bad;
}

/* The error a one-key parse collected, without its "file:line: " (the
 * key is not on a line of the file). */
static void first_error(const struct config *scratch, struct err *e)
{
	const char *msg = scratch->errors[0];
	const char *at = strstr(msg, ": ");

	err_code(e, ERR_INVAL, "%s", at ? at + 2 : msg);
}

/* Whether an interface of another VM holds what n would take: its tap
 * or its MAC address (as check_nics, for one interface). */
static int nic_clash(const struct config *cfg, const struct vm_conf *vm,
		     const struct nic_conf *n, struct err *e)
{
	for (int i = 0; i < cfg->nvms; i++)
		for (int k = 0; k < cfg->vms[i].nnics; k++) {
			const struct vm_conf *o = &cfg->vms[i];
			const struct nic_conf *m = &o->nics[k];

			if (o == vm && m->index == n->index)
				continue;
			if (n->proxy_if[0] && !strcmp(m->proxy_if, n->proxy_if)) {
				err_code(e, ERR_INVAL, "eth%d: proxy_if %s is already "
					 "%s's eth%d", n->index, n->proxy_if, o->name,
					 m->index);
				return -1;
			}
			if (n->mac[0] && !strcmp(m->mac, n->mac)) {
				err_code(e, ERR_INVAL, "eth%d: mac %s is already %s's "
					 "eth%d", n->index, n->mac, o->name, m->index);
				return -1;
			}
		}
	return 0;
}

int config_vm_set(const struct config *cfg, struct vm_conf *vm, const char *key,
		  const char *val, struct err *e)
{
	struct config *scratch = xcalloc(1, sizeof(*scratch));
	struct parse *p = xcalloc(1, sizeof(*p));
	const struct keydef *k;
	const struct chan_conf *c;
	int rc = -1, nnics = vm->nnics;

	scratch->path = xstrdup("");
	p->cfg = scratch;
	p->vm = vm;
	snprintf(p->section, sizeof(p->section), "%s", vm->name);
	k = key_find(key, 0, &p->idx, &p->rest);
	if (!k || (k->count && p->idx < 0)) {
		err_code(e, ERR_INVAL, "%s: not a key of a VM", key);
		goto out;
	}
	if (p->idx == -2) {
		err_code(e, ERR_INVAL, "%s: %s", key, k->range);
		goto out;
	}
	if (!*val) {
		err_code(e, ERR_INVAL, "%s: empty value", key);
		goto out;
	}
	if (k->fn == key_eth) {
		for (int i = 0; i < vm->nnics; i++)
			if (vm->nics[i].index == p->idx) {
				err_code(e, ERR_INVAL, "%s: already given", key);
				goto out;
			}
	} else if (k->fn == key_chan && (c = vm_chan(vm, key)) &&
		   c->mode != CHAN_NULL) {
		err_code(e, ERR_INVAL, "%s: already connected (%s)", key,
			 chan_mode_name(c->mode));
		goto out;
	}
	k->fn(p, key, val);
	if (scratch->nerrors) {
		first_error(scratch, e);
		goto out;
	}
	if (k->fn == key_chan)
		order_chans(vm);
	if (k->fn == key_eth && vm->nnics > nnics) {
		for (int i = 0; i < vm->nnics; i++)
			if (vm->nics[i].index == p->idx &&
			    nic_clash(cfg, vm, &vm->nics[i], e) < 0) {
				config_vm_unset(vm, key, NULL);
				goto out;
			}
	}
	rc = 0;
out:
	free(p->error_lines);
	free(p);
	config_free(scratch);
	return rc;
}

int config_vm_unset(struct vm_conf *vm, const char *key, struct err *e)
{
	int idx;
	const char *rest;
	const struct keydef *k = key_find(key, 0, &idx, &rest);

	if (k && k->fn == key_ubd && idx >= 0) {
		for (int i = 0; i < vm->ndisks; i++) {
			if (vm->disks[i].index != idx)
				continue;
			free(vm->disks[i].path);
			free(vm->disks[i].backing);
			memmove(&vm->disks[i], &vm->disks[i + 1],
				sizeof(vm->disks[0]) * (size_t)(vm->ndisks - i - 1));
			vm->ndisks--;
			return 0;
		}
	} else if (k && k->fn == key_eth && idx >= 0) {
		for (int i = 0; i < vm->nnics; i++) {
			if (vm->nics[i].index != idx)
				continue;
			memmove(&vm->nics[i], &vm->nics[i + 1],
				sizeof(vm->nics[0]) * (size_t)(vm->nnics - i - 1));
			vm->nnics--;
			return 0;
		}
	} else {
		if (e)
			err_code(e, ERR_INVAL, "%s: only a disk (ubdN) or an interface "
				 "(ethN) can be removed", key);
		return -1;
	}
	if (e)
		err_code(e, ERR_NOENT, "%s: the VM has none", key);
	return -1;
}
