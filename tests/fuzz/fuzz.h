/* fuzz.h -- what every harness of tests/fuzz has: libFuzzer's entry
 * points (the fuzz build links libFuzzer's main; the others replay.c's,
 * which runs the corpus once) and small helpers. */
#ifndef UMLMON_FUZZ_H
#define UMLMON_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: once, before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A sealed memfd holding the bytes, at offset 0, for code that reads a
 * file (its name: /proc/self/fd/N); aborts if it cannot be made. */
int fuzz_memfd(const char *name, const uint8_t *data, size_t size);

/* A harness cannot go on (its setup failed): says why and aborts, so
 * that the run fails instead of fuzzing nothing. */
void fuzz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
