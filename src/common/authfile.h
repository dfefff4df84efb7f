/* authfile.h -- the files that hold a password or its keys (umlmon(5),
 * docs/PROTOCOL.md "Password and key files").
 *
 * A password file's first line is the password. A key file holds the keys
 * derived from it instead, one line per VM:
 *     umlmon-key-1 VM ITERATIONS HEX
 * (HEX: the 32 bytes of K, auth_derive(password, VM, ITERATIONS), in
 * lowercase hex), so the password itself is on no disk. A file whose first
 * line does not start with AUTHFILE_TAG is a password file. Both are
 * secrets: a file that is not regular, that group or others may access,
 * or (owner != -1) that another user owns is refused (ERR_PERM). */
#ifndef UMLMON_AUTHFILE_H
#define UMLMON_AUTHFILE_H

#include <sys/types.h>

#include "common/auth.h"
#include "common/util.h"

#define AUTHFILE_TAG "umlmon-key-1 "

/* The password in a file: its first line without the newline ("\n" or
 * "\r\n"). Refused: an empty first line, one longer than 1024 bytes or
 * with a NUL byte, a key file (ERR_INVAL); e names the file and the
 * cause. The caller frees the result (auth_wipe_free). */
char *auth_password_file(const char *path, uid_t owner, struct err *e);

/* The key of vm at iterations from a file of either form: a key file's
 * line for vm, else the password of its first line derived. A key file
 * without a line for vm (ERR_NOENT), with a malformed line or with vm's
 * line for other iterations (ERR_INVAL) is refused; e names the file,
 * the VM and the cause. */
int auth_key_file(const char *path, uid_t owner, const char *vm,
		  unsigned iterations, struct auth_key *out, struct err *e);

/* The line of a key file for vm: "umlmon-key-1 VM ITERATIONS HEX\n".
 * The caller frees it (auth_wipe_free). */
char *auth_key_line(const char *vm, unsigned iterations,
		    const struct auth_key *k);

/* vm's key in the text of a key file (len bytes, the file's path for the
 * messages): as auth_key_file. */
int auth_key_find(const char *path, const char *text, size_t len,
		  const char *vm, unsigned iterations, struct auth_key *out,
		  struct err *e);

#endif
