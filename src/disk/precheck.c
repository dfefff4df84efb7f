/* precheck.c -- the check before a boot: the kernel, the disks as the
 * kernel will find them, the kernel's libraries (see precheck.h). */
#include "disk/precheck.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/cow.h"
#include "host/elfdeps.h"
#include "host/safeopen.h"

/* Where the walk finds the images: in a jail, as its kernel will, or on
 * the host. */
struct walk {
	const struct disk_ctx *c;
	const struct jail *j;  /* NULL: on the host */
	int root;              /* the jail's root (O_PATH), or -1 */
	int plug;              /* into a running kernel, not a boot */
};

/* An image of the boot, found once. */
struct image {
	struct disk_ref ref;   /* its path checked, its place's directory */
	int fd;                /* O_PATH: the file the kernel will open */
	struct stat st;
};

static void image_close(struct image *im)
{
	if (im->fd >= 0)
		close(im->fd);
	im->fd = -1;
	disk_ref_close(&im->ref);
}

/* May uid/gid (no supplementary groups) read, or read and write, st? */
static int may_use(const struct stat *st, uid_t uid, gid_t gid, int write)
{
	mode_t r, w;

	if (st->st_uid == uid) {
		r = S_IRUSR;
		w = S_IWUSR;
	} else if (st->st_gid == gid) {
		r = S_IRGRP;
		w = S_IWGRP;
	} else {
		r = S_IROTH;
		w = S_IWOTH;
	}
	return (st->st_mode & r) && (!write || (st->st_mode & w));
}

/* May uid/gid change st (its data, or as its owner its mode)? */
static int may_change(const struct stat *st, uid_t uid, gid_t gid)
{
	if (st->st_uid == uid)
		return 1;
	return (st->st_mode & (st->st_gid == gid ? S_IWGRP : S_IWOTH)) != 0;
}

/* path as the kernel will open it: beneath the jail's root, symlinks
 * followed inside it, so that one that points out of it finds nothing. A
 * path with no symlink on the way is found at the first try; *symlinked
 * says whether there was one. -1 with errno kept. */
static int open_in_jail(const struct walk *w, const char *path, int *symlinked,
			struct err *e)
{
	int fd, saved;

	*symlinked = 0;
	fd = so_open_path(w->root, path, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
			  RESOLVE_NO_MAGICLINKS, 0);
	if (fd < 0 && errno == ELOOP) {
		*symlinked = 1;
		fd = so_open_path(w->root, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, 0);
	}
	if (fd >= 0)
		return fd;
	saved = errno;
	if (errno == ENOENT)
		err_set(e, "%s: not found in the jail (%s%s)", path, w->j->p.root, path);
	else
		err_sys(e, "%s", path);
	errno = saved;
	return -1;
}

/* The VM's own disk belongs to its vmuser and is given to it at start.
 * The guest writes /disks: a symlink there can lead to any file of the
 * jail (the kernel, its libraries, the shared disks), a hard link to a
 * host file. So only a regular file reached without any symlink and with
 * no other name is given, by its descriptor. */
static int give_to_vmuser(const struct walk *w, struct image *im, int symlinked,
			  struct err *e)
{
	const char *path = im->ref.path;

	if (symlinked) {
		err_set(e, "%s: reached through a symlink, so it is not given to "
			"the vmuser (owner %u:%u); make it a file in /disks, or give "
			"it yourself", path, (unsigned)im->st.st_uid,
			(unsigned)im->st.st_gid);
		return -1;
	}
	if (im->st.st_nlink != 1) {
		err_set(e, "%s: has %lu hard links, so it is not given to the vmuser "
			"(owner %u:%u): another name may be a host file", path,
			(unsigned long)im->st.st_nlink, (unsigned)im->st.st_uid,
			(unsigned)im->st.st_gid);
		return -1;
	}
	if (fchownat(im->fd, "", w->j->uid, w->j->gid, AT_EMPTY_PATH) < 0) {
		err_sys(e, "%s: chown to the vmuser", path);
		return -1;
	}
	im->st.st_uid = w->j->uid;
	im->st.st_gid = w->j->gid;
	return 0;
}

/* What the kernel found through a symlink must also be the file beneath
 * its place that the disk operations find (RESOLVE_BENEATH), not one
 * elsewhere in the jail. */
static int beneath_place(const struct image *im, struct err *e)
{
	struct stat st;
	int fd = disk_open(&im->ref, O_PATH, e), same;

	if (fd < 0)
		return -1;
	same = fstat(fd, &st) == 0 && st.st_dev == im->st.st_dev &&
	       st.st_ino == im->st.st_ino;
	close(fd);
	if (!same)
		err_set(e, "%s: replaced while it was checked", im->ref.path);
	return same ? 0 : -1;
}

/* In a jail: what the vmuser needs of the image. */
static int vmuser_checks(const struct walk *w, struct image *im, int write,
			 int symlinked, struct err *e)
{
	const struct stat *st = &im->st;

	if (!strncmp(im->ref.path, "/disks/", 7) && S_ISREG(st->st_mode) &&
	    (st->st_uid != w->j->uid || st->st_gid != w->j->gid) &&
	    give_to_vmuser(w, im, symlinked, e) < 0)
		return -1;
	if (!may_use(st, w->j->uid, w->j->gid, write)) {
		err_set(e, "%s: the vmuser (uid %u) may not %s it (mode %04o, owner "
			"%u:%u)", im->ref.path, (unsigned)w->j->uid,
			write ? "read and write" : "read", (unsigned)(st->st_mode & 07777),
			(unsigned)st->st_uid, (unsigned)st->st_gid);
		return -1;
	}
	return symlinked ? beneath_place(im, e) : 0;
}

/* The one resolver: finds path and checks it is an image of its kind
 * (write: the VM writes it; backing: it is a backing file). -1 with errno
 * ENOENT if it does not exist, EINVAL for any other refusal. */
static int image_open(const struct walk *w, const char *path, int write,
		      int backing, struct image *im, struct err *e)
{
	char cause[128];
	int symlinked = 0;

	memset(im, 0, sizeof(*im));
	im->fd = -1;
	if (disk_resolve(w->c, path, &im->ref, e) < 0)
		goto refused;
	if (backing && im->ref.kind == DISK_COW) {
		err_code(e, ERR_INVAL, "%s: a COW file cannot be the backing file of "
			 "another", path);
		goto refused;
	}
	im->fd = w->j ? open_in_jail(w, path, &symlinked, e) :
			disk_open(&im->ref, O_PATH, e);
	if (im->fd < 0) {
		int saved = errno;

		image_close(im);
		errno = saved;
		return -1;
	}
	if (fstat(im->fd, &im->st) < 0) {
		err_sys(e, "%s", path);
		goto refused;
	}
	if (so_check(&im->st, im->ref.kind == DISK_DEV ? SO_BLK : SO_REG, 0,
		     (uid_t)-1, cause, sizeof(cause)) < 0) {
		err_set(e, "%s: %s", path, cause);
		goto refused;
	}
	if (w->j && vmuser_checks(w, im, write, symlinked, e) < 0)
		goto refused;
	return 0;
refused:
	image_close(im);
	errno = EINVAL;
	return -1;
}

static int read_header(const struct image *im, struct cow_header *h, struct err *e)
{
	int fd = so_reopen(im->fd, O_RDONLY), r;

	if (fd < 0) {
		err_sys(e, "%s", im->ref.path);
		return -1;
	}
	r = cow_read_header(fd, im->ref.path, h, e);
	close(fd);
	return r;
}

/* The backing file of cow; h: cow's header, NULL if the kernel makes cow. */
static int check_backing(const struct walk *w, const char *cow,
			 const struct cow_header *h, const char *backing,
			 struct err *e)
{
	struct image b;
	int fd, r;

	if (image_open(w, backing, 0, 1, &b, e) < 0)
		return -1;
	/* locked before it is compared: nobody changes it after */
	r = disk_refuse_held(w->c, b.fd, b.ref.path, 1, w->plug ?
			     "cannot plug in a disk over it" : "cannot boot over it", e);
	if (r == 0 && h) {
		fd = so_reopen(b.fd, O_RDONLY);
		if (fd < 0) {
			err_sys(e, "%s", b.ref.path);
			r = -1;
		} else {
			r = disk_backing_matches(h, cow, fd, &b.ref, e);
			close(fd);
		}
	}
	image_close(&b);
	return r;
}

static int check_disk(const struct walk *w, const struct disk_conf *d,
		      struct err *e)
{
	int ro = strchr(d->flags, 'r') != NULL, r = 0;
	const char *backing = d->backing;
	struct cow_header h, *hp = NULL;
	struct image im;

	if (image_open(w, d->path, !ro, 0, &im, e) < 0) {
		/* a missing COW over a backing file is made by the kernel:
		 * only the backing file is checked */
		if (errno != ENOENT || !d->backing)
			return -1;
	} else {
		r = disk_refuse_held(w->c, im.fd, d->path, ro, w->plug ?
				     "cannot plug in" : "cannot boot", e);
		if (r == 0 && im.ref.kind == DISK_COW) {
			hp = &h;
			r = read_header(&im, &h, e);
			if (!backing)
				backing = h.backing;
		}
		image_close(&im);
	}
	if (r == 0 && backing)
		r = check_backing(w, d->path, hp, backing, e);
	return r;
}

static int walk_disks(const struct walk *w, const struct vm_conf *vm,
		      struct err *e)
{
	for (int i = 0; i < vm->ndisks; i++)
		if (check_disk(w, &vm->disks[i], e) < 0) {
			err_prefix(e, "ubd%d", vm->disks[i].index);
			return -1;
		}
	return 0;
}

char **precheck_shared_backings(const struct config *cfg,
				const struct vm_conf *vm)
{
	char **v = xcalloc((size_t)vm->ndisks + 1, sizeof(*v));
	struct disk_ctx c;
	struct err e;
	int n = 0;

	if (disk_ctx_init(&c, cfg, vm->name, &e) < 0)
		return v;
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];
		struct cow_header h;
		struct disk_ref ref;
		int fd;

		if (d->backing || disk_resolve(&c, d->path, &ref, &e) < 0)
			continue;
		fd = ref.kind == DISK_COW ? disk_open(&ref, O_RDONLY, &e) : -1;
		if (fd >= 0 && cow_read_header(fd, d->path, &h, &e) == 0 &&
		    !strncmp(h.backing, "/shared/disks/", 14))
			v[n++] = xstrdup(h.backing);
		if (fd >= 0)
			close(fd);
		disk_ref_close(&ref);
	}
	disk_ctx_free(&c);
	return v;
}

int precheck_disks(const struct disk_ctx *c, const struct vm_conf *vm,
		   struct err *e)
{
	struct walk w = {.c = c, .j = NULL, .root = -1};

	return walk_disks(&w, vm, e);
}

/* The kernel: a file in the jail that the vmuser may run and may not
 * change. Returns its O_PATH descriptor. */
static int check_kernel(const struct walk *w, const char *kernel, struct err *e)
{
	const struct jail *j = w->j;
	struct stat st;
	int fd;

	fd = so_open_path(w->root, kernel, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			err_set(e, "kernel %s: not found in the jail (%s%s); install one "
				"with 'umladmin setup'", kernel, j->p.root, kernel);
		else
			err_sys(e, "kernel %s", kernel);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & S_IXOTH) || !may_use(&st, j->uid, j->gid, 0)) {
		err_set(e, "kernel %s: not an executable file the vmuser may run",
			kernel);
		close(fd);
		return -1;
	}
	/* root installs what its headers name: a kernel the guest could
	 * rewrite (in /disks, say) could name any host file */
	if (may_change(&st, j->uid, j->gid)) {
		err_set(e, "kernel %s: the vmuser (uid %u) may change it (mode %04o, "
			"owner %u:%u); keep kernels where only root writes, such as "
			"/shared/kernels", kernel, (unsigned)j->uid,
			(unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			(unsigned)st.st_gid);
		close(fd);
		return -1;
	}
	return fd;
}

/* The kernel's libraries, from the host: root reads the ELF headers of
 * the kernel (fd, the very file that was checked) and copies the files
 * they name into the jail. */
static int install_libs(const struct jail *j, const char *kernel, int fd,
			struct err *e)
{
	struct elf_deps deps;
	char proc[64];
	size_t n;
	int r;

	n = (size_t)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	r = elf_deps(proc, NULL, &deps, e);
	if (r < 0) {
		char msg[sizeof(e->msg)];

		/* name the kernel, not the descriptor it was read through */
		snprintf(msg, sizeof(msg), "%s",
			 !strncmp(e->msg, proc, n) ? e->msg + n : e->msg);
		err_set(e, "kernel %s%s%s", kernel, msg[0] == ':' ? "" : ": ", msg);
		return -1;
	}
	r = elf_deps_install(&deps, j->p.root, e);
	elf_deps_free(&deps);
	return r;
}

int precheck_boot(struct jail *j, const struct config *cfg,
		  const struct vm_conf *vm, struct disklocks *locks, struct err *e)
{
	struct walk w = {.j = j, .root = -1};
	struct disk_ctx c;
	int kfd = -1, rc = -1;

	if (disk_ctx_init(&c, cfg, vm->name, e) < 0)
		return -1;
	c.locks = locks;
	w.c = &c;
	w.root = open(j->p.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.root < 0)
		err_sys(e, "%s", j->p.root);
	else if ((kfd = check_kernel(&w, vm->kernel, e)) >= 0 &&
		 walk_disks(&w, vm, e) == 0)
		rc = install_libs(j, vm->kernel, kfd, e);
	if (kfd >= 0)
		close(kfd);
	if (w.root >= 0)
		close(w.root);
	disk_ctx_free(&c);
	return rc;
}

/* A walk in the jail j of vm (w->c is c, with locks): -1 with e if its
 * root does not open. walk_end undoes it. */
static int walk_begin(struct walk *w, struct disk_ctx *c, struct jail *j,
		      const struct config *cfg, const struct vm_conf *vm,
		      struct disklocks *locks, struct err *e)
{
	memset(w, 0, sizeof(*w));
	w->j = j;
	w->root = -1;
	if (disk_ctx_init(c, cfg, vm->name, e) < 0)
		return -1;
	c->locks = locks;
	w->c = c;
	w->root = open(j->p.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->root >= 0)
		return 0;
	err_sys(e, "%s", j->p.root);
	disk_ctx_free(c);
	return -1;
}

static void walk_end(struct walk *w, struct disk_ctx *c)
{
	close(w->root);
	disk_ctx_free(c);
}

int precheck_disk_add(struct jail *j, const struct config *cfg,
		      const struct vm_conf *vm, const struct disk_conf *d,
		      struct disklocks *locks, struct err *e)
{
	struct walk w;
	struct disk_ctx c;
	int rc;

	if (walk_begin(&w, &c, j, cfg, vm, locks, e) < 0)
		return -1;
	w.plug = 1;
	if ((rc = check_disk(&w, d, e)) < 0)
		err_prefix(e, "ubd%d", d->index);
	walk_end(&w, &c);
	return rc;
}

int precheck_disk_unlock(struct jail *j, const struct config *cfg,
			 const struct vm_conf *vm, const struct disk_conf *d,
			 struct disklocks *locks)
{
	struct walk w;
	struct disk_ctx c;
	struct err e;
	int symlinked, fd;

	if (walk_begin(&w, &c, j, cfg, vm, NULL, &e) < 0)
		return -1;
	fd = open_in_jail(&w, d->path, &symlinked, &e);
	if (fd >= 0) {
		disklock_drop(locks, fd);
		close(fd);
	}
	walk_end(&w, &c);
	return fd < 0 ? -1 : 0;
}

/* One image of a running boot locked again; one that is not there (a
 * COW the kernel has not made) is skipped. */
static int relock_one(const struct walk *w, const char *path, int excl,
		      struct err *e)
{
	int symlinked, fd = open_in_jail(w, path, &symlinked, e), r;
	char name[4200];

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	snprintf(name, sizeof(name), "%s: %s", path, "in use by the running boot");
	r = disklock_take(w->c->locks, fd, name, excl, e);
	close(fd);
	return r;
}

int precheck_relock(struct jail *j, const struct config *cfg,
		    const struct vm_conf *vm, struct disklocks *locks,
		    struct err *e)
{
	struct walk w;
	struct disk_ctx c;
	int rc = 0;

	if (walk_begin(&w, &c, j, cfg, vm, locks, e) < 0)
		return -1;
	for (int i = 0; rc == 0 && i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];
		const char *backing = d->backing;
		struct cow_header h;
		struct disk_ref ref;
		int fd;

		rc = relock_one(&w, d->path, !strchr(d->flags, 'r'), e);
		if (rc == 0 && !backing && disk_resolve(&c, d->path, &ref, e) == 0) {
			fd = ref.kind == DISK_COW ? disk_open(&ref, O_RDONLY, e) : -1;
			if (fd >= 0 && cow_read_header(fd, d->path, &h, e) == 0)
				backing = h.backing;
			if (fd >= 0)
				close(fd);
			disk_ref_close(&ref);
		}
		if (rc == 0 && backing)
			rc = relock_one(&w, backing, 0, e);
		if (rc < 0)
			err_prefix(e, "ubd%d", d->index);
	}
	walk_end(&w, &c);
	return rc;
}
