/* snapshot.h -- the snapshots of a VM's writable disks, kept beside its
 * other files (never in the jail, which the guest writes):
 *
 *   VARDIR/VM/snapshots/NAME/manifest   what was taken (snap_manifest)
 *   VARDIR/VM/snapshots/NAME/FILE       a copy of /disks/FILE
 *   VARDIR/VM/snapshots/.NAME.part/     a snapshot being taken
 *
 * A copy is a clone (FICLONE) where the file system shares blocks, else a
 * sparse copy of the data extents. A COW's backing file is shared and read
 * only: it is not copied; the manifest records which file and the size and
 * mtime the COW expects, and a restore refuses if it changed.
 *
 * Taking one is two steps so that the guest waits only for the first: the
 * copy (snap_copy, while the monitor has paused it), then the checksums,
 * the manifest and the name (snap_finish, after it runs again). */
#ifndef UMLMON_SNAPSHOT_H
#define UMLMON_SNAPSHOT_H

#include <stdint.h>

#include "common/config.h"
#include "common/util.h"
#include "disk/disk.h"
#include "disk/extents.h"

#define SNAP_NAME_MAX 64
#define SNAP_MANIFEST "manifest"
#define SNAP_SHA256_HEX 65

struct snap_disk {
	char dev[16];                 /* ubd0 */
	char path[4096];              /* as the VM sees it: /disks/root.cow */
	char file[256];               /* in the snapshot's directory */
	uint64_t size;                /* bytes of the file */
	uint64_t alloc;               /* bytes allocated (holes not) */
	char sha256[SNAP_SHA256_HEX]; /* of all size bytes, holes as zeros */
	char backing[COW_PATH_MAX + 1]; /* a COW's, as its header names it, or "" */
	int64_t backing_mtime;
	uint64_t backing_size;
	int cloned;                   /* taken by a clone, not a copy */
	int precloned;                /* cloned before the pause, updated in it */
	uint64_t updated;             /* bytes copied in the pause, then */
};

struct snap_manifest {
	char name[SNAP_NAME_MAX + 1];
	char vm[VM_NAME_MAX + 1];
	int64_t created;              /* Unix time */
	int64_t pause_ms;             /* the guest was paused this long; -1: it
				       * was not running */
	char sync[64];                /* "confirmed", "not confirmed in N ms",
				       * "none (VM stopped)", "none (paused)" */
	int ndisks;
	struct snap_disk disks[VM_MAX_DISKS];
};

/* A name: 1 to SNAP_NAME_MAX of [A-Za-z0-9._-], not starting with '.'. */
int snap_name_check(const char *name, struct err *e);

/* The manifest as text, and back (what names the file in messages). */
void snap_manifest_format(const struct snap_manifest *m, struct strbuf *out);
int snap_manifest_parse(const char *text, const char *what,
			struct snap_manifest *m, struct err *e);

/* The VM's snapshot store, dir = VARDIR/VM/snapshots (made 0700 when
 * needed). */
struct snap_store {
	const char *dir;
	const char *vm;
};

/* Copies the VM's writable disks (of its disk lines, those without the
 * r flag; each must be a .dsk or .cow in /disks) into the part
 * directory of name, and fills m (all but the checksums; sync and
 * pause_ms are left as the caller set them). A snapshot of
 * that name must not exist. -1 with e; the part directory is removed. */
int snap_copy(const struct snap_store *s, const struct disk_ctx *c,
	      const struct disk_conf *disks, int ndisks, const char *name,
	      int precloned, struct xmap *maps, struct snap_manifest *m,
	      struct err *e);
/* Where the file system shares blocks, the pause can be shorter: the
 * disks are cloned first, while the guest runs (a clone costs a
 * transaction per extent: a fragmented image takes a second), and
 * snap_copy() with precloned then copies only the blocks written since,
 * which the file system tells (extents no longer shared). maps (may be
 * NULL; one per copied disk, VM_MAX_DISKS, the caller frees them with
 * xmap_free) keep each clone's extent map, read now rather than in the
 * pause, for snap_copy. -1 with e
 * (ERR_INVAL: no clones here; the part directory is gone either way). */
int snap_preclone(const struct snap_store *s, const struct disk_ctx *c,
		  const struct disk_conf *disks, int ndisks, const char *name,
		  struct xmap *maps, struct snap_manifest *m, struct err *e);
/* Checksums the copies, writes the manifest and gives the snapshot its
 * name; text gets the report. On failure the part directory is removed. */
int snap_finish(const struct snap_store *s, struct snap_manifest *m,
		struct strbuf *text, struct err *e);
/* Removes the part directory of name (a failed or abandoned snapshot). */
void snap_abandon(const struct snap_store *s, const char *name);

/* One line per snapshot, oldest first. */
int snap_list(const struct snap_store *s, struct strbuf *text, struct err *e);
int snap_read(const struct snap_store *s, const char *name,
	      struct snap_manifest *m, struct err *e);
int snap_delete(const struct snap_store *s, const char *name,
		struct strbuf *text, struct err *e);
/* Puts the snapshot's copies back in place of the VM's disks, which no
 * kernel may hold: first every copy's checksum and every COW's backing
 * file are checked, then each disk is replaced in one rename. */
int snap_restore(const struct snap_store *s, const struct disk_ctx *c,
		 const char *name, struct strbuf *text, struct err *e);

/* SHA-256 of size bytes of fd, holes read as zeros: hex in out. */
int snap_sha256_fd(int fd, uint64_t size, char out[SNAP_SHA256_HEX],
		   const char *what, struct err *e);

/* The disks of a manifest put in place: files[i] (open, size bytes, the
 * contents of m->disks[i]) become the VM's m->disks[i].path; every COW's
 * backing file must match and no kernel may hold a target. Used by
 * snap_restore and the restore of a backup. */
int snap_install(const struct disk_ctx *c, const struct snap_manifest *m,
		 const int *files, struct strbuf *text, struct err *e);

#endif
