/* snapshot.c -- a VM's snapshots: taking, listing, restoring and deleting
 * them, and their manifest (see snapshot.h). */
#include "common/ossl.h"
#include "disk/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/cow.h"
#include "disk/disklock.h"
#include "disk/extents.h"
#include "host/tmpfile.h"

#define MANIFEST_MAGIC "umlmon-snapshot\t1"

int snap_name_check(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (n == 0 || n > SNAP_NAME_MAX) {
		err_code(e, ERR_INVAL, "snapshot name '%.80s': %s", name,
			 n ? "too long (at most 64 characters)" : "empty");
		return -1;
	}
	if (name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
		err_code(e, ERR_INVAL, "snapshot name '%s': only letters, digits, "
			 "'.', '_' and '-', not starting with '.' (no '/', no '..')",
			 name);
		return -1;
	}
	return 0;
}

/* ---- the manifest ------------------------------------------------------ */

void snap_manifest_format(const struct snap_manifest *m, struct strbuf *out)
{
	sb_printf(out, MANIFEST_MAGIC "\nname\t%s\nvm\t%s\ncreated\t%lld\n"
		  "pause_ms\t%lld\nsync\t%s\n", m->name, m->vm,
		  (long long)m->created, (long long)m->pause_ms, m->sync);
	for (int i = 0; i < m->ndisks; i++) {
		const struct snap_disk *d = &m->disks[i];

		/* dev path file size alloc sha256 backing mtime bsize */
		sb_printf(out, "disk\t%s\t%s\t%s\t%llu\t%llu\t%s\t%s\t%lld\t%llu\n",
			  d->dev, d->path, d->file, (unsigned long long)d->size,
			  (unsigned long long)d->alloc, d->sha256,
			  d->backing[0] ? d->backing : "-", (long long)d->backing_mtime,
			  (unsigned long long)d->backing_size);
	}
}

/* Copies field f into dst (len bytes); -1 if it does not fit. */
static int field(char *dst, size_t len, const char *f)
{
	if (strlen(f) >= len)
		return -1;
	strcpy(dst, f);
	return 0;
}

static int parse_disk(char **f, int nf, struct snap_disk *d)
{
	char *end;

	memset(d, 0, sizeof(*d));
	if (nf != 10 || field(d->dev, sizeof(d->dev), f[1]) < 0 ||
	    field(d->path, sizeof(d->path), f[2]) < 0 ||
	    field(d->file, sizeof(d->file), f[3]) < 0 ||
	    field(d->sha256, sizeof(d->sha256), f[6]) < 0 ||
	    strlen(d->sha256) != SNAP_SHA256_HEX - 1 ||
	    field(d->backing, sizeof(d->backing), strcmp(f[7], "-") ? f[7] : "") < 0)
		return -1;
	/* a file name of the snapshot's directory, nothing else */
	if (!d->file[0] || strchr(d->file, '/') || d->file[0] == '.' ||
	    strncmp(d->path, "/disks/", 7))
		return -1;
	errno = 0;
	d->size = strtoull(f[4], &end, 10);
	if (*end)
		return -1;
	d->alloc = strtoull(f[5], &end, 10);
	if (*end)
		return -1;
	d->backing_mtime = strtoll(f[8], &end, 10);
	if (*end)
		return -1;
	d->backing_size = strtoull(f[9], &end, 10);
	return *end || errno ? -1 : 0;
}

int snap_manifest_parse(const char *text, const char *what,
			struct snap_manifest *m, struct err *e)
{
	char *copy = xstrdup(text), *line, *save = NULL;
	int lineno = 0, rc = -1;

	memset(m, 0, sizeof(*m));
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[12], *p = line, *end;
		int nf = 0;

		lineno++;
		if (lineno == 1) {
			if (strcmp(line, MANIFEST_MAGIC)) {
				err_code(e, ERR_INVAL, "%s: not a snapshot manifest "
					 "(first line '%.40s')", what, line);
				goto out;
			}
			continue;
		}
		while (nf < 12) {
			f[nf++] = p;
			if (!(p = strchr(p, '\t')))
				break;
			*p++ = '\0';
		}
		if (!strcmp(f[0], "disk")) {
			if (m->ndisks == VM_MAX_DISKS ||
			    parse_disk(f, nf, &m->disks[m->ndisks]) < 0)
				goto bad;
			m->ndisks++;
			continue;
		}
		if (nf != 2)
			goto bad;
		if (!strcmp(f[0], "name")) {
			struct err ne;

			/* a backup's manifest is anyone's text: a name as
			 * the store's, which reports and messages print */
			if (field(m->name, sizeof(m->name), f[1]) < 0 ||
			    snap_name_check(m->name, &ne) < 0)
				goto bad;
		} else if (!strcmp(f[0], "vm")) {
			if (field(m->vm, sizeof(m->vm), f[1]) < 0)
				goto bad;
		} else if (!strcmp(f[0], "sync")) {
			if (field(m->sync, sizeof(m->sync), f[1]) < 0)
				goto bad;
		} else if (!strcmp(f[0], "created")) {
			m->created = strtoll(f[1], &end, 10);
			if (*end)
				goto bad;
		} else if (!strcmp(f[0], "pause_ms")) {
			m->pause_ms = strtoll(f[1], &end, 10);
			if (*end)
				goto bad;
		}
		/* other keys: of a later version, ignored */
		continue;
bad:
		err_code(e, ERR_INVAL, "%s:%d: malformed line", what, lineno);
		goto out;
	}
	if (lineno == 0 || !m->name[0]) {
		err_code(e, ERR_INVAL, "%s: %s", what, lineno ? "no snapshot name" :
			 "empty manifest");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* ---- checksums --------------------------------------------------------- */

int snap_sha256_fd(int fd, uint64_t size, char out[SNAP_SHA256_HEX],
		   const char *what, struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = xmalloc(XCOPY_CHUNK), *zero = xcalloc(1, XCOPY_CHUNK);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	uint64_t pos = 0, d, h;
	int r, rc = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err_code(e, ERR_IO, "%s: sha256: libcrypto failed", what);
		goto out;
	}
	/* holes are zeros: hashed from a zero buffer, not read */
	for (;;) {
		r = extent_next(fd, pos, size, &d, &h);
		if (r < 0) {
			err_sys(e, "%s: looking for data", what);
			goto out;
		}
		if (r == 0)
			d = h = size;
		while (pos < d) {
			size_t n = d - pos < XCOPY_CHUNK ? d - pos : XCOPY_CHUNK;

			EVP_DigestUpdate(ctx, zero, n);
			pos += n;
		}
		while (pos < h) {
			size_t n = h - pos < XCOPY_CHUNK ? h - pos : XCOPY_CHUNK;
			ssize_t got = pread_full(fd, buf, n, pos);

			if (got < 0) {
				err_sys(e, "%s: read", what);
				goto out;
			}
			if ((size_t)got < n) {
				err_code(e, ERR_IO, "%s: ends early at %llu", what,
					 (unsigned long long)(pos + got));
				goto out;
			}
			EVP_DigestUpdate(ctx, buf, n);
			pos += n;
		}
		if (r == 0)
			break;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	free(zero);
	return rc;
}

/* ---- the store --------------------------------------------------------- */

static char *part_name(const char *name)
{
	return xasprintf(".%s.part", name);
}

/* The store's directory (made if missing). */
static int store_open(const struct snap_store *s, int create, struct err *e)
{
	int fd;

	if (create && mkdir(s->dir, 0700) < 0 && errno != EEXIST) {
		err_sys(e, "%s: snapshots: %s", s->vm, s->dir);
		return -1;
	}
	fd = open(s->dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			err_code(e, ERR_NOENT, "%s: no snapshots", s->vm);
		else
			err_sys(e, "%s: snapshots: %s", s->vm, s->dir);
	}
	return fd;
}

/* Empties and removes the directory name of dfd; files only. */
static void remove_dir(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

void snap_abandon(const struct snap_store *s, const char *name)
{
	struct err e;
	char *part = part_name(name);
	int dfd = store_open(s, 0, &e);

	if (dfd >= 0) {
		remove_dir(dfd, part);
		close(dfd);
	}
	free(part);
}

static int exists_at(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The end of a step on the part directory: on failure (rc < 0) the part
 * named drop (if not NULL) is removed; the descriptors closed, part freed. */
static int part_done(int dfd, int pfd, const char *drop, int rc, char *part)
{
	if (rc < 0 && dfd >= 0 && drop)
		remove_dir(dfd, drop);
	if (pfd >= 0)
		close(pfd);
	if (dfd >= 0)
		close(dfd);
	free(part);
	return rc;
}

/* How copy_disk() goes about it. */
enum copy_mode {
	CM_COPY,      /* a clone, else a sparse copy */
	CM_PRECLONE,  /* a clone or nothing (ERR_INVAL) */
	CM_UPDATE,    /* bring the clone CM_PRECLONE made up to date */
};

/* Copies one writable disk into the part directory pfd. */
static int copy_disk(const struct disk_ctx *c, const struct disk_conf *dc,
		     int pfd, enum copy_mode mode, struct xmap *map,
		     struct snap_disk *d, struct err *e)
{
	struct disk_ref r;
	struct stat st;
	enum xcopy_done did;
	int in = -1, out = -1, rc = -1;

	memset(d, 0, sizeof(*d));
	if (disk_resolve(c, dc->path, &r, e) < 0)
		return -1;
	if (r.kind == DISK_DEV || strncmp(r.path, "/disks/", 7)) {
		err_code(e, ERR_INVAL, "ubd%d %s: a snapshot copies the VM's own "
			 "images (.dsk, .cow in /disks); a writable %s is not "
			 "copied: make it read-only (flag r) or move it", dc->index,
			 dc->path, r.kind == DISK_DEV ? "block device" : "shared disk");
		goto out;
	}
	snprintf(d->dev, sizeof(d->dev), "ubd%d", dc->index);
	snprintf(d->path, sizeof(d->path), "%s", r.path);
	snprintf(d->file, sizeof(d->file), "%s", r.name);
	in = disk_open_data(&r, e);
	if (in < 0 || fstat(in, &st) < 0) {
		if (in >= 0)
			err_sys(e, "%s", r.path);
		goto out;
	}
	d->size = (uint64_t)st.st_size;
	if (r.kind == DISK_COW) {
		struct cow_header h;

		if (cow_read_header(in, r.path, &h, e) < 0)
			goto out;
		snprintf(d->backing, sizeof(d->backing), "%s", h.backing);
		d->backing_mtime = h.mtime;
		d->backing_size = h.size;
	}
	out = mode == CM_UPDATE ?
	      openat(pfd, r.name, O_RDWR | O_NOFOLLOW | O_CLOEXEC) :
	      openat(pfd, r.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, 0600);
	if (out < 0) {
		err_sys(e, "%s: snapshot copy", r.path);
		goto out;
	}
	if (mode == CM_PRECLONE) {
		if (xclone(in, out) < 0) {
			err_code(e, ERR_INVAL, "%s: clone: %s", r.path,
				 strerror(errno));
			goto out;
		}
		/* the clone's map now, for the pause not to read it */
		rc = map ? xmap_read(out, map, r.path, e) : 0;
		goto out;
	}
	if (mode == CM_UPDATE) {
		struct err ue;

		if (xclone_update(in, out, d->size, map && map->ext ? map : NULL,
				  &d->updated, r.path, &ue) == 0) {
			d->cloned = d->precloned = 1;
			rc = 0;
			goto out;
		}
		if (ue.code != ERR_INVAL) {
			*e = ue;
			goto out;
		}
		/* the file system cannot tell what changed: all of it */
		if (ftruncate(out, 0) < 0) {
			err_sys(e, "%s: snapshot copy", r.path);
			goto out;
		}
	}
	if (xcopy_file(in, out, d->size, XF_CLONE, NULL, NULL, r.path, &did, e) < 0)
		goto out;
	d->cloned = did == XD_CLONED;
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	disk_ref_close(&r);
	return rc;
}

/* The part directory of name in the store dfd: made afresh (what a
 * monitor that died left is removed), or the one snap_preclone() made. */
static int part_open(const struct snap_store *s, int dfd, const char *name,
		     const char *part, int fresh, struct err *e)
{
	int pfd;

	if (exists_at(dfd, name)) {
		err_code(e, ERR_BUSY, "%s: snapshot %s already exists", s->vm,
			 name);
		return -1;
	}
	if (fresh) {
		remove_dir(dfd, part);
		if (mkdirat(dfd, part, 0700) < 0) {
			err_sys(e, "%s: snapshot %s: %s/%s", s->vm, name, s->dir, part);
			return -1;
		}
	}
	pfd = openat(dfd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		err_sys(e, "%s: snapshot %s: %s/%s", s->vm, name, s->dir, part);
	return pfd;
}

static int copy_all(const struct snap_store *s, const struct disk_ctx *c,
		    const struct disk_conf *disks, int ndisks, const char *name,
		    enum copy_mode mode, struct xmap *maps,
		    struct snap_manifest *m, struct err *e)
{
	char *part = part_name(name);
	int dfd = -1, pfd = -1, rc = -1;

	/* sync and pause_ms are the caller's */
	m->ndisks = 0;
	m->name[0] = '\0';
	if (snap_name_check(name, e) < 0)
		goto out;
	snprintf(m->name, sizeof(m->name), "%s", name);
	if (m->vm != s->vm)
		snprintf(m->vm, sizeof(m->vm), "%s", s->vm);
	m->created = time(NULL);
	dfd = store_open(s, 1, e);
	if (dfd < 0)
		goto out;
	pfd = part_open(s, dfd, name, part, mode != CM_UPDATE, e);
	if (pfd < 0)
		goto out;
	for (int i = 0; i < ndisks; i++) {
		if (strchr(disks[i].flags, 'r'))
			continue; /* read-only: nothing to keep */
		if (copy_disk(c, &disks[i], pfd, mode, maps ? &maps[m->ndisks] : NULL,
			      &m->disks[m->ndisks], e) < 0) {
			err_prefix(e, "%s: snapshot %s", s->vm, name);
			goto out;
		}
		m->ndisks++;
	}
	if (!m->ndisks) {
		err_code(e, ERR_INVAL, "%s: snapshot %s: the VM has no writable disk",
			 s->vm, name);
		goto out;
	}
	rc = 0;
out:
	return part_done(dfd, pfd, m->name[0] ? part : NULL, rc, part);
}

int snap_preclone(const struct snap_store *s, const struct disk_ctx *c,
		  const struct disk_conf *disks, int ndisks, const char *name,
		  struct xmap *maps, struct snap_manifest *m, struct err *e)
{
	return copy_all(s, c, disks, ndisks, name, CM_PRECLONE, maps, m, e);
}

int snap_copy(const struct snap_store *s, const struct disk_ctx *c,
	      const struct disk_conf *disks, int ndisks, const char *name,
	      int precloned, struct xmap *maps, struct snap_manifest *m,
	      struct err *e)
{
	return copy_all(s, c, disks, ndisks, name, precloned ? CM_UPDATE : CM_COPY,
			maps, m, e);
}

static int write_manifest(int dirfd, const struct snap_manifest *m,
			  struct err *e)
{
	struct strbuf text;
	struct tmpfile t;
	int rc = -1;

	sb_init(&text);
	snap_manifest_format(m, &text);
	if (tmpfile_new(&t, dirfd, SNAP_MANIFEST, 0600, "snapshot manifest", e) < 0)
		goto out;
	if (pwrite_full(t.fd, text.buf, text.len, 0) < 0) {
		err_sys(e, "%s: snapshot %s: manifest", m->vm, m->name);
		tmpfile_abort(&t);
		goto out;
	}
	rc = tmpfile_commit(&t, 1, e);
out:
	sb_free(&text);
	return rc;
}

/* "guest paused 12 ms (sync confirmed)", or how it was taken without a
 * pause; short: "12 ms" or "-" */
static void pause_text(const struct snap_manifest *m, int shrt, char *buf,
		       size_t len)
{
	if (m->pause_ms >= 0)
		snprintf(buf, len, shrt ? "%lld ms" : "guest paused %lld ms (sync %s)",
			 (long long)m->pause_ms, m->sync);
	else
		snprintf(buf, len, shrt ? "-" : "no pause (sync %s)", m->sync);
}

/* " before the pause, 12K written since copied in it" */
static const char *upd_text(const struct snap_disk *d, char *buf, size_t len)
{
	char sz[32];

	if (!d->precloned)
		return "";
	snprintf(buf, len, " before the pause, %s written since copied in it",
		 fmt_size(d->updated, sz, sizeof(sz)));
	return buf;
}

int snap_finish(const struct snap_store *s, struct snap_manifest *m,
		struct strbuf *text, struct err *e)
{
	char *part = part_name(m->name), when[64], p[160], a[32], upd[96];
	int dfd = store_open(s, 0, e), pfd = -1, rc = -1;
	uint64_t total = 0;

	if (dfd < 0)
		goto out;
	pfd = openat(dfd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		err_sys(e, "%s: snapshot %s: %s/%s", m->vm, m->name, s->dir, part);
		goto out;
	}
	for (int i = 0; i < m->ndisks; i++) {
		struct snap_disk *d = &m->disks[i];
		struct stat st;
		int fd = openat(pfd, d->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &st) < 0 || fsync(fd) < 0) {
			err_sys(e, "%s: snapshot %s: %s", m->vm, m->name, d->file);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		d->alloc = (uint64_t)st.st_blocks * 512;
		total += d->alloc;
		rc = snap_sha256_fd(fd, d->size, d->sha256, d->path, e);
		close(fd);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (write_manifest(pfd, m, e) < 0)
		goto out;
	if (renameat2(dfd, part, dfd, m->name, RENAME_NOREPLACE) < 0) {
		err_sys(e, "%s: snapshot %s", m->vm, m->name);
		goto out;
	}
	if (text) {
		pause_text(m, 0, p, sizeof(p));
		sb_printf(text, "%s: snapshot %s taken %s: %d disk%s, %s, %s\n",
			  m->vm, m->name, fmt_utc(m->created, when, sizeof(when)),
			  m->ndisks, m->ndisks == 1 ? "" : "s",
			  fmt_size(total, a, sizeof(a)), p);
		for (int i = 0; i < m->ndisks; i++)
			sb_printf(text, "  %s %s: %s%s%s%s\n", m->disks[i].dev,
				  m->disks[i].path, m->disks[i].cloned ? "cloned" :
				  "copied", upd_text(&m->disks[i], upd, sizeof(upd)),
				  m->disks[i].backing[0] ? ", backing " : "",
				  m->disks[i].backing);
	}
	rc = 0;
out:
	return part_done(dfd, pfd, part, rc, part);
}

static int read_at(int dfd, const char *name, struct snap_manifest *m,
		   const char *vm, struct err *e)
{
	char path[SNAP_NAME_MAX + 32], what[400];
	char buf[(VM_MAX_DISKS + 8) * 9000];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/" SNAP_MANIFEST, name);
	snprintf(what, sizeof(what), "%s: snapshot %s", vm, name);
	fd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			err_code(e, ERR_NOENT, "%s: no such snapshot", what);
		else
			err_sys(e, "%s", what);
		return -1;
	}
	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0) {
		err_sys(e, "%s: manifest", what);
		return -1;
	}
	buf[n] = '\0';
	return snap_manifest_parse(buf, what, m, e);
}

int snap_read(const struct snap_store *s, const char *name,
	      struct snap_manifest *m, struct err *e)
{
	int dfd, rc;

	if (snap_name_check(name, e) < 0)
		return -1;
	dfd = store_open(s, 0, e);
	if (dfd < 0) {
		if (e->code == ERR_NOENT)
			err_code(e, ERR_NOENT, "%s: snapshot %s: no such snapshot",
				 s->vm, name);
		return -1;
	}
	rc = read_at(dfd, name, m, s->vm, e);
	close(dfd);
	return rc;
}

static int by_created(const void *a, const void *b)
{
	const struct snap_manifest *x = *(const struct snap_manifest *const *)a;
	const struct snap_manifest *y = *(const struct snap_manifest *const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

int snap_list(const struct snap_store *s, struct strbuf *text, struct err *e)
{
	struct snap_manifest **all = NULL;
	int n = 0, fd;
	struct dirent *de;
	DIR *d;

	fd = store_open(s, 0, e);
	if (fd < 0) {
		if (e->code != ERR_NOENT)
			return -1;
		sb_printf(text, "%s: no snapshots\n", s->vm);
		return 0;
	}
	d = fdopendir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!d) {
		err_sys(e, "%s: snapshots: %s", s->vm, s->dir);
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct snap_manifest m;
		struct err re;

		if (de->d_name[0] == '.' || snap_name_check(de->d_name, &re) < 0 ||
		    read_at(fd, de->d_name, &m, s->vm, &re) < 0)
			continue; /* in progress, or not ours */
		all = xrealloc(all, sizeof(*all) * (size_t)(n + 1));
		all[n] = xmalloc(sizeof(m));
		*all[n++] = m;
	}
	closedir(d);
	close(fd);
	qsort(all, (size_t)n, sizeof(*all), by_created);
	if (!n)
		sb_printf(text, "%s: no snapshots\n", s->vm);
	else
		sb_printf(text, "%-20s %-24s %10s %10s  %s\n", "NAME", "CREATED",
			  "SIZE", "PAUSE", "DISKS");
	for (int i = 0; i < n; i++) {
		char when[64], p[32], a[32];
		uint64_t total = 0;

		for (int k = 0; k < all[i]->ndisks; k++)
			total += all[i]->disks[k].alloc;
		pause_text(all[i], 1, p, sizeof(p));
		sb_printf(text, "%-20s %-24s %10s %10s  ", all[i]->name,
			  fmt_utc(all[i]->created, when, sizeof(when)),
			  fmt_size(total, a, sizeof(a)), p);
		for (int k = 0; k < all[i]->ndisks; k++)
			sb_printf(text, "%s%s", k ? " " : "", all[i]->disks[k].path);
		sb_puts(text, "\n");
		free(all[i]);
	}
	free(all);
	return 0;
}

int snap_delete(const struct snap_store *s, const char *name,
		struct strbuf *text, struct err *e)
{
	struct snap_manifest m;
	int dfd;

	if (snap_read(s, name, &m, e) < 0)
		return -1;
	dfd = store_open(s, 0, e);
	if (dfd < 0)
		return -1;
	remove_dir(dfd, name);
	if (exists_at(dfd, name)) {
		err_code(e, ERR_IO, "%s: snapshot %s: could not remove %s/%s",
			 s->vm, name, s->dir, name);
		close(dfd);
		return -1;
	}
	close(dfd);
	if (text)
		sb_printf(text, "%s: snapshot %s deleted\n", s->vm, name);
	return 0;
}

/* ---- restoring ------------------------------------------------------- */

int snap_install(const struct disk_ctx *cc, const struct snap_manifest *m,
		 const int *files, struct strbuf *text, struct err *e)
{
	struct disk_ref refs[VM_MAX_DISKS];
	struct tmpfile t[VM_MAX_DISKS];
	struct disk_ctx lc = *cc, *c = &lc;
	struct disklocks locks;
	char who[160];
	int nrefs = 0, nt = 0, rc = -1;

	/* the images replaced stay locked from their check to their rename:
	 * a start meanwhile (of this VM by another monitor, or on another
	 * node of shared storage) is refused, naming the restore */
	snprintf(who, sizeof(who), "a restore of snapshot %s of %s", m->name,
		 m->vm[0] ? m->vm : "a VM");
	disklocks_init(&locks, cc->shared, who);
	if (!cc->locks)
		lc.locks = &locks;

	/* every check before the first file is replaced */
	for (int i = 0; i < m->ndisks; i++) {
		const struct snap_disk *d = &m->disks[i];
		struct disk_ref *r = &refs[nrefs];
		int fd;

		if (disk_resolve(c, d->path, r, e) < 0)
			goto out;
		nrefs++;
		if (strncmp(r->path, "/disks/", 7) || r->kind == DISK_DEV) {
			err_code(e, ERR_INVAL, "%s: a snapshot restores only the "
				 "VM's own images (/disks)", d->path);
			goto out;
		}
		if (d->backing[0]) {
			struct cow_header h;

			if (cow_read_header(files[i], d->path, &h, e) < 0 ||
			    disk_backing_ok(c, &h, d->path, e) < 0)
				goto out;
		}
		/* a kernel that holds the disk: the VM (or another) runs */
		fd = disk_open(r, O_PATH | O_NOFOLLOW, e);
		if (fd >= 0) {
			int held = disk_refuse_held(c, fd, d->path, 0,
						    "cannot restore", e);

			close(fd);
			if (held < 0)
				goto out;
		} else if (errno != ENOENT) {
			goto out;
		}
	}
	for (int i = 0; i < m->ndisks; i++) {
		enum xcopy_done did;

		if (tmpfile_new(&t[nt], refs[i].dirfd, refs[i].name, 0644,
				m->disks[i].path, e) < 0)
			goto out;
		nt++;
		if (xcopy_file(files[i], t[i].fd, m->disks[i].size, XF_CLONE, NULL,
			       NULL, m->disks[i].path, &did, e) < 0)
			goto out;
	}
	/* all written: each put in place in one rename */
	for (int i = 0; i < nt; i++) {
		if (tmpfile_commit(&t[i], 1, e) < 0)
			goto out;
		if (text)
			sb_printf(text, "%s: restored from snapshot %s\n",
				  m->disks[i].path, m->name);
	}
	rc = 0;
out:
	for (int i = 0; i < nt; i++)
		tmpfile_abort(&t[i]);
	for (int i = 0; i < nrefs; i++)
		disk_ref_close(&refs[i]);
	disklocks_free(&locks);
	return rc;
}

int snap_restore(const struct snap_store *s, const struct disk_ctx *c,
		 const char *name, struct strbuf *text, struct err *e)
{
	struct snap_manifest m;
	int files[VM_MAX_DISKS], nf = 0, dfd = -1, rc = -1;

	if (snap_read(s, name, &m, e) < 0)
		return -1;
	dfd = store_open(s, 0, e);
	if (dfd < 0)
		return -1;
	for (int i = 0; i < m.ndisks; i++) {
		char path[600], sum[SNAP_SHA256_HEX], what[700];

		snprintf(path, sizeof(path), "%s/%s", name, m.disks[i].file);
		snprintf(what, sizeof(what), "%s: snapshot %s: %s", s->vm, name,
			 m.disks[i].file);
		files[nf] = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (files[nf] < 0) {
			err_sys(e, "%s", what);
			goto out;
		}
		nf++;
		/* a damaged copy is found before anything is replaced */
		if (snap_sha256_fd(files[i], m.disks[i].size, sum, what, e) < 0)
			goto out;
		if (strcmp(sum, m.disks[i].sha256)) {
			err_code(e, ERR_IO, "%s: checksum mismatch (sha256 %.16s..., "
				 "the manifest says %.16s...): nothing restored",
				 what, sum, m.disks[i].sha256);
			goto out;
		}
	}
	rc = snap_install(c, &m, files, text, e);
out:
	for (int i = 0; i < nf; i++)
		close(files[i]);
	close(dfd);
	return rc;
}
