/* uidalloc.h -- a user of its own for each VM (umlmon(5) vmuser,
 * vm_uid_range): a VM without a vmuser ("vmuser = auto") runs as a uid
 * from [GLOBAL] vm_uid_range, and its group is the same number; no
 * passwd or group entry is made and no supplementary group given.
 *
 * The allocation is stable: VARDIR/uids (root, 0644) holds a line
 * "VM UID" per VM, so that a VM's disks stay its own across restarts of
 * the kernel and of the monitor. It is rewritten in one rename, under an
 * exclusive flock on VARDIR, so monitors starting at once never hand out
 * one uid twice. A new VM takes the lowest uid of the range that no line
 * holds, that no passwd or group entry names, that no range of
 * /etc/subuid or /etc/subgid covers (a user namespace could map it) and
 * that no running process has. A line stays when its VM leaves the
 * configuration (its files on the host may still be owned by the uid)
 * until umladmin uid -free removes it. */
#ifndef UMLMON_UIDALLOC_H
#define UMLMON_UIDALLOC_H

#include <sys/types.h>

#include "common/config.h"
#include "common/nameidx.h"
#include "common/util.h"

struct uid_row {
	char name[VM_NAME_MAX + 1];
	uid_t uid;
};

struct uid_table {
	struct uid_row *rows;
	int n;
	struct nameidx byname;  /* rows by VM name (uidtab_find) */
};

/* Whether a uid is taken outside the table (returns 1 and a short
 * description of the user in who); the host's answer is uid_taken(). */
typedef int (*uid_taken_fn)(uid_t uid, char *who, size_t len, void *arg);

/* The host's answer: a passwd or group entry, a subordinate range, a
 * process (any of its real, effective, saved and file system ids). */
int uid_taken(uid_t uid, char *who, size_t len, void *arg);

/* The first process (not root_skip's: one whose root is that directory)
 * that runs with uid as any of its user or group ids: its pid, and
 * "pid N (COMM)" in who; 0 if none. */
pid_t uid_process(uid_t uid, const char *root_skip, char *who, size_t len);

/* VARDIR/uids: a missing file is an empty table. A file not owned by the
 * caller or writable by others, or a malformed line, is an error naming
 * the file and the line. */
int uidtab_read(const char *vardir, struct uid_table *t, struct err *e);
void uidtab_free(struct uid_table *t);
/* The row of vm, or NULL. */
const struct uid_row *uidtab_find(const struct uid_table *t, const char *vm);

/* vm's uid: its line, or the lowest free uid of [first, last] written
 * with it (taken: NULL means uid_taken). No free uid: ERR_BUSY. */
int uidalloc_get(const char *vardir, uid_t first, uid_t last, const char *vm,
		 uid_taken_fn taken, void *arg, uid_t *uid, struct err *e);
/* Removes vm's line; *uid gets what it held. No line: ERR_NOENT. */
int uidalloc_free(const char *vardir, const char *vm, uid_t *uid,
		  struct err *e);

/* The uid and gid of every "vmuser = auto" VM of cfg that has a line;
 * alloc (a VM's name, or NULL) gets one if it has none. A VM with no
 * line keeps (uid_t)-1. */
int uidalloc_resolve(struct config *cfg, const char *alloc, struct err *e);

#endif
