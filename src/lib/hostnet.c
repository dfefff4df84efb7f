/* hostnet.c -- the host side of a VM's network interfaces: persistent taps
 * through the tun ioctls, links, addresses, bridge ports and proxy-ARP
 * entries through rtnetlink (libnl-route-3), forwarding through procfs.
 *
 * Every call opens and frees its own netlink socket: no state is shared,
 * so calls may come from any one thread at a time without locking. */
#include "hostnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/neighbour.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#define TUN_DEV "/dev/net/tun"

/* A netlink socket and the errno of the kernel's last refusal: libnl folds
 * errnos into its own codes (EEXIST and EADDRINUSE both become "Object
 * exists"), the kernel's own word is clearer to an administrator. */
struct nl {
	struct nl_sock *sk;
	int kerr;
};

/* The names the kernel takes (dev_valid_name()); also keeps a name from
 * walking out of /proc/sys/net/ipv4/conf/. */
static int check_name(const char *name, struct err *e)
{
	const char *p;

	if (!name || !*name) {
		err_set(e, "empty interface name");
		return -1;
	}
	if (strlen(name) >= IFNAMSIZ) {
		err_set(e, "%s: interface name too long (at most %d characters)",
			name, IFNAMSIZ - 1);
		return -1;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		err_set(e, "%s: not a valid interface name", name);
		return -1;
	}
	for (p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) {
			err_set(e, "%s: not a valid interface name", name);
			return -1;
		}
	}
	return 0;
}

static int parse_ip4(const char *ifname, const char *s, struct in_addr *in,
		     struct err *e)
{
	if (!s || inet_pton(AF_INET, s, in) != 1) {
		err_set(e, "%s: %s: not an IPv4 address", ifname,
			s ? s : "(none)");
		return -1;
	}
	return 0;
}

/* A /32 libnl address; NULL only when out of memory. */
static struct nl_addr *nl_ip4(const struct in_addr *in)
{
	struct nl_addr *a = nl_addr_build(AF_INET, in, sizeof(*in));

	if (a)
		nl_addr_set_prefixlen(a, 32);
	return a;
}

static int nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *nlerr,
		     void *arg)
{
	struct nl *nl = arg;

	(void)nla;
	nl->kerr = nlerr->error < 0 ? -nlerr->error : nlerr->error;
	/* NL_STOP: libnl then returns its own code for the error */
	return NL_STOP;
}

static int nl_open(struct nl *nl, const char *name, struct err *e)
{
	int r;

	nl->kerr = 0;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		err_set(e, "%s: netlink: out of memory", name);
		return -1;
	}
	r = nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, nl_err_cb, nl);
	if (r >= 0)
		r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		err_set(e, "%s: netlink: %s", name, nl_geterror(r));
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return -1;
	}
	return 0;
}

static void nl_done(struct nl *nl)
{
	/* nl_socket_free() closes the socket too */
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* Why a request failed: the kernel's errno if it sent one. */
static const char *nl_why(struct nl *nl, int r)
{
	return nl->kerr ? strerror(nl->kerr) : nl_geterror(r);
}

/* Did the request fail because the object is not there? The kernel says
 * ENODEV for links, ENOENT for neighbours; libnl calls both
 * NLE_OBJ_NOTFOUND. */
static int nl_missing(struct nl *nl, int r)
{
	if (nl->kerr)
		return nl->kerr == ENODEV || nl->kerr == ENOENT;
	return r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV;
}

/* The link called name, from the kernel. 0: found; 1: no such link (no
 * error set); -1: error set. */
static int link_lookup(struct nl *nl, const char *name,
		       struct rtnl_link **link, struct err *e)
{
	int r;

	*link = NULL;
	nl->kerr = 0;
	r = rtnl_link_get_kernel(nl->sk, 0, name, link);
	if (r >= 0 && *link)
		return 0;
	if (r >= 0 || nl_missing(nl, r))
		return 1;
	err_set(e, "%s: look up link: %s", name, nl_why(nl, r));
	return -1;
}

/* link_lookup() where a missing link is an error. */
static int link_need(struct nl *nl, const char *name, struct rtnl_link **link,
		     struct err *e)
{
	int r = link_lookup(nl, name, link, e);

	if (r == 1) {
		err_set(e, "%s: no such interface", name);
		return -1;
	}
	return r;
}

int hostnet_link_exists(const char *name)
{
	if (check_name(name, NULL) < 0)
		return 0;
	return if_nametoindex(name) != 0;
}

int hostnet_tap_owner(const char *name, uid_t *owner)
{
	char path[128], *s;

	if (check_name(name, NULL) < 0)
		return 0;
	/* only tun and tap devices have tun_flags */
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	if (access(path, F_OK) < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/owner", name);
	s = read_file(path, 64, NULL);
	*owner = s ? (uid_t)atol(s) : (uid_t)-1;
	free(s);
	return 1;
}

int hostnet_tap_create(const char *name, uid_t owner, gid_t group, struct err *e)
{
	struct ifreq ifr;
	int fd;

	if (check_name(name, e) < 0)
		return -1;
	/* TUNSETIFF by root on an existing persistent tap attaches to it
	 * instead of failing: refuse here, with IFF_TUN_EXCL for a race */
	if (hostnet_link_exists(name)) {
		err_set(e, "%s: already exists", name);
		return -1;
	}
	fd = open(TUN_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, "%s: %s", name, TUN_DEV);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int saved = errno;

		/* EBUSY: a tun/tap of that name, EINVAL: another kind */
		if (saved == EBUSY || (saved == EINVAL &&
				       hostnet_link_exists(name))) {
			err_set(e, "%s: already exists", name);
		} else {
			errno = saved;
			err_sys(e, "%s: create tap", name);
		}
		close(fd);
		return -1;
	}
	/* (uid_t)-1, (gid_t)-1: leave the owner or group unset (the
	 * ioctls refuse -1) */
	if (owner != (uid_t)-1 &&
	    ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0) {
		err_sys(e, "%s: set tap owner to %lu", name,
			(unsigned long)owner);
		goto undo;
	}
	if (group != (gid_t)-1 &&
	    ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0) {
		err_sys(e, "%s: set tap group to %lu", name,
			(unsigned long)group);
		goto undo;
	}
	if (ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
		err_sys(e, "%s: make tap persistent", name);
		goto undo;
	}
	close(fd);
	return 0;

undo:
	/* not persistent (any more): the tap goes with the fd */
	ioctl(fd, TUNSETPERSIST, 0UL);
	close(fd);
	return -1;
}

int hostnet_link_delete(const char *name, struct err *e)
{
	struct rtnl_link *link;
	struct nl nl;
	int r, ret = -1;

	if (check_name(name, e) < 0)
		return -1;
	link = rtnl_link_alloc();
	if (!link) {
		err_set(e, "%s: delete: out of memory", name);
		return -1;
	}
	if (nl_open(&nl, name, e) < 0) {
		rtnl_link_put(link);
		return -1;
	}
	/* by name: no lookup that could race with someone else's delete */
	rtnl_link_set_name(link, name);
	r = rtnl_link_delete(nl.sk, link);
	if (r >= 0 || nl_missing(&nl, r))
		ret = 0;
	else
		err_set(e, "%s: delete: %s", name, nl_why(&nl, r));
	rtnl_link_put(link);
	nl_done(&nl);
	return ret;
}

int hostnet_link_up(const char *name, struct err *e)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl nl;
	int r, ret = -1;

	if (check_name(name, e) < 0)
		return -1;
	if (nl_open(&nl, name, e) < 0)
		return -1;
	if (link_need(&nl, name, &link, e) < 0)
		goto out;
	change = rtnl_link_alloc();
	if (!change) {
		err_set(e, "%s: set up: out of memory", name);
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	nl.kerr = 0;
	r = rtnl_link_change(nl.sk, link, change, 0);
	if (r < 0) {
		err_set(e, "%s: set up: %s", name, nl_why(&nl, r));
		goto out;
	}
	ret = 0;
out:
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	nl_done(&nl);
	return ret;
}

int hostnet_addr_p2p(const char *ifname, const char *local, const char *peer,
		     struct err *e)
{
	struct nl_addr *la = NULL, *pa = NULL;
	struct rtnl_link *link = NULL;
	struct rtnl_addr *addr = NULL;
	struct in_addr lin, pin;
	struct nl nl;
	int r, ret = -1;

	if (check_name(ifname, e) < 0 ||
	    parse_ip4(ifname, local, &lin, e) < 0 ||
	    parse_ip4(ifname, peer, &pin, e) < 0)
		return -1;
	if (nl_open(&nl, ifname, e) < 0)
		return -1;
	if (link_need(&nl, ifname, &link, e) < 0)
		goto out;
	la = nl_ip4(&lin);
	pa = nl_ip4(&pin);
	addr = rtnl_addr_alloc();
	if (!la || !pa || !addr) {
		err_set(e, "%s: add %s peer %s: out of memory", ifname, local,
			peer);
		goto out;
	}
	rtnl_addr_set_family(addr, AF_INET);
	rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
	/* local first: libnl refuses a local with a prefix length once a
	 * peer is set; the peer's /32 then becomes the prefix length */
	r = rtnl_addr_set_local(addr, la);
	if (r >= 0)
		r = rtnl_addr_set_peer(addr, pa);
	if (r < 0) {
		err_set(e, "%s: add %s peer %s: %s", ifname, local, peer,
			nl_geterror(r));
		goto out;
	}
	nl.kerr = 0;
	/* NLM_F_EXCL: an address already there is an error, not a no-op */
	r = rtnl_addr_add(nl.sk, addr, NLM_F_EXCL);
	if (r < 0) {
		err_set(e, "%s: add %s peer %s: %s", ifname, local, peer,
			nl_why(&nl, r));
		goto out;
	}
	ret = 0;
out:
	if (addr)
		rtnl_addr_put(addr);
	if (la)
		nl_addr_put(la);
	if (pa)
		nl_addr_put(pa);
	if (link)
		rtnl_link_put(link);
	nl_done(&nl);
	return ret;
}

int hostnet_enslave(const char *ifname, const char *bridge, struct err *e)
{
	struct rtnl_link *link = NULL, *br = NULL, *change = NULL;
	const char *kind;
	struct nl nl;
	int r, ret = -1;

	if (check_name(ifname, e) < 0 || check_name(bridge, e) < 0)
		return -1;
	if (nl_open(&nl, ifname, e) < 0)
		return -1;
	r = link_lookup(&nl, bridge, &br, e);
	if (r < 0)
		goto out;
	if (r == 1) {
		err_set(e, "%s: no such interface (the bridge must exist)",
			bridge);
		goto out;
	}
	/* the link's IFLA_INFO_KIND: rtnl_link_is_bridge() is about
	 * AF_BRIDGE port data, not the kind of link */
	kind = rtnl_link_get_type(br);
	if (!kind || strcmp(kind, "bridge")) {
		err_set(e, "%s: not a bridge", bridge);
		goto out;
	}
	if (link_need(&nl, ifname, &link, e) < 0)
		goto out;
	change = rtnl_link_alloc();
	if (!change) {
		err_set(e, "%s: add to bridge %s: out of memory", ifname,
			bridge);
		goto out;
	}
	rtnl_link_set_master(change, rtnl_link_get_ifindex(br));
	nl.kerr = 0;
	r = rtnl_link_change(nl.sk, link, change, 0);
	if (r < 0) {
		err_set(e, "%s: add to bridge %s: %s", ifname, bridge,
			nl_why(&nl, r));
		goto out;
	}
	ret = 0;
out:
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	if (br)
		rtnl_link_put(br);
	nl_done(&nl);
	return ret;
}

/* Adds (add) or removes the proxy neighbour entry for addr on ifname, as
 * `ip neigh add|del proxy ADDR dev IF` does. */
static int proxy_arp(const char *ifname, const char *addr, int add,
		     struct err *e)
{
	const char *what = add ? "add" : "remove";
	struct rtnl_link *link = NULL;
	struct rtnl_neigh *neigh = NULL;
	struct nl_addr *dst = NULL;
	struct in_addr in;
	struct nl nl;
	int r, ret = -1;

	if (check_name(ifname, e) < 0 || parse_ip4(ifname, addr, &in, e) < 0)
		return -1;
	if (nl_open(&nl, ifname, e) < 0)
		return -1;
	r = link_lookup(&nl, ifname, &link, e);
	if (r < 0)
		goto out;
	if (r == 1) {
		/* the kernel drops a link's proxy entries with the link */
		if (add)
			err_set(e, "%s: no such interface", ifname);
		else
			ret = 0;
		goto out;
	}
	dst = nl_ip4(&in);
	neigh = rtnl_neigh_alloc();
	if (!dst || !neigh) {
		err_set(e, "%s: %s proxy ARP for %s: out of memory", ifname,
			what, addr);
		goto out;
	}
	rtnl_neigh_set_family(neigh, AF_INET);
	rtnl_neigh_set_ifindex(neigh, rtnl_link_get_ifindex(link));
	rtnl_neigh_set_flags(neigh, NTF_PROXY);
	r = rtnl_neigh_set_dst(neigh, dst);
	if (r < 0) {
		err_set(e, "%s: %s proxy ARP for %s: %s", ifname, what, addr,
			nl_geterror(r));
		goto out;
	}
	nl.kerr = 0;
	/* adding an entry that is there already is not an error */
	if (add)
		r = rtnl_neigh_add(nl.sk, neigh, NLM_F_CREATE | NLM_F_REPLACE);
	else
		r = rtnl_neigh_delete(nl.sk, neigh, 0);
	if (r < 0 && !(!add && nl_missing(&nl, r))) {
		err_set(e, "%s: %s proxy ARP for %s: %s", ifname, what, addr,
			nl_why(&nl, r));
		goto out;
	}
	ret = 0;
out:
	if (neigh)
		rtnl_neigh_put(neigh);
	if (dst)
		nl_addr_put(dst);
	if (link)
		rtnl_link_put(link);
	nl_done(&nl);
	return ret;
}

int hostnet_proxy_arp_add(const char *ifname, const char *addr, struct err *e)
{
	return proxy_arp(ifname, addr, 1, e);
}

int hostnet_proxy_arp_del(const char *ifname, const char *addr, struct err *e)
{
	return proxy_arp(ifname, addr, 0, e);
}

int hostnet_forwarding(const char *ifname, int on, int *old, struct err *e)
{
	char path[64 + IFNAMSIZ], buf[16];
	const char *val = on ? "1\n" : "0\n";
	ssize_t n;
	long v;
	char *end;
	int fd;

	if (check_name(ifname, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
		 ifname);
	fd = open(path, (old ? O_RDWR : O_WRONLY) | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			err_set(e, "%s: no such interface (no %s)", ifname,
				path);
		else
			err_sys(e, "%s: %s", ifname, path);
		return -1;
	}
	if (old) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			err_sys(e, "%s: read %s", ifname, path);
			goto fail;
		}
		buf[n] = '\0';
		errno = 0;
		v = strtol(buf, &end, 10);
		if (end == buf || errno || (*end && *end != '\n')) {
			err_set(e, "%s: %s: unexpected contents", ifname, path);
			goto fail;
		}
		*old = (int)v;
		/* procfs sysctl files take a write at the start only */
		if (lseek(fd, 0, SEEK_SET) < 0) {
			err_sys(e, "%s: %s", ifname, path);
			goto fail;
		}
	}
	if (write_all(fd, val, strlen(val)) < 0) {
		err_sys(e, "%s: write %s", ifname, path);
		goto fail;
	}
	if (close(fd) < 0) {
		err_sys(e, "%s: %s", ifname, path);
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}
