/* hostnet_query.h -- what the host's network interfaces are, read without
 * netlink and without privilege (ioctl, sysfs): for the monitor's network
 * set-up (hostnet.c, vmnet.c) and for umladmin check, which must not link
 * libnl. */
#ifndef UMLMON_HOSTNET_QUERY_H
#define UMLMON_HOSTNET_QUERY_H

#include <sys/types.h>

/* 1 if the link exists, 0 if not. */
int hostnet_link_exists(const char *name);
/* 1 if name is a tun or tap device, with its owner in *owner ((uid_t)-1:
 * none); 0 if not (or no such link). */
int hostnet_tap_owner(const char *name, uid_t *owner);

#endif
