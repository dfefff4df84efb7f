/* jailcheck.h -- before each boot: nothing the kernel is run from can be
 * changed by its vmuser or by anyone but root. The jail's own files
 * (its root, the loader and libraries; not disks/, which is the
 * vmuser's, nor a mount on it: tmp/, shared/) must be root's and not
 * writable by group or others (but the tun device /dev/net/tun, 0666
 * like the host's); the kernel's path inside the jail, and the
 * host directories above the jail and the shared dir, likewise (a
 * directory with the sticky bit, such as /tmp, may be writable by all:
 * nobody but root can replace root's entry in it). Every refusal has the
 * code ERR_UNSAFE and names the file and the cause. */
#ifndef UMLMON_JAILCHECK_H
#define UMLMON_JAILCHECK_H

#include <sys/stat.h>

#include "common/util.h"
#include "host/jail.h"

/* All of it, before a boot of a kernel at kernel (its path in the jail),
 * with the jail mounted: the VM's directory, the shared dir and a kernel
 * in it (its file on the host) with every directory above them, the jail's own files as they are before
 * the libraries are installed (a copy is kept when current: a replaced
 * one is refused, not trusted), the kernel and the directories on its
 * way. */
int jailcheck_boot(const struct jail *j, const char *kernel, struct err *e);
/* The jail's files, walked from its root without following a symlink. */
int jailcheck_tree(const struct jail *j, struct err *e);
/* path and each directory above it, on the host (what = "state dir"). */
int jailcheck_host_path(const char *what, const char *path, struct err *e);
/* path inside the jail (root: its O_PATH descriptor) and each directory
 * on the way, as the kernel resolves them (RESOLVE_IN_ROOT); show names
 * it (what = "kernel"). */
int jailcheck_in_jail(const struct jail *j, int root, const char *what,
		      const char *path, struct err *e);

#endif
