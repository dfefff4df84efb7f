/* backup.c -- a snapshot as a tar file and back (see backup.h).
 *
 * The tar is ustar headers with pax extended headers ('x') for the sparse
 * images: GNU.sparse.major=1, minor=0, name and realsize; the member's
 * data then begins with the map in decimal, a number a line (the count,
 * then offset and length of each data extent, and a last extent of
 * length 0 at the real size), padded to 512 bytes, followed by the
 * extents' data, all of it padded to 512 bytes at the end. */
#include "disk/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/extents.h"
#include "host/tmpfile.h"

#define BLK 512
/* an octal size field holds 11 digits: beyond, GNU's base-256 */
#define OCTAL_MAX 077777777777ULL
#define MAP_MAX 4096 /* extents of one image in a map we read */

/* ---- writing ---------------------------------------------------------- */

struct tar_out {
	int fd;
	uint64_t pos;
	const char *what;
	struct err *e;
};

static int put(struct tar_out *t, const void *p, size_t n)
{
	if (write_all(t->fd, p, n) < 0) {
		err_sys(t->e, "%s: write", t->what);
		return -1;
	}
	t->pos += n;
	return 0;
}

static int pad(struct tar_out *t)
{
	static const char zero[BLK];
	size_t n = (BLK - t->pos % BLK) % BLK;

	return n ? put(t, zero, n) : 0;
}

/* len - 1 octal digits, then NUL; v must fit */
static void octal(char *f, size_t len, uint64_t v)
{
	f[len - 1] = '\0';
	for (size_t i = len - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
}

static void size_field(char *f, uint64_t v)
{
	if (v <= OCTAL_MAX) {
		octal(f, 12, v);
		return;
	}
	memset(f, 0, 12);
	f[0] = (char)0x80;
	for (int i = 11; i >= 4; i--, v >>= 8)
		f[i] = (char)(v & 0xff);
}

static unsigned header_sum(const unsigned char *h)
{
	unsigned sum = 0;

	for (int i = 0; i < BLK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

static int header(struct tar_out *t, const char *name, char type, uint64_t size,
		  int64_t mtime)
{
	unsigned char h[BLK];

	memset(h, 0, sizeof(h));
	if (strlen(name) >= 100) {
		err_code(t->e, ERR_INVAL, "%s: member name %s is too long", t->what,
			 name);
		return -1;
	}
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, 0600);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	size_field((char *)h + 124, size);
	octal((char *)h + 136, 12, (uint64_t)(mtime < 0 ? 0 : mtime));
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	snprintf((char *)h + 148, 8, "%06o", header_sum(h));
	h[155] = ' ';
	return put(t, h, sizeof(h));
}

/* One pax record "LEN KEY=VALUE\n", LEN counting itself. */
static void pax_record(struct strbuf *sb, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;

	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	sb_printf(sb, "%zu %s=%s\n", len, key, value);
}

static int write_image(struct tar_out *t, int fd, const char *member,
		       uint64_t size, int64_t mtime, int serial)
{
	struct strbuf pax, map;
	uint64_t (*ext)[2] = NULL, pos = 0, d, h, data = 0;
	int n = 0, r, rc = -1;
	char num[32], placeholder[100];

	sb_init(&pax);
	sb_init(&map);
	while ((r = extent_next(fd, pos, size, &d, &h)) == 1) {
		ext = xrealloc(ext, sizeof(*ext) * (size_t)(n + 1));
		ext[n][0] = d;
		ext[n][1] = h - d;
		data += h - d;
		n++;
		pos = h;
	}
	if (r < 0) {
		err_sys(t->e, "%s: looking for data", member);
		goto out;
	}
	sb_printf(&map, "%d\n", n + 1);
	for (int i = 0; i < n; i++)
		sb_printf(&map, "%llu\n%llu\n", (unsigned long long)ext[i][0],
			  (unsigned long long)ext[i][1]);
	sb_printf(&map, "%llu\n0\n", (unsigned long long)size);
	pax_record(&pax, "GNU.sparse.major", "1");
	pax_record(&pax, "GNU.sparse.minor", "0");
	pax_record(&pax, "GNU.sparse.name", member);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	pax_record(&pax, "GNU.sparse.realsize", num);
	snprintf(placeholder, sizeof(placeholder), "GNUSparseFile.%d/img%d",
		 (int)getpid(), serial);
	{
		uint64_t map_len = (map.len + BLK - 1) / BLK * BLK;

		if (header(t, "PaxHeaders/sparse", 'x', pax.len, mtime) < 0 ||
		    put(t, pax.buf, pax.len) < 0 || pad(t) < 0 ||
		    header(t, placeholder, '0', map_len + data, mtime) < 0 ||
		    put(t, map.buf, map.len) < 0 || pad(t) < 0)
			goto out;
	}
	{
		uint8_t *buf = xmalloc(XCOPY_CHUNK);

		for (int i = 0; i < n; i++) {
			for (uint64_t o = ext[i][0], left = ext[i][1]; left;) {
				size_t k = left < XCOPY_CHUNK ? left : XCOPY_CHUNK;
				ssize_t got = pread_full(fd, buf, k, o);

				if (got != (ssize_t)k) {
					if (got < 0)
						err_sys(t->e, "%s: read", member);
					else
						err_code(t->e, ERR_IO, "%s: changed while "
							 "it was read", member);
					free(buf);
					goto out;
				}
				if (put(t, buf, k) < 0) {
					free(buf);
					goto out;
				}
				o += k;
				left -= k;
			}
		}
		free(buf);
	}
	rc = pad(t);
out:
	free(ext);
	sb_free(&pax);
	sb_free(&map);
	return rc;
}

static int open_store_file(const struct snap_store *s, const char *name,
			   const char *file, struct err *e)
{
	char *path = xasprintf("%s/%s/%s", s->dir, name, file);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		err_sys(e, "%s: snapshot %s: %s", s->vm, name, path);
	free(path);
	return fd;
}

int backup_write(const struct snap_store *s, const char *name, const char *out,
		 struct strbuf *text, struct err *e)
{
	struct snap_manifest m;
	struct strbuf man;
	struct tmpfile nf = {.fd = -1};
	struct tar_out t;
	char *dir = xstrdup(out), *base = xstrdup(out), member[400], sz[32];
	int dirfd = -1, rc = -1;

	sb_init(&man);
	if (snap_read(s, name, &m, e) < 0)
		goto out;
	dirfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err_sys(e, "%s: its directory", out);
		goto out;
	}
	if (tmpfile_new(&nf, dirfd, basename(base), 0600, out, e) < 0)
		goto out;
	t = (struct tar_out){nf.fd, 0, out, e};
	snap_manifest_format(&m, &man);
	snprintf(member, sizeof(member), "%s/" SNAP_MANIFEST, name);
	if (header(&t, member, '0', man.len, m.created) < 0 ||
	    put(&t, man.buf, man.len) < 0 || pad(&t) < 0)
		goto out;
	for (int i = 0; i < m.ndisks; i++) {
		int fd = open_store_file(s, name, m.disks[i].file, e), r;

		if (fd < 0)
			goto out;
		snprintf(member, sizeof(member), "%s/%s", name, m.disks[i].file);
		r = write_image(&t, fd, member, m.disks[i].size, m.created, i);
		close(fd);
		if (r < 0)
			goto out;
	}
	{
		static const char end[2 * BLK];

		if (put(&t, end, sizeof(end)) < 0)
			goto out;
	}
	if (tmpfile_commit(&nf, 0, e) < 0)
		goto out;
	if (text)
		sb_printf(text, "%s: snapshot %s backed up to %s (%d image%s, %s)\n",
			  s->vm, name, out, m.ndisks, m.ndisks == 1 ? "" : "s",
			  fmt_size(t.pos, sz, sizeof(sz)));
	rc = 0;
out:
	tmpfile_abort(&nf);
	if (dirfd >= 0)
		close(dirfd);
	sb_free(&man);
	free(dir);
	free(base);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

struct tar_in {
	int fd;
	uint64_t pos;
	const char *what;
	struct err *e;
};

static int get(struct tar_in *t, void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(t->fd, (char *)p + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(t->e, "%s: read", t->what);
			return -1;
		}
		if (r == 0) {
			err_code(t->e, ERR_INVAL, "%s: truncated archive (at byte "
				 "%llu)", t->what, (unsigned long long)(t->pos + done));
			return -1;
		}
		done += (size_t)r;
	}
	t->pos += n;
	return 0;
}

static int skip_pad(struct tar_in *t)
{
	char buf[BLK];
	size_t n = (BLK - t->pos % BLK) % BLK;

	return n ? get(t, buf, n) : 0;
}

static int tar_size(const unsigned char *f, uint64_t *v)
{
	char s[13];
	char *end;

	if (f[0] & 0x80) {
		*v = 0;
		for (int i = 4; i < 12; i++)
			*v = *v << 8 | f[i];
		return 0;
	}
	memcpy(s, f, 12);
	s[12] = '\0';
	*v = strtoull(s, &end, 8);
	return end == s ? -1 : 0;
}

/* The next member: 1 with its header, 0 at the end of the archive. */
static int next_header(struct tar_in *t, unsigned char *h, uint64_t *size)
{
	char sum[9], *end;
	static const unsigned char zero[BLK];

	if (get(t, h, BLK) < 0)
		return -1;
	if (!memcmp(h, zero, BLK))
		return 0;
	memcpy(sum, h + 148, 8);
	sum[8] = '\0';
	if (strtoul(sum, &end, 8) != header_sum(h) || end == sum ||
	    tar_size(h + 124, size) < 0) {
		err_code(t->e, ERR_INVAL, "%s: not a tar archive, or a damaged one "
			 "(bad header at byte %llu)", t->what,
			 (unsigned long long)(t->pos - BLK));
		return -1;
	}
	return 1;
}

/* Reads a decimal line of the sparse map from the member's data. */
static int map_num(struct tar_in *t, uint64_t *left, uint64_t *v)
{
	char s[32];
	size_t n = 0;
	char *end;

	for (;;) {
		if (!*left || n == sizeof(s) - 1)
			goto bad;
		if (get(t, &s[n], 1) < 0)
			return -1;
		(*left)--;
		if (s[n] == '\n')
			break;
		n++;
	}
	s[n] = '\0';
	*v = strtoull(s, &end, 10);
	if (n && !*end)
		return 0;
bad:
	err_code(t->e, ERR_INVAL, "%s: damaged sparse map", t->what);
	return -1;
}

/* Copies the sparse member's data (size bytes: map, then extents) into
 * out (empty), which becomes realsize long. */
static int read_sparse(struct tar_in *t, uint64_t size, int out,
		       uint64_t realsize)
{
	uint64_t left = size, count, (*ext)[2] = NULL;
	uint8_t *buf = NULL;
	int rc = -1;

	if (map_num(t, &left, &count) < 0)
		return -1;
	/* an offset beyond off_t would reach pwrite negative */
	if (realsize > INT64_MAX) {
		err_code(t->e, ERR_INVAL, "%s: sparse member of %llu bytes", t->what,
			 (unsigned long long)realsize);
		return -1;
	}
	if (count > MAP_MAX * 64) {
		err_code(t->e, ERR_INVAL, "%s: sparse map of %llu extents", t->what,
			 (unsigned long long)count);
		return -1;
	}
	ext = xcalloc(count ? count : 1, sizeof(*ext));
	for (uint64_t i = 0; i < count; i++)
		if (map_num(t, &left, &ext[i][0]) < 0 ||
		    map_num(t, &left, &ext[i][1]) < 0)
			goto out;
	{
		uint64_t map = size - left, p = (BLK - map % BLK) % BLK;
		char pb[BLK];

		if (p > left)
			goto bad;
		if (get(t, pb, p) < 0)
			goto out;
		left -= p;
	}
	buf = xmalloc(XCOPY_CHUNK);
	for (uint64_t i = 0; i < count; i++) {
		/* not ext[i][0] + ext[i][1] > realsize: the sum wraps */
		if (ext[i][1] > left || ext[i][1] > realsize ||
		    ext[i][0] > realsize - ext[i][1])
			goto bad;
		for (uint64_t o = ext[i][0], n = ext[i][1]; n;) {
			size_t k = n < XCOPY_CHUNK ? n : XCOPY_CHUNK;

			if (get(t, buf, k) < 0)
				goto out;
			if (pwrite_full(out, buf, k, o) < 0) {
				err_sys(t->e, "%s: writing an image", t->what);
				goto out;
			}
			o += k;
			n -= k;
		}
		left -= ext[i][1];
	}
	if (left)
		goto bad;
	if (ftruncate(out, (off_t)realsize) < 0) {
		err_sys(t->e, "%s: writing an image", t->what);
		goto out;
	}
	rc = skip_pad(t);
	goto out;
bad:
	err_code(t->e, ERR_INVAL, "%s: damaged sparse member", t->what);
out:
	free(ext);
	free(buf);
	return rc;
}

/* The pax records that matter here. */
struct pax {
	int sparse;
	char name[400];
	uint64_t realsize;
};

static int read_pax(struct tar_in *t, uint64_t size, struct pax *p)
{
	char *buf, *q, *end;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (size > 65536) {
		err_code(t->e, ERR_INVAL, "%s: pax header of %llu bytes", t->what,
			 (unsigned long long)size);
		return -1;
	}
	buf = xmalloc(size + 1);
	if (get(t, buf, size) < 0 || skip_pad(t) < 0)
		goto out;
	buf[size] = '\0';
	for (q = buf; q < buf + size;) {
		unsigned long len = strtoul(q, &end, 10);
		char *kv = end + 1, *eq;

		if (end == q || *end != ' ' || len == 0 || len > (size_t)(buf + size - q) ||
		    q[len - 1] != '\n')
			goto bad;
		q[len - 1] = '\0';
		eq = strchr(kv, '=');
		if (!eq)
			goto bad;
		*eq++ = '\0';
		if (!strcmp(kv, "GNU.sparse.major"))
			p->sparse = atoi(eq);
		else if (!strcmp(kv, "GNU.sparse.name") || !strcmp(kv, "path"))
			snprintf(p->name, sizeof(p->name), "%s", eq);
		else if (!strcmp(kv, "GNU.sparse.realsize"))
			p->realsize = strtoull(eq, NULL, 10);
		q += len;
	}
	rc = 0;
	goto out;
bad:
	err_code(t->e, ERR_INVAL, "%s: damaged pax header", t->what);
out:
	free(buf);
	return rc;
}

static int copy_plain(struct tar_in *t, uint64_t size, int out)
{
	uint8_t *buf = xmalloc(XCOPY_CHUNK);
	int rc = -1;

	for (uint64_t o = 0; o < size;) {
		size_t k = size - o < XCOPY_CHUNK ? size - o : XCOPY_CHUNK;

		if (get(t, buf, k) < 0)
			goto out;
		/* zeros stay holes */
		if (!mem_is_zero(buf, k) && pwrite_full(out, buf, k, o) < 0) {
			err_sys(t->e, "%s: writing an image", t->what);
			goto out;
		}
		o += k;
	}
	if (ftruncate(out, (off_t)size) < 0) {
		err_sys(t->e, "%s: writing an image", t->what);
		goto out;
	}
	rc = skip_pad(t);
out:
	free(buf);
	return rc;
}

int backup_restore(const struct snap_store *s, const struct disk_ctx *c,
		   const char *file, struct strbuf *text, struct err *e)
{
	struct tar_in t = {-1, 0, file, e};
	struct snap_manifest m;
	int files[VM_MAX_DISKS], have_manifest = 0, dirfd = -1, rc = -1;
	unsigned char h[BLK];
	uint64_t size;
	struct pax pax = {0};
	int r;

	for (int i = 0; i < VM_MAX_DISKS; i++)
		files[i] = -1;
	t.fd = open(file, O_RDONLY | O_CLOEXEC);
	if (t.fd < 0) {
		err_sys(e, "%s", file);
		return -1;
	}
	if (mkdir(s->dir, 0700) < 0 && errno != EEXIST) {
		err_sys(e, "%s: %s", s->vm, s->dir);
		goto out;
	}
	dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		err_sys(e, "%s: %s", s->vm, s->dir);
		goto out;
	}
	while ((r = next_header(&t, h, &size)) == 1) {
		char name[400], *slash;
		int k = -1;

		if (h[156] == 'x') {
			if (read_pax(&t, size, &pax) < 0)
				goto out;
			continue;
		}
		if (h[156] != '0' && h[156] != '\0') {
			err_code(e, ERR_INVAL, "%s: member of type '%c': not a backup "
				 "of umladmin's", file, h[156]);
			goto out;
		}
		if (pax.name[0])
			snprintf(name, sizeof(name), "%s", pax.name);
		else
			snprintf(name, sizeof(name), "%.100s", (const char *)h);
		slash = strchr(name, '/');
		if (!have_manifest) {
			char *buf;

			if (!slash || strcmp(slash + 1, SNAP_MANIFEST) || size > 1 << 20) {
				err_code(e, ERR_INVAL, "%s: the first member is %s, not "
					 "NAME/manifest: not a backup of umladmin's", file,
					 name);
				goto out;
			}
			buf = xmalloc(size + 1);
			if (get(&t, buf, size) < 0 || skip_pad(&t) < 0) {
				free(buf);
				goto out;
			}
			buf[size] = '\0';
			r = snap_manifest_parse(buf, file, &m, e);
			free(buf);
			if (r < 0)
				goto out;
			have_manifest = 1;
			memset(&pax, 0, sizeof(pax));
			continue;
		}
		for (int i = 0; slash && i < m.ndisks; i++)
			if (!strcmp(slash + 1, m.disks[i].file) && files[i] < 0)
				k = i;
		if (k < 0) {
			err_code(e, ERR_INVAL, "%s: member %s is not an image of the "
				 "manifest", file, name);
			goto out;
		}
		files[k] = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (files[k] < 0) {
			err_sys(e, "%s: staging in %s", file, s->dir);
			goto out;
		}
		if (pax.sparse == 1)
			r = read_sparse(&t, size, files[k], pax.realsize);
		else
			r = copy_plain(&t, size, files[k]);
		if (r < 0)
			goto out;
		memset(&pax, 0, sizeof(pax));
	}
	if (r < 0)
		goto out;
	if (!have_manifest) {
		err_code(e, ERR_INVAL, "%s: empty archive", file);
		goto out;
	}
	/* every image there and as the manifest says, before any is used */
	for (int i = 0; i < m.ndisks; i++) {
		char sum[SNAP_SHA256_HEX], what[700];
		struct stat st;

		snprintf(what, sizeof(what), "%s: %s/%s", file, m.name, m.disks[i].file);
		if (files[i] < 0) {
			err_code(e, ERR_INVAL, "%s: missing from the archive: nothing "
				 "restored", what);
			goto out;
		}
		if (fstat(files[i], &st) < 0 || (uint64_t)st.st_size != m.disks[i].size) {
			err_code(e, ERR_IO, "%s: %llu bytes, the manifest says %llu: "
				 "nothing restored", what, (unsigned long long)st.st_size,
				 (unsigned long long)m.disks[i].size);
			goto out;
		}
		if (snap_sha256_fd(files[i], m.disks[i].size, sum, what, e) < 0)
			goto out;
		if (strcmp(sum, m.disks[i].sha256)) {
			err_code(e, ERR_IO, "%s: checksum mismatch (sha256 %.16s..., the "
				 "manifest says %.16s...): the backup is damaged; nothing "
				 "restored", what, sum, m.disks[i].sha256);
			goto out;
		}
	}
	if (snap_install(c, &m, files, text, e) < 0)
		goto out;
	if (text)
		sb_printf(text, "%s: %d image%s of snapshot %s (VM %s) restored from %s\n",
			  s->vm, m.ndisks, m.ndisks == 1 ? "" : "s", m.name, m.vm, file);
	rc = 0;
out:
	for (int i = 0; i < VM_MAX_DISKS; i++)
		if (files[i] >= 0)
			close(files[i]);
	if (dirfd >= 0)
		close(dirfd);
	close(t.fd);
	return rc;
}
