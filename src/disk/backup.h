/* backup.h -- a snapshot (snapshot.h) as one file outside the VM's place,
 * and back: a POSIX tar (pax) that GNU tar reads too, holding
 *
 *   NAME/manifest   the snapshot's manifest, with each image's sha256
 *   NAME/FILE       each image, sparse: GNU's pax sparse format 1.0, so
 *                   that only its data is stored and its holes come back
 *                   as holes (tar -xSf extracts them so as well)
 *
 * A restore reads the whole archive into unnamed files first and checks
 * every image against the manifest's size and sha256 and every COW's
 * backing file before the first disk is replaced. */
#ifndef UMLMON_BACKUP_H
#define UMLMON_BACKUP_H

#include "common/util.h"
#include "disk/disk.h"
#include "disk/snapshot.h"

/* Writes snapshot name of s to the new file out (refused if it exists). */
int backup_write(const struct snap_store *s, const char *name, const char *out,
		 struct strbuf *text, struct err *e);

/* Restores the archive file into the VM of c (its /disks), staging in
 * s's directory. */
int backup_restore(const struct snap_store *s, const struct disk_ctx *c,
		   const char *file, struct strbuf *text, struct err *e);

#endif
