/* macpool.h -- MAC addresses for the VMs' interfaces: stable across
 * restarts, never given out twice on a host (SHARED/macs, under flock). */
#ifndef UMLMON_MACPOOL_H
#define UMLMON_MACPOOL_H

#include "common/config.h"
#include "common/util.h"

/* macs[k] gets the address of vm->nics[k]: its explicit mac= (refused if
 * another interface holds it), the one it had, or the lowest free one of
 * the pool. Errors name the interface: a taken address, an exhausted
 * pool. */
int macpool_assign(const struct config *cfg, const struct vm_conf *vm,
		   char macs[][18], struct err *e);

#endif
