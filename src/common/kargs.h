/* kargs.h -- the operator's extra kernel arguments (the 'args' key). */
#ifndef UMLMON_KARGS_H
#define UMLMON_KARGS_H

#include "common/util.h"

/* Splits on blanks; "double quotes" group. -1 on an unbalanced quote. */
int kargs_split(const char *s, char ***argv, int *argc, struct err *e);
void kargs_free(char **argv, int argc);

/* NULL if arg may be given, else why not: the monitor owns mem=, ubdN=,
 * umid=, uml_dir=, mconsole=, con=, conN=, ssl=, sslN=. */
const char *kargs_reserved(const char *arg);

#endif
