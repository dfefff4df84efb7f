/* uidalloc.c -- a user of its own for each VM: the table VARDIR/uids and
 * the choice of a free uid (see uidalloc.h). */
#include "host/uidalloc.h"
#include "host/tmpfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define UIDTAB "uids"

/* A line of /etc/subuid or /etc/subgid ("name:first:count") covers uid. */
static int sub_covers(const char *path, uid_t uid)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int hit = 0;

	if (!f)
		return 0;
	while (!hit && fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b;
		unsigned long long first, count;

		if (!a || !(b = strchr(a + 1, ':')))
			continue;
		first = strtoull(a + 1, NULL, 10);
		count = strtoull(b + 1, NULL, 10);
		hit = uid >= first && uid - first < count;
	}
	fclose(f);
	return hit;
}

/* The four ids of a "Uid:" or "Gid:" line of /proc/PID/status hold id. */
static int ids_hold(const char *status, const char *tag, uid_t id)
{
	const char *l = strstr(status, tag);

	if (!l)
		return 0;
	l += strlen(tag);
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long v = strtoul(l, &end, 10);

		if (end == l)
			return 0;
		if ((uid_t)v == id)
			return 1;
		l = end;
	}
	return 0;
}

pid_t uid_process(uid_t uid, const char *root_skip, char *who, size_t len)
{
	DIR *d = opendir("/proc");
	struct stat skip = {0}, st;
	struct dirent *de;
	pid_t found = 0;

	if (!d)
		return 0;
	if (root_skip && stat(root_skip, &skip) < 0)
		root_skip = NULL;
	while (!found && (de = readdir(d))) {
		char path[300], *status, comm[64] = "?";
		const char *c;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		if (!(status = read_file(path, 8192, NULL)))
			continue; /* it ended */
		/* a zombie (a killed monitor's watcher, until something reaps
		 * it) holds no memory or file and can do nothing */
		if ((!ids_hold(status, "\nUid:", uid) && !ids_hold(status, "\nGid:", uid)) ||
		    strstr(status, "\nState:\tZ") || strstr(status, "\nState:\tX")) {
			free(status);
			continue;
		}
		if ((c = strstr(status, "Name:\t")))
			snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(c + 6, "\n"),
				 c + 6);
		free(status);
		snprintf(path, sizeof(path), "/proc/%s/root", de->d_name);
		/* as jail_find_process: the VM's own processes have its root */
		if (root_skip && stat(path, &st) == 0 && st.st_dev == skip.st_dev &&
		    st.st_ino == skip.st_ino)
			continue;
		found = (pid_t)atoi(de->d_name);
		snprintf(who, len, "pid %d (%s)", (int)found, comm);
	}
	closedir(d);
	return found;
}

int uid_taken(uid_t uid, char *who, size_t len, void *arg)
{
	struct passwd *pw;
	struct group *gr;

	(void)arg;
	if ((pw = getpwuid(uid))) {
		snprintf(who, len, "user %s", pw->pw_name);
		return 1;
	}
	if ((gr = getgrgid((gid_t)uid))) {
		snprintf(who, len, "group %s", gr->gr_name);
		return 1;
	}
	if (sub_covers("/etc/subuid", uid) || sub_covers("/etc/subgid", uid)) {
		snprintf(who, len, "a range of /etc/subuid or /etc/subgid");
		return 1;
	}
	return uid_process(uid, NULL, who, len) != 0;
}

void uidtab_free(struct uid_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
	nameidx_free(&t->byname);
}

const struct uid_row *uidtab_find(const struct uid_table *t, const char *vm)
{
	int i = nameidx_get(&t->byname, vm);

	return i >= 0 ? &t->rows[i] : NULL;
}

/* Appends r (the rows grow by doubling); -1 if its VM has a row. */
static int row_add(struct uid_table *t, const struct uid_row *r)
{
	if (nameidx_put(&t->byname, r->name, t->n) >= 0)
		return -1;
	if (t->n == 0 || (t->n >= 16 && !(t->n & (t->n - 1))))
		t->rows = xrealloc(t->rows, sizeof(*t->rows) *
				   (size_t)(t->n ? 2 * t->n : 16));
	t->rows[t->n++] = *r;
	return 0;
}

static int parse_row(char *line, struct uid_row *r)
{
	char name[VM_NAME_MAX + 2];
	unsigned long long v;
	char *end;
	int n = 0;

	if (sscanf(line, "%33s %n", name, &n) != 1 || !n || strlen(name) > VM_NAME_MAX)
		return -1;
	errno = 0;
	v = strtoull(line + n, &end, 10);
	if (!isdigit((unsigned char)line[n]) || errno || *end || v == 0 ||
	    v >= (uid_t)-1)
		return -1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->uid = (uid_t)v;
	return 0;
}

int uidtab_read(const char *vardir, struct uid_table *t, struct err *e)
{
	char *path = xasprintf("%s/" UIDTAB, vardir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	FILE *f;
	char line[256];
	int lineno = 0, rc = -1;

	memset(t, 0, sizeof(*t));
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			err_sys(e, "%s", path);
		free(path);
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		err_code(e, ERR_PERM, "%s: not a regular file that only root "
			 "may write (owner %u, mode %04o)", path, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		free(path);
		return -1;
	}
	f = fdopen(fd, "r");
	while (fgets(line, sizeof(line), f)) {
		struct uid_row r;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (parse_row(line, &r) < 0 || row_add(t, &r) < 0) {
			err_code(e, ERR_INVAL, "%s:%d: '%s': not 'VM UID' of a VM "
				 "not listed before", path, lineno, line);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		uidtab_free(t);
	fclose(f);
	free(path);
	return rc;
}

/* VARDIR, locked: the table is read, changed and renamed in place while
 * this is held. */
static int lock_vardir(const char *vardir, struct err *e)
{
	int fd;

	if (mkdir_p(vardir, 0755) < 0 ||
	    (fd = open(vardir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_sys(e, "%s", vardir);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			err_sys(e, "%s: lock", vardir);
			close(fd);
			return -1;
		}
	return fd;
}

static int uidtab_write(int dirfd, const char *vardir,
			const struct uid_table *t, struct err *e)
{
	char what[4200];
	struct tmpfile tf;
	struct strbuf sb;
	int rc;

	snprintf(what, sizeof(what), "%s/" UIDTAB, vardir);
	sb_init(&sb);
	sb_puts(&sb, "# the uids of the VMs with vmuser = auto: see umlmon(5)\n");
	for (int i = 0; i < t->n; i++)
		sb_printf(&sb, "%s %u\n", t->rows[i].name, (unsigned)t->rows[i].uid);
	if (tmpfile_new(&tf, dirfd, UIDTAB, 0644, what, e) < 0) {
		sb_free(&sb);
		return -1;
	}
	if (fchmod(tf.fd, 0644) < 0 || write(tf.fd, sb.buf, sb.len) != (ssize_t)sb.len) {
		err_sys(e, "%s", what);
		tmpfile_abort(&tf);
		sb_free(&sb);
		return -1;
	}
	sb_free(&sb);
	rc = tmpfile_commit(&tf, 1, e);
	return rc;
}

static const char *uid_key(char *buf, size_t len, uid_t uid)
{
	snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

int uidalloc_get(const char *vardir, uid_t first, uid_t last, const char *vm,
		 uid_taken_fn taken, void *arg, uid_t *uid, struct err *e)
{
	struct uid_table t;
	const struct uid_row *r;
	struct uid_row row;
	struct nameidx uids = {0};
	char who[128], k[16];
	int fd, rc = -1, held = 0, other = 0;
	uid_t u;

	if ((fd = lock_vardir(vardir, e)) < 0)
		return -1;
	if (uidtab_read(vardir, &t, e) < 0)
		goto out_close;
	if ((r = uidtab_find(&t, vm))) {
		*uid = r->uid;
		rc = 0;
		goto out;
	}
	if (!taken)
		taken = uid_taken;
	/* the table's uids, looked up once each instead of walked per uid */
	for (int i = 0; i < t.n; i++)
		nameidx_put(&uids, uid_key(k, sizeof(k), t.rows[i].uid), i);
	for (u = first; ; u++) {
		if (nameidx_get(&uids, uid_key(k, sizeof(k), u)) >= 0)
			held++;
		else if (taken(u, who, sizeof(who), arg))
			other++;
		else
			break;
		if (u == last) {
			err_code(e, ERR_BUSY, "%s: no free uid in vm_uid_range %u-%u "
				 "(%d held by VMs in %s/" UIDTAB ", %d used on the host); "
				 "widen the range or free uids (umladmin uid -free)",
				 vm, (unsigned)first, (unsigned)last, held, vardir, other);
			goto out;
		}
	}
	snprintf(row.name, sizeof(row.name), "%s", vm);
	row.uid = u;
	row_add(&t, &row);
	if (uidtab_write(fd, vardir, &t, e) < 0)
		goto out;
	*uid = u;
	rc = 0;
out:
	nameidx_free(&uids);
	uidtab_free(&t);
out_close:
	close(fd);
	return rc;
}

int uidalloc_free(const char *vardir, const char *vm, uid_t *uid, struct err *e)
{
	struct uid_table t;
	int fd, rc = -1, k = -1;

	if ((fd = lock_vardir(vardir, e)) < 0)
		return -1;
	if (uidtab_read(vardir, &t, e) < 0)
		goto out_close;
	for (int i = 0; i < t.n; i++)
		if (!strcmp(t.rows[i].name, vm))
			k = i;
	if (k < 0) {
		err_code(e, ERR_NOENT, "%s: no uid in %s/" UIDTAB, vm, vardir);
		goto out;
	}
	*uid = t.rows[k].uid;
	memmove(&t.rows[k], &t.rows[k + 1], sizeof(*t.rows) * (size_t)(t.n - k - 1));
	t.n--;
	rc = uidtab_write(fd, vardir, &t, e);
out:
	uidtab_free(&t);
out_close:
	close(fd);
	return rc;
}

int uidalloc_resolve(struct config *cfg, const char *alloc, struct err *e)
{
	struct uid_table t;
	int rc = 0;

	if (uidtab_read(cfg->global.vardir, &t, e) < 0)
		return -1;
	for (int i = 0; i < cfg->nvms; i++) {
		struct vm_conf *vm = &cfg->vms[i];
		const struct uid_row *r = uidtab_find(&t, vm->name);
		uid_t u;

		if (!vm->uid_auto)
			continue;
		if (r) {
			u = r->uid;
		} else if (alloc && !strcmp(alloc, vm->name)) {
			if (uidalloc_get(cfg->global.vardir, cfg->global.uid_first,
					 cfg->global.uid_last, vm->name, NULL, NULL,
					 &u, e) < 0) {
				rc = -1;
				continue;
			}
		} else {
			continue;
		}
		vm->uid = u;
		vm->gid = (gid_t)u;
	}
	uidtab_free(&t);
	return rc;
}
