/* vmuser.c -- whether a VM's user is its own (see vmuser.h). */
#include "host/vmuser.h"
#include "host/uidalloc.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>

#define NOBODY_UID 65534

static int refuse(struct err *e, const struct vm_conf *vm, const char *who)
{
	char user[96];

	err_code(e, ERR_SHARED, "%s: vmuser %s is shared with %s; anyone "
		 "running as it can read the VM's memory and disks and kill it: "
		 "give the VM its own user (vmuser = auto) or set vmuser_shared = "
		 "yes", vm->name, vmuser_text(vm, user, sizeof(user)), who);
	return -1;
}

int vmuser_check(const struct config *cfg, const struct vm_conf *vm,
		 const char *jail_root, struct err *e)
{
	struct passwd *pw;
	char who[160], proc[128];

	if (vm->vmuser_shared || vm->uid == (uid_t)-1)
		return 0;
	for (int i = 0; i < cfg->nvms; i++) {
		const struct vm_conf *o = &cfg->vms[i];

		if (o != vm && o->uid == vm->uid) {
			snprintf(who, sizeof(who), "VM %s", o->name);
			return refuse(e, vm, who);
		}
	}
	if (vm->uid == NOBODY_UID || !strcmp(vm->vmuser, "nobody"))
		return refuse(e, vm, "nobody (uid 65534), the user of host "
			      "services without one of their own");
	if ((pw = getpwnam(cfg->global.umldir_user)) && pw->pw_uid == vm->uid) {
		snprintf(who, sizeof(who), "umldir (umldir_user = %s)",
			 cfg->global.umldir_user);
		return refuse(e, vm, who);
	}
	if (jail_root && uid_process(vm->uid, jail_root, proc, sizeof(proc))) {
		snprintf(who, sizeof(who), "a process on the host, %s", proc);
		return refuse(e, vm, who);
	}
	return 0;
}

const char *vmuser_text(const struct vm_conf *vm, char *buf, size_t len)
{
	if (vm->uid == (uid_t)-1)
		snprintf(buf, len, "%s (no uid yet)", vm->vmuser ? vm->vmuser : "?");
	else
		snprintf(buf, len, "%s (uid %u)", vm->vmuser ? vm->vmuser : "?",
			 (unsigned)vm->uid);
	return buf;
}
