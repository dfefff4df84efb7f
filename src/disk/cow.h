/* cow.h -- the UML ubd copy-on-write file format (arch/um/drivers/
 * cow_user.c): reading v1/v2/v3 headers, creating v3 files, the sector
 * bitmap, and merging a COW with its backing file. Byte-compatible with
 * the kernel and with uml_mkcow/uml_moo. */
#ifndef UMLMON_COW_H
#define UMLMON_COW_H

#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

#define COW_MAGIC 0x4f4f4f4dU  /* "OOOM" as a big-endian u32 */
#define COW_PATH_MAX 4096      /* backing_file[] of the v3 header */
#define COW_SECTOR 512
#define COW_ALIGN 4096

struct cow_header {
	int version;                  /* 1, 2 or 3 */
	char backing[COW_PATH_MAX + 1]; /* as stored: a path in the VM's root */
	int64_t mtime;                /* backing file's mtime, seconds */
	uint64_t size;                /* backing file's size, bytes */
	uint32_t sectorsize;
	uint32_t alignment;           /* v3; older versions: 0 */
	uint64_t bitmap_offset;       /* where the bitmap starts */
	uint64_t bitmap_len;          /* bytes */
	uint64_t data_offset;         /* sector n is at data_offset + n*sectorsize */
};

/* Progress and cancellation of long operations: called now and then with
 * the bytes done out of the total; a non-zero return stops the operation
 * (it then fails with "interrupted" and leaves no partial target). */
typedef int (*cow_progress_cb)(uint64_t done, uint64_t total, void *arg);

/* 1 if the file starts with the COW magic, 0 if not, -1 on a read error. */
int cow_probe(int fd, struct err *e);

/* Reads and checks the header of an open COW file. Errors name `name`. */
int cow_read_header(int fd, const char *name, struct cow_header *h,
		    struct err *e);

/* Fills a v3 header for a backing file of the given size and mtime, stored
 * under the path `backing` (absolute, as the kernel will open it). */
int cow_init_header(struct cow_header *h, const char *backing, uint64_t size,
		    int64_t mtime, struct err *e);

/* Writes h (v3 only) at the start of fd and sizes the file so that the
 * data area covers the whole disk, sparse. The bitmap is left zero. */
int cow_write_new(int fd, const char *name, const struct cow_header *h,
		  struct err *e);

/* Rewrites the mtime/size/backing path of an existing v3 header in place,
 * leaving the bitmap and data alone. */
int cow_update_header(int fd, const char *name, const struct cow_header *h,
		      struct err *e);

/* Reads the whole bitmap (malloc'd, h->bitmap_len bytes). */
uint8_t *cow_read_bitmap(int fd, const char *name, const struct cow_header *h,
			 struct err *e);

/* The sectors the bitmap has a bit for: all of the disk's, but for v1
 * and v2 headers, whose bitmap length rounds down (the kernel's rule), a
 * disk that is not a whole number of 8-sector groups has a tail without
 * bits (it is always read from the backing file). */
uint64_t cow_mapped_sectors(const struct cow_header *h);

/* Number of sectors whose bit is set among the first `sectors` of the
 * bitmap (at most cow_mapped_sectors()). */
uint64_t cow_bitmap_count(const uint8_t *bitmap, uint64_t sectors);

/* Writes the merged disk (backing overlaid with the COW's sectors) to
 * out_fd, which must be empty; holes of the backing file stay holes in
 * the output. */
int cow_merge_to(int cow_fd, const struct cow_header *h, int backing_fd,
		 int out_fd, const char *name, cow_progress_cb cb, void *arg,
		 struct err *e);

/* Writes the COW's sectors into the backing file itself (uml_moo -d). */
int cow_merge_into(int cow_fd, const struct cow_header *h, int backing_fd,
		   const char *name, cow_progress_cb cb, void *arg,
		   struct err *e);

#endif
