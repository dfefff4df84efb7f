/* Unit tests of snapshots and backups without a kernel: snapshot names,
 * the manifest as text and back, the whole-file copy where the file
 * system has no shared blocks (the fallback: a sparse copy, holes kept),
 * the sha256 of a sparse file against sha256sum, and a backup that GNU
 * tar extracts, whose damaged or truncated copies are refused, as is a
 * hand-made one whose sparse map wraps past 2^64. */
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
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "disk/backup.h"
#include "disk/extents.h"
#include "disk/snapshot.h"

#define MIB (1ULL << 20)

static char dir[64];

static int setup(void **state)
{
	char tmpl[] = "/tmp/umlmon-snap-XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* An 8 MiB file with data at 1 MiB and at its last 4 KiB: holes between. */
static int sparse_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[4096];

	assert_true(fd >= 0);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(pwrite_full(fd, buf, sizeof(buf), MIB), 0);
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(pwrite_full(fd, buf, sizeof(buf), 8 * MIB - 4096), 0);
	return fd;
}

static void names(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(snap_name_check("before-upgrade_2.1", &e), 0);
	assert_int_equal(snap_name_check("../x", &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_non_null(strstr(e.msg, "'../x'"));
	assert_int_equal(snap_name_check("a/b", &e), -1);
	assert_int_equal(snap_name_check("..", &e), -1);
	assert_int_equal(snap_name_check(".hidden", &e), -1);
	assert_int_equal(snap_name_check("", &e), -1);
	assert_int_equal(snap_name_check("a b", &e), -1);
}

static void manifest_round_trip(void **state)
{
	struct snap_manifest m, back;
	struct strbuf text;
	struct err e;

	(void)state;
	memset(&m, 0, sizeof(m));
	strcpy(m.name, "s1");
	strcpy(m.vm, "vm1");
	m.created = 1796300000;
	m.pause_ms = 12;
	strcpy(m.sync, "confirmed");
	m.ndisks = 2;
	strcpy(m.disks[0].dev, "ubd0");
	strcpy(m.disks[0].path, "/disks/root.cow");
	strcpy(m.disks[0].file, "root.cow");
	m.disks[0].size = 123456;
	m.disks[0].alloc = 4096;
	memset(m.disks[0].sha256, 'a', 64);
	strcpy(m.disks[0].backing, "/shared/disks/base.dsk");
	m.disks[0].backing_mtime = 1700000000;
	m.disks[0].backing_size = 1 << 30;
	strcpy(m.disks[1].dev, "ubd1");
	strcpy(m.disks[1].path, "/disks/data.dsk");
	strcpy(m.disks[1].file, "data.dsk");
	memset(m.disks[1].sha256, 'b', 64);
	sb_init(&text);
	snap_manifest_format(&m, &text);
	assert_int_equal(snap_manifest_parse(text.buf, "t", &back, &e), 0);
	assert_string_equal(back.name, "s1");
	assert_string_equal(back.vm, "vm1");
	assert_int_equal(back.pause_ms, 12);
	assert_int_equal(back.ndisks, 2);
	assert_string_equal(back.disks[0].backing, "/shared/disks/base.dsk");
	assert_int_equal(back.disks[0].backing_size, 1 << 30);
	assert_string_equal(back.disks[1].backing, "");
	assert_string_equal(back.disks[1].sha256, m.disks[1].sha256);
	sb_free(&text);
	/* a disk file that leads out of the snapshot's directory */
	assert_int_equal(snap_manifest_parse("umlmon-snapshot\t1\nname\tx\n"
		"disk\tubd0\t/disks/a\t../a\t1\t1\t" "0123456789012345678901234567890"
		"123456789012345678901234567890123\t-\t0\t0\n", "m1", &back, &e), -1);
	assert_non_null(strstr(e.msg, "m1:3: malformed line"));
	/* a name that is none of the store's (a backup's manifest) */
	assert_int_equal(snap_manifest_parse("umlmon-snapshot\t1\nname\t../x\n",
					     "m3", &back, &e), -1);
	assert_non_null(strstr(e.msg, "m3:2: malformed line"));
	assert_int_equal(snap_manifest_parse("umlmon-snapshot\t1\nname\tx\033[2J\n",
					     "m4", &back, &e), -1);
	assert_non_null(strstr(e.msg, "m4:2: malformed line"));
	assert_int_equal(snap_manifest_parse("hello\n", "m2", &back, &e), -1);
	assert_non_null(strstr(e.msg, "m2: not a snapshot manifest"));
}

/* No shared blocks here (ext4, tmpfs): the clone is refused and the copy
 * falls back to the data extents, holes kept. */
static void copy_fallback(void **state)
{
	char a[128], b[128];
	enum xcopy_done did;
	struct stat sa, sb;
	struct err e;
	int in, out;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	in = sparse_file(a);
	out = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	if (xclone(in, out) == 0) {
		skip(); /* a file system with shared blocks: no fallback to see */
	}
	assert_true(xclone_unsupported(errno));
	assert_int_equal(xcopy_file(in, out, 8 * MIB, XF_CLONE, NULL, NULL, "b",
				    &did, &e), 0);
	assert_int_equal(did, XD_COPIED);
	assert_int_equal(fstat(in, &sa), 0);
	assert_int_equal(fstat(out, &sb), 0);
	assert_int_equal(sb.st_size, 8 * MIB);
	/* holes stayed holes */
	assert_true(sb.st_blocks * 512 <= 64 * 1024);
	close(in);
	close(out);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
		assert_int_equal(system(cmd), 0);
	}
}

static void sha256_sparse(void **state)
{
	char a[128], cmd[256], want[SNAP_SHA256_HEX];
	char got[SNAP_SHA256_HEX];
	struct err e;
	FILE *p;
	int fd;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	fd = sparse_file(a);
	assert_int_equal(snap_sha256_fd(fd, 8 * MIB, got, "a", &e), 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", a);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s", want), 1);
	pclose(p);
	assert_string_equal(got, want);
}

/* A snapshot made by hand in a store; returns the store. */
static void make_snapshot(struct snap_store *s, char *store, size_t len)
{
	struct snap_manifest m;
	struct strbuf text;
	char path[256];
	struct err e;
	int fd;

	snprintf(store, len, "%s/snapshots", dir);
	s->dir = store;
	s->vm = "vm1";
	snprintf(path, sizeof(path), "%s/s1", store);
	assert_int_equal(mkdir(store, 0700), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/s1/root.dsk", store);
	fd = sparse_file(path);
	memset(&m, 0, sizeof(m));
	strcpy(m.name, "s1");
	strcpy(m.vm, "vm1");
	m.ndisks = 1;
	strcpy(m.disks[0].dev, "ubd0");
	strcpy(m.disks[0].path, "/disks/root.dsk");
	strcpy(m.disks[0].file, "root.dsk");
	m.disks[0].size = 8 * MIB;
	assert_int_equal(snap_sha256_fd(fd, 8 * MIB, m.disks[0].sha256, "x", &e), 0);
	close(fd);
	sb_init(&text);
	snap_manifest_format(&m, &text);
	snprintf(path, sizeof(path), "%s/s1/manifest", store);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(pwrite_full(fd, text.buf, text.len, 0), 0);
	close(fd);
	sb_free(&text);
}

static void backup_tar(void **state)
{
	char store[100], tar[128], cmd[2048];
	struct snap_store s;
	struct strbuf text;
	struct stat st;
	struct err e;

	(void)state;
	make_snapshot(&s, store, sizeof(store));
	snprintf(tar, sizeof(tar), "%s/b.tar", dir);
	sb_init(&text);
	assert_int_equal(backup_write(&s, "s1", tar, &text, &e), 0);
	assert_non_null(strstr(text.buf, "snapshot s1 backed up to"));
	sb_free(&text);
	/* the data and the map, not 8 MiB */
	assert_int_equal(stat(tar, &st), 0);
	assert_true(st.st_size < 64 * 1024);
	assert_int_equal(backup_write(&s, "s1", tar, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "already exists"));
	/* GNU tar gives back the same image, sparse */
	snprintf(cmd, sizeof(cmd), "mkdir '%s/x' && tar -C '%s/x' -xSf '%s' && "
		 "cmp '%s/x/s1/root.dsk' '%s/s1/root.dsk' && "
		 "cmp '%s/x/s1/manifest' '%s/s1/manifest' && "
		 "[ $(stat -c %%b '%s/x/s1/root.dsk') -lt 200 ]", dir, dir, tar,
		 dir, store, dir, store, dir);
	assert_int_equal(system(cmd), 0);
	/* a byte of the image changed: the checksum refuses it, before the
	 * VM's disks are looked at (no disk context is needed) */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/bad.tar' && off=$(grep -obUa zzzz "
		 "'%s/bad.tar' | head -1 | cut -d: -f1) && printf y | dd "
		 "of='%s/bad.tar' bs=1 seek=$off conv=notrunc status=none", tar, dir,
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(tar, sizeof(tar), "%s/bad.tar", dir);
	assert_int_equal(backup_restore(&s, NULL, tar, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "s1/root.dsk: checksum mismatch"));
	assert_int_equal(e.code, ERR_IO);
	snprintf(cmd, sizeof(cmd), "head -c 2000 '%s/b.tar' >'%s/short.tar'", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(tar, sizeof(tar), "%s/short.tar", dir);
	assert_int_equal(backup_restore(&s, NULL, tar, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "truncated archive"));
	snprintf(cmd, sizeof(cmd), "head -c 2048 /dev/zero | tr '\\0' q >'%s/q'", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(tar, sizeof(tar), "%s/q", dir);
	assert_int_equal(backup_restore(&s, NULL, tar, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not a tar archive"));
}

/* One ustar header of a hand-made (hostile) archive. */
static void tar_header(int fd, const char *name, char type, size_t size)
{
	unsigned char h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	snprintf((char *)h + 100, 8, "%07o", 0600);
	snprintf((char *)h + 124, 12, "%011zo", size);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	assert_true(write_all(fd, h, sizeof(h)) >= 0);
}

/* The data of a member, padded to 512 bytes. */
static void tar_data(int fd, const void *p, size_t n)
{
	static const char zero[512];

	assert_true(write_all(fd, p, n) >= 0);
	if (n % 512)
		assert_true(write_all(fd, zero, 512 - n % 512) >= 0);
}

/* A sparse member whose extent's offset and length wrap past 2^64 (so
 * their sum is within its size) is refused as damaged, not written. */
static void backup_hostile_map(void **state)
{
	static const char pax[] = "22 GNU.sparse.major=1\n"
		"22 GNU.sparse.minor=0\n"
		"31 GNU.sparse.name=s1/root.dsk\n"
		"31 GNU.sparse.realsize=8388608\n";
	static const char map[] = "2\n18446744073709547520\n8192\n8388608\n0\n";
	char store[100], tar[128], path[256], man[4096], data[8192];
	struct snap_store s;
	struct err e;
	ssize_t n;
	int fd, mfd;

	(void)state;
	make_snapshot(&s, store, sizeof(store));
	snprintf(path, sizeof(path), "%s/s1/manifest", store);
	mfd = open(path, O_RDONLY);
	assert_true(mfd >= 0);
	n = read(mfd, man, sizeof(man));
	close(mfd);
	assert_true(n > 0);
	snprintf(tar, sizeof(tar), "%s/hostile.tar", dir);
	fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	tar_header(fd, "s1/manifest", '0', (size_t)n);
	tar_data(fd, man, (size_t)n);
	tar_header(fd, "PaxHeaders/sparse", 'x', strlen(pax));
	tar_data(fd, pax, strlen(pax));
	tar_header(fd, "GNUSparseFile.1/img0", '0', 512 + sizeof(data));
	tar_data(fd, map, strlen(map));
	memset(data, 'x', sizeof(data));
	tar_data(fd, data, sizeof(data));
	memset(data, 0, sizeof(data));
	assert_true(write_all(fd, data, 1024) >= 0);
	close(fd);
	assert_int_equal(backup_restore(&s, NULL, tar, NULL, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_non_null(strstr(e.msg, "damaged sparse member"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(manifest_round_trip),
		cmocka_unit_test_setup_teardown(copy_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(sha256_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(backup_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(backup_hostile_map, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
