/* testutil.h -- small helpers shared by the C tests. */
#ifndef UMLMON_TESTUTIL_H
#define UMLMON_TESTUTIL_H

/* Runs a shell command built like printf, its output thrown away; its
 * exit status (-1 if it did not exit). */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
