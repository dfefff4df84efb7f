/* mcpolicy.c -- what a client may ask of the mconsole (see mcpolicy.h). */
#include "common/mcpolicy.h"

#include <string.h>

const char *const mcpolicy_passthrough[] = {"version", "help", "proc", "stack",
					    "config", "remove", "log", NULL};

int mcpolicy_check_passthrough(const char *cmd, struct err *e)
{
	size_t n = strcspn(cmd, " ");

	for (const char *const *a = mcpolicy_passthrough; *a; a++)
		if (strlen(*a) == n && !strncmp(cmd, *a, n))
			return 0;
	err_code(e, ERR_PERM, "mconsole '%.*s': not passed through (allowed: version, help, "
		"proc, stack, config, remove, log; use the start, stop, halt, "
		"pause, resume, ctrlaltdel and sysrq commands for the others)",
		(int)n, cmd);
	return -1;
}

int mcpolicy_check_sysrq(const char *key, struct err *e)
{
	if (strlen(key) == 1 && ((key[0] >= 'a' && key[0] <= 'z') ||
				 (key[0] >= '0' && key[0] <= '9')))
		return 0;
	err_code(e, ERR_INVAL, "sysrq '%s': expected one letter or digit (see "
		 "'sysrq h' in the guest's console log)", key);
	return -1;
}
