/* passwd.c -- setting a password (see passwd.h). The file gets the keys
 * derived from it (a key file, common/authfile.h), never the password: the
 * monitor takes its VM's line as it is (authkeys.c). */
#include "admin/passwd.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/authfile.h"
#include "host/tmpfile.h"

/* what a password read may hold */
#define PASSWD_MAX 1024

/* One line from stdin, without its newline; echo off on a terminal. */
static char *read_line(const char *prompt, int tty, struct err *e)
{
	struct termios old, quiet;
	char buf[PASSWD_MAX + 2];
	size_t n = 0;
	int c;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	while ((c = getchar()) != EOF && c != '\n')
		if (n < sizeof(buf) - 1)
			buf[n++] = (char)c;
	buf[n] = '\0';
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (c == EOF && n == 0) {
		err_code(e, ERR_INVAL, "no password given (end of input)");
		return NULL;
	}
	if (n > PASSWD_MAX) {
		explicit_bzero(buf, sizeof(buf));
		err_code(e, ERR_INVAL, "the password is too long (at most %d "
			 "characters)", PASSWD_MAX);
		return NULL;
	}
	{
		char *pw = xstrdup(buf);

		explicit_bzero(buf, sizeof(buf));
		return pw;
	}
}

char *passwd_read(const char *what, struct err *e)
{
	int tty = isatty(STDIN_FILENO);
	char prompt[128], *a, *b;

	snprintf(prompt, sizeof(prompt), "New password for %s: ", what);
	if (!(a = read_line(prompt, tty, e)))
		return NULL;
	if (strlen(a) < UMLMON_PASSWORD_MIN) {
		auth_wipe_free(a);
		err_code(e, ERR_INVAL, "%s: the password is too short (%d characters "
			 "or more)", what, UMLMON_PASSWORD_MIN);
		return NULL;
	}
	if (!tty)
		return a;
	snprintf(prompt, sizeof(prompt), "Again: ");
	if (!(b = read_line(prompt, tty, e))) {
		auth_wipe_free(a);
		return NULL;
	}
	if (strcmp(a, b)) {
		auth_wipe_free(a);
		auth_wipe_free(b);
		err_code(e, ERR_INVAL, "%s: the passwords differ; nothing changed", what);
		return NULL;
	}
	auth_wipe_free(b);
	return a;
}

const char *passwd_file(const struct config *cfg, const struct vm_conf *vm,
			struct err *e)
{
	const char *inline_pw = vm ? vm->password : cfg->global.master_password;
	const char *file = vm ? vm->password_file : cfg->global.master_password_file;
	const char *key = vm ? "password" : "master_password";
	const char *section = vm ? vm->name : "GLOBAL";

	if (inline_pw) {
		err_code(e, ERR_INVAL, "%s: '%s' is given in [%s] of %s itself; replace "
			 "it by '%s_file = FILE' to set it here", vm ? vm->name : "master",
			 key, section, cfg->path, key);
		return NULL;
	}
	if (!file) {
		err_code(e, ERR_NOENT, "%s: no '%s_file' in [%s] of %s (add one, e.g. "
			 "%s_file = /etc/umlmon.d/%s.password)", vm ? vm->name : "master",
			 key, section, cfg->path, key, vm ? vm->name : "master");
		return NULL;
	}
	return file;
}

char *passwd_keys(const struct config *cfg, const struct vm_conf *vm,
		  const char *pw, struct err *e)
{
	/* a line's longest: tag, name, iterations, the hex key, newline */
	size_t max = sizeof(AUTHFILE_TAG) + VM_NAME_MAX + 1 + 10 + 1 +
		     2 * AUTH_KEY_LEN + 1;
	size_t cap = max * (size_t)(cfg->nvms + 1), len = 0;
	char *text = xcalloc(1, cap);

	for (int i = 0; i < cfg->nvms; i++) {
		const struct vm_conf *v = &cfg->vms[i];
		unsigned iter = (unsigned)v->remote.kdf_iterations;
		struct auth_key k;
		char *line;

		if (vm && v != vm)
			continue;
		if (auth_derive(pw, v->name, iter, &k, e) < 0) {
			auth_wipe(text, cap);
			free(text);
			return NULL;
		}
		line = auth_key_line(v->name, iter, &k);
		auth_wipe(&k, sizeof(k));
		/* sized so it never grows: no copy of a key left behind */
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		auth_wipe_free(line);
	}
	return text;
}

int passwd_write(const char *path, const char *text, struct err *e)
{
	char *d = xstrdup(path), *b = xstrdup(path);
	const char *dir = dirname(d), *name = basename(b);
	struct tmpfile t;
	int dirfd, r = -1;

	dirfd = tmpfile_dir(dir, ".", path, e);
	if (dirfd < 0)
		goto out;
	if (tmpfile_new(&t, dirfd, name, 0600, path, e) < 0)
		goto out;
	/* its owner is root (us), as the monitor checks */
	if (fchmod(t.fd, 0600) < 0 || write_all(t.fd, text, strlen(text)) < 0) {
		err_sys(e, "%s", path);
		tmpfile_abort(&t);
		goto out;
	}
	r = tmpfile_commit(&t, 1, e);
out:
	if (dirfd >= 0)
		close(dirfd);
	free(d);
	free(b);
	return r;
}
