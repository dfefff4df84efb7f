/* showconf.h -- umladmin config VM: the effective configuration of a VM,
 * every key of umlmon(5) with its value, defaults included, and where
 * each value comes from (the VM's section, [GLOBAL], or the default). */
#ifndef UMLMON_SHOWCONF_H
#define UMLMON_SHOWCONF_H

#include "common/config.h"
#include "common/table.h"

/* Rows KEY VALUE FROM; passwords are shown as "(set)", never their text. */
void showconf_table(const struct config *cfg, const struct vm_conf *vm,
		    struct table *t);

#endif
