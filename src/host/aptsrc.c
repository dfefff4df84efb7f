/* aptsrc.c -- the host's Debian release and the mirror its apt uses. */
#include "host/aptsrc.h"

#include <dirent.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE (1 << 20)
#define WS " \t\r"

char *apt_host_codename(const char *root, struct err *e)
{
	static const char *files[] = {"/etc/os-release", "/usr/lib/os-release"};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *path = xasprintf("%s%s", root, files[i]);
		char *text = read_file(path, MAX_FILE, NULL), *save = NULL, *res = NULL;

		free(path);
		if (!text)
			continue;
		for (char *l = strtok_r(text, "\n", &save); l && !res;
		     l = strtok_r(NULL, "\n", &save)) {
			size_t n;

			if (strncmp(l, "VERSION_CODENAME=", 17))
				continue;
			l += 17;
			n = strlen(l);
			/* the value may be quoted */
			if (n >= 2 && (*l == '"' || *l == '\'') && l[n - 1] == *l) {
				l[n - 1] = 0;
				l++;
			}
			if (*l)
				res = xstrdup(l);
		}
		free(text);
		if (res)
			return res;
	}
	err_code(e, ERR_NOENT, "%s/etc/os-release: no VERSION_CODENAME (give -suite)",
		 root);
	return NULL;
}

static int has_word(const char *list, const char *word)
{
	char *copy = xstrdup(list), *save = NULL;
	int found = 0;

	for (char *w = strtok_r(copy, WS, &save); w && !found; w = strtok_r(NULL, WS, &save))
		found = !strcmp(w, word);
	free(copy);
	return found;
}

static char *trimmed_uri(const char *uri)
{
	char *u = xstrdup(uri);
	size_t n = strlen(u);

	while (n > 1 && u[n - 1] == '/')
		u[--n] = 0;
	return u;
}

/* "deb [options] URI SUITE COMPONENT..." */
static char *from_list(char *text, const char *suite)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(l, '#'), *wsave = NULL, *w;

		if (hash)
			*hash = 0;
		w = strtok_r(l, WS, &wsave);
		if (!w || strcmp(w, "deb"))
			continue;
		w = strtok_r(NULL, WS, &wsave);
		if (w && *w == '[') {
			/* options: up to the word that ends with ']' */
			while (w && w[strlen(w) - 1] != ']')
				w = strtok_r(NULL, WS, &wsave);
			w = w ? strtok_r(NULL, WS, &wsave) : NULL;
		}
		if (!w)
			continue;
		{
			const char *uri = w, *s = strtok_r(NULL, WS, &wsave);

			if (s && !strcmp(s, suite))
				return trimmed_uri(uri);
		}
	}
	return NULL;
}

/* deb822 stanzas: "Field: value" lines, continuation lines start with
 * white space, a blank line ends a stanza. */
struct stanza {
	const char *types, *uris, *suites, *enabled;
};

static char *stanza_match(const struct stanza *s, const char *suite)
{
	char *copy, *save = NULL, *res = NULL;

	if (!s->types || !s->uris || !s->suites || !has_word(s->types, "deb") ||
	    !has_word(s->suites, suite) || (s->enabled && !strcmp(s->enabled, "no")))
		return NULL;
	copy = xstrdup(s->uris);
	{
		char *w = strtok_r(copy, WS, &save);

		if (w)
			res = trimmed_uri(w);
	}
	free(copy);
	return res;
}

static char *from_sources(char *text, const char *suite)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{"Types", offsetof(struct stanza, types)},
		{"URIs", offsetof(struct stanza, uris)},
		{"Suites", offsetof(struct stanza, suites)},
		{"Enabled", offsetof(struct stanza, enabled)},
	};
	struct stanza s = {0};
	char *l = text, *res = NULL;

	while (l && !res) {
		char *nl = strchr(l, '\n'), *colon;

		if (nl)
			*nl = 0;
		if (l[strspn(l, WS)] == 0) {
			res = stanza_match(&s, suite);
			memset(&s, 0, sizeof(s));
		} else if (*l != '#' && *l != ' ' && *l != '\t' &&
			   (colon = strchr(l, ':'))) {
			*colon = 0;
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
				if (!strcasecmp(l, fields[i].name))
					*(const char **)((char *)&s + fields[i].off) =
						colon + 1 + strspn(colon + 1, WS);
		}
		l = nl ? nl + 1 : NULL;
	}
	if (!res)
		res = stanza_match(&s, suite);
	return res;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n > m && !strcmp(s + n - m, tail);
}

static char *from_file(const char *path, int deb822, const char *suite)
{
	char *text = read_file(path, MAX_FILE, NULL), *res;

	if (!text)
		return NULL;
	res = deb822 ? from_sources(text, suite) : from_list(text, suite);
	free(text);
	return res;
}

char *apt_host_mirror(const char *root, const char *suite, struct err *e)
{
	char *path = xasprintf("%s/etc/apt/sources.list", root), *res;
	struct dirent **ents = NULL;
	int n;

	res = from_file(path, 0, suite);
	free(path);
	path = xasprintf("%s/etc/apt/sources.list.d", root);
	n = res ? 0 : scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (!res && (ends_with(name, ".list") || ends_with(name, ".sources"))) {
			char *f = xasprintf("%s/%s", path, name);

			res = from_file(f, ends_with(name, ".sources"), suite);
			free(f);
		}
		free(ents[i]);
	}
	free(ents);
	if (!res)
		err_code(e, ERR_NOENT, "no deb source for '%s' in %s/etc/apt/sources.list "
			 "or %s (give -mirror)", suite, root, path);
	free(path);
	return res;
}
