/* extents.h -- copying the data of one file into another at the same or
 * other offsets, finding a file's data extents, and the full reads and
 * writes that go with them: what a COW merge and a sparse disk copy share.
 * Holes are made by not writing, so targets start empty. */
#ifndef UMLMON_EXTENTS_H
#define UMLMON_EXTENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/fiemap.h>

#include "common/util.h"

#define XCOPY_CHUNK (1U << 20)

enum xcopy_fail { XC_READ = 1, XC_WRITE, XC_SHORT };

struct xcopy {
	int out;
	bool no_cfr;      /* copy_file_range() refused here, or not wanted */
	bool skip_zero;   /* through the buffer: chunks of zeros stay holes */
	uint8_t *buf;     /* XCOPY_CHUNK bytes */
};

void xcopy_init(struct xcopy *x, int out);
void xcopy_free(struct xcopy *x);

/* Copies len bytes of src at soff to x->out at doff: in the kernel
 * (copy_file_range) unless x->no_cfr, which it sets when the kernel
 * refuses, else through the buffer. -1 with errno, and *fail says which
 * side failed (XC_SHORT: src ended early). */
int xcopy_range(struct xcopy *x, int src, uint64_t soff, uint64_t doff,
		uint64_t len, enum xcopy_fail *fail);

/* The first data extent of fd in [pos, end): 1 with [*d, *h), 0 if only
 * holes remain, -1 with errno. A file that cannot tell (a block device)
 * is all data. */
int extent_next(int fd, uint64_t pos, uint64_t end, uint64_t *d, uint64_t *h);

/* Makes out (empty) share all of src's blocks (FICLONE): 0, or -1 with
 * errno. xclone_unsupported(errno) tells a file system that shares no
 * blocks (ext4, tmpfs) or two files on different ones: copy instead. */
int xclone(int src, int out);
bool xclone_unsupported(int err);
/* len bytes of src at soff shared into out at doff (FICLONERANGE): the
 * offsets and len in whole blocks of the file system (len may end at
 * src's end). -1 with errno as xclone. */
int xclone_range(int src, uint64_t soff, int out, uint64_t doff, uint64_t len);

/* How xcopy_file() copies. */
enum xcopy_how {
	XF_CLONE = 1,     /* try xclone() first */
	XF_SKIP_ZERO = 2, /* through the buffer; chunks of zeros stay holes */
};
/* What it did. */
enum xcopy_done { XD_CLONED = 1, XD_COPIED };

/* A whole-file copy of in's size bytes into the empty out: a clone if
 * XF_CLONE and the file system can, else in's data extents one by one
 * (in the kernel, or through the buffer with XF_SKIP_ZERO), so that holes
 * stay holes; out ends size bytes long. cb (may be NULL) is told the
 * bytes done now and then; a non-zero answer interrupts. -1 with e naming
 * `name`. */
int xcopy_file(int in, int out, uint64_t size, int how,
	       int (*cb)(uint64_t done, uint64_t total, void *arg), void *arg,
	       const char *name, enum xcopy_done *did, struct err *e);

/* The extents of a file as the file system maps them (FIEMAP). */
struct xmap {
	struct fiemap_extent *ext;
	int n;
};
/* Syncs fd and reads its map; -1 with e (ERR_INVAL: no FIEMAP here). */
int xmap_read(int fd, struct xmap *m, const char *name, struct err *e);
void xmap_free(struct xmap *m);

/* Brings out, a clone of in made earlier (xclone), up to date with in
 * (size bytes now): where the file system tells which blocks a file
 * shares (FIEMAP_EXTENT_SHARED: XFS, btrfs), only in's extents that are
 * no longer shared, the ones written since the clone, are copied, and
 * what in no longer holds is punched out of out. The cost follows what
 * changed (and in's number of extents), not the size. out_map: out's map
 * read after the clone (out has not changed since), or NULL to read it
 * now. *copied gets the bytes copied. -1 with e, ERR_INVAL if the file
 * system cannot tell: copy it all instead. */
int xclone_update(int in, int out, uint64_t size, const struct xmap *out_map,
		  uint64_t *copied, const char *name, struct err *e);

bool mem_is_zero(const void *p, size_t n);
/* pread()/pwrite() until n bytes, retrying EINTR; pread_full stops at the
 * end of the file and returns what it read. */
ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off);
int pwrite_full(int fd, const void *buf, size_t n, uint64_t off);

#endif
