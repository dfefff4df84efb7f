/* authkeys.c -- a monitor's keys for its TCP clients. */
#include "umlmon/authkeys.h"

#include <string.h>
#include <unistd.h>

/* The text of a password given inline or in a file; NULL if neither. */
static char *password_of(const char *inline_pw, const char *file, int *none,
			 struct err *e)
{
	*none = 0;
	if (inline_pw)
		return xstrdup(inline_pw);
	if (file)
		/* root's file: the monitor runs as root, so must its secrets */
		return auth_password_file(file, geteuid(), e);
	*none = 1;
	return NULL;
}

static int one_key(const char *inline_pw, const char *file, const char *vm,
		   unsigned iter, struct auth_key *out, int *has, struct err *e)
{
	int none;
	char *pw = password_of(inline_pw, file, &none, e);
	int r;

	*has = 0;
	if (!pw)
		return none ? 0 : -1;
	r = auth_derive(pw, vm, iter, out, e);
	auth_wipe_free(pw);
	*has = r == 0;
	return r;
}

int mon_keys_load(const struct config *cfg, const struct vm_conf *vm,
		  struct mon_keys *k, struct err *e)
{
	memset(k, 0, sizeof(*k));
	k->iterations = (unsigned)vm->remote.kdf_iterations;
	if (one_key(vm->password, vm->password_file, vm->name, k->iterations,
		    &k->vm, &k->has_vm, e) < 0 ||
	    one_key(cfg->global.master_password, cfg->global.master_password_file,
		    vm->name, k->iterations, &k->master, &k->has_master, e) < 0) {
		err_prefix(e, "%s: password", vm->name);
		mon_keys_clear(k);
		return -1;
	}
	return 0;
}

void mon_keys_clear(struct mon_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}
