/* fuzz_cow.c -- bytes as a COW file (src/disk/cow.c): the header read and
 * checked, then what `disk info` does with it: the bitmap loaded and its
 * sectors counted. A guest writes its own COW files (hostfs), so every
 * byte here may be hostile. */
#include "fuzz.h"

#include <stdlib.h>
#include <unistd.h>

#include "disk/cow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd("fuzz.cow", data, size);
	struct cow_header h;
	struct err e;
	uint8_t *bm;

	if (cow_probe(fd, &e) == 1 && cow_read_header(fd, "fuzz.cow", &h, &e) == 0) {
		bm = cow_read_bitmap(fd, "fuzz.cow", &h, &e);
		if (bm) {
			uint64_t sectors = cow_mapped_sectors(&h);

			if (cow_bitmap_count(bm, sectors) > sectors)
				fuzz_die("more sectors written than the bitmap has");
			free(bm);
		}
	}
	close(fd);
	return 0;
}
