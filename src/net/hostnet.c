/* hostnet.c -- the host side of a VM's network interfaces: persistent taps
 * through the tun ioctls, links, addresses, bridge ports and proxy-ARP
 * entries through rtnetlink (libnl-route-3), forwarding through procfs.
 *
 * Every netlink request goes through nl_request(): its own socket (no
 * state is shared, so calls may come from any one thread at a time without
 * locking), the link looked up, one error path. */
#include "net/hostnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
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
		err_code(e, ERR_INVAL, "empty interface name");
		return -1;
	}
	if (strlen(name) >= IFNAMSIZ) {
		err_code(e, ERR_INVAL,
			 "%s: interface name too long (at most %d characters)",
			 name, IFNAMSIZ - 1);
		return -1;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		err_code(e, ERR_INVAL, "%s: not a valid interface name", name);
		return -1;
	}
	for (p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) {
			err_code(e, ERR_INVAL,
				 "%s: not a valid interface name", name);
			return -1;
		}
	}
	return 0;
}

static int parse_ip4(const char *ifname, const char *s, struct in_addr *in,
		     struct err *e)
{
	if (!s || inet_pton(AF_INET, s, in) != 1) {
		err_code(e, ERR_INVAL, "%s: %s: not an IPv4 address", ifname,
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

/* The code of a failure that libnl found itself (no errno from the
 * kernel): memory, a bad attribute, the socket. */
static enum err_code nl_code(int r)
{
	switch (-r) {
	case NLE_OBJ_NOTFOUND: case NLE_NODEV: return ERR_NOENT;
	case NLE_PERM: case NLE_NOACCESS: return ERR_PERM;
	case NLE_INVAL: case NLE_RANGE: case NLE_AF_MISMATCH: return ERR_INVAL;
	case NLE_BUSY: case NLE_AGAIN: return ERR_BUSY;
	default: return ERR_IO;
	}
}

/* "NAME: WHAT: cause", with the kernel's errno if it sent one. */
static void nl_fail(struct nl *nl, int r, const char *name, const char *what,
		    struct err *e)
{
	if (nl->kerr) {
		errno = nl->kerr;
		err_sys(e, "%s: %s", name, what);
	} else {
		err_code(e, nl_code(r), "%s: %s: %s", name, what,
			 nl_geterror(r));
	}
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
	nl_fail(nl, r, name, "look up link", e);
	return -1;
}

/* What a request's send() returns when it refused the request itself,
 * with the error set: not one of libnl's codes (-1 to -NLE_MAX). */
#define NL_REFUSED INT_MIN

/* One rtnetlink request about the link ifname. */
struct nl_req {
	const char *ifname;	/* every error names it */
	int lookup;		/* look the link up first; not there: "no such
				 * interface", unless gone_ok */
	int gone_ok;		/* the link or the object is not there: done */
	/* Builds and sends the request (link: ifname's if looked up);
	 * returns libnl's code, or NL_REFUSED with e set. */
	int (*send)(struct nl *nl, struct rtnl_link *link, const void *arg,
		    struct err *e);
	const void *arg;
};

/* Every netlink request goes through here: a socket of its own, the link,
 * the request, an error "IFNAME: WHAT: cause" with a code, and the end of
 * all of it. what is a printf format ("add %s peer %s"). */
static int nl_request(const struct nl_req *rq, struct err *e,
		      const char *what, ...)
	__attribute__((format(printf, 3, 4)));

static int nl_request(const struct nl_req *rq, struct err *e,
		      const char *what, ...)
{
	struct rtnl_link *link = NULL;
	struct nl nl = {.kerr = 0};
	char doing[128];
	int r, ret = -1;
	va_list ap;

	va_start(ap, what);
	vsnprintf(doing, sizeof(doing), what, ap);
	va_end(ap);
	nl.sk = nl_socket_alloc();
	if (!nl.sk) {
		nl_fail(&nl, -NLE_NOMEM, rq->ifname, "netlink", e);
		return -1;
	}
	r = nl_socket_modify_err_cb(nl.sk, NL_CB_CUSTOM, nl_err_cb, &nl);
	if (r >= 0)
		r = nl_connect(nl.sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_fail(&nl, r, rq->ifname, "netlink", e);
		goto out;
	}
	if (rq->lookup) {
		r = link_lookup(&nl, rq->ifname, &link, e);
		/* the kernel drops what hangs on a link with the link */
		if (r == 1 && rq->gone_ok)
			ret = 0;
		else if (r == 1)
			err_code(e, ERR_NOENT, "%s: no such interface",
				 rq->ifname);
		if (r != 0)
			goto out;
	}
	nl.kerr = 0;
	r = rq->send(&nl, link, rq->arg, e);
	if (r == NL_REFUSED)
		goto out;
	if (r >= 0 || (rq->gone_ok && nl_missing(&nl, r)))
		ret = 0;
	else
		nl_fail(&nl, r, rq->ifname, doing, e);
out:
	if (link)
		rtnl_link_put(link);
	/* nl_socket_free() closes the socket too */
	nl_socket_free(nl.sk);
	return ret;
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
		err_code(e, ERR_BUSY, "%s: already exists", name);
		return -1;
	}
	fd = open(TUN_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, "%s: %s", name, TUN_DEV);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* ifr_flags is a short: IFF_TUN_EXCL (0x8000) is its sign bit */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int saved = errno;

		/* EBUSY: a tun/tap of that name, EINVAL: another kind */
		if (saved == EBUSY || (saved == EINVAL &&
				       hostnet_link_exists(name))) {
			err_code(e, ERR_BUSY, "%s: already exists", name);
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

static int send_delete(struct nl *nl, struct rtnl_link *link, const void *arg,
		       struct err *e)
{
	struct rtnl_link *byname = rtnl_link_alloc();
	int r;

	(void)link;
	(void)e;
	if (!byname)
		return -NLE_NOMEM;
	/* by name: no lookup that could race with someone else's delete */
	rtnl_link_set_name(byname, arg);
	r = rtnl_link_delete(nl->sk, byname);
	rtnl_link_put(byname);
	return r;
}

int hostnet_link_delete(const char *name, struct err *e)
{
	struct nl_req rq = {.ifname = name, .gone_ok = 1,
			    .send = send_delete, .arg = name};

	if (check_name(name, e) < 0)
		return -1;
	return nl_request(&rq, e, "delete");
}

/* Sets flags on link, and its master if not 0. */
static int link_set(struct nl *nl, struct rtnl_link *link, unsigned int flags,
		    int master)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (!change)
		return -NLE_NOMEM;
	if (flags)
		rtnl_link_set_flags(change, flags);
	if (master)
		rtnl_link_set_master(change, master);
	r = rtnl_link_change(nl->sk, link, change, 0);
	rtnl_link_put(change);
	return r;
}

static int send_up(struct nl *nl, struct rtnl_link *link, const void *arg,
		   struct err *e)
{
	(void)arg;
	(void)e;
	return link_set(nl, link, IFF_UP, 0);
}

int hostnet_link_up(const char *name, struct err *e)
{
	struct nl_req rq = {.ifname = name, .lookup = 1, .send = send_up};

	if (check_name(name, e) < 0)
		return -1;
	return nl_request(&rq, e, "set up");
}

struct p2p {
	struct in_addr local, peer;
};

static int send_addr_p2p(struct nl *nl, struct rtnl_link *link,
			 const void *arg, struct err *e)
{
	const struct p2p *p = arg;
	struct nl_addr *la = nl_ip4(&p->local), *pa = nl_ip4(&p->peer);
	struct rtnl_addr *addr = rtnl_addr_alloc();
	int r = -NLE_NOMEM;

	(void)e;
	if (la && pa && addr) {
		rtnl_addr_set_family(addr, AF_INET);
		rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
		/* local first: libnl refuses a local with a prefix length
		 * once a peer is set; the peer's /32 then becomes the
		 * prefix length */
		r = rtnl_addr_set_local(addr, la);
		if (r >= 0)
			r = rtnl_addr_set_peer(addr, pa);
		/* NLM_F_EXCL: an address already there is an error, not a
		 * no-op */
		if (r >= 0)
			r = rtnl_addr_add(nl->sk, addr, NLM_F_EXCL);
	}
	rtnl_addr_put(addr);
	nl_addr_put(la);
	nl_addr_put(pa);
	return r;
}

int hostnet_addr_p2p(const char *ifname, const char *local, const char *peer,
		     struct err *e)
{
	struct p2p p;
	struct nl_req rq = {.ifname = ifname, .lookup = 1,
			    .send = send_addr_p2p, .arg = &p};

	if (check_name(ifname, e) < 0 ||
	    parse_ip4(ifname, local, &p.local, e) < 0 ||
	    parse_ip4(ifname, peer, &p.peer, e) < 0)
		return -1;
	return nl_request(&rq, e, "add %s peer %s", local, peer);
}

static int send_enslave(struct nl *nl, struct rtnl_link *link,
			const void *arg, struct err *e)
{
	const char *bridge = arg, *kind;
	struct rtnl_link *br;
	int r;

	r = link_lookup(nl, bridge, &br, e);
	if (r < 0)
		return NL_REFUSED;
	if (r == 1) {
		err_code(e, ERR_NOENT,
			 "%s: no such interface (the bridge must exist)",
			 bridge);
		return NL_REFUSED;
	}
	/* the link's IFLA_INFO_KIND: rtnl_link_is_bridge() is about
	 * AF_BRIDGE port data, not the kind of link */
	kind = rtnl_link_get_type(br);
	if (!kind || strcmp(kind, "bridge")) {
		err_code(e, ERR_INVAL, "%s: not a bridge", bridge);
		r = NL_REFUSED;
	} else {
		r = link_set(nl, link, 0, rtnl_link_get_ifindex(br));
	}
	rtnl_link_put(br);
	return r;
}

int hostnet_enslave(const char *ifname, const char *bridge, struct err *e)
{
	struct nl_req rq = {.ifname = ifname, .lookup = 1,
			    .send = send_enslave, .arg = bridge};

	if (check_name(ifname, e) < 0 || check_name(bridge, e) < 0)
		return -1;
	return nl_request(&rq, e, "add to bridge %s", bridge);
}

struct proxy {
	struct in_addr addr;
	int add;
};

static int send_proxy_arp(struct nl *nl, struct rtnl_link *link,
			  const void *arg, struct err *e)
{
	const struct proxy *p = arg;
	struct nl_addr *dst = nl_ip4(&p->addr);
	struct rtnl_neigh *neigh = rtnl_neigh_alloc();
	int r = -NLE_NOMEM;

	(void)e;
	if (dst && neigh) {
		rtnl_neigh_set_family(neigh, AF_INET);
		rtnl_neigh_set_ifindex(neigh, rtnl_link_get_ifindex(link));
		rtnl_neigh_set_flags(neigh, NTF_PROXY);
		r = rtnl_neigh_set_dst(neigh, dst);
	}
	/* adding an entry that is there already is not an error */
	if (r >= 0 && p->add)
		r = rtnl_neigh_add(nl->sk, neigh, NLM_F_CREATE | NLM_F_REPLACE);
	else if (r >= 0)
		r = rtnl_neigh_delete(nl->sk, neigh, 0);
	rtnl_neigh_put(neigh);
	nl_addr_put(dst);
	return r;
}

/* Adds (add) or removes the proxy neighbour entry for addr on ifname, as
 * `ip neigh add|del proxy ADDR dev IF` does. A missing link has none: the
 * kernel drops a link's proxy entries with the link. */
static int proxy_arp(const char *ifname, const char *addr, int add,
		     struct err *e)
{
	struct proxy p = {.add = add};
	struct nl_req rq = {.ifname = ifname, .lookup = 1, .gone_ok = !add,
			    .send = send_proxy_arp, .arg = &p};

	if (check_name(ifname, e) < 0 ||
	    parse_ip4(ifname, addr, &p.addr, e) < 0)
		return -1;
	return nl_request(&rq, e, "%s proxy ARP for %s",
			  add ? "add" : "remove", addr);
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
			err_code(e, ERR_NOENT, "%s: no such interface (no %s)",
				 ifname, path);
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
