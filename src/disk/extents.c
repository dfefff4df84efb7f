/* extents.c -- data extents and the copies made of them (extents.h). */
#include "disk/extents.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"

void xcopy_init(struct xcopy *x, int out)
{
	memset(x, 0, sizeof(*x));
	x->out = out;
	x->buf = xmalloc(XCOPY_CHUNK);
}

void xcopy_free(struct xcopy *x)
{
	free(x->buf);
	x->buf = NULL;
}

bool mem_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	/* every byte equals its successor and the first is 0 */
	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done,
				  (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)buf + done, n - done,
				   (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* In the kernel where it can: that saves a trip through our buffer, and
 * file systems that share blocks may not copy at all. */
int xcopy_range(struct xcopy *x, int src, uint64_t soff, uint64_t doff,
		uint64_t len, enum xcopy_fail *fail)
{
	while (len && !x->no_cfr) {
		loff_t in = (loff_t)soff, out = (loff_t)doff;
		ssize_t n = copy_file_range(src, &in, x->out, &out, len, 0);

		if (n > 0) {
			soff += (uint64_t)n;
			doff += (uint64_t)n;
			len -= (uint64_t)n;
			continue;
		}
		if (n == 0) {
			*fail = XC_SHORT;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP && errno != EBADF && errno != EPERM) {
			*fail = XC_WRITE;
			return -1;
		}
		x->no_cfr = true;
	}
	while (len) {
		size_t k = len < XCOPY_CHUNK ? (size_t)len : XCOPY_CHUNK;
		ssize_t n = pread_full(src, x->buf, k, soff);

		if (n < 0) {
			*fail = XC_READ;
			return -1;
		}
		if ((size_t)n < k) {
			*fail = XC_SHORT;
			return -1;
		}
		if (!(x->skip_zero && mem_is_zero(x->buf, k)) &&
		    pwrite_full(x->out, x->buf, k, doff) < 0) {
			*fail = XC_WRITE;
			return -1;
		}
		soff += k;
		doff += k;
		len -= k;
	}
	return 0;
}

int extent_next(int fd, uint64_t pos, uint64_t end, uint64_t *d, uint64_t *h)
{
	off_t a, b;

	if (pos >= end)
		return 0;
	a = lseek(fd, (off_t)pos, SEEK_DATA);
	if (a < 0 && errno == ENXIO)
		return 0; /* a hole up to the end */
	if (a < 0 && errno == EINVAL) {
		/* no SEEK_DATA here: all of it is data */
		*d = pos;
		*h = end;
		return 1;
	}
	if (a < 0)
		return -1;
	if ((uint64_t)a >= end)
		return 0;
	b = lseek(fd, a, SEEK_HOLE);
	if (b < 0)
		return -1;
	*d = (uint64_t)a;
	*h = (uint64_t)b > end ? end : (uint64_t)b;
	return 1;
}

int xclone(int src, int out)
{
	return ioctl(out, FICLONE, src) < 0 ? -1 : 0;
}

int xclone_range(int src, uint64_t soff, int out, uint64_t doff, uint64_t len)
{
	struct file_clone_range r = {
		.src_fd = src, .src_offset = soff, .src_length = len,
		.dest_offset = doff,
	};

	return ioctl(out, FICLONERANGE, &r) < 0 ? -1 : 0;
}

bool xclone_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTTY || err == EXDEV ||
	       err == EINVAL || err == ENOSYS || err == EPERM;
}

/* Progress is told about this often. */
#define XF_PROGRESS_EVERY (64ULL << 20)

int xcopy_file(int in, int out, uint64_t size, int how,
	       int (*cb)(uint64_t done, uint64_t total, void *arg), void *arg,
	       const char *name, enum xcopy_done *did, struct err *e)
{
	struct xcopy x;
	uint64_t pos = 0, next = XF_PROGRESS_EVERY, d, h;
	enum xcopy_fail fail;
	int r, rc = -1;

	*did = XD_COPIED;
	if (how & XF_CLONE) {
		if (xclone(in, out) == 0) {
			*did = XD_CLONED;
			/* a source longer than asked (it grew) is cut back */
			if (ftruncate(out, (off_t)size) < 0) {
				err_sys(e, "%s: size", name);
				return -1;
			}
			return cb && cb(size, size, arg) ?
			       (err_set(e, "%s: interrupted", name), -1) : 0;
		}
		if (!xclone_unsupported(errno)) {
			err_sys(e, "%s: clone", name);
			return -1;
		}
	}
	xcopy_init(&x, out);
	/* through the buffer, to see the zeros */
	x.no_cfr = x.skip_zero = (how & XF_SKIP_ZERO) != 0;
	while ((r = extent_next(in, pos, size, &d, &h)) == 1) {
		for (pos = d; pos < h;) {
			uint64_t n = h - pos < XCOPY_CHUNK ? h - pos : XCOPY_CHUNK;

			if (xcopy_range(&x, in, pos, pos, n, &fail) < 0) {
				if (fail == XC_SHORT)
					err_set(e, "%s: the source is shorter than "
						"expected at %llu", name,
						(unsigned long long)pos);
				else
					err_sys(e, "%s: %s at %llu", name,
						fail == XC_READ ? "read" : "write",
						(unsigned long long)pos);
				goto out;
			}
			pos += n;
			if (cb && pos >= next) {
				next = pos + XF_PROGRESS_EVERY;
				if (cb(pos, size, arg)) {
					err_set(e, "%s: interrupted", name);
					goto out;
				}
			}
		}
	}
	if (r < 0) {
		err_sys(e, "%s: looking for data", name);
		goto out;
	}
	if (ftruncate(out, (off_t)size) < 0) {
		err_sys(e, "%s: size", name);
		goto out;
	}
	if (cb && cb(size, size, arg)) {
		err_set(e, "%s: interrupted", name);
		goto out;
	}
	rc = 0;
out:
	xcopy_free(&x);
	return rc;
}

int xmap_read(int fd, struct xmap *m, const char *name, struct err *e)
{
	enum { BATCH = 4096 };
	struct fiemap *fm = xmalloc(sizeof(*fm) + BATCH * sizeof(fm->fm_extents[0]));
	uint64_t start = 0;
	int last = 0;

	m->ext = NULL;
	m->n = 0;
	while (!last) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = FIEMAP_MAX_OFFSET - start;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
			err_code(e, ERR_INVAL, "%s: extent map: %s", name,
				 strerror(errno));
			xmap_free(m);
			free(fm);
			return -1;
		}
		if (!fm->fm_mapped_extents)
			break;
		m->ext = xrealloc(m->ext, sizeof(*m->ext) *
				  (size_t)(m->n + (int)fm->fm_mapped_extents));
		memcpy(m->ext + m->n, fm->fm_extents,
		       sizeof(*m->ext) * fm->fm_mapped_extents);
		m->n += (int)fm->fm_mapped_extents;
		last = (m->ext[m->n - 1].fe_flags & FIEMAP_EXTENT_LAST) != 0;
		start = m->ext[m->n - 1].fe_logical + m->ext[m->n - 1].fe_length;
	}
	free(fm);
	return 0;
}

void xmap_free(struct xmap *m)
{
	free(m->ext);
	m->ext = NULL;
	m->n = 0;
}

int xclone_update(int in, int out, uint64_t size, const struct xmap *out_map,
		  uint64_t *copied, const char *name, struct err *e)
{
	struct xmap sm = {NULL, 0}, dm = {NULL, 0};
	const struct fiemap_extent *src, *dst;
	struct xcopy x;
	enum xcopy_fail fail;
	int ns, nd, rc = -1, shared = 0;

	*copied = 0;
	xcopy_init(&x, out);
	x.no_cfr = true; /* a few blocks each: a reflink per run costs more */
	if (xmap_read(in, &sm, name, e) < 0 ||
	    (!out_map && xmap_read(out, &dm, name, e) < 0))
		goto out;
	src = sm.ext;
	ns = sm.n;
	dst = out_map ? out_map->ext : dm.ext;
	nd = out_map ? out_map->n : dm.n;
	for (int i = 0; i < ns; i++)
		shared |= (src[i].fe_flags & FIEMAP_EXTENT_SHARED) != 0;
	/* nothing shared at all: a file system that does not say (or a
	 * file all rewritten); either way, a copy of it all */
	if (ns && !shared) {
		err_code(e, ERR_INVAL, "%s: the file system does not tell shared "
			 "extents", name);
		goto out;
	}
	for (int i = 0; i < ns; i++) {
		uint64_t a = src[i].fe_logical, len = src[i].fe_length;

		if (src[i].fe_flags & FIEMAP_EXTENT_SHARED || a >= size)
			continue;
		if (a + len > size)
			len = size - a;
		if (xcopy_range(&x, in, a, a, len, &fail) < 0) {
			err_sys(e, "%s: %s at %llu", name, fail == XC_WRITE ?
				"write" : "read", (unsigned long long)a);
			goto out;
		}
		*copied += len;
	}
	/* out's data where in now has a hole (the guest discarded it) */
	for (int i = 0, k = 0; i < nd; i++) {
		uint64_t a = dst[i].fe_logical, end = a + dst[i].fe_length;

		while (a < end) {
			uint64_t hole_end;

			while (k < ns && src[k].fe_logical + src[k].fe_length <= a)
				k++;
			if (k < ns && src[k].fe_logical <= a) {
				a = src[k].fe_logical + src[k].fe_length;
				continue;
			}
			hole_end = k < ns && src[k].fe_logical < end ?
				   src[k].fe_logical : end;
			if (fallocate(out, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      (off_t)a, (off_t)(hole_end - a)) < 0) {
				err_sys(e, "%s: punching %llu", name,
					(unsigned long long)a);
				goto out;
			}
			a = hole_end;
		}
	}
	if (ftruncate(out, (off_t)size) < 0) {
		err_sys(e, "%s: size", name);
		goto out;
	}
	rc = 0;
out:
	xmap_free(&sm);
	xmap_free(&dm);
	xcopy_free(&x);
	return rc;
}
