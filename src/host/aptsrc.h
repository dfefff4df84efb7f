/* aptsrc.h -- which Debian archive the host's apt already uses: the
 * mirror and the release that umladmin mkimage ... debian builds from
 * when -mirror and -suite do not say. Read from os-release and apt's
 * sources (one-line .list files and deb822 .sources files). */
#ifndef UMLMON_APTSRC_H
#define UMLMON_APTSRC_H

#include "common/util.h"

/* The host's release name (VERSION_CODENAME in ROOT/etc/os-release, else
 * ROOT/usr/lib/os-release): a new string, or NULL with e (ERR_NOENT).
 * root is "" for the host itself (tests give a directory). */
char *apt_host_codename(const char *root, struct err *e);

/* The URI (no trailing '/') of the first source of type deb that carries
 * suite, in apt's order: ROOT/etc/apt/sources.list, then the *.list and
 * *.sources files of ROOT/etc/apt/sources.list.d by name. Entries that are
 * disabled (Enabled: no) are passed over. A new string, or NULL with e
 * (ERR_NOENT) naming what was read. */
char *apt_host_mirror(const char *root, const char *suite, struct err *e);

#endif
