/* cowfill -- writes into a COW file the way a guest does: random runs
 * of RUN KiB (default 4: 8 sectors; a multiple of 4, aligned to itself)
 * of random data, their bits set in the bitmap, until about PERCENT of
 * the sectors are in the COW. For bench/disks.sh and bench/snapshot.sh.
 * Usage: cowfill COW PERCENT [SEED [RUN]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "disk/cow.h"

int main(int argc, char **argv)
{
	struct cow_header h;
	struct err e;
	uint64_t sectors, blocks, want, set = 0, per;
	uint8_t *bm, data[4096];
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: cowfill COW PERCENT [SEED [RUN]]\n");
		return 2;
	}
	srandom(argc > 3 ? (unsigned)atoi(argv[3]) : 1);
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || cow_read_header(fd, argv[1], &h, &e) < 0) {
		fprintf(stderr, "cowfill: %s\n", fd < 0 ? argv[1] : e.msg);
		return 1;
	}
	bm = cow_read_bitmap(fd, argv[1], &h, &e);
	if (!bm) {
		fprintf(stderr, "cowfill: %s\n", e.msg);
		return 1;
	}
	sectors = h.size / h.sectorsize;
	/* 4 KiB blocks in a run */
	per = argc > 4 && atoi(argv[4]) >= 4 ? (uint64_t)atoi(argv[4]) / 4 : 1;
	blocks = sectors / 8 / per;
	want = sectors * (uint64_t)atoi(argv[2]) / 100;
	while (set < want) {
		uint64_t r = ((uint64_t)random() << 31 | (uint64_t)random()) % blocks;

		if (bm[r * per])
			continue;
		for (uint64_t b = r * per; b < (r + 1) * per; b++) {
			bm[b] = 0xff; /* 8 sectors: one byte of the bitmap */
			for (size_t i = 0; i < sizeof(data); i += sizeof(long)) {
				long x = random();

				memcpy(data + i, &x, sizeof(x));
			}
			if (pwrite(fd, data, sizeof(data),
				   (off_t)(h.data_offset + b * 8 * h.sectorsize)) !=
			    sizeof(data)) {
				perror("cowfill: write");
				return 1;
			}
			set += 8;
		}
	}
	if (pwrite(fd, bm, h.bitmap_len, (off_t)h.bitmap_offset) != (ssize_t)h.bitmap_len) {
		perror("cowfill: bitmap");
		return 1;
	}
	printf("cowfill: %llu of %llu sectors written\n", (unsigned long long)set,
	       (unsigned long long)sectors);
	free(bm);
	close(fd);
	return 0;
}
