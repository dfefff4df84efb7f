/* confedit.c -- a small line editor for the configuration file: a
 * section is found by its header, a key by the text before its '=', and
 * only that line is replaced, inserted or deleted. */
#include "common/confedit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* The line [s, e) without leading and trailing blanks, into out. */
static void trimmed(const char *s, const char *end, const char **ts,
		    const char **te)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*ts = s;
	*te = end;
}

/* The section a header line names, or NULL if the line is none. */
static int is_header(const char *s, const char *e, const char **name,
		     size_t *len)
{
	const char *close;

	if (s == e || *s != '[')
		return 0;
	close = memchr(s, ']', (size_t)(e - s));
	if (!close)
		return 0;
	*name = s + 1;
	*len = (size_t)(close - s - 1);
	return 1;
}

/* A "key = value" line's key is key. */
static int is_key(const char *s, const char *e, const char *key)
{
	const char *eq = memchr(s, '=', (size_t)(e - s)), *ke;
	size_t n = strlen(key);

	if (!eq || *s == ';' || *s == '#')
		return 0;
	ke = eq;
	while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
		ke--;
	return (size_t)(ke - s) == n && !memcmp(s, key, n);
}

char *confedit_text(const char *text, const char *path, const char *section,
		    const char *key, const char *value, struct err *e)
{
	const char *p = text, *end = text + strlen(text);
	const char *sec_at = NULL;   /* the section's header line */
	const char *after = NULL;    /* the end of its last key line */
	const char *line_at = NULL, *line_end = NULL; /* the key's line */
	int in = 0;
	struct strbuf out;

	if (value && (strchr(value, '\n') || strchr(value, '\r'))) {
		err_code(e, ERR_INVAL, "%s: [%s] %s: the value is not one line",
			 path, section, key);
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end, *ts, *te, *name;
		size_t len;

		trimmed(p, nl ? nl : end, &ts, &te);
		if (is_header(ts, te, &name, &len)) {
			in = len == strlen(section) && !memcmp(name, section, len);
			if (in && !sec_at) {
				sec_at = p;
				after = le;
			}
		} else if (in && ts < te && *ts != ';' && *ts != '#') {
			after = le;
			if (!line_at && is_key(ts, te, key)) {
				line_at = p;
				line_end = le;
			}
		}
		p = le;
	}
	if (!sec_at) {
		err_code(e, ERR_NOENT, "%s: no section [%s]", path, section);
		return NULL;
	}
	sb_init(&out);
	if (line_at) {
		/* its comment (text after " ;") stays with it */
		const char *le = line_end[-1] == '\n' ? line_end - 1 : line_end;
		const char *c = line_at, *cmt = NULL;

		while ((c = memchr(c, ';', (size_t)(le - c)))) {
			if (c > line_at && (c[-1] == ' ' || c[-1] == '\t')) {
				cmt = c;
				break;
			}
			c++;
		}
		sb_append(&out, text, (size_t)(line_at - text));
		if (value && cmt)
			sb_printf(&out, "%s = %s %.*s\n", key, value, (int)(le - cmt), cmt);
		else if (value)
			sb_printf(&out, "%s = %s\n", key, value);
		sb_puts(&out, line_end);
	} else if (value) {
		sb_append(&out, text, (size_t)(after - text));
		/* a last line without its newline gets one first */
		if (after > text && after[-1] != '\n')
			sb_puts(&out, "\n");
		sb_printf(&out, "%s = %s\n", key, value);
		sb_puts(&out, after);
	} else {
		sb_puts(&out, text);
	}
	if (!out.buf)
		sb_puts(&out, "");
	return sb_steal(&out);
}

int confedit_set(const char *path, const char *section, const char *key,
		 const char *value, struct err *e)
{
	char *text = NULL, *next = NULL, *tmp = NULL, *real;
	struct stat st;
	size_t len;
	int fd = -1, rc = -1;

	/* a configuration that is a link (to a file config management
	 * keeps elsewhere) stays one: its target is what is replaced */
	real = realpath(path, NULL);
	if (!real) {
		err_code(e, ERR_IO, "%s: %s", path, strerror(errno));
		return -1;
	}
	path = real;
	text = read_file(path, 1u << 20, &len);
	if (!text || stat(path, &st) < 0) {
		err_code(e, ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	next = confedit_text(text, path, section, key, value, e);
	if (!next)
		goto out;
	/* beside it, so that the rename replaces it in one step */
	tmp = xasprintf("%s.umlmon-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchown(fd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(fd, st.st_mode & 07777) < 0 ||
	    write_all(fd, next, strlen(next)) < 0 || fsync(fd) < 0) {
		err_code(e, ERR_IO, "%s: %s", fd < 0 ? path : tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_code(e, ERR_IO, "%s: rename: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(text);
	free(next);
	free(real);
	return rc;
}
