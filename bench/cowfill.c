/* cowfill -- writes into a COW file the way a guest does: random 4 KiB
 * blocks (8 sectors) of random data, their bits set in the bitmap, until
 * about PERCENT of the sectors are in the COW. For bench/disks.sh.
 * Usage: cowfill COW PERCENT [SEED] */
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
	uint64_t sectors, blocks, want, set = 0;
	uint8_t *bm, data[4096];
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: cowfill COW PERCENT [SEED]\n");
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
	blocks = sectors / 8;
	want = sectors * (uint64_t)atoi(argv[2]) / 100;
	while (set < want) {
		uint64_t b = ((uint64_t)random() << 31 | (uint64_t)random()) % blocks;

		if (bm[b])
			continue;
		bm[b] = 0xff; /* 8 sectors: one byte of the bitmap */
		for (size_t i = 0; i < sizeof(data); i += sizeof(long)) {
			long r = random();

			memcpy(data + i, &r, sizeof(r));
		}
		if (pwrite(fd, data, sizeof(data),
			   (off_t)(h.data_offset + b * 8 * h.sectorsize)) != sizeof(data)) {
			perror("cowfill: write");
			return 1;
		}
		set += 8;
	}
	if (pwrite(fd, bm, h.bitmap_len, (off_t)h.bitmap_offset) != (ssize_t)h.bitmap_len) {
		perror("cowfill: bitmap");
		return 1;
	}
	printf("cowfill: %llu of %llu sectors written\n", (unsigned long long)set,
	       (unsigned long long)sectors);
	return 0;
}
