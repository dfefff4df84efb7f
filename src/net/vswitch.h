/* vswitch.h -- uml_switch instances shared by the VMs of a host: started
 * by the first VM that joins, stopped when the last one leaves. */
#ifndef UMLMON_VSWITCH_H
#define UMLMON_VSWITCH_H

#include "common/util.h"

struct vswitch;

/* Joins switch name (SHARED/switches/NAME), starting it if needed. */
struct vswitch *vswitch_join(const char *shared, const char *name, struct err *e);
/* Leaves it; the last VM out stops it. NULL is ignored. */
void vswitch_leave(struct vswitch *s);

#endif
