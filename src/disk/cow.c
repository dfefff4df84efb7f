/* cow.c -- the UML ubd copy-on-write format: headers v1, v2, v3 (and the
 * mis-padded 64-bit v3), creation of v3 files, and merging.
 *
 * A COW file is a header, a bitmap with one bit per sector of the backing
 * file (bit n % 8 of byte n / 8, LSB first: sector n was written by the
 * VM), and a data area where sector n lives at data_offset + n * sectorsize.
 * The data area is sparse: only written sectors take space.
 *
 * The headers are described by byte offsets instead of packed structs so
 * that the code neither depends on the compiler's packing nor on the host's
 * byte order. */
#include "disk/cow.h"
#include "disk/extents.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* v1: written in the byte order of the host that made it (the magic tells
 * which); 32-bit layout, packed. */
#define V1_PATH 8
#define V1_PATH_LEN 256
#define V1_MTIME 264	/* u32 */
#define V1_SIZE 268	/* u64 */
#define V1_SECTOR 276	/* s32 */
#define V1_LEN 280

/* v2: big-endian, packed, a MAXPATHLEN (4096) path before the numbers. */
#define V2_PATH 8
#define V2_PATH_LEN 4096
#define V2_MTIME 4104
#define V2_SIZE 4108
#define V2_SECTOR 4116
#define V2_LEN 4120

/* v3: big-endian, packed, the path last. */
#define V3_MTIME 8	/* u32 */
#define V3_SIZE 12	/* u64 */
#define V3_SECTOR 20
#define V3_ALIGN 24
#define V3_FORMAT 28	/* 0: the bitmap, the only format there is */
#define V3_PATH 32
#define V3_LEN 4128

/* Until late 2005 the v3 struct was not packed, so 64-bit builds put four
 * bytes of padding after mtime (the kernel calls this cow_header_v3_broken)
 * and the struct grew to 4136 bytes. The kernel recognises such a header
 * by its zero cow_format landing on the first four bytes of the proper
 * layout's path, which a real path never starts with. The tools of the
 * time stored htonl(mtime) in the 64-bit field, so on the little-endian
 * hosts that made these files mtime is a big-endian u32 at offset 8. */
#define V3B_MTIME 8
#define V3B_SIZE 16
#define V3B_SECTOR 24
#define V3B_ALIGN 28
#define V3B_FORMAT 32
#define V3B_PATH 36
#define V3B_LEN 4136

#define HDR_MAX V3B_LEN

/* Beyond any real disk; keeps every offset computed below far from
 * overflowing an off_t. */
#define SIZE_LIMIT (1ULL << 60)
/* The largest alignment we believe: the kernel has no limit but takes
 * anything that is not 0; uml_mkcow writes 4096. */
#define ALIGN_LIMIT (64U << 20)
/* cow_read_bitmap() loads the whole bitmap: 1 GiB covers 4 PiB. */
#define BITMAP_LOAD_LIMIT (1ULL << 30)

/* Merges walk the disk in chunks of this many bytes; with sector sizes of
 * at most 64 KiB a chunk holds a whole number of bitmap bytes. */
#define CHUNK XCOPY_CHUNK
/* A run of COW data at least this long is shared into a cloned merge
 * output rather than written (each share is a transaction of its own). */
#define MERGE_CLONE_MIN (64u << 10)
/* ... and read the bitmap this many bytes at a time (512K sectors, 256 MiB
 * of disk at 512-byte sectors): a whole number of chunks, and memory use
 * that does not grow with the disk. */
#define BM_WINDOW (64U << 10)
/* Progress is reported about this often. */
#define REPORT_EVERY (64ULL << 20)

static uint64_t div_round_up(uint64_t x, uint64_t d)
{
	return (x + d - 1) / d;
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return div_round_up(x, a) * a;
}

static uint32_t ld32(const uint8_t *p, bool be)
{
	if (be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint64_t ld64(const uint8_t *p, bool be)
{
	if (be)
		return (uint64_t)ld32(p, true) << 32 | ld32(p + 4, true);
	return (uint64_t)ld32(p + 4, false) << 32 | ld32(p, false);
}

static void st32be(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void st64be(uint8_t *p, uint64_t v)
{
	st32be(p, v >> 32);
	st32be(p + 4, (uint32_t)v);
}

static bool magic_at(const uint8_t *p)
{
	return ld32(p, true) == COW_MAGIC || ld32(p, false) == COW_MAGIC;
}

int cow_probe(int fd, struct err *e)
{
	uint8_t b[4];
	ssize_t n = pread_full(fd, b, sizeof(b), 0);

	if (n < 0) {
		err_sys(e, "reading the COW magic");
		return -1;
	}
	return n == sizeof(b) && magic_at(b);
}

/* Fills bitmap_len and data_offset from version, size, sectorsize,
 * alignment and bitmap_offset, checking them. The rules are the kernel's
 * cow_sizes(), bugs included: before v3 the bitmap length rounds the wrong
 * way (whole groups of 8 sectors only) and the data is aligned to the
 * sector size. */
static int layout(struct cow_header *h, const char *name, struct err *e)
{
	uint32_t ss = h->sectorsize;

	if (ss < 512 || ss > 65536 || (ss & (ss - 1))) {
		err_set(e, "%s: bad COW sector size %u", name, ss);
		return -1;
	}
	if (h->size == 0) {
		err_set(e, "%s: the COW header gives a disk size of 0", name);
		return -1;
	}
	if (h->size > SIZE_LIMIT) {
		err_set(e, "%s: COW disk size %llu is too large", name,
			(unsigned long long)h->size);
		return -1;
	}
	if (h->version < 3) {
		h->bitmap_len = (h->size + ss - 1) / (8ULL * ss);
		h->data_offset = round_up(h->bitmap_offset + h->bitmap_len, ss);
	} else {
		if (h->alignment == 0 || h->alignment > ALIGN_LIMIT) {
			err_set(e, "%s: bad COW alignment %u", name,
				h->alignment);
			return -1;
		}
		h->bitmap_len = div_round_up(div_round_up(h->size, ss), 8);
		h->data_offset = round_up(h->bitmap_offset + h->bitmap_len,
					  h->alignment);
	}
	return 0;
}

/* Decodes n bytes of header. *broken tells the 64-bit v3 layout. */
static int parse_header(const uint8_t *b, size_t n, const char *name,
			struct cow_header *h, bool *broken, struct err *e)
{
	const uint8_t *path;
	size_t path_len, need;
	uint32_t version;
	bool be;

	memset(h, 0, sizeof(*h));
	*broken = false;
	if (n < 4 || !magic_at(b)) {
		err_set(e, "%s: not a COW file (%s)", name,
			n < 4 ? "too short" : "bad magic");
		return -1;
	}
	if (n < 8)
		goto truncated;
	/* The magic and the version are in the writer's byte order, which
	 * the kernel accepts either way; the fields of v2 and v3 are
	 * big-endian whatever the magic says, those of v1 follow it. */
	be = ld32(b, true) == COW_MAGIC;
	version = ld32(b + 4, be);
	switch (version) {
	case 1:
		need = V1_LEN;
		if (n < need)
			goto truncated;
		h->mtime = ld32(b + V1_MTIME, be);
		h->size = ld64(b + V1_SIZE, be);
		h->sectorsize = ld32(b + V1_SECTOR, be);
		h->bitmap_offset = V1_LEN;
		path = b + V1_PATH;
		path_len = V1_PATH_LEN;
		break;
	case 2:
		need = V2_LEN;
		if (n < need)
			goto truncated;
		h->mtime = ld32(b + V2_MTIME, true);
		h->size = ld64(b + V2_SIZE, true);
		h->sectorsize = ld32(b + V2_SECTOR, true);
		h->bitmap_offset = V2_LEN;
		path = b + V2_PATH;
		path_len = V2_PATH_LEN;
		break;
	case 3:
		need = V3_PATH + 4;
		if (n < need)
			goto truncated;
		*broken = ld32(b + V3_PATH, true) == 0;
		need = *broken ? V3B_LEN : V3_LEN;
		if (n < need)
			goto truncated;
		if (*broken) {
			h->mtime = ld32(b + V3B_MTIME, true);
			h->size = ld64(b + V3B_SIZE, true);
			h->sectorsize = ld32(b + V3B_SECTOR, true);
			h->alignment = ld32(b + V3B_ALIGN, true);
			path = b + V3B_PATH;
		} else {
			if (ld32(b + V3_FORMAT, true) != 0) {
				err_set(e, "%s: COW format %u is not supported",
					name, ld32(b + V3_FORMAT, true));
				return -1;
			}
			h->mtime = ld32(b + V3_MTIME, true);
			h->size = ld64(b + V3_SIZE, true);
			h->sectorsize = ld32(b + V3_SECTOR, true);
			h->alignment = ld32(b + V3_ALIGN, true);
			path = b + V3_PATH;
		}
		path_len = COW_PATH_MAX;
		/* the alignment is checked in layout() before this is used */
		if (h->alignment)
			h->bitmap_offset = round_up(need, h->alignment);
		break;
	default:
		err_set(e, "%s: COW version %u is not supported", name,
			version);
		return -1;
	}
	h->version = version;
	if (!memchr(path, '\0', path_len)) {
		err_set(e, "%s: the backing file name in the COW header is "
			"not NUL-terminated", name);
		return -1;
	}
	if (!path[0]) {
		err_set(e, "%s: the COW header has no backing file name",
			name);
		return -1;
	}
	memcpy(h->backing, path, strlen((const char *)path) + 1);
	return layout(h, name, e);

truncated:
	err_set(e, "%s: truncated COW header (%zu bytes)", name, n);
	return -1;
}

static int read_header(int fd, const char *name, struct cow_header *h,
		       bool *broken, struct err *e)
{
	uint8_t b[HDR_MAX];
	ssize_t n = pread_full(fd, b, sizeof(b), 0);

	if (n < 0) {
		err_sys(e, "%s: reading the COW header", name);
		return -1;
	}
	return parse_header(b, n, name, h, broken, e);
}

int cow_read_header(int fd, const char *name, struct cow_header *h,
		    struct err *e)
{
	bool broken;

	return read_header(fd, name, h, &broken, e);
}

/* Checks what a v3 header can store: the path fits, mtime fits 32 bits. */
static int check_v3_fields(const char *backing, int64_t mtime,
			   const char *name, struct err *e)
{
	size_t len = strlen(backing);

	if (len == 0 || len >= COW_PATH_MAX) {
		err_set(e, "%s: backing file name %s", name,
			len ? "too long for a COW header" : "is empty");
		return -1;
	}
	/* the kernel keeps time32_t: files dated before 1970 or after 2106
	 * cannot be described */
	if (mtime < 0 || mtime > (int64_t)UINT32_MAX) {
		err_set(e, "%s: mtime %lld does not fit a COW header", name,
			(long long)mtime);
		return -1;
	}
	return 0;
}

int cow_init_header(struct cow_header *h, const char *backing, uint64_t size,
		    int64_t mtime, struct err *e)
{
	memset(h, 0, sizeof(*h));
	/* not naming such a name: it would fill the message */
	if (strlen(backing) >= COW_PATH_MAX) {
		err_set(e, "backing file name of %zu bytes is too long for a "
			"COW header (at most %d)", strlen(backing),
			COW_PATH_MAX - 1);
		return -1;
	}
	if (backing[0] != '/') {
		err_set(e, "%s: the backing file of a COW file must be an "
			"absolute path", backing);
		return -1;
	}
	if (check_v3_fields(backing, mtime, backing, e) < 0)
		return -1;
	h->version = 3;
	strcpy(h->backing, backing);
	h->mtime = mtime;
	h->size = size;
	h->sectorsize = COW_SECTOR;
	h->alignment = COW_ALIGN;
	h->bitmap_offset = round_up(V3_LEN, COW_ALIGN);
	return layout(h, backing, e);
}

static void encode_v3(uint8_t *b, const struct cow_header *h)
{
	memset(b, 0, V3_LEN);
	st32be(b, COW_MAGIC);
	st32be(b + 4, 3);
	st32be(b + V3_MTIME, (uint32_t)h->mtime);
	st64be(b + V3_SIZE, h->size);
	st32be(b + V3_SECTOR, h->sectorsize);
	st32be(b + V3_ALIGN, h->alignment);
	st32be(b + V3_FORMAT, 0);
	memcpy(b + V3_PATH, h->backing, strlen(h->backing));
}

int cow_write_new(int fd, const char *name, const struct cow_header *h,
		  struct err *e)
{
	uint8_t b[V3_LEN];
	struct cow_header c = *h;

	if (h->version != 3) {
		err_set(e, "%s: only v3 COW files can be created", name);
		return -1;
	}
	/* the offsets come from the fields, whatever the caller left in
	 * the derived ones */
	c.bitmap_offset = round_up(V3_LEN, h->alignment ? h->alignment : 1);
	if (check_v3_fields(c.backing, c.mtime, name, e) < 0 ||
	    layout(&c, name, e) < 0)
		return -1;
	encode_v3(b, &c);
	/* Emptying the file first makes the bitmap zero and the data area
	 * a hole without writing either. uml_mkcow ends the file with one
	 * zero byte at data_offset + size - 1: the same length (not rounded
	 * to a sector), so the two files compare equal; ours just has no
	 * block allocated at the end. */
	if (ftruncate(fd, 0) < 0 || pwrite_full(fd, b, V3_LEN, 0) < 0 ||
	    ftruncate(fd, (off_t)(c.data_offset + c.size)) < 0) {
		err_sys(e, "%s: writing the COW header", name);
		return -1;
	}
	return 0;
}

int cow_update_header(int fd, const char *name, const struct cow_header *h,
		      struct err *e)
{
	struct cow_header cur, upd;
	uint8_t b[V3_LEN];
	bool broken;

	if (read_header(fd, name, &cur, &broken, e) < 0)
		return -1;
	if (cur.version != 3 || broken) {
		err_set(e, "%s: only a v3 COW header can be updated in place "
			"(this one is %s)", name,
			broken ? "the old 64-bit v3 layout" :
			cur.version == 1 ? "v1" : "v2");
		return -1;
	}
	if (check_v3_fields(h->backing, h->mtime, name, e) < 0)
		return -1;
	upd = cur;
	strcpy(upd.backing, h->backing);
	upd.mtime = h->mtime;
	upd.size = h->size;
	if (layout(&upd, name, e) < 0)
		return -1;
	/* the bitmap and the data stay where they are: a size that moves
	 * them describes another disk */
	if (upd.bitmap_len != cur.bitmap_len ||
	    upd.data_offset != cur.data_offset) {
		err_set(e, "%s: a disk of %llu bytes does not fit this COW "
			"file (made for %llu bytes)", name,
			(unsigned long long)upd.size,
			(unsigned long long)cur.size);
		return -1;
	}
	encode_v3(b, &upd);
	if (pwrite_full(fd, b, V3_LEN, 0) < 0) {
		err_sys(e, "%s: writing the COW header", name);
		return -1;
	}
	return 0;
}

uint8_t *cow_read_bitmap(int fd, const char *name, const struct cow_header *h,
			 struct err *e)
{
	uint8_t *bm;
	ssize_t n;

	/* a damaged header must not make us allocate absurd amounts */
	if (h->bitmap_len > BITMAP_LOAD_LIMIT) {
		err_set(e, "%s: COW bitmap of %llu bytes is too large", name,
			(unsigned long long)h->bitmap_len);
		return NULL;
	}
	bm = xmalloc(h->bitmap_len);
	n = pread_full(fd, bm, h->bitmap_len, h->bitmap_offset);
	if (n < 0) {
		err_sys(e, "%s: reading the COW bitmap", name);
		free(bm);
		return NULL;
	}
	if ((uint64_t)n < h->bitmap_len) {
		err_set(e, "%s: the COW bitmap is truncated", name);
		free(bm);
		return NULL;
	}
	return bm;
}

uint64_t cow_mapped_sectors(const struct cow_header *h)
{
	uint64_t sectors = div_round_up(h->size, h->sectorsize);

	return h->bitmap_len * 8 < sectors ? h->bitmap_len * 8 : sectors;
}

uint64_t cow_bitmap_count(const uint8_t *bitmap, uint64_t sectors)
{
	uint64_t full = sectors / 8, i = 0, n = 0;

	for (; i + 8 <= full; i += 8) {
		uint64_t w;

		memcpy(&w, bitmap + i, sizeof(w));
		n += __builtin_popcountll(w);
	}
	for (; i < full; i++)
		n += __builtin_popcount(bitmap[i]);
	if (sectors % 8)
		n += __builtin_popcount(bitmap[full] &
					((1U << (sectors % 8)) - 1));
	return n;
}

/* State of a merge. The bitmap is read a window at a time; sectors past
 * its end (the short bitmaps of v1/v2) count as not in the COW file. */
struct merge {
	const struct cow_header *h;
	const char *name;
	int cow_fd, back_fd, out_fd;
	uint64_t sectors;	/* ceil(size / sectorsize) */
	uint64_t mapped;	/* sectors that have a bit */
	uint8_t *bm;		/* BM_WINDOW bytes */
	uint64_t bm_first;	/* sector of bit 0 of bm; UINT64_MAX: none */
	struct xcopy x;		/* to out_fd; its buffer is buf */
	bool cloned;		/* out_fd is a clone of the backing file */
	uint64_t blk;		/* its block size, if COW runs may be shared
				   into it too (0: they are written) */
	uint8_t *buf, *cbuf;	/* CHUNK bytes each */
	cow_progress_cb cb;
	void *arg;
	uint64_t next_report;
	struct err *e;
};

static int merge_init(struct merge *m, int cow_fd, const struct cow_header *h,
		      int back_fd, int out_fd, const char *name,
		      cow_progress_cb cb, void *arg, struct err *e)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	if (h->sectorsize < 512 || h->sectorsize > 65536 ||
	    (h->sectorsize & (h->sectorsize - 1)) || h->size == 0 ||
	    h->size > SIZE_LIMIT) {
		err_set(e, "%s: bad COW header", name);
		return -1;
	}
	if (fstat(back_fd, &st) < 0) {
		err_sys(e, "%s: fstat of the backing file", name);
		return -1;
	}
	/* what uml_moo checks too; the mtime is the caller's business (it
	 * may have moved the file on purpose) */
	if ((uint64_t)st.st_size != h->size) {
		err_set(e, "%s: the backing file has %lld bytes, the COW "
			"header says %llu", name, (long long)st.st_size,
			(unsigned long long)h->size);
		return -1;
	}
	m->h = h;
	m->name = name;
	m->cow_fd = cow_fd;
	m->back_fd = back_fd;
	m->out_fd = out_fd;
	m->sectors = div_round_up(h->size, h->sectorsize);
	m->mapped = cow_mapped_sectors(h);
	m->bm_first = UINT64_MAX;
	m->cb = cb;
	m->arg = arg;
	m->next_report = REPORT_EVERY;
	m->e = e;
	m->bm = xmalloc(BM_WINDOW);
	xcopy_init(&m->x, out_fd);
	m->buf = m->x.buf;
	m->cbuf = xmalloc(CHUNK);
	return 0;
}

static void merge_free(struct merge *m)
{
	free(m->bm);
	xcopy_free(&m->x);
	free(m->cbuf);
}

/* Makes the window hold the bit of sector s. */
static int load_window(struct merge *m, uint64_t s)
{
	uint64_t first = s - s % (BM_WINDOW * 8ULL), byte = first / 8;
	size_t want = 0;
	ssize_t n;

	if (m->bm_first == first)
		return 0;
	memset(m->bm, 0, BM_WINDOW);
	if (byte < m->h->bitmap_len)
		want = m->h->bitmap_len - byte < BM_WINDOW ?
		       m->h->bitmap_len - byte : BM_WINDOW;
	n = pread_full(m->cow_fd, m->bm, want, m->h->bitmap_offset + byte);
	if (n < 0) {
		err_sys(m->e, "%s: reading the COW bitmap", m->name);
		return -1;
	}
	if ((size_t)n < want) {
		err_set(m->e, "%s: the COW bitmap is truncated", m->name);
		return -1;
	}
	m->bm_first = first;
	return 0;
}

/* The bit of sector s, which must be in the window. */
static bool bit(const struct merge *m, uint64_t s)
{
	uint64_t i = s - m->bm_first;

	return s < m->mapped && (m->bm[i / 8] >> (i % 8)) & 1;
}

/* Next sector in [s, end) whose bit has value v, or end; [s, end) must be
 * in the window. Whole bytes of the other value are skipped at once. */
static uint64_t next_bit(const struct merge *m, uint64_t s, uint64_t end,
			 bool v)
{
	uint64_t lim = end < m->mapped ? end : m->mapped;
	uint8_t other = v ? 0x00 : 0xff;

	while (s < lim) {
		uint64_t i = s - m->bm_first;

		if (i % 8 == 0 && lim - s >= 8 && m->bm[i / 8] == other) {
			s += 8;
			continue;
		}
		if (bit(m, s) == v)
			return s;
		s++;
	}
	/* past the end of the bitmap every bit is 0 */
	return v || s >= end ? end : s;
}

/* Calls the progress callback; a non-zero answer interrupts. */
static int report(struct merge *m, uint64_t done)
{
	if (m->cb && m->cb(done, m->h->size, m->arg)) {
		err_set(m->e, "%s: interrupted", m->name);
		return -1;
	}
	return 0;
}

/* Copies len bytes of src at soff to the output at doff; `what` names src
 * in messages. */
static int copy_range(struct merge *m, int src, uint64_t soff, uint64_t doff,
		      uint64_t len, const char *what)
{
	enum xcopy_fail fail;

	if (xcopy_range(&m->x, src, soff, doff, len, &fail) == 0)
		return 0;
	if (fail == XC_SHORT)
		err_set(m->e, "%s: the %s ends early", m->name, what);
	else if (fail == XC_READ)
		err_sys(m->e, "%s: reading the %s", m->name, what);
	else
		err_sys(m->e, "%s: writing the merged disk", m->name);
	return -1;
}

/* Copies [from, to) of the backing file, skipping its holes: the output
 * starts empty, so they stay holes. */
static int copy_sparse(struct merge *m, uint64_t from, uint64_t to)
{
	uint64_t d, h;
	int r;

	if (m->cloned)
		return 0; /* it holds the backing file's data already */
	while ((r = extent_next(m->back_fd, from, to, &d, &h)) == 1) {
		if (copy_range(m, m->back_fd, d, d, h - d, "backing file") < 0)
			return -1;
		from = h;
	}
	if (r < 0) {
		err_sys(m->e, "%s: looking for data in the backing file", m->name);
		return -1;
	}
	return 0;
}

/* Reads [a, b) of the COW data area (sectors; b clipped to the disk's
 * size for a partial last sector) into dst. */
static int read_cow(struct merge *m, uint64_t a, uint64_t b, uint8_t *dst)
{
	uint64_t ss = m->h->sectorsize, end = b * ss;
	size_t len;
	ssize_t n;

	if (end > m->h->size)
		end = m->h->size;
	len = end - a * ss;
	n = pread_full(m->cow_fd, dst, len, m->h->data_offset + a * ss);
	if (n < 0) {
		err_sys(m->e, "%s: reading the COW data", m->name);
		return -1;
	}
	if ((size_t)n < len) {
		err_set(m->e, "%s: the COW data ends early (sector %llu)",
			m->name, (unsigned long long)(a + n / ss));
		return -1;
	}
	return 0;
}

/* Lays the runs of COW sectors in [s, s + n) over the output, which
 * already holds the backing file's data there. */
/* A run of COW data [from, to) of the disk into the output. Where the
 * output is a clone and the run holds whole blocks long enough to be
 * worth a transaction, the blocks are shared from the COW file rather
 * than written: a guest's file system writes in long runs, and those
 * then cost no data at all. */
static int overlay_run(struct merge *m, uint64_t from, uint64_t to)
{
	uint64_t off = m->h->data_offset, a, b;

	if (m->blk) {
		a = round_up(from, m->blk);
		b = to / m->blk * m->blk;
		if (b > a && b - a >= MERGE_CLONE_MIN) {
			if (xclone_range(m->cow_fd, off + a, m->out_fd, a,
					 b - a) == 0)
				return copy_range(m, m->cow_fd, off + from, from,
						  a - from, "COW data") < 0 ||
				       copy_range(m, m->cow_fd, off + b, b, to - b,
						  "COW data") < 0 ? -1 : 0;
			if (!xclone_unsupported(errno)) {
				err_sys(m->e, "%s: sharing COW data into the "
					"merged disk", m->name);
				return -1;
			}
			m->blk = 0; /* not here: written from now on */
		}
	}
	return copy_range(m, m->cow_fd, off + from, from, to - from,
			  "COW data");
}

static int overlay_chunk(struct merge *m, uint64_t s, uint64_t n)
{
	uint64_t ss = m->h->sectorsize, end = s + n, a, b;

	for (a = next_bit(m, s, end, true); a < end;
	     a = next_bit(m, b, end, true)) {
		uint64_t to;

		b = next_bit(m, a, end, false);
		/* a partial last sector: only its part inside the disk */
		to = b * ss > m->h->size ? m->h->size : b * ss;
		if (overlay_run(m, a * ss, to) < 0)
			return -1;
	}
	return 0;
}

int cow_merge_to(int cow_fd, const struct cow_header *h, int backing_fd,
		 int out_fd, const char *name, cow_progress_cb cb, void *arg,
		 struct err *e)
{
	struct merge m;
	struct stat st;
	uint64_t cs, s, clean_from = 0;
	int ret = -1;

	if (fstat(out_fd, &st) < 0) {
		err_sys(e, "%s: fstat of the merge output", name);
		return -1;
	}
	/* holes are made by not writing, so the output must start empty */
	if (!S_ISREG(st.st_mode) || st.st_size != 0) {
		err_set(e, "%s: the merge output must be an empty regular "
			"file", name);
		return -1;
	}
	if (merge_init(&m, cow_fd, h, backing_fd, out_fd, name, cb, arg,
		       e) < 0)
		return -1;
	/* Where the file system shares blocks, the output starts as a clone
	 * of the backing file and only the COW's sectors are written: the
	 * merge costs what the COW holds, not the size of the disk. */
	if (xclone(backing_fd, out_fd) == 0) {
		m.cloned = true;
		/* the COW's runs through the buffer: a reflink per run (what
		 * copy_file_range does here) costs a transaction each, far
		 * more than writing a few KiB */
		m.x.no_cfr = true;
		/* long runs shared from the COW file, if its data lies on
		 * the output's blocks */
		if (fstat(out_fd, &st) == 0 && st.st_blksize > 0 &&
		    h->data_offset % (uint64_t)st.st_blksize == 0)
			m.blk = (uint64_t)st.st_blksize;
	} else if (!xclone_unsupported(errno)) {
		err_sys(e, "%s: clone of the backing file", name);
		goto out;
	}
	cs = CHUNK / h->sectorsize;
	/* The backing file's data is copied hole by hole, in ranges as long
	 * as possible: up to the end of each chunk that has COW sectors
	 * (which are then laid over it) or up to a progress report (so that
	 * "done" is true and interrupting does not wait for a long copy). */
	for (s = 0; s < m.sectors; s += cs) {
		uint64_t n = m.sectors - s < cs ? m.sectors - s : cs;
		uint64_t end = (s + n) * h->sectorsize;

		if (end > h->size)
			end = h->size;
		if (load_window(&m, s) < 0)
			goto out;
		if (next_bit(&m, s, s + n, true) < s + n) {
			if (copy_sparse(&m, clean_from, end) < 0 ||
			    overlay_chunk(&m, s, n) < 0)
				goto out;
			clean_from = end;
		}
		if (end >= m.next_report && end < h->size) {
			if (copy_sparse(&m, clean_from, end) < 0)
				goto out;
			clean_from = end;
			m.next_report += REPORT_EVERY;
			if (report(&m, end) < 0)
				goto out;
		}
	}
	if (copy_sparse(&m, clean_from, h->size) < 0)
		goto out;
	/* trailing holes: the length comes from here */
	if (ftruncate(out_fd, (off_t)h->size) < 0) {
		err_sys(e, "%s: sizing the merged disk", name);
		goto out;
	}
	ret = report(&m, h->size);
out:
	merge_free(&m);
	return ret;
}

/* Writes COW sectors [a, b) into the backing file. A piece that is zero
 * in the COW file and in the backing file is not written, so that holes
 * in the backing file stay holes (uml_moo -d does the same per sector). */
static int merge_run_into(struct merge *m, uint64_t a, uint64_t b)
{
	uint64_t ss = m->h->sectorsize, per = CHUNK / ss;

	while (a < b) {
		uint64_t c = b - a < per ? b : a + per;
		uint64_t to = c * ss > m->h->size ? m->h->size : c * ss;
		size_t len = to - a * ss;
		ssize_t n;

		if (read_cow(m, a, c, m->buf) < 0)
			return -1;
		if (mem_is_zero(m->buf, len)) {
			n = pread_full(m->back_fd, m->cbuf, len, a * ss);
			if (n < 0) {
				err_sys(m->e, "%s: reading the backing file",
					m->name);
				return -1;
			}
			if ((size_t)n == len && mem_is_zero(m->cbuf, len)) {
				a = c;
				continue;
			}
		}
		if (pwrite_full(m->back_fd, m->buf, len, a * ss) < 0) {
			err_sys(m->e, "%s: writing the backing file", m->name);
			return -1;
		}
		a = c;
	}
	return 0;
}

/* Differences from uml_moo -d, which also writes only the COW's sectors
 * and leaves the backing file's size alone: uml_moo never touches a
 * partial last sector (it walks size / sectorsize whole sectors); we copy
 * the part of it inside the file if its bit is set. The kernel never sets
 * that bit (the disk it shows ends at the last whole sector), so for files
 * the kernel wrote the results are the same. Either way the backing
 * file's mtime becomes the time of the merge if anything was written,
 * which no longer matches the COW header: the COW file is spent. An
 * interrupted merge leaves the backing file partly merged; merging the
 * same COW file again completes it. */
int cow_merge_into(int cow_fd, const struct cow_header *h, int backing_fd,
		   const char *name, cow_progress_cb cb, void *arg,
		   struct err *e)
{
	uint64_t ss, cs, s;
	struct merge m;
	int ret = -1;

	if (merge_init(&m, cow_fd, h, backing_fd, backing_fd, name, cb, arg,
		       e) < 0)
		return -1;
	ss = h->sectorsize;
	cs = CHUNK / ss;
	/* chunk by chunk like cow_merge_to(), so that the reports come at
	 * the same pace however the written sectors are spread */
	for (s = 0; s < m.sectors; s += cs) {
		uint64_t lim = m.sectors - s < cs ? m.sectors : s + cs;
		uint64_t end = lim * ss, a, b;

		if (load_window(&m, s) < 0)
			goto out;
		for (a = next_bit(&m, s, lim, true); a < lim;
		     a = next_bit(&m, b, lim, true)) {
			b = next_bit(&m, a, lim, false);
			if (merge_run_into(&m, a, b) < 0)
				goto out;
		}
		if (end >= m.next_report && end < h->size) {
			m.next_report += REPORT_EVERY;
			if (report(&m, end) < 0)
				goto out;
		}
	}
	/* the merge is complete: a late "stop" changes nothing */
	report(&m, h->size);
	ret = 0;
out:
	merge_free(&m);
	return ret;
}
