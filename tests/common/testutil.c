/* testutil.c -- small helpers shared by the C tests. */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int test_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	strcat(cmd, " >/dev/null 2>&1");
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int test_words(const char *text, char ***argv)
{
	static char buf[512];
	static char *words[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
		words[argc++] = t;
	words[argc] = NULL;
	*argv = words;
	return argc;
}
