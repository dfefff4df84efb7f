/* authkeys.c -- a monitor's keys for its TCP clients. */
#include "common/authkeys.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/authfile.h"

/* The key of a password given inline or in a file (a password file or a
 * key file); *has 0 if neither is given. who: "vm1" or "--master", as
 * umladmin password takes it. */
static int one_key(const char *inline_pw, const char *file, const char *vm,
		   const char *who, unsigned iter, struct auth_key *out,
		   int *has, struct err *e)
{
	int r;

	*has = 0;
	if (inline_pw)
		r = auth_derive(inline_pw, vm, iter, out, e);
	else if (file)
		/* root's file: the monitor runs as root, so must its secrets */
		r = auth_key_file(file, geteuid(), vm, iter, out, e);
	else
		return 0;
	if (r < 0 && file && !inline_pw &&
	    (e->code == ERR_NOENT || e->code == ERR_INVAL)) {
		/* missing, stale or broken: writing it again mends it */
		size_t n = strlen(e->msg);

		snprintf(e->msg + n, sizeof(e->msg) - n,
			 ": run umladmin password %s", who);
	}
	*has = r == 0;
	return r;
}

int mon_keys_load(const struct config *cfg, const struct vm_conf *vm,
		  struct mon_keys *k, struct err *e)
{
	memset(k, 0, sizeof(*k));
	k->iterations = (unsigned)vm->remote.kdf_iterations;
	if (one_key(vm->password, vm->password_file, vm->name, vm->name,
		    k->iterations, &k->vm, &k->has_vm, e) < 0) {
		err_prefix(e, "%s: password", vm->name);
		mon_keys_clear(k);
		return -1;
	}
	if (one_key(cfg->global.master_password, cfg->global.master_password_file,
		    vm->name, "--master", k->iterations, &k->master,
		    &k->has_master, e) < 0) {
		err_prefix(e, "%s: master password", vm->name);
		mon_keys_clear(k);
		return -1;
	}
	return 0;
}

void mon_keys_clear(struct mon_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}
