/* testutil.h -- small helpers shared by the C tests. */
#ifndef UMLMON_TESTUTIL_H
#define UMLMON_TESTUTIL_H

/* Runs a shell command built like printf, its output thrown away; its
 * exit status (-1 if it did not exit). */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Splits text at blanks into words, in storage that the next call
 * reuses; returns their number. */
int test_words(const char *text, char ***argv);

#endif
