/* authfile.c -- the files that hold a password or its keys (see
 * authfile.h): one safe open and read for both forms, the key file's
 * lines written and parsed. */
/* first: see ossl.h */
#include "common/ossl.h"

#include "common/authfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A password file's first line may be no longer. */
#define AUTH_PASSWORD_MAX 1024
/* A key file may be no larger: a line is at most ~120 bytes, so this is
 * room for thousands of VMs. */
#define AUTHFILE_MAX (256 * 1024)

/* "readable", "writable", "readable and writable" or "executable" by
 * group or others: what mode & 077 allows. */
static const char *mode_cause(mode_t m)
{
	int r = (m & 044) != 0, w = (m & 022) != 0;

	if (r && w)
		return "readable and writable";
	if (r)
		return "readable";
	if (w)
		return "writable";
	return "executable";
}

/* The file's first AUTHFILE_MAX + 1 bytes (NUL-terminated, *len of them)
 * if it is a secret's file as authfile.h says; NULL with e. The caller
 * frees it with auth_wipe and free. */
static char *secret_read(const char *path, uid_t owner, size_t *len,
			 struct err *e)
{
	size_t cap = AUTHFILE_MAX + 1, n = 0;
	struct stat st;
	char *buf;
	int fd;

	/* non-blocking: a FIFO in its place must not hang the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err_sys(e, "%s", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		err_sys(e, "%s", path);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		err_code(e, ERR_INVAL, "%s: not a regular file (%s)", path,
			 S_ISDIR(st.st_mode) ? "a directory" : "a special file");
		close(fd);
		return NULL;
	}
	if (owner != (uid_t)-1 && st.st_uid != owner) {
		err_code(e, ERR_PERM, "%s: owned by uid %u, not uid %u; chown it",
			 path, (unsigned)st.st_uid, (unsigned)owner);
		close(fd);
		return NULL;
	}
	if (st.st_mode & 077) {
		err_code(e, ERR_PERM, "%s: %s by group or others (mode %04o); "
			 "chmod 600 it", path, mode_cause(st.st_mode),
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	buf = xmalloc(cap + 1);
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, "%s: read", path);
			OPENSSL_cleanse(buf, cap + 1);
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void secret_free(char *buf)
{
	OPENSSL_cleanse(buf, AUTHFILE_MAX + 2);
	free(buf);
}

static int is_key_file(const char *text, size_t len)
{
	return len >= strlen(AUTHFILE_TAG) &&
	       !memcmp(text, AUTHFILE_TAG, strlen(AUTHFILE_TAG));
}

/* The password of a password file's text: its first line. */
static char *password_of(const char *path, const char *buf, size_t len,
			 struct err *e)
{
	size_t line;
	char *pw;

	for (line = 0; line < len && buf[line] != '\n'; line++)
		;
	if (line > AUTH_PASSWORD_MAX) {
		err_code(e, ERR_INVAL, "%s: the password (its first line) is "
			 "longer than %d bytes", path, AUTH_PASSWORD_MAX);
		return NULL;
	}
	if (line < len && line > 0 && buf[line - 1] == '\r')
		line--;
	if (line == 0) {
		err_code(e, ERR_INVAL, "%s: empty (the password is its first line)",
			 path);
		return NULL;
	}
	if (memchr(buf, '\0', line)) {
		err_code(e, ERR_INVAL, "%s: the password holds a NUL byte", path);
		return NULL;
	}
	pw = xmalloc(line + 1);
	memcpy(pw, buf, line);
	pw[line] = '\0';
	return pw;
}

char *auth_password_file(const char *path, uid_t owner, struct err *e)
{
	size_t len;
	char *buf = secret_read(path, owner, &len, e), *pw;

	if (!buf)
		return NULL;
	if (is_key_file(buf, len)) {
		err_code(e, ERR_INVAL, "%s: holds derived keys (%s...), not a "
			 "password", path, AUTHFILE_TAG);
		pw = NULL;
	} else {
		pw = password_of(path, buf, len, e);
	}
	secret_free(buf);
	return pw;
}

char *auth_key_line(const char *vm, unsigned iterations,
		    const struct auth_key *k)
{
	char hex[2 * AUTH_KEY_LEN + 1];

	for (size_t i = 0; i < AUTH_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", k->k[i]);
	{
		char *line = xasprintf(AUTHFILE_TAG "%s %u %s\n", vm, iterations,
				       hex);

		OPENSSL_cleanse(hex, sizeof(hex));
		return line;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One line's fields (the line NUL-terminated, changed in place); NULL on
 * success, else what is wrong with it. */
static const char *parse_line(char *line, const char **vm, unsigned *iter,
			      struct auth_key *k)
{
	char *f[5], *save = NULL, *end;
	unsigned long n;
	int nf = 0;

	for (char *t = strtok_r(line, " \t", &save); t && nf < 5;
	     t = strtok_r(NULL, " \t", &save))
		f[nf++] = t;
	if (nf != 4 || strcmp(f[0], "umlmon-key-1"))
		return "not 'umlmon-key-1 VM ITERATIONS HEX'";
	errno = 0;
	n = strtoul(f[2], &end, 10);
	if (errno || *end || f[2][0] < '0' || f[2][0] > '9' ||
	    n < AUTH_KDF_MIN || n > AUTH_KDF_MAX)
		return "ITERATIONS is not a number in [10000, 10000000]";
	if (strlen(f[3]) != 2 * AUTH_KEY_LEN)
		return "HEX is not 64 lowercase hex digits";
	for (size_t i = 0; i < AUTH_KEY_LEN; i++) {
		int hi = hexval(f[3][2 * i]), lo = hexval(f[3][2 * i + 1]);

		if (hi < 0 || lo < 0)
			return "HEX is not 64 lowercase hex digits";
		k->k[i] = (uint8_t)(hi << 4 | lo);
	}
	*vm = f[1];
	*iter = (unsigned)n;
	return NULL;
}

int auth_key_find(const char *path, const char *text, size_t len,
		  const char *vm, unsigned iterations, struct auth_key *out,
		  struct err *e)
{
	char *copy = xmalloc(len + 1), *line = copy, *next;
	struct auth_key k;
	unsigned found_iter = 0;
	int lineno = 0, found = 0, r = -1;

	memcpy(copy, text, len);
	copy[len] = '\0';
	for (; line && *line; line = next) {
		const char *name, *bad;
		unsigned iter;
		size_t l;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (!l)
			continue;
		if ((bad = parse_line(line, &name, &iter, &k))) {
			err_code(e, ERR_INVAL, "%s: line %d: %s", path, lineno, bad);
			goto out;
		}
		if (strcmp(name, vm))
			continue;
		if (found) {
			err_code(e, ERR_INVAL, "%s: line %d: a second line for %s",
				 path, lineno, vm);
			goto out;
		}
		found = 1;
		found_iter = iter;
		*out = k;
	}
	if (!found) {
		err_code(e, ERR_NOENT, "%s: no key for %s (a key file holds the VMs "
			 "it was written for)", path, vm);
	} else if (found_iter != iterations) {
		err_code(e, ERR_INVAL, "%s: %s's key is derived for %u iterations, "
			 "kdf_iterations is %u", path, vm, found_iter, iterations);
	} else {
		r = 0;
	}
out:
	if (r < 0)
		OPENSSL_cleanse(out, sizeof(*out));
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(copy, len + 1);
	free(copy);
	return r;
}

int auth_key_file(const char *path, uid_t owner, const char *vm,
		  unsigned iterations, struct auth_key *out, struct err *e)
{
	size_t len;
	char *buf = secret_read(path, owner, &len, e), *pw;
	int r;

	if (!buf)
		return -1;
	if (is_key_file(buf, len)) {
		if (len > AUTHFILE_MAX) {
			err_code(e, ERR_INVAL, "%s: a key file larger than %d bytes",
				 path, AUTHFILE_MAX);
			r = -1;
		} else {
			r = auth_key_find(path, buf, len, vm, iterations, out, e);
		}
	} else if ((pw = password_of(path, buf, len, e))) {
		r = auth_derive(pw, vm, iterations, out, e);
		auth_wipe_free(pw);
	} else {
		r = -1;
	}
	secret_free(buf);
	return r;
}
