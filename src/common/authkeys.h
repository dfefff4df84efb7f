/* authkeys.h -- the keys a monitor checks its TCP clients with: derived
 * once from the VM's password and the master password (the configuration
 * or the files it names), never kept as text. */
#ifndef UMLMON_AUTHKEYS_H
#define UMLMON_AUTHKEYS_H

#include "common/auth.h"
#include "common/config.h"
#include "common/util.h"

struct mon_keys {
	struct auth_key vm, master;
	int has_vm, has_master;
	unsigned iterations;
};

/* Derives the keys of vm, or takes them from key files (authfile.h). A
 * file that group or others may read, or that root does not own, a key
 * file without vm's line or with one for other than vm's kdf_iterations
 * is refused (e names the file, the VM and the cause). */
int mon_keys_load(const struct config *cfg, const struct vm_conf *vm,
		  struct mon_keys *k, struct err *e);
void mon_keys_clear(struct mon_keys *k);

#endif
