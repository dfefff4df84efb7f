/* passwd.h -- umladmin password: a VM's (or the master) password set in
 * the file the configuration names, and the monitors told to reload. */
#ifndef UMLMON_PASSWD_H
#define UMLMON_PASSWD_H

#include "common/config.h"
#include "common/util.h"

/* The new password: from the terminal on stdin, asked twice without echo
 * (they must match), else the first line of stdin. At least
 * UMLMON_PASSWORD_MIN characters. NULL with e. */
char *passwd_read(const char *what, struct err *e);

/* The file that holds vm's password (vm NULL: the master password), as
 * the configuration names it; NULL with e if it names none (or gives
 * the password inline). */
const char *passwd_file(const struct config *cfg, const struct vm_conf *vm,
			struct err *e);

/* The key file of pw (common/authfile.h): the line of vm, or (vm NULL,
 * the master password) one line for each VM of cfg, each derived at its
 * VM's kdf_iterations. NULL with e. The caller frees it (auth_wipe_free). */
char *passwd_keys(const struct config *cfg, const struct vm_conf *vm,
		  const char *pw, struct err *e);

/* Writes text as the file: a new file of root's, mode 0600, put in place
 * in one rename (the monitors read it as auth_key_file). */
int passwd_write(const char *path, const char *text, struct err *e);

#endif
