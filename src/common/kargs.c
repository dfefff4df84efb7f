/* kargs.c -- the operator's extra kernel arguments: splitting and the
 * switches the monitor owns. */
#include "common/kargs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int kargs_split(const char *s, char ***argv, int *argc, struct err *e)
{
	char **v = NULL;
	int n = 0;

	while (s && *s) {
		struct strbuf word;
		int quoted = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		sb_init(&word);
		while (*s && (quoted || !isspace((unsigned char)*s))) {
			if (*s == '"')
				quoted = !quoted;
			else
				sb_append(&word, s, 1);
			s++;
		}
		if (quoted) {
			sb_free(&word);
			for (int i = 0; i < n; i++)
				free(v[i]);
			free(v);
			err_set(e, "unbalanced '\"'");
			return -1;
		}
		v = xrealloc(v, sizeof(char *) * (size_t)(n + 2));
		v[n++] = sb_steal(&word);
		v[n] = NULL;
	}
	*argv = v;
	*argc = n;
	return 0;
}

const char *kargs_reserved(const char *arg)
{
	static const struct {
		const char *prefix;
		int numbered;   /* prefix followed by digits (and flags) */
		const char *use;
	} owned[] = {
		{"mem=", 0, "use the 'memory' key"},
		{"umid=", 0, "the monitor sets it to the VM name"},
		{"uml_dir=", 0, "the monitor sets it to the jail's /tmp"},
		{"mconsole=", 0, "the monitor uses mconsole notifications"},
		{"con=", 0, "use the conN keys"},
		{"ssl=", 0, "use the sslN keys"},
		{"con", 1, "use the conN keys"},
		{"ssl", 1, "use the sslN keys"},
		{"ubd", 1, "use the ubdN keys"},
		{"umlmon.net=", 0, "use the guest_addr of the ethN keys"},
		{"umlmon.name=", 0, "the monitor sets it to the VM name"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
		size_t n = strlen(owned[i].prefix);

		if (strncmp(arg, owned[i].prefix, n))
			continue;
		if (!owned[i].numbered)
			return owned[i].use;
		if (isdigit((unsigned char)arg[n]) && strchr(arg, '='))
			return owned[i].use;
	}
	return NULL;
}

void kargs_free(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
