/* privdrop.h -- umldir gives up root for good once its sockets are
 * bound. */
#ifndef UMLMON_PRIVDROP_H
#define UMLMON_PRIVDROP_H

#include <sys/types.h>

#include "common/util.h"

/* The uid and gid of user, which must not be root. */
int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, struct err *e);
/* No supplementary groups, then gid, then uid (real, effective and
 * saved), no new privileges; then asks the kernel that there is no way
 * back: the ids, no groups, no capability, setuid(0) refused. */
int privdrop(const char *user, uid_t uid, gid_t gid, struct err *e);

#endif
