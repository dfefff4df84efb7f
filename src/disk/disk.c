/* disk.c -- disk images of a VM: paths, holders, and the operations of
 * umlwatch -disk (see disk.h). */
#include "disk/disk.h"
#include "common/paths.h"
#include "disk/disklock.h"
#include "disk/extents.h"
#include "host/safeopen.h"
#include "host/tmpfile.h"
#include "host/uidalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOLDERS 16
/* no symlink, however it is made, may lead out of a place */
#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

static const char *const kind_names[] = {"flat image", "COW file", "block device"};

/* The places of vm (NULL: only the shared one) under vardir and shared. */
static int ctx_set(struct disk_ctx *c, const char *vardir, const char *shared,
		   const char *vm, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->vmuid = (uid_t)-1;
	if (vm) {
		if (config_valid_name(vm, e) < 0)
			return -1;
		c->vm = xstrdup(vm);
		c->disks = vm_disks_path(vardir, vm);
	}
	c->vardir = xstrdup(vardir);
	c->shared = xstrdup(shared);
	c->shared_disks = shared_disks_path(shared);
	return 0;
}

int disk_ctx_init(struct disk_ctx *c, const struct config *cfg, const char *vm,
		  struct err *e)
{
	if (ctx_set(c, cfg->global.vardir, cfg->global.shared, vm, e) < 0)
		return -1;
	for (int i = 0; vm && i < cfg->nvms; i++)
		if (!strcmp(cfg->vms[i].name, vm))
			c->vmuid = cfg->vms[i].uid;
	c->cfg = cfg;
	c->cfg_path = cfg->path ? xstrdup(cfg->path) : NULL;
	return 0;
}

int disk_ctx_reload(struct disk_ctx *c, struct err *e)
{
	if (c->own)
		config_free(c->own);
	c->own = NULL;
	c->cfg = NULL;
	if (!c->cfg_path)
		err_set(&c->cfg_err, "the configuration has no file to read");
	else
		c->own = config_load(c->cfg_path, &c->cfg_err);
	if (!c->own) {
		*e = c->cfg_err;
		return -1;
	}
	/* the VMs' own uids (vmuser = auto); without the table, unknown */
	{
		struct err ignored;

		uidalloc_resolve(c->own, NULL, &ignored);
	}
	c->cfg = c->own;
	return 0;
}

void disk_ctx_free(struct disk_ctx *c)
{
	free(c->vm);
	free(c->vardir);
	free(c->shared);
	free(c->disks);
	free(c->shared_disks);
	free(c->cfg_path);
	if (c->own)
		config_free(c->own);
	memset(c, 0, sizeof(*c));
}

/* ---- paths ------------------------------------------------------------ */

static void open_error(const char *path, const char *place, struct err *e)
{
	int saved = errno;

	if (errno == EXDEV)
		err_code(e, ERR_INVAL, "%s: a symlink on the way leads out of %s", path, place);
	else if (errno == ELOOP)
		err_code(e, ERR_INVAL, "%s: too many symlinks on the way", path);
	else if (errno == ENOENT)
		err_code(e, ERR_NOENT, "%s: no such disk", path);
	else
		err_sys(e, "%s", path);
	errno = saved;
}

int disk_resolve(const struct disk_ctx *c, const char *path, struct disk_ref *r,
		 struct err *e)
{
	static const char *const prefix[] = {"/disks/", "/shared/disks/"};
	const char *rel = NULL, *base = NULL, *slash, *dot, *p;
	int place = -1, pfd;

	memset(r, 0, sizeof(*r));
	r->dirfd = -1;
	r->vmuid = (uid_t)-1;
	if (strlen(path) >= sizeof(r->path) - 1) {
		err_code(e, ERR_INVAL, "%.64s...: path too long", path);
		return -1;
	}
	for (int i = 0; i < 2; i++)
		if (!strncmp(path, prefix[i], strlen(prefix[i]))) {
			place = i;
			rel = path + strlen(prefix[i]);
		}
	if (place < 0) {
		err_code(e, ERR_INVAL, "%s: not in /disks or /shared/disks, the places a VM's "
			"disks may be", path);
		return -1;
	}
	base = place ? c->shared_disks : c->disks;
	if (!base) {
		err_code(e, ERR_INVAL, "%s: /disks is a VM's own place; name the VM", path);
		return -1;
	}
	for (p = rel;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			err_code(e, ERR_INVAL, "%s: empty, '.' and '..' components are not allowed",
				path);
			return -1;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	slash = strrchr(rel, '/');
	snprintf(r->name, sizeof(r->name), "%s", slash ? slash + 1 : rel);
	dot = strrchr(r->name, '.');
	if (dot && !strcmp(dot, ".dsk"))
		r->kind = DISK_FLAT;
	else if (dot && !strcmp(dot, ".cow"))
		r->kind = DISK_COW;
	else if (dot && !strcmp(dot, ".dev"))
		r->kind = DISK_DEV;
	else {
		err_code(e, ERR_INVAL, "%s: unknown kind of disk: the name must end in .dsk "
			"(flat image), .cow (copy-on-write) or .dev (block device)",
			path);
		return -1;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	snprintf(r->host, sizeof(r->host), "%s/%s", base, rel);
	if (!place)
		r->vmuid = c->vmuid;
	/* the place and the way to it are root's (shared/disks may well be
	 * a symlink to a larger file system) */
	pfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		err_sys(e, "%s: its place %s", path, base);
		return -1;
	}
	if (slash) {
		struct open_how how;
		char dir[4096];

		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		how.resolve = BENEATH;
		r->dirfd = (int)syscall(SYS_openat2, pfd, dir, &how, sizeof(how));
		if (r->dirfd < 0)
			open_error(path, place ? "/shared/disks" : "/disks", e);
	} else {
		r->dirfd = dup(pfd);
		if (r->dirfd < 0)
			err_sys(e, "dup");
	}
	close(pfd);
	return r->dirfd < 0 ? -1 : 0;
}

void disk_ref_close(struct disk_ref *r)
{
	if (r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
}

/* In the VM's own place, which its guest writes? */
static int in_guest_place(const struct disk_ref *r)
{
	return !strncmp(r->path, "/disks/", 7);
}

/* What an operation does with a file, which decides how it is opened. */
enum use {
	USE_NAME,  /* O_PATH: its locks, its name; any kind of file */
	USE_READ,  /* read here: a COW header, sizes (never a FIFO, a socket, a
		    * character device) */
	USE_DATA,  /* its data into a new file: also one name in /disks */
	USE_WRITE, /* written: also one name in /disks */
};

/* Reopens pfd, the O_PATH descriptor of r's file, for use (closes pfd
 * in any case); errno is kept. */
static int upgrade_ref(const struct disk_ref *r, int pfd, enum use use,
		       struct err *e)
{
	struct stat st;
	char cause[128];
	int fd, saved;

	if (use == USE_NAME)
		return pfd;
	if (fstat(pfd, &st) < 0) {
		err_sys(e, "%s", r->path);
		goto fail;
	}
	if (so_check(&st, r->kind == DISK_DEV ? SO_BLK : SO_REG,
		     use >= USE_DATA && in_guest_place(r), r->vmuid, cause,
		     sizeof(cause)) < 0) {
		err_set(e, "%s: %s", r->path, cause);
		errno = EINVAL;
		goto fail;
	}
	fd = so_reopen(pfd, use == USE_WRITE ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		err_sys(e, "%s", r->path);
		goto fail;
	}
	close(pfd);
	return fd;
fail:
	saved = errno;
	close(pfd);
	errno = saved;
	return -1;
}

/* Opens the file of r for use; nofollow: a symlink as its last component
 * is not followed (USE_NAME: it is opened itself). errno is kept. */
static int open_ref(const struct disk_ref *r, enum use use, int nofollow,
		    struct err *e)
{
	int pfd = so_open_path(r->dirfd, r->name, BENEATH, nofollow);

	if (pfd < 0) {
		open_error(r->path, in_guest_place(r) ? "/disks" : "/shared/disks", e);
		return -1;
	}
	return upgrade_ref(r, pfd, use, e);
}

int disk_open(const struct disk_ref *r, int flags, struct err *e)
{
	enum use use = USE_READ;

	if (flags & O_PATH)
		use = USE_NAME;
	else if ((flags & O_ACCMODE) != O_RDONLY)
		use = USE_WRITE;
	return open_ref(r, use, (flags & O_NOFOLLOW) != 0, e);
}

int disk_open_data(const struct disk_ref *r, struct err *e)
{
	return open_ref(r, USE_DATA, 0, e);
}

/* Size in bytes of a disk file or block device (open_ref checked which). */
static int disk_size(int fd, const struct disk_ref *r, uint64_t *size,
		     struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		err_sys(e, "%s", r->path);
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			err_sys(e, "%s: size of the block device", r->path);
			return -1;
		}
		return 0;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

/* ---- holders: the kernels' locks ------------------------------------ */

static void umid_of(pid_t pid, char *vm, size_t len)
{
	char path[64], *buf;
	size_t n;

	vm[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf = read_file(path, 65536, &n);
	if (!buf)
		return;
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "umid=", 5)) {
			snprintf(vm, len, "%s", buf + i + 5);
			break;
		}
	free(buf);
}

int disk_holders(int fd, struct disk_holder *h, int max)
{
	struct stat st;
	char line[512];
	FILE *f;
	int n = 0;

	if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char type[16], mode[16], rw[16];
		unsigned maj, mn;
		unsigned long ino;
		int pid, dup = 0;
		char *p = strchr(line, ':');

		/* "1: POSIX  ADVISORY  WRITE 123 fd:01:4567 0 EOF";
		 * "1: -> POSIX ..." is a waiter, not a holder */
		if (!p || strstr(line, "->"))
			continue;
		if (sscanf(p + 1, "%15s %15s %15s %d %x:%x:%lu", type, mode, rw, &pid,
			   &maj, &mn, &ino) != 7)
			continue;
		if (makedev(maj, mn) != st.st_dev || ino != st.st_ino)
			continue;
		for (int i = 0; i < n; i++)
			if (h[i].pid == pid && pid > 0) {
				h[i].write |= !strcmp(rw, "WRITE");
				dup = 1;
			}
		if (dup)
			continue;
		h[n].pid = pid > 0 ? pid : -1;
		h[n].write = !strcmp(rw, "WRITE");
		if (pid > 0)
			umid_of(pid, h[n].vm, sizeof(h[n].vm));
		else
			h[n].vm[0] = 0;
		n++;
	}
	fclose(f);
	return n;
}

void disk_holder_text(const struct disk_holder *h, char *buf, size_t len)
{
	const char *how = h->write ? "read-write" : "read-only";

	if (h->vm[0])
		snprintf(buf, len, "%s (%s, kernel pid %d)", h->vm, how, (int)h->pid);
	else if (h->pid > 0)
		snprintf(buf, len, "process %d (%s)", (int)h->pid, how);
	else
		snprintf(buf, len, "an unknown process (%s)", how);
}

/* Refuses if anybody holds fd (or, with only_writers, holds it to write).
 * With locks in c the image is first locked against other monitors'
 * starts and operations (see disklock.h), shared for only_writers (we
 * read), exclusive otherwise, so that nobody else passes this check until
 * the caller is done. */
int disk_refuse_held(const struct disk_ctx *c, int fd, const char *path,
		     int only_writers, const char *what, struct err *e)
{
	struct disk_holder h[MAX_HOLDERS];
	int n;

	if (c->locks) {
		char name[4200];

		snprintf(name, sizeof(name), "%s: %s", path, what);
		if (disklock_take(c->locks, fd, name, !only_writers, e) < 0)
			return -1;
	}
	n = disk_holders(fd, h, MAX_HOLDERS);

	for (int i = 0; i < n; i++) {
		char who[128];

		if (only_writers && !h[i].write)
			continue;
		disk_holder_text(&h[i], who, sizeof(who));
		err_code(e, ERR_BUSY, "%s: %s: in use by %s", path, what, who);
		return -1;
	}
	return 0;
}

/* ---- COW files that depend on a backing file ------------------------ */

/* Opens the backing file that a COW's header (or the configuration)
 * names, in the COW's context. */
static int open_backing(const struct disk_ctx *c, const char *backing,
			enum use use, struct disk_ref *br, struct err *e)
{
	int fd;

	if (disk_resolve(c, backing, br, e) < 0)
		return -1;
	if (br->kind == DISK_COW) {
		err_code(e, ERR_INVAL, "%s: a COW file cannot be the backing file of another",
			backing);
		disk_ref_close(br);
		return -1;
	}
	fd = open_ref(br, use, 0, e);
	if (fd < 0)
		disk_ref_close(br);
	return fd;
}

/* A search for the COW files over one file, the target. */
struct depscan {
	const struct stat *target;
	const struct stat *except; /* the COW being merged, or NULL */
	struct strbuf *deps;       /* "vm3:/disks/root.cow, ..." */
	int count;
	struct stat *found;        /* reported, so as to name each once */
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Does path, a backing file named in the context vc, lead to the target? */
static int is_target(const struct disk_ctx *vc, const char *path,
		     const struct stat *target)
{
	struct disk_ref br;
	struct stat st;
	struct err e;
	int fd, r;

	fd = open_backing(vc, path, USE_NAME, &br, &e);
	if (fd < 0)
		return 0;
	r = fstat(fd, &st) == 0 && same_file(&st, target);
	close(fd);
	disk_ref_close(&br);
	return r;
}

/* The COW file open as pfd (O_PATH) in the context vc, shown as name:
 * a dependent if the backing file of its header, or the one the
 * configuration gives it (override, or NULL), is the target. Either
 * counts: the header's is what the file was written over, the
 * configuration's what its next boot will open. */
static void consider(struct depscan *s, const struct disk_ctx *vc, int pfd,
		     const char *name, const char *override)
{
	struct cow_header h;
	struct stat st;
	char cause[128];
	struct err e;
	int fd, dep = 0;

	if (fstat(pfd, &st) < 0 ||
	    so_check(&st, SO_REG, 0, (uid_t)-1, cause, sizeof(cause)) < 0 ||
	    (s->except && same_file(&st, s->except)))
		return;
	for (int i = 0; i < s->count; i++)
		if (same_file(&st, &s->found[i]))
			return;
	if (override)
		dep = is_target(vc, override, s->target);
	if (!dep) {
		fd = so_reopen(pfd, O_RDONLY);
		if (fd < 0)
			return;
		if (cow_read_header(fd, name, &h, &e) == 0)
			dep = is_target(vc, h.backing, s->target);
		close(fd);
	}
	if (!dep)
		return;
	s->found = xrealloc(s->found, sizeof(*s->found) * (size_t)(s->count + 1));
	s->found[s->count] = st;
	sb_printf(s->deps, "%s%s", s->count ? ", " : "", name);
	s->count++;
}

static int cow_entry(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return len > 4 && !strcmp(de->d_name + len - 4, ".cow") &&
	       (de->d_type == DT_REG || de->d_type == DT_UNKNOWN);
}

/* The .cow files directly in the directory dfd of the context vc;
 * prefix + name names them. */
static void scan_dir(struct depscan *s, const struct disk_ctx *vc, int dfd,
		     const char *prefix)
{
	struct dirent **list;
	int n = scandirat(dfd, ".", &list, cow_entry, alphasort);

	for (int i = 0; i < n; i++) {
		/* a symlink is opened itself, and skipped */
		int pfd = so_open_path(dfd, list[i]->d_name, BENEATH, 1);

		if (pfd >= 0) {
			char *name = xasprintf("%s%s", prefix, list[i]->d_name);

			consider(s, vc, pfd, name, NULL);
			free(name);
			close(pfd);
		}
		free(list[i]);
	}
	if (n > 0)
		free(list);
}

static int vm_entry(const struct dirent *de)
{
	struct err e;

	return de->d_name[0] != '.' && config_valid_name(de->d_name, &e) == 0;
}

/* Every VM directory under vardir, whether a configuration names it or
 * not, and the shared place. */
static void scan_home(struct depscan *s, const char *vardir, const char *shared)
{
	struct dirent **list;
	struct disk_ctx vc;
	struct err e;
	int vfd, n, dfd;

	vfd = open(vardir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	n = vfd < 0 ? -1 : scandirat(vfd, ".", &list, vm_entry, alphasort);
	for (int i = 0; i < n; i++) {
		struct open_how how;
		char *sub = xasprintf("%s/" VM_REL_DISKS, list[i]->d_name);

		/* root's directories up to disks: no symlink on the way */
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		how.resolve = BENEATH | RESOLVE_NO_SYMLINKS;
		dfd = (int)syscall(SYS_openat2, vfd, sub, &how, sizeof(how));
		free(sub);
		if (dfd >= 0 && ctx_set(&vc, vardir, shared, list[i]->d_name, &e) == 0) {
			char *prefix = xasprintf("%s:/disks/", list[i]->d_name);

			scan_dir(s, &vc, dfd, prefix);
			free(prefix);
			disk_ctx_free(&vc);
		}
		if (dfd >= 0)
			close(dfd);
		free(list[i]);
	}
	if (n > 0)
		free(list);
	if (vfd >= 0)
		close(vfd);
	if (ctx_set(&vc, vardir, shared, NULL, &e) < 0)
		return;
	dfd = open(vc.shared_disks, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		scan_dir(s, &vc, dfd, "/shared/disks/");
		close(dfd);
	}
	disk_ctx_free(&vc);
}

/* The COW files the configuration names, wherever they are, with the
 * backing files it gives them. */
static void scan_config(struct depscan *s, const struct config *cfg)
{
	for (int i = 0; i < cfg->nvms; i++) {
		const struct vm_conf *vm = &cfg->vms[i];
		struct disk_ctx vc;
		struct err e;

		if (ctx_set(&vc, cfg->global.vardir, cfg->global.shared, vm->name,
			    &e) < 0)
			continue;
		for (int k = 0; k < vm->ndisks; k++) {
			const struct disk_conf *d = &vm->disks[k];
			struct disk_ref r;
			int pfd;

			if (disk_resolve(&vc, d->path, &r, &e) < 0)
				continue;
			pfd = r.kind != DISK_COW ? -1 :
				so_open_path(r.dirfd, r.name, BENEATH, 0);
			if (pfd >= 0) {
				char *name = in_guest_place(&r) ?
					xasprintf("%s:%s", vm->name, d->path) :
					xstrdup(d->path);

				consider(s, &vc, pfd, name, d->backing);
				free(name);
				close(pfd);
			}
			disk_ref_close(&r);
		}
		disk_ctx_free(&vc);
	}
}

/* COW files of any VM, or in the shared place, over target (except the
 * one given), found now: on disk and in the configuration as it is.
 * Returns how many, and deps lists them; -1 if the configuration could
 * not be read. */
static int find_dependents(const struct disk_ctx *c, const struct stat *target,
			   const struct stat *except, struct strbuf *deps,
			   struct err *e)
{
	struct depscan s = {target, except, deps, 0, NULL};

	if (!c->cfg) {
		err_set(e, "cannot tell which COW files depend on it: %s",
			c->cfg_err.msg);
		return -1;
	}
	/* first, so that a VM's COW files are named by their VM */
	scan_config(&s, c->cfg);
	scan_home(&s, c->vardir, c->shared);
	if (strcmp(c->cfg->global.vardir, c->vardir) ||
	    strcmp(c->cfg->global.shared, c->shared))
		scan_home(&s, c->cfg->global.vardir, c->cfg->global.shared);
	free(s.found);
	return s.count;
}

static int refuse_dependents(const struct disk_ctx *c, int fd, const char *path,
			     const struct stat *except, const char *what,
			     struct err *e)
{
	struct strbuf deps;
	struct stat st;
	struct err fe;
	int n;

	if (fstat(fd, &st) < 0) {
		err_sys(e, "%s", path);
		return -1;
	}
	sb_init(&deps);
	n = find_dependents(c, &st, except, &deps, &fe);
	if (n < 0)
		err_set(e, "%s: %s: %s", path, what, fe.msg);
	else if (n)
		err_code(e, ERR_BUSY, "%s: %s: it is the backing file of %s", path, what,
			deps.buf);
	sb_free(&deps);
	return n ? -1 : 0;
}

/* ---- COW validity ----------------------------------------------------- */

/* Does the backing file (open as bfd) still have the header's size and
 * mtime? */
int disk_backing_matches(const struct cow_header *h, const char *cow, int bfd,
			 const struct disk_ref *br, struct err *e)
{
	struct stat st;
	uint64_t size;
	char a[64], b[64];

	if (disk_size(bfd, br, &size, e) < 0 || fstat(bfd, &st) < 0)
		return -1;
	if (size != h->size) {
		err_set(e, "%s: its backing file %s changed: size %llu, the COW "
			"expects %llu", cow, h->backing, (unsigned long long)size,
			(unsigned long long)h->size);
		return -1;
	}
	if ((int64_t)st.st_mtime != h->mtime) {
		err_set(e, "%s: its backing file %s changed: modified %s, the COW "
			"expects %s", cow, h->backing,
			fmt_utc(st.st_mtime, a, sizeof(a)),
			fmt_utc(h->mtime, b, sizeof(b)));
		return -1;
	}
	return 0;
}

int disk_backing_ok(const struct disk_ctx *c, const struct cow_header *h,
		    const char *cow, struct err *e)
{
	struct disk_ref br;
	int bfd = open_backing(c, h->backing, USE_READ, &br, e), rc;

	if (bfd < 0) {
		err_prefix(e, "%s: backing file", cow);
		return -1;
	}
	rc = disk_backing_matches(h, cow, bfd, &br, e);
	close(bfd);
	disk_ref_close(&br);
	return rc;
}

/* ---- writing a new file -------------------------------------------- */

/* A new disk is written unnamed and linked in at the end (tmpfile.h): an
 * interrupted copy or merge leaves nothing, no name that a guest may have
 * planted is opened, and nothing existing is replaced. */
static int newfile_open(struct tmpfile *t, const struct disk_ref *r, struct err *e)
{
	struct stat st;

	t->fd = -1;
	/* early, to spare the work; the link at the end is what decides */
	if (fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		err_code(e, ERR_BUSY, "%s: already exists", r->path);
		return -1;
	}
	return tmpfile_new(t, r->dirfd, r->name, 0644, r->path, e);
}

/* ---- the operations ------------------------------------------------- */

int disk_create(const struct disk_ctx *c, const char *path, uint64_t size,
		const char *backing, struct strbuf *text, struct err *e)
{
	struct disk_ref r, br;
	struct tmpfile nf;
	struct cow_header h;
	char sz[32];
	int rc = -1;

	if (disk_resolve(c, path, &r, e) < 0)
		return -1;
	br.dirfd = -1;
	nf.fd = -1;
	if (r.kind == DISK_DEV) {
		err_code(e, ERR_INVAL, "%s: block devices are made by the host, not by umlmon",
			path);
		goto out;
	}
	if ((r.kind == DISK_COW) != (backing && *backing)) {
		err_code(e, ERR_INVAL, r.kind == DISK_COW ?
			"%s: a COW file needs a backing file" :
			"%s: only a COW file (.cow) has a backing file", path);
		goto out;
	}
	if (r.kind == DISK_FLAT && (size == 0 || size % COW_SECTOR)) {
		err_code(e, ERR_INVAL, "%s: size %llu: must be a positive multiple of %d bytes",
			path, (unsigned long long)size, COW_SECTOR);
		goto out;
	}
	if (newfile_open(&nf, &r, e) < 0)
		goto out;
	if (r.kind == DISK_FLAT) {
		if (ftruncate(nf.fd, (off_t)size) < 0) {
			err_sys(e, "%s: size %llu", path, (unsigned long long)size);
			goto out;
		}
		if (text)
			sb_printf(text, "%s: flat image of %s (sparse)\n", path,
				  fmt_size(size, sz, sizeof(sz)));
	} else {
		struct stat st;
		int bfd = open_backing(c, backing, USE_READ, &br, e);

		if (bfd < 0)
			goto out;
		if (disk_size(bfd, &br, &size, e) < 0 || fstat(bfd, &st) < 0 ||
		    disk_refuse_held(c, bfd, backing, 1, "backing file", e) < 0 ||
		    cow_init_header(&h, br.path, size, st.st_mtime, e) < 0 ||
		    cow_write_new(nf.fd, path, &h, e) < 0) {
			close(bfd);
			goto out;
		}
		close(bfd);
		if (text)
			sb_printf(text, "%s: COW file over %s (%s)\n", path, br.path,
				  fmt_size(size, sz, sizeof(sz)));
	}
	rc = tmpfile_commit(&nf, 0, e);
out:
	if (rc < 0)
		tmpfile_abort(&nf);
	disk_ref_close(&br);
	disk_ref_close(&r);
	return rc;
}

int disk_delete(const struct disk_ctx *c, const char *path, struct strbuf *text,
		struct err *e)
{
	struct disk_ref r;
	int fd, rc = -1;

	if (disk_resolve(c, path, &r, e) < 0)
		return -1;
	/* a symlink, a FIFO, whatever the name is: it is removed itself */
	fd = open_ref(&r, USE_NAME, 1, e);
	if (fd < 0)
		goto out;
	if (disk_refuse_held(c, fd, path, 0, "cannot delete", e) < 0 ||
	    refuse_dependents(c, fd, path, NULL, "cannot delete", e) < 0)
		goto out;
	if (unlinkat(r.dirfd, r.name, 0) < 0) {
		err_sys(e, "%s: delete", path);
		goto out;
	}
	if (text)
		sb_printf(text, "%s: deleted\n", path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	disk_ref_close(&r);
	return rc;
}

int disk_copy(const struct disk_ctx *c, const char *src, const char *dst,
	      disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e)
{
	struct disk_ref s, d;
	struct tmpfile nf = {.fd = -1};
	enum xcopy_done did;
	uint64_t size;
	int in = -1, rc = -1;
	char sz[32];

	d.dirfd = -1;
	if (disk_resolve(c, src, &s, e) < 0)
		return -1;
	if (disk_resolve(c, dst, &d, e) < 0)
		goto out;
	if (d.kind != s.kind && !(s.kind == DISK_DEV && d.kind == DISK_FLAT)) {
		err_code(e, ERR_INVAL, "%s: a copy of a %s must be a %s too (or a .dsk for a "
			"block device)", dst, kind_names[s.kind], kind_names[s.kind]);
		goto out;
	}
	in = open_ref(&s, USE_DATA, 0, e);
	if (in < 0 || disk_size(in, &s, &size, e) < 0 ||
	    disk_refuse_held(c, in, src, 1, "cannot copy a disk that is being written", e) < 0 ||
	    newfile_open(&nf, &d, e) < 0)
		goto out;
	/* a clone where the file system shares blocks; else a sparse
	 * copy through the buffer, so that zeros become holes */
	if (xcopy_file(in, nf.fd, size, XF_CLONE | XF_SKIP_ZERO, cb, arg, dst,
		       &did, e) < 0)
		goto out;
	if (tmpfile_commit(&nf, 0, e) < 0)
		goto out;
	if (text)
		sb_printf(text, "%s: %s to %s (%s)\n", src,
			  did == XD_CLONED ? "cloned (reflink)" : "copied", dst,
			  fmt_size(size, sz, sizeof(sz)));
	rc = 0;
out:
	tmpfile_abort(&nf);
	if (in >= 0)
		close(in);
	disk_ref_close(&d);
	disk_ref_close(&s);
	return rc;
}

int disk_resize(const struct disk_ctx *c, const char *path, uint64_t size,
		struct strbuf *text, struct err *e)
{
	struct disk_ref r;
	uint64_t old;
	int fd = -1, rc = -1;
	char a[32], b[32];

	if (disk_resolve(c, path, &r, e) < 0)
		return -1;
	if (r.kind != DISK_FLAT) {
		err_code(e, ERR_INVAL, "%s: only flat images (.dsk) can be resized%s", path,
			r.kind == DISK_COW ? "; a COW file has its backing file's size" : "");
		goto out;
	}
	if (size == 0 || size % COW_SECTOR) {
		err_code(e, ERR_INVAL, "%s: size %llu: must be a positive multiple of %d bytes",
			path, (unsigned long long)size, COW_SECTOR);
		goto out;
	}
	/* who uses it first: that refusal says more than what it is */
	fd = open_ref(&r, USE_NAME, 1, e);
	if (fd < 0 || disk_refuse_held(c, fd, path, 0, "cannot resize", e) < 0 ||
	    refuse_dependents(c, fd, path, NULL, "cannot resize", e) < 0)
		goto out;
	fd = upgrade_ref(&r, fd, USE_WRITE, e);
	if (fd < 0 || disk_size(fd, &r, &old, e) < 0)
		goto out;
	if (size < old) {
		off_t data = lseek(fd, (off_t)size, SEEK_DATA);

		if (data >= 0) {
			off_t end = lseek(fd, 0, SEEK_END);
			off_t last = data;

			/* the end of the last data extent */
			while (last < end) {
				off_t h = lseek(fd, last, SEEK_HOLE);
				off_t nd = h < end ? lseek(fd, h, SEEK_DATA) : -1;

				last = h;
				if (nd < 0)
					break;
				last = nd;
			}
			err_code(e, ERR_BUSY, "%s: cannot shrink to %s: it holds data up to %s",
				path, fmt_size(size, a, sizeof(a)),
				fmt_size((uint64_t)last, b, sizeof(b)));
			goto out;
		}
		if (errno != ENXIO) {
			err_sys(e, "%s: looking for data past %llu", path,
				(unsigned long long)size);
			goto out;
		}
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		err_sys(e, "%s: resize", path);
		goto out;
	}
	if (text)
		sb_printf(text, "%s: resized from %s to %s\n", path,
			  fmt_size(old, a, sizeof(a)), fmt_size(size, b, sizeof(b)));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	disk_ref_close(&r);
	return rc;
}

static void holders_text(int fd, struct strbuf *text)
{
	struct disk_holder h[MAX_HOLDERS];
	int n = disk_holders(fd, h, MAX_HOLDERS);

	sb_puts(text, "used by     ");
	if (!n)
		sb_puts(text, "no VM (no kernel holds it)");
	for (int i = 0; i < n; i++) {
		char who[128];

		disk_holder_text(&h[i], who, sizeof(who));
		sb_printf(text, "%s%s", i ? ", " : "", who);
	}
	sb_puts(text, "\n");
}

int disk_info(const struct disk_ctx *c, const char *path, struct strbuf *text,
	      struct err *e)
{
	struct disk_ref r, br;
	struct stat st;
	uint64_t size;
	int fd, rc = -1;
	char a[32], b[32];

	br.dirfd = -1;
	if (disk_resolve(c, path, &r, e) < 0)
		return -1;
	fd = open_ref(&r, USE_READ, 0, e);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto out;
	sb_printf(text, "disk        %s\nhost path   %s\nkind        %s\n", path,
		  r.host, kind_names[r.kind]);
	if (r.kind == DISK_COW) {
		struct cow_header h;
		uint8_t *bm;
		int bfd;

		if (cow_read_header(fd, path, &h, e) < 0)
			goto out;
		bm = cow_read_bitmap(fd, path, &h, e);
		if (!bm)
			goto out;
		sb_printf(text, "size        %s (%llu bytes)\n",
			  fmt_size(h.size, a, sizeof(a)), (unsigned long long)h.size);
		sb_printf(text, "allocated   %s\n",
			  fmt_size((uint64_t)st.st_blocks * 512, b, sizeof(b)));
		{
			uint64_t sectors = (h.size + h.sectorsize - 1) / h.sectorsize;
			uint64_t set = cow_bitmap_count(bm, cow_mapped_sectors(&h));

			sb_printf(text, "written     %llu of %llu sectors (%.1f%%)\n",
				  (unsigned long long)set, (unsigned long long)sectors,
				  sectors ? 100.0 * (double)set / (double)sectors : 0.0);
		}
		free(bm);
		sb_printf(text, "cow version %d\n", h.version);
		sb_printf(text, "backing     %s\n", h.backing);
		bfd = open_backing(c, h.backing, USE_READ, &br, e);
		if (bfd < 0) {
			sb_printf(text, "backing ok  no: %s\n", e->msg);
		} else {
			struct err be;

			if (disk_backing_matches(&h, path, bfd, &br, &be) < 0)
				sb_printf(text, "backing ok  no: %s\n", be.msg);
			else
				sb_puts(text, "backing ok  yes (size and mtime match)\n");
			sb_printf(text, "backing on  %s\n", br.host);
			close(bfd);
		}
	} else {
		if (disk_size(fd, &r, &size, e) < 0)
			goto out;
		sb_printf(text, "size        %s (%llu bytes)\n",
			  fmt_size(size, a, sizeof(a)), (unsigned long long)size);
		if (r.kind == DISK_FLAT)
			sb_printf(text, "allocated   %s\n",
				  fmt_size((uint64_t)st.st_blocks * 512, b, sizeof(b)));
		{
			struct strbuf deps;
			struct err de;
			int n;

			sb_init(&deps);
			n = find_dependents(c, &st, NULL, &deps, &de);
			if (n < 0)
				sb_printf(text, "cow files   unknown: %s\n", de.msg);
			else if (n)
				sb_printf(text, "cow files   %s\n", deps.buf);
			sb_free(&deps);
		}
	}
	holders_text(fd, text);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	disk_ref_close(&br);
	disk_ref_close(&r);
	return rc;
}

/* Opens a COW and its backing file and checks that they still match. */
static int open_cow_pair(const struct disk_ctx *c, const struct disk_ref *r,
			 enum use cow_use, enum use backing_use, int *cfd, int *bfd,
			 struct cow_header *h, struct disk_ref *br, struct err *e)
{
	*bfd = -1;
	br->dirfd = -1;
	if (r->kind != DISK_COW) {
		err_code(e, ERR_INVAL, "%s: not a COW file (.cow)", r->path);
		return -1;
	}
	*cfd = open_ref(r, cow_use, 0, e);
	if (*cfd < 0)
		return -1;
	if (cow_read_header(*cfd, r->path, h, e) < 0)
		return -1;
	*bfd = open_backing(c, h->backing, backing_use, br, e);
	if (*bfd < 0) {
		err_prefix(e, "%s: backing file", r->path);
		return -1;
	}
	return disk_backing_matches(h, r->path, *bfd, br, e);
}

int disk_merge(const struct disk_ctx *c, const char *cow, const char *out,
	       disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e)
{
	struct disk_ref r, o, br;
	struct cow_header h;
	struct tmpfile nf = {.fd = -1};
	int cfd = -1, bfd = -1, rc = -1, inplace = !out || !*out;

	o.dirfd = -1;
	br.dirfd = -1;
	if (disk_resolve(c, cow, &r, e) < 0)
		return -1;
	if (!inplace) {
		if (disk_resolve(c, out, &o, e) < 0)
			goto out;
		if (o.kind != DISK_FLAT) {
			err_code(e, ERR_INVAL, "%s: the merge of a COW file is a flat image (.dsk)",
				out);
			goto out;
		}
	}
	/* in place, the COW's header is rewritten too */
	if (open_cow_pair(c, &r, inplace ? USE_WRITE : USE_DATA,
			  inplace ? USE_WRITE : USE_DATA, &cfd, &bfd, &h, &br, e) < 0)
		goto out;
	if (disk_refuse_held(c, cfd, cow, 0, "cannot merge", e) < 0)
		goto out;
	if (inplace) {
		struct stat cst, bst;

		if (fstat(cfd, &cst) < 0)
			goto out;
		if (disk_refuse_held(c, bfd, br.path, 0, "cannot merge into it", e) < 0 ||
		    refuse_dependents(c, bfd, br.path, &cst,
				      "cannot merge into it", e) < 0)
			goto out;
		if (cow_merge_into(cfd, &h, bfd, cow, cb, arg, e) < 0)
			goto keep_cow_valid;
		if (fsync(bfd) < 0) {
			err_sys(e, "%s: fsync", br.path);
			goto keep_cow_valid;
		}
		rc = 0;
keep_cow_valid:
		/* the backing file now holds some or all of the COW's sectors,
		 * the same data the COW holds: the pair still reads the same,
		 * so the header follows the backing file's new mtime */
		if (fstat(bfd, &bst) == 0) {
			struct err ue;

			h.mtime = bst.st_mtime;
			if (h.version == 3 && cow_update_header(cfd, cow, &h, &ue) < 0 &&
			    rc == 0) {
				*e = ue;
				rc = -1;
			}
		}
		if (rc == 0 && text)
			sb_printf(text, "%s: merged into %s\n", cow, br.path);
		goto out;
	}
	if (newfile_open(&nf, &o, e) < 0 ||
	    cow_merge_to(cfd, &h, bfd, nf.fd, out, cb, arg, e) < 0 ||
	    tmpfile_commit(&nf, 0, e) < 0)
		goto out;
	if (text)
		sb_printf(text, "%s: merged with %s into %s\n", cow, br.path, out);
	rc = 0;
out:
	tmpfile_abort(&nf);
	if (cfd >= 0)
		close(cfd);
	if (bfd >= 0)
		close(bfd);
	disk_ref_close(&br);
	disk_ref_close(&o);
	disk_ref_close(&r);
	return rc;
}

int disk_check(const struct disk_ctx *c, const char *path, struct strbuf *text,
	       struct err *e)
{
	struct disk_ref r, br;
	struct cow_header h;
	uint64_t size;
	int fd = -1, bfd = -1, rc = -1;

	br.dirfd = -1;
	if (disk_resolve(c, path, &r, e) < 0)
		return -1;
	if (r.kind != DISK_COW) {
		fd = open_ref(&r, USE_READ, 0, e);
		if (fd < 0 || disk_size(fd, &r, &size, e) < 0)
			goto out;
		if (text)
			sb_printf(text, "%s: ok (%s)\n", path, kind_names[r.kind]);
		rc = 0;
		goto out;
	}
	if (open_cow_pair(c, &r, USE_READ, USE_READ, &fd, &bfd, &h, &br, e) < 0)
		goto out;
	if (text)
		sb_printf(text, "%s: ok: backing file %s has the size and mtime of "
			  "the header\n", path, h.backing);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (bfd >= 0)
		close(bfd);
	disk_ref_close(&br);
	disk_ref_close(&r);
	return rc;
}
