/* hostnet.h -- the host side of a VM's network interfaces, in the caller's
 * network namespace: persistent tap devices owned by the VM's user (tun
 * ioctls), links, point-to-point addresses, bridge ports and proxy-ARP
 * entries (netlink, libnl-route-3), per-interface forwarding (procfs).
 * Every error names the interface and the cause, and carries a code: a
 * bad name, address or bridge ERR_INVAL, no such interface ERR_NOENT, a
 * tap that exists ERR_BUSY, the kernel's refusals by their errno. */
#ifndef UMLMON_HOSTNET_H
#define UMLMON_HOSTNET_H

#include <sys/types.h>

#include "common/util.h"
#include "host/hostnet_query.h"

/* A persistent tap (IFF_TAP | IFF_NO_PI) that uid/gid may open. Fails if
 * an interface of that name exists. */
int hostnet_tap_create(const char *name, uid_t owner, gid_t group, struct err *e);
/* Removes a link (its addresses and routes go with it). Missing: 0. */
int hostnet_link_delete(const char *name, struct err *e);
/* Sets the link up. */
int hostnet_link_up(const char *name, struct err *e);
/* local/32 with peer/32 on ifname: the kernel adds the host route to
 * peer. Dotted IPv4 addresses. */
int hostnet_addr_p2p(const char *ifname, const char *local, const char *peer,
		     struct err *e);
/* Makes ifname a port of the bridge. Errors: the bridge does not exist, is
 * not a bridge. */
int hostnet_enslave(const char *ifname, const char *bridge, struct err *e);
/* Answer ARP for addr on ifname (a proxy neighbour entry, NTF_PROXY). */
int hostnet_proxy_arp_add(const char *ifname, const char *addr, struct err *e);
/* Removes it; missing: 0. */
int hostnet_proxy_arp_del(const char *ifname, const char *addr, struct err *e);
/* net.ipv4.conf.IF.forwarding; old gets the previous value if not NULL. */
int hostnet_forwarding(const char *ifname, int on, int *old, struct err *e);

#endif
