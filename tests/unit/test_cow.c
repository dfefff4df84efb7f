/* Unit tests of the COW format code, checked against the real tools:
 * files made by cow_write_new() equal uml_mkcow's, merges equal uml_moo's
 * (with and without -d), v1/v2 and the old 64-bit v3 headers read right,
 * damaged headers are refused with messages naming the file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "disk/cow.h"

#define UML_MOO "/usr/bin/uml_moo"
/* uml_mkcow mallocs its header and fills the path without clearing the
 * rest of the field: the bytes after the path's NUL are whatever malloc
 * returned, zeros in a fresh process unless MALLOC_PERTURB_ (which meson
 * test sets) says otherwise. We write zeros there. */
#define UML_MKCOW "env -u MALLOC_PERTURB_ /usr/bin/uml_mkcow"
/* any time that fits the 32 bits of a COW header */
#define BACKING_MTIME 1700000000

static char dir[PATH_MAX];
/* a file made outside dir, removed by teardown */
static char extra[64];

static int setup(void **state)
{
	char tmpl[] = "/tmp/umlmon-cow-XXXXXX";

	(void)state;
	/* uml_mkcow stores the path with symbolic links of the directory
	 * resolved: work under the resolved name so both agree */
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	if (extra[0])
		unlink(extra);
	extra[0] = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* dir/name; a few can be in use at once */
static const char *path(const char *name)
{
	static char bufs[8][PATH_MAX + 64];
	static unsigned i;
	char *b = bufs[i++ % ARRAY_SIZE(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static int same_files(const char *a, const char *b)
{
	return test_sh("cmp '%s' '%s'", a, b) == 0;
}

static uint64_t rnd_state = 88172645463325252ULL;

static void fill_random(void *buf, size_t n)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < n; i++) {
		rnd_state ^= rnd_state << 13;
		rnd_state ^= rnd_state >> 7;
		rnd_state ^= rnd_state << 17;
		b[i] = (uint8_t)rnd_state | 1; /* never a zero sector */
	}
}

static uint64_t rnd(uint64_t n)
{
	uint8_t b[8];
	uint64_t v;

	fill_random(b, sizeof(b));
	memcpy(&v, b, sizeof(v));
	return v % n;
}

struct extent {
	uint64_t off, len;
};

/* A backing file of `size` bytes: holes but for the extents, which hold
 * random bytes; its mtime is BACKING_MTIME. */
static void make_backing(const char *p, uint64_t size,
			 const struct extent *ext, int n)
{
	struct timeval tv[2] = {{BACKING_MTIME, 0}, {BACKING_MTIME, 0}};
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	for (int i = 0; i < n; i++) {
		uint8_t *buf = malloc(ext[i].len);

		assert_non_null(buf);
		fill_random(buf, ext[i].len);
		assert_int_equal(pwrite(fd, buf, ext[i].len, ext[i].off),
				 (ssize_t)ext[i].len);
		free(buf);
	}
	close(fd);
	assert_int_equal(utimes(p, tv), 0);
}

/* A new COW file for the backing file, the way umlmon makes them. */
static int make_cow(const char *cow, const char *backing,
		    struct cow_header *h)
{
	struct stat st;
	struct err e;
	int fd;

	assert_int_equal(stat(backing, &st), 0);
	assert_int_equal(cow_init_header(h, backing, st.st_size,
					 st.st_mtime, &e), 0);
	fd = open(cow, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(cow_write_new(fd, cow, h, &e), 0);
	return fd;
}

/* Writes sector n of the disk into a COW file as the kernel does: the
 * data at its place in the data area, then its bit. */
static void cow_put(int fd, const struct cow_header *h, uint64_t n,
		    const void *data)
{
	uint64_t byte = h->bitmap_offset + n / 8;
	uint8_t b;

	assert_int_equal(pwrite(fd, data, h->sectorsize,
				h->data_offset + n * h->sectorsize),
			 (ssize_t)h->sectorsize);
	assert_int_equal(pread(fd, &b, 1, byte), 1);
	b |= 1 << (n % 8);
	assert_int_equal(pwrite(fd, &b, 1, byte), 1);
}

static void cow_put_random(int fd, const struct cow_header *h, uint64_t n)
{
	uint8_t buf[512];

	fill_random(buf, sizeof(buf));
	cow_put(fd, h, n, buf);
}

static void assert_same_header(const struct cow_header *a,
			       const struct cow_header *b)
{
	assert_int_equal(a->version, b->version);
	assert_string_equal(a->backing, b->backing);
	assert_int_equal(a->mtime, b->mtime);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->sectorsize, b->sectorsize);
	assert_int_equal(a->alignment, b->alignment);
	assert_int_equal(a->bitmap_offset, b->bitmap_offset);
	assert_int_equal(a->bitmap_len, b->bitmap_len);
	assert_int_equal(a->data_offset, b->data_offset);
}

static int open_new(const char *p)
{
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	return fd;
}

/* Merges with cow_merge_to() into out and with uml_moo into ref. */
static void merge_both(int cow_fd, const char *cow, const struct cow_header *h,
		       const char *backing, const char *out, const char *ref)
{
	int bfd = open(backing, O_RDONLY), ofd = open_new(out);
	struct err e;

	assert_true(bfd >= 0);
	if (cow_merge_to(cow_fd, h, bfd, ofd, cow, NULL, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	close(bfd);
	close(ofd);
	assert_int_equal(test_sh(UML_MOO " -b '%s' '%s' '%s'", backing, cow, ref),
			 0);
}

/* 1. What cow_init_header() and cow_write_new() make reads back the same
 * and is the file uml_mkcow makes, byte for byte and length. */
static void header_round_trip(void **state)
{
	static const struct extent ext[] = {{0, 70000}, {5 << 20, 4096}};
	static const uint64_t sizes[] = {10 << 20, 1000001, 3 * 512, 777};
	char bname[32], mname[32], oname[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct cow_header h, r;
		struct stat ms, os;
		const char *back, *mk, *our;
		struct err e;
		int fd;

		snprintf(bname, sizeof(bname), "back%zu", i);
		snprintf(mname, sizeof(mname), "mk%zu.cow", i);
		snprintf(oname, sizeof(oname), "our%zu.cow", i);
		back = path(bname);
		mk = path(mname);
		our = path(oname);
		make_backing(back, sizes[i], ext, sizes[i] > (6 << 20) ? 2 : 0);
		assert_int_equal(test_sh(UML_MKCOW " -f '%s' '%s'", mk, back), 0);

		fd = make_cow(our, back, &h);
		assert_int_equal(h.version, 3);
		assert_int_equal(h.mtime, BACKING_MTIME);
		assert_int_equal(h.size, sizes[i]);
		assert_int_equal(h.sectorsize, 512);
		assert_int_equal(h.alignment, 4096);
		assert_int_equal(h.bitmap_offset, 8192);
		assert_int_equal(h.bitmap_len, ((sizes[i] + 511) / 512 + 7) / 8);
		assert_int_equal(h.data_offset,
				 (8192 + h.bitmap_len + 4095) / 4096 * 4096);
		assert_int_equal(cow_read_header(fd, our, &r, &e), 0);
		assert_same_header(&h, &r);
		close(fd);

		assert_true(same_files(mk, our));
		assert_int_equal(stat(mk, &ms), 0);
		assert_int_equal(stat(our, &os), 0);
		/* uml_mkcow: data_offset + size, not rounded to a sector */
		assert_int_equal(os.st_size, h.data_offset + sizes[i]);
		assert_int_equal(os.st_size, ms.st_size);
		/* sparse: the header's blocks, no more than uml_mkcow's */
		assert_true(os.st_blocks <= ms.st_blocks);
		assert_true(os.st_blocks * 512 <= 16384);
	}
	{
		static const uint64_t ten = 10 << 20;
		struct cow_header h;
		int fd = make_cow(path("x.cow"), path("back0"), &h);

		assert_int_equal(h.bitmap_len, 2560);
		assert_int_equal(h.data_offset, 12288);
		assert_int_equal(h.size, ten);
		close(fd);
	}
}

/* 2. A COW file made by uml_mkcow reads right. */
static void read_mkcow(void **state)
{
	static const struct extent ext[] = {{4096, 8192}};
	const char *back = path("back"), *cow = path("mk.cow");
	uint64_t size = (3 << 20) + 1536;
	struct cow_header h;
	struct err e;
	uint8_t *bm;
	int fd;

	(void)state;
	make_backing(back, size, ext, 1);
	assert_int_equal(test_sh(UML_MKCOW " -f '%s' '%s'", cow, back), 0);
	fd = open(cow, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(cow_probe(fd, &e), 1);
	assert_int_equal(cow_read_header(fd, cow, &h, &e), 0);
	assert_int_equal(h.version, 3);
	assert_string_equal(h.backing, back);
	assert_int_equal(h.mtime, BACKING_MTIME);
	assert_int_equal(h.size, size);
	assert_int_equal(h.sectorsize, 512);
	assert_int_equal(h.alignment, 4096);
	assert_int_equal(h.bitmap_offset, 8192);
	assert_int_equal(h.bitmap_len, (size / 512 + 7) / 8);
	assert_int_equal(h.data_offset, 8192 + 4096);
	bm = cow_read_bitmap(fd, cow, &h, &e);
	assert_non_null(bm);
	assert_int_equal(cow_bitmap_count(bm, size / 512), 0);
	free(bm);
	close(fd);
}

static void write_file(const char *p, const void *buf, size_t n)
{
	int fd = open_new(p);

	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, v >> 32);
	be32(p + 4, (uint32_t)v);
}

/* Reading p must fail with "p: " followed by a message containing want. */
static void expect_refused(const char *p, const char *want)
{
	struct cow_header h;
	struct err e;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	e.msg[0] = '\0';
	assert_int_equal(cow_read_header(fd, p, &h, &e), -1);
	close(fd);
	assert_memory_equal(e.msg, p, strlen(p));
	assert_memory_equal(e.msg + strlen(p), ": ", 2);
	if (!strstr(e.msg, want))
		fail_msg("\"%s\" does not say \"%s\"", e.msg, want);
}

/* 3. Damaged or foreign files are refused, saying why. */
static void bad_files(void **state)
{
	const char *back = path("back"), *bad = path("bad.cow");
	uint8_t good[8192], b[8192];
	struct cow_header h;
	struct err e;
	int fd;

	(void)state;
	make_backing(back, 1 << 20, NULL, 0);
	fd = make_cow(path("good.cow"), back, &h);
	assert_int_equal(pread(fd, good, sizeof(good), 0), sizeof(good));
	close(fd);

	memset(b, 'x', sizeof(b));
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "not a COW file (bad magic)");
	fd = open(bad, O_RDONLY);
	assert_int_equal(cow_probe(fd, &e), 0);
	close(fd);

	write_file(bad, b, 0);
	expect_refused(bad, "not a COW file");

	write_file(bad, good, 100);
	expect_refused(bad, "truncated COW header");
	write_file(bad, good, 4127);
	expect_refused(bad, "truncated COW header");

	memcpy(b, good, sizeof(b));
	be32(b + 4, 7);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "COW version 7 is not supported");

	memcpy(b, good, sizeof(b));
	memset(b + 32, 'a', 4096);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "not NUL-terminated");

	memcpy(b, good, sizeof(b));
	be32(b + 20, 0);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "bad COW sector size 0");

	memcpy(b, good, sizeof(b));
	be32(b + 20, 1000);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "bad COW sector size 1000");

	memcpy(b, good, sizeof(b));
	be64(b + 12, 0);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "disk size of 0");

	memcpy(b, good, sizeof(b));
	be64(b + 12, UINT64_MAX);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "too large");

	memcpy(b, good, sizeof(b));
	be32(b + 24, 0);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "bad COW alignment 0");

	memcpy(b, good, sizeof(b));
	be32(b + 28, 1);
	write_file(bad, b, sizeof(b));
	expect_refused(bad, "COW format 1 is not supported");

	/* a header whose bitmap is cut short: 10 bytes of it */
	memset(b, 0, sizeof(b));
	write_file(bad, good, sizeof(good));
	fd = open(bad, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, b, 10), 10);
	close(fd);
	fd = open(bad, O_RDONLY);
	assert_int_equal(cow_read_header(fd, bad, &h, &e), 0);
	assert_null(cow_read_bitmap(fd, bad, &h, &e));
	assert_non_null(strstr(e.msg, "bitmap is truncated"));
	close(fd);

	/* what a v3 header cannot hold */
	assert_int_equal(cow_init_header(&h, "disk.img", 1 << 20, 0, &e), -1);
	assert_non_null(strstr(e.msg, "absolute"));
	assert_int_equal(cow_init_header(&h, "/disk.img", 1 << 20, -1, &e), -1);
	assert_non_null(strstr(e.msg, "mtime"));
	assert_int_equal(cow_init_header(&h, "/disk.img", 1 << 20,
					 1LL << 33, &e), -1);
	assert_int_equal(cow_init_header(&h, "/disk.img", 0, 0, &e), -1);
	{
		char longp[COW_PATH_MAX + 2];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		assert_int_equal(cow_init_header(&h, longp, 1 << 20, 0, &e),
				 -1);
		assert_non_null(strstr(e.msg, "too long"));
	}
}

/* 4. Merging gives uml_moo's output, and keeps holes. */
static void merge_interop(void **state)
{
	static const uint64_t size = (8 << 20) + 3 * 512;
	static const struct extent ext[] = {
		{0, 65536}, {(1 << 20) - 1000, 6000}, {3 << 20, 1 << 20},
		{(8 << 20) - 4096, 4096 + 3 * 512},
	};
	const char *back = path("back"), *cow = path("d.cow");
	const char *out = path("out"), *ref = path("ref");
	uint8_t zero[512] = {0}, *bm;
	struct cow_header h;
	uint64_t nset = 0;
	struct err e;
	int fd;

	(void)state;
	make_backing(back, size, ext, ARRAY_SIZE(ext));
	fd = make_cow(cow, back, &h);
	/* runs, chunk edges, data in holes, zeros over data, the end */
	static const uint64_t secs[] = {0, 1, 2, 100, 2047, 2048, 4095,
					6144 + 33};
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++)
		cow_put_random(fd, &h, secs[i]);
	for (uint64_t s = 5000; s < 5100; s++)
		cow_put_random(fd, &h, s);
	cow_put(fd, &h, 6144 + 40, zero);
	cow_put(fd, &h, 6144 + 41, zero);
	cow_put_random(fd, &h, size / 512 - 1);
	/* 10% of a hole, in many short runs: one read for the span */
	for (int i = 0; i < 205; i++)
		cow_put_random(fd, &h, 8192 + rnd(2048));
	bm = cow_read_bitmap(fd, cow, &h, &e);
	assert_non_null(bm);
	for (uint64_t s = 0; s < size / 512; s++)
		nset += (bm[s / 8] >> (s % 8)) & 1;
	assert_true(nset > 200);
	assert_int_equal(cow_bitmap_count(bm, size / 512), nset);
	free(bm);

	merge_both(fd, cow, &h, back, out, ref);
	assert_true(same_files(out, ref));
	close(fd);

	/* a sparse backing file and a few sectors: a sparse result */
	{
		static const uint64_t big = 64 << 20;
		static const struct extent one[] = {{0, 65536}};
		const char *sb = path("sback"), *sc = path("s.cow");
		const char *so = path("sout"), *sr = path("sref");
		struct stat st;

		make_backing(sb, big, one, 1);
		fd = make_cow(sc, sb, &h);
		/* not the last sector: the end of the disk is a hole */
		cow_put_random(fd, &h, 10);
		cow_put_random(fd, &h, 50000);
		merge_both(fd, sc, &h, sb, so, sr);
		close(fd);
		assert_true(same_files(so, sr));
		assert_int_equal(stat(so, &st), 0);
		assert_int_equal(st.st_size, big);
		assert_true(st.st_blocks * 512 < (1 << 20));
	}
}

/* 4a. With the output on another file system copy_file_range() may
 * refuse (EXDEV): the plain copy must give the same result. Uses /dev/shm
 * when it is there. */
static void merge_other_fs(void **state)
{
	static const uint64_t size = 5 << 20;
	static const struct extent ext[] = {{0, 300000}, {3 << 20, 70000}};
	const char *back = path("back"), *cow = path("o.cow");
	const char *ref = path("ref");
	struct cow_header h;
	struct err e;
	int fd, bfd, ofd;

	(void)state;
	strcpy(extra, "/dev/shm/umlmon-cow-XXXXXX");
	ofd = mkstemp(extra);
	if (ofd < 0) {
		extra[0] = '\0';
		skip();
	}
	make_backing(back, size, ext, ARRAY_SIZE(ext));
	fd = make_cow(cow, back, &h);
	cow_put_random(fd, &h, 3000);
	bfd = open(back, O_RDONLY);
	assert_true(bfd >= 0);
	assert_int_equal(cow_merge_to(fd, &h, bfd, ofd, cow, NULL, NULL, &e),
			 0);
	close(bfd);
	close(ofd);
	assert_int_equal(test_sh(UML_MOO " -b '%s' '%s' '%s'", back, cow, ref), 0);
	close(fd);
	assert_true(same_files(extra, ref));
}

/* 4b. A size that is not a whole number of sectors: uml_moo writes the
 * whole sectors only; our output has the size of the disk, the partial
 * sector coming from the backing file (or the COW file if it was written,
 * which the kernel never does). */
static void merge_partial_sector(void **state)
{
	enum { size = 1000001, whole = 1953 * 512 };
	static const struct extent all[] = {{0, size}};
	const char *back = path("back"), *cow = path("p.cow");
	const char *out = path("out"), *ref = path("ref");
	uint8_t sec[512], tail[size - whole];
	struct cow_header h;
	struct stat st;
	int fd, ofd;

	(void)state;
	make_backing(back, size, all, 1);
	fd = make_cow(cow, back, &h);
	cow_put_random(fd, &h, 0);
	cow_put_random(fd, &h, 1000);
	cow_put_random(fd, &h, 1952);
	merge_both(fd, cow, &h, back, out, ref);
	assert_int_equal(stat(ref, &st), 0);
	assert_int_equal(st.st_size, whole);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(test_sh("cmp -n %llu '%s' '%s'", (unsigned long long)whole,
			    out, ref), 0);
	assert_int_equal(test_sh("cmp -i %llu '%s' '%s'", (unsigned long long)whole,
			    out, back), 0);

	/* the partial sector's bit set: its bytes inside the disk */
	fill_random(sec, sizeof(sec));
	cow_put(fd, &h, 1953, sec);
	merge_both(fd, cow, &h, back, out, ref);
	close(fd);
	ofd = open(out, O_RDONLY);
	assert_int_equal(pread(ofd, tail, sizeof(tail), whole),
			 (ssize_t)sizeof(tail));
	close(ofd);
	assert_memory_equal(tail, sec, sizeof(tail));
	assert_int_equal(test_sh("cmp -n %llu '%s' '%s'", (unsigned long long)whole,
			    out, ref), 0);
}

/* 5. Merging into the backing file gives what uml_moo -d gives. */
static void merge_into_interop(void **state)
{
	static const uint64_t size = 6 << 20;
	static const struct extent ext[] = {{0, 100000}, {2 << 20, 1 << 20}};
	const char *back = path("back"), *cow = path("i.cow");
	const char *b1 = path("b1"), *b2 = path("b2"), *out = path("out");
	uint8_t zero[512] = {0};
	struct cow_header h;
	struct stat st, st0;
	struct err e;
	int fd, bfd, ofd;

	(void)state;
	make_backing(back, size, ext, ARRAY_SIZE(ext));
	fd = make_cow(cow, back, &h);
	cow_put_random(fd, &h, 3);
	cow_put(fd, &h, 4, zero);		/* zeros over data */
	cow_put(fd, &h, 8000, zero);		/* zeros over a hole */
	for (uint64_t s = 4090; s < 4200; s++)	/* over data and hole */
		cow_put_random(fd, &h, s);
	for (int i = 0; i < 300; i++)
		cow_put_random(fd, &h, rnd(size / 512));
	cow_put_random(fd, &h, size / 512 - 1);

	assert_int_equal(test_sh("cp -p --sparse=always '%s' '%s'", back, b1), 0);
	assert_int_equal(test_sh("cp -p --sparse=always '%s' '%s'", back, b2), 0);
	assert_int_equal(stat(b2, &st0), 0);
	assert_int_equal(test_sh(UML_MOO " -d -b '%s' '%s'", b1, cow), 0);
	bfd = open(b2, O_RDWR);
	assert_true(bfd >= 0);
	if (cow_merge_into(fd, &h, bfd, cow, NULL, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	close(bfd);
	assert_true(same_files(b1, b2));
	assert_int_equal(stat(b2, &st), 0);
	assert_int_equal(st.st_size, size);
	/* zeros over a hole were not written: no more blocks than uml_moo */
	assert_int_equal(stat(b1, &st0), 0);
	assert_true(st.st_blocks <= st0.st_blocks);
	/* and what a merge into a new file gives */
	bfd = open(back, O_RDONLY);
	ofd = open_new(out);
	assert_int_equal(cow_merge_to(fd, &h, bfd, ofd, cow, NULL, NULL, &e),
			 0);
	close(bfd);
	close(ofd);
	assert_true(same_files(out, b2));
	assert_false(same_files(back, b2));

	/* a backing file of another size, a header that makes no sense */
	assert_int_equal(truncate(b2, size - 512), 0);
	bfd = open(b2, O_RDWR);
	assert_int_equal(cow_merge_into(fd, &h, bfd, cow, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "the backing file has"));
	assert_int_equal(truncate(b2, size), 0);
	{
		struct cow_header bad = h;

		bad.sectorsize = 0;
		assert_int_equal(cow_merge_into(fd, &bad, bfd, cow, NULL, NULL,
						&e), -1);
		ofd = open_new(out);
		assert_int_equal(cow_merge_to(fd, &bad, bfd, ofd, cow, NULL,
					      NULL, &e), -1);
		close(ofd);
	}
	close(bfd);
	close(fd);
}

struct calls {
	int n;
	int stop_at;		/* 0: never */
	uint64_t last_done, total;
	int backwards;
	int out_fd;		/* >= 0: check that out holds... */
	uint64_t probe;		/* ...data here once done passes it */
	int missing;
};

static int count_cb(uint64_t done, uint64_t total, void *arg)
{
	struct calls *c = arg;
	uint8_t b[512];

	if (done < c->last_done)
		c->backwards++;
	/* "done" means written */
	if (c->out_fd >= 0 && done > c->probe &&
	    (pread(c->out_fd, b, sizeof(b), c->probe) != sizeof(b) ||
	     b[0] == 0))
		c->missing++;
	c->last_done = done;
	c->total = total;
	return ++c->n == c->stop_at;
}

/* 6. Progress is reported about every 64 MiB and at the end; a non-zero
 * answer interrupts. */
static void progress_and_cancel(void **state)
{
	static const uint64_t size = 300 << 20;
	static const struct extent ext[] = {{100 << 20, 1 << 20},
					    {120 << 20, 4096}};
	const char *back = path("back"), *cow = path("c.cow");
	struct calls c;
	struct cow_header h;
	struct err e;
	int fd, bfd, ofd;

	(void)state;
	make_backing(back, size, ext, ARRAY_SIZE(ext));
	fd = make_cow(cow, back, &h);
	cow_put_random(fd, &h, (100 << 20) / 512 + 7);
	cow_put_random(fd, &h, (200 << 20) / 512);
	cow_put_random(fd, &h, size / 512 - 1);
	bfd = open(back, O_RDWR);
	assert_true(bfd >= 0);

	memset(&c, 0, sizeof(c));
	ofd = open_new(path("out"));
	c.out_fd = ofd;
	c.probe = 120 << 20;	/* in a chunk without COW sectors */
	assert_int_equal(cow_merge_to(fd, &h, bfd, ofd, cow, count_cb, &c,
				      &e), 0);
	close(ofd);
	assert_int_equal(c.missing, 0);
	assert_int_equal(c.n, 5);	/* 64, 128, 192, 256 MiB, the end */
	assert_int_equal(c.last_done, size);
	assert_int_equal(c.total, size);
	assert_int_equal(c.backwards, 0);

	memset(&c, 0, sizeof(c));
	c.out_fd = -1;
	c.stop_at = 2;
	ofd = open_new(path("out2"));
	assert_int_equal(cow_merge_to(fd, &h, bfd, ofd, cow, count_cb, &c,
				      &e), -1);
	close(ofd);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.last_done, 128 << 20);
	assert_memory_equal(e.msg, cow, strlen(cow));
	assert_string_equal(e.msg + strlen(cow), ": interrupted");

	/* an output that is not empty is refused */
	assert_int_equal(cow_merge_to(fd, &h, bfd, bfd, cow, NULL, NULL, &e),
			 -1);
	assert_non_null(strstr(e.msg, "empty"));

	memset(&c, 0, sizeof(c));
	c.out_fd = -1;
	c.stop_at = 1;
	assert_int_equal(cow_merge_into(fd, &h, bfd, cow, count_cb, &c, &e),
			 -1);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(e.msg, ": interrupted"));

	memset(&c, 0, sizeof(c));
	c.out_fd = -1;
	assert_int_equal(cow_merge_into(fd, &h, bfd, cow, count_cb, &c, &e),
			 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.last_done, size);
	assert_int_equal(c.backwards, 0);
	close(bfd);
	close(fd);
}

/* A v1 or v2 header for the backing file, written by hand per the
 * kernel's layouts; v1 in the byte order asked for. */
static size_t old_header(uint8_t *b, int version, int big_endian,
			 const char *backing, uint32_t mtime, uint64_t size)
{
	size_t path_len = version == 1 ? 256 : 4096, at = 8 + path_len;
	uint32_t v32[3] = {0x4f4f4f4d, (uint32_t)version, mtime};

	memset(b, 0, 8192);
	if (version == 2)
		big_endian = 1;
	for (int i = 0; i < 2; i++) {
		if (big_endian)
			be32(b + 4 * i, v32[i]);
		else
			memcpy(b + 4 * i, &v32[i], 4);	/* the host's order */
	}
	strcpy((char *)b + 8, backing);
	if (big_endian) {
		be32(b + at, mtime);
		be64(b + at + 4, size);
		be32(b + at + 12, 512);
	} else {
		uint32_t ss = 512;

		memcpy(b + at, &mtime, 4);
		memcpy(b + at + 4, &size, 8);
		memcpy(b + at + 12, &ss, 4);
	}
	return at + 16;
}

/* 7. v1, v2 and the old 64-bit v3 layout read as the kernel reads them;
 * uml_moo agrees with our merge of a v2 file. */
static void old_versions(void **state)
{
	static const uint64_t size = 4 << 20;
	static const struct extent ext[] = {{0, 1 << 20}};
	const char *back = path("back"), *cow = path("old.cow");
	uint8_t b[8192];
	struct cow_header h;
	struct err e;
	int fd;

	(void)state;
	make_backing(back, size, ext, 1);

	/* v2: 4120-byte header, bitmap right after it, data on a sector */
	assert_int_equal(old_header(b, 2, 1, back, BACKING_MTIME, size), 4120);
	fd = open_new(cow);
	assert_int_equal(write(fd, b, 4120), 4120);
	assert_int_equal(ftruncate(fd, 4120 + 1024 + 512 + size), 0);
	assert_int_equal(cow_probe(fd, &e), 1);
	assert_int_equal(cow_read_header(fd, cow, &h, &e), 0);
	assert_int_equal(h.version, 2);
	assert_string_equal(h.backing, back);
	assert_int_equal(h.mtime, BACKING_MTIME);
	assert_int_equal(h.size, size);
	assert_int_equal(h.sectorsize, 512);
	assert_int_equal(h.alignment, 0);
	assert_int_equal(h.bitmap_offset, 4120);
	assert_int_equal(h.bitmap_len, 1024);
	assert_int_equal(h.data_offset, 5632);
	cow_put_random(fd, &h, 0);
	cow_put_random(fd, &h, 2049);
	for (uint64_t s = 7000; s < 7010; s++)
		cow_put_random(fd, &h, s);
	cow_put_random(fd, &h, size / 512 - 1);
	merge_both(fd, cow, &h, back, path("out"), path("ref"));
	assert_true(same_files(path("out"), path("ref")));
	/* not v3: not updated in place */
	assert_int_equal(cow_update_header(fd, cow, &h, &e), -1);
	assert_non_null(strstr(e.msg, "v2"));
	close(fd);

	/* v2 keeps the kernel's short bitmap: only whole groups of 8 */
	old_header(b, 2, 1, back, BACKING_MTIME, 10 * 512);
	write_file(cow, b, 4120);
	fd = open(cow, O_RDONLY);
	assert_int_equal(cow_read_header(fd, cow, &h, &e), 0);
	assert_int_equal(h.bitmap_len, 1);
	assert_int_equal(h.data_offset, 4608);
	assert_int_equal(cow_mapped_sectors(&h), 8);
	close(fd);
	/* ...and sectors 8 and 9, which have no bit, come from the backing
	 * file whatever lies where their COW data would be */
	{
		static const struct extent all[] = {{0, 10 * 512}};
		const char *sb = path("short"), *so = path("sout");
		uint8_t junk[3 * 512], got[10 * 512], want[10 * 512];
		int bfd, ofd;

		make_backing(sb, 10 * 512, all, 1);
		old_header(b, 2, 1, sb, BACKING_MTIME, 10 * 512);
		b[4120] = 0x80;				/* sector 7 */
		fill_random(junk, sizeof(junk));	/* sectors 7-9 */
		fd = open_new(cow);
		assert_int_equal(write(fd, b, 4120 + 1), 4120 + 1);
		assert_int_equal(pwrite(fd, junk, sizeof(junk), 4608 + 7 * 512),
				 (ssize_t)sizeof(junk));
		assert_int_equal(cow_read_header(fd, cow, &h, &e), 0);
		{
			/* what `disk info` counts: the bitmap's one byte
			 * (fuzz_cow read past it) */
			uint8_t *bm = cow_read_bitmap(fd, cow, &h, &e);

			assert_non_null(bm);
			assert_int_equal(cow_bitmap_count(bm, cow_mapped_sectors(&h)), 1);
			free(bm);
		}
		bfd = open(sb, O_RDONLY);
		ofd = open_new(so);
		assert_int_equal(cow_merge_to(fd, &h, bfd, ofd, cow, NULL, NULL,
					      &e), 0);
		assert_int_equal(pread(bfd, want, sizeof(want), 0),
				 (ssize_t)sizeof(want));
		memcpy(want + 7 * 512, junk, 512);
		assert_int_equal(pread(ofd, got, sizeof(got), 0),
				 (ssize_t)sizeof(got));
		assert_memory_equal(got, want, sizeof(want));
		/* the same into the backing file */
		close(bfd);
		bfd = open(sb, O_RDWR);
		assert_int_equal(cow_merge_into(fd, &h, bfd, cow, NULL, NULL,
						&e), 0);
		assert_int_equal(pread(bfd, got, sizeof(got), 0),
				 (ssize_t)sizeof(got));
		assert_memory_equal(got, want, sizeof(want));
		close(bfd);
		close(ofd);
		close(fd);
	}

	/* v1, written by a host of our byte order and of the other one */
	for (int be = 0; be < 2; be++) {
		assert_int_equal(old_header(b, 1, be, "/srv/root_fs",
					    123456789, size), 280);
		write_file(cow, b, 280);
		fd = open(cow, O_RDONLY);
		assert_int_equal(cow_probe(fd, &e), 1);
		assert_int_equal(cow_read_header(fd, cow, &h, &e), 0);
		close(fd);
		assert_int_equal(h.version, 1);
		assert_string_equal(h.backing, "/srv/root_fs");
		assert_int_equal(h.mtime, 123456789);
		assert_int_equal(h.size, size);
		assert_int_equal(h.sectorsize, 512);
		assert_int_equal(h.bitmap_offset, 280);
		assert_int_equal(h.bitmap_len, 1024);
		assert_int_equal(h.data_offset, 1536);
	}
	write_file(cow, b, 279);
	expect_refused(cow, "truncated COW header");
	/* v1's path field is 256 bytes */
	memset(b + 8, 'a', 256);
	write_file(cow, b, 280);
	expect_refused(cow, "not NUL-terminated");

	/* v3 as unpacked 64-bit builds wrote it: 4 bytes after mtime */
	memset(b, 0, sizeof(b));
	be32(b, 0x4f4f4f4d);
	be32(b + 4, 3);
	be32(b + 8, 987654321);		/* htonl(mtime) in an s64 */
	be64(b + 16, size);
	be32(b + 24, 512);
	be32(b + 28, 4096);
	be32(b + 32, 0);		/* cow_format */
	strcpy((char *)b + 36, "/images/old.img");
	write_file(cow, b, sizeof(b));
	fd = open(cow, O_RDONLY);
	assert_int_equal(cow_read_header(fd, cow, &h, &e), 0);
	assert_int_equal(h.version, 3);
	assert_string_equal(h.backing, "/images/old.img");
	assert_int_equal(h.mtime, 987654321);
	assert_int_equal(h.size, size);
	assert_int_equal(h.sectorsize, 512);
	assert_int_equal(h.alignment, 4096);
	assert_int_equal(h.bitmap_offset, 8192);
	assert_int_equal(h.bitmap_len, 1024);
	assert_int_equal(h.data_offset, 12288);
	close(fd);
	write_file(cow, b, 4130);
	expect_refused(cow, "truncated COW header");
}

/* The header is rewritten in place; bitmap and data stay. */
static void update_header(void **state)
{
	const char *back = path("back"), *cow = path("u.cow");
	uint8_t *bm1, *bm2, d1[512], d2[512];
	struct cow_header h, n, r;
	struct err e;
	int fd;

	(void)state;
	make_backing(back, 2 << 20, NULL, 0);
	fd = make_cow(cow, back, &h);
	cow_put_random(fd, &h, 5);
	cow_put_random(fd, &h, 4095);
	bm1 = cow_read_bitmap(fd, cow, &h, &e);
	assert_int_equal(pread(fd, d1, 512, h.data_offset + 5 * 512), 512);

	n = h;
	strcpy(n.backing, "/var/lib/umlmon/images/moved.img");
	n.mtime = 12345;
	assert_int_equal(cow_update_header(fd, cow, &n, &e), 0);
	assert_int_equal(cow_read_header(fd, cow, &r, &e), 0);
	assert_same_header(&r, &n);
	bm2 = cow_read_bitmap(fd, cow, &r, &e);
	assert_memory_equal(bm1, bm2, h.bitmap_len);
	assert_int_equal(cow_bitmap_count(bm2, 4096), 2);
	assert_int_equal(pread(fd, d2, 512, r.data_offset + 5 * 512), 512);
	assert_memory_equal(d1, d2, 512);
	free(bm1);
	free(bm2);

	/* a shorter name leaves no tail of the longer one */
	strcpy(n.backing, "/x");
	assert_int_equal(cow_update_header(fd, cow, &n, &e), 0);
	{
		uint8_t b[4128];

		assert_int_equal(pread(fd, b, sizeof(b), 0), sizeof(b));
		for (size_t i = 34; i < sizeof(b); i++)
			assert_int_equal(b[i], 0);
	}

	/* another size would move the data */
	n.size = 64 << 20;
	assert_int_equal(cow_update_header(fd, cow, &n, &e), -1);
	assert_non_null(strstr(e.msg, "does not fit"));
	assert_int_equal(cow_read_header(fd, cow, &r, &e), 0);
	assert_int_equal(r.size, 2 << 20);
	close(fd);
}

static void bitmap_count(void **state)
{
	uint8_t bm[100];

	(void)state;
	memset(bm, 0, sizeof(bm));
	bm[0] = 0xff;
	bm[1] = 0x01;
	bm[2] = 0x80;
	assert_int_equal(cow_bitmap_count(bm, 0), 0);
	assert_int_equal(cow_bitmap_count(bm, 3), 3);
	assert_int_equal(cow_bitmap_count(bm, 8), 8);
	assert_int_equal(cow_bitmap_count(bm, 9), 9);
	assert_int_equal(cow_bitmap_count(bm, 23), 9);
	assert_int_equal(cow_bitmap_count(bm, 24), 10);
	assert_int_equal(cow_bitmap_count(bm, 800), 10);
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(cow_bitmap_count(bm, 797), 797);
	assert_int_equal(cow_bitmap_count(bm, 800), 800);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(header_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(read_mkcow, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_interop, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_other_fs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(merge_partial_sector, setup,
						teardown),
		cmocka_unit_test_setup_teardown(merge_into_interop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(progress_and_cancel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(old_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(update_header, setup, teardown),
		cmocka_unit_test(bitmap_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
