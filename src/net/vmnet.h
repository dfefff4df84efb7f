/* vmnet.h -- the host side of a VM's interfaces for one boot: taps with
 * point-to-point addresses and proxy ARP (host_to_host), taps on bridges
 * (bridged), shared virtual switches (switched); all removed after it. */
#ifndef UMLMON_VMNET_H
#define UMLMON_VMNET_H

#include "common/config.h"
#include "common/util.h"

struct vswitch;

struct vmnet {
	int tap[VM_MAX_NICS];         /* created: delete it */
	int proxy_arp[VM_MAX_NICS];   /* added: remove it */
	struct vswitch *sw[VM_MAX_NICS];
};

/* Sets up every interface of vm; on failure undoes what it did and says
 * which interface failed and why. */
int vmnet_up(struct vmnet *v, const struct config *cfg, const struct vm_conf *vm,
	     const char *jail_root, struct err *e);
/* Interface k of vm, new in vm->nics (those after it moved up by one),
 * set up for the running kernel; on failure nothing of it is left and v
 * is as before. */
int vmnet_add(struct vmnet *v, const struct config *cfg, const struct vm_conf *vm,
	      int k, const char *jail_root, struct err *e);
/* Interface k removed from the host, before it leaves vm->nics (still
 * counted in vm->nnics): the slots after it move down by one. */
void vmnet_remove(struct vmnet *v, const struct vm_conf *vm, int k);
/* Does the kernel of vm need the host's network namespace (the
 * monitor's)? A tap is an interface there; a switch too, measured: UML's
 * daemon transport binds its data socket in the abstract namespace,
 * which is per network namespace, so uml_switch's frames never reach a
 * kernel in another one. Only a VM without interfaces gets its own. */
int vmnet_needs_host_netns(const struct vm_conf *vm);
/* Takes over what vmnet_up made for a boot whose kernel still runs (its
 * monitor died or re-executed itself): the taps of vm that exist as tun
 * devices of the vmuser, their proxy ARP entries, its switches joined
 * again. vmnet_down removes them when the kernel ends. Logs what it
 * does not find. */
void vmnet_adopt(struct vmnet *v, const struct config *cfg,
		 const struct vm_conf *vm);
/* Removes what vmnet_up made (idempotent). */
void vmnet_down(struct vmnet *v, const struct vm_conf *vm);
/* Removes what a boot of vm left when its monitor died (the caller made
 * sure that no process of it lives): its taps (tun devices of that name
 * owned by the vmuser) and its proxy ARP entries. Logs what it does. */
void vmnet_reap(const struct vm_conf *vm);

#endif
