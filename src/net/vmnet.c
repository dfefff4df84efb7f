/* vmnet.c -- what a VM's interfaces need on the host, set up before a boot
 * and removed after it (see vmnet.h). */
#include "net/vmnet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/log.h"
#include "net/hostnet.h"
#include "host/safeopen.h"
#include "net/vswitch.h"

/* A tap left by an earlier boot of this VM (a monitor that was killed):
 * a tun device of that name owned by the vmuser. */
static int stale_tap(const char *name, uid_t uid)
{
	char path[128], *s;
	int ours = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	if (access(path, F_OK) < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/owner", name);
	s = read_file(path, 64, NULL);
	if (s && (uid_t)atol(s) == uid)
		ours = 1;
	free(s);
	return ours;
}

/* The tun device node that a tap interface needs in the jail; made and
 * set through descriptors from the jail's root down, so that nothing on
 * the way (a symlink, whoever made it) redirects them. */
static int jail_tun(const char *root, struct err *e)
{
	char *dev = xasprintf("%s/dev", root), *net = xasprintf("%s/net", dev);
	char *node = xasprintf("%s/tun", net);
	int rfd = -1, dfd = -1, nfd = -1, tfd = -1, rc = -1;
	struct stat st;

	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		err_sys(e, "%s", root);
		goto out;
	}
	if ((dfd = so_mkdir(rfd, "dev", dev, 0, 0, 0755, e)) < 0 ||
	    (nfd = so_mkdir(dfd, "net", net, 0, 0, 0755, e)) < 0)
		goto out;
	if (fstatat(nfd, "tun", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISCHR(st.st_mode) || st.st_rdev != makedev(10, 200) ||
	    st.st_uid != 0 || (st.st_mode & 07777) != 0666) {
		/* never open it to set it: an open of the tun device makes one */
		if ((unlinkat(nfd, "tun", 0) < 0 && errno != ENOENT) ||
		    mknodat(nfd, "tun", S_IFCHR | 0666, makedev(10, 200)) < 0 ||
		    (tfd = openat(nfd, "tun", O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    so_chmod(tfd, 0666) < 0) {
			err_sys(e, "%s", node);
			goto out;
		}
	}
	rc = 0;
out:
	if (tfd >= 0)
		close(tfd);
	if (nfd >= 0)
		close(nfd);
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	free(dev);
	free(net);
	free(node);
	return rc;
}

/* Removes the tap of n if an earlier boot left it; 1 if there is none
 * now, 0 if the name is another interface's, -1 with e. */
static int reap_tap(const struct nic_conf *n, const struct vm_conf *vm,
		    struct err *e)
{
	if (!hostnet_link_exists(n->proxy_if))
		return 1;
	if (!stale_tap(n->proxy_if, vm->uid))
		return 0;
	log_warn("%s: eth%d: removing the tap %s left by an earlier boot",
		 vm->name, n->index, n->proxy_if);
	return hostnet_link_delete(n->proxy_if, e) < 0 ? -1 : 1;
}

static int tap_up(struct vmnet *v, int k, const struct vm_conf *vm, struct err *e)
{
	const struct nic_conf *n = &vm->nics[k];
	int r = reap_tap(n, vm, e);

	if (r == 0)
		err_set(e, "proxy_if %s: already exists and is not a tap of this "
			"VM's user", n->proxy_if);
	if (r <= 0)
		return -1;
	if (hostnet_tap_create(n->proxy_if, vm->uid, vm->gid, e) < 0)
		return -1;
	v->tap[k] = 1;
	if (n->kind == NIC_BRIDGED) {
		if (hostnet_enslave(n->proxy_if, n->bridge_if, e) < 0)
			return -1;
	} else if (hostnet_addr_p2p(n->proxy_if, n->proxy_addr, n->guest_addr, e) < 0) {
		return -1;
	}
	if (hostnet_link_up(n->proxy_if, e) < 0)
		return -1;
	if (n->kind == NIC_HOST_TO_HOST && n->host_if[0]) {
		if (!hostnet_link_exists(n->host_if)) {
			err_set(e, "host_if %s: no such interface", n->host_if);
			return -1;
		}
		if (hostnet_proxy_arp_add(n->host_if, n->guest_addr, e) < 0)
			return -1;
		v->proxy_arp[k] = 1;
		if (hostnet_forwarding(n->proxy_if, 1, NULL, e) < 0 ||
		    hostnet_forwarding(n->host_if, 1, NULL, e) < 0)
			return -1;
	}
	return 0;
}

/* The host side of interface k. */
static int nic_up(struct vmnet *v, const struct config *cfg,
		  const struct vm_conf *vm, int k, const char *jail_root,
		  struct err *e)
{
	const struct nic_conf *n = &vm->nics[k];
	int r;

	if (n->kind == NIC_SWITCHED) {
		v->sw[k] = vswitch_join(cfg->global.shared, n->sw, e);
		r = v->sw[k] ? 0 : -1;
	} else {
		r = jail_tun(jail_root, e);
		if (r == 0)
			r = tap_up(v, k, vm, e);
	}
	if (r < 0)
		err_prefix(e, "eth%d", n->index);
	return r;
}

/* Undoes nic_up of interface k (idempotent). */
static void nic_down(struct vmnet *v, const struct vm_conf *vm, int k)
{
	const struct nic_conf *n = &vm->nics[k];
	struct err e;

	if (v->proxy_arp[k] &&
	    hostnet_proxy_arp_del(n->host_if, n->guest_addr, &e) < 0)
		log_warn("%s: eth%d: %s", vm->name, n->index, e.msg);
	/* the tap's addresses and routes go with it */
	if (v->tap[k] && hostnet_link_delete(n->proxy_if, &e) < 0)
		log_warn("%s: eth%d: %s", vm->name, n->index, e.msg);
	vswitch_leave(v->sw[k]);
	v->proxy_arp[k] = v->tap[k] = 0;
	v->sw[k] = NULL;
}

int vmnet_up(struct vmnet *v, const struct config *cfg, const struct vm_conf *vm,
	     const char *jail_root, struct err *e)
{
	memset(v, 0, sizeof(*v));
	for (int k = 0; k < vm->nnics; k++) {
		if (nic_up(v, cfg, vm, k, jail_root, e) < 0) {
			vmnet_down(v, vm);
			return -1;
		}
	}
	return 0;
}

/* Moves the slots of interfaces at and after k by one: up (by) 1 to make
 * room for a new k, -1 to close the gap of a removed one. */
static void shift(struct vmnet *v, int k, int n, int by)
{
	int len = n - k - (by < 0);

	if (len <= 0)
		return;
	memmove(&v->tap[k + (by > 0)], &v->tap[k + (by < 0)], sizeof(v->tap[0]) * (size_t)len);
	memmove(&v->proxy_arp[k + (by > 0)], &v->proxy_arp[k + (by < 0)],
		sizeof(v->proxy_arp[0]) * (size_t)len);
	memmove(&v->sw[k + (by > 0)], &v->sw[k + (by < 0)], sizeof(v->sw[0]) * (size_t)len);
}

int vmnet_add(struct vmnet *v, const struct config *cfg, const struct vm_conf *vm,
	      int k, const char *jail_root, struct err *e)
{
	shift(v, k, vm->nnics - 1, 1);
	v->tap[k] = v->proxy_arp[k] = 0;
	v->sw[k] = NULL;
	if (nic_up(v, cfg, vm, k, jail_root, e) == 0)
		return 0;
	vmnet_remove(v, vm, k);
	return -1;
}

void vmnet_remove(struct vmnet *v, const struct vm_conf *vm, int k)
{
	nic_down(v, vm, k);
	shift(v, k, vm->nnics, -1);
	v->tap[vm->nnics - 1] = v->proxy_arp[vm->nnics - 1] = 0;
	v->sw[vm->nnics - 1] = NULL;
}

int vmnet_needs_host_netns(const struct vm_conf *vm)
{
	return vm->nnics > 0;
}

void vmnet_down(struct vmnet *v, const struct vm_conf *vm)
{
	for (int k = 0; k < vm->nnics; k++)
		nic_down(v, vm, k);
	memset(v, 0, sizeof(*v));
}

void vmnet_adopt(struct vmnet *v, const struct config *cfg,
		 const struct vm_conf *vm)
{
	memset(v, 0, sizeof(*v));
	for (int k = 0; k < vm->nnics; k++) {
		const struct nic_conf *n = &vm->nics[k];
		struct err e;

		if (n->kind == NIC_SWITCHED) {
			v->sw[k] = vswitch_join(cfg->global.shared, n->sw, &e);
			if (!v->sw[k])
				log_warn("%s: eth%d: %s", vm->name, n->index, e.msg);
			continue;
		}
		if (!hostnet_link_exists(n->proxy_if) || !stale_tap(n->proxy_if, vm->uid)) {
			log_warn("%s: eth%d: the tap %s of the running boot is not "
				 "there", vm->name, n->index, n->proxy_if);
			continue;
		}
		v->tap[k] = 1;
		v->proxy_arp[k] = n->kind == NIC_HOST_TO_HOST && n->host_if[0];
	}
}

void vmnet_reap(const struct vm_conf *vm)
{
	for (int k = 0; k < vm->nnics; k++) {
		const struct nic_conf *n = &vm->nics[k];
		struct err e;

		if (n->kind == NIC_SWITCHED)
			continue;
		if (reap_tap(n, vm, &e) < 0)
			log_warn("%s: eth%d: %s", vm->name, n->index, e.msg);
		/* the tap's own addresses and routes went with it; the proxy
		 * entry is on the host's interface (a missing one is no error) */
		if (n->kind == NIC_HOST_TO_HOST && n->host_if[0] &&
		    hostnet_link_exists(n->host_if) &&
		    hostnet_proxy_arp_del(n->host_if, n->guest_addr, &e) < 0)
			log_warn("%s: eth%d: %s", vm->name, n->index, e.msg);
	}
}
