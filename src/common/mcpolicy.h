/* mcpolicy.h -- what a client may ask of a VM's management console. One
 * rule for both sides of the control socket, so that umlwatch refuses
 * before it asks exactly what the monitor would refuse, in its words. */
#ifndef UMLMON_MCPOLICY_H
#define UMLMON_MCPOLICY_H

#include "common/util.h"

/* The mconsole commands passed through as they are (the others change the
 * VM's state and have commands of their own); NULL-terminated. */
extern const char *const mcpolicy_passthrough[];

/* cmd (its first word) may be passed through; else -1 with e. */
int mcpolicy_check_passthrough(const char *cmd, struct err *e);
/* key is one sysrq key (a letter or digit); else -1 with e. */
int mcpolicy_check_sysrq(const char *key, struct err *e);

#endif
