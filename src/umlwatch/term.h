/* term.h -- what umlwatch must know of its terminal: which input bytes are
 * the terminal's replies to a question a program asked it (a cursor
 * position report after ESC [ 6 n, device attributes, colours) rather than
 * keys, and whether the output so far left the cursor at the start of a
 * line. */
#ifndef UMLMON_TERM_H
#define UMLMON_TERM_H

#include <stddef.h>
#include <sys/types.h>

#include "common/util.h"

enum term_seq {
	TERM_KEYS,     /* keys: pass the first *len bytes on */
	TERM_REPLY,    /* a terminal's reply of *len bytes: drop it */
	TERM_PARTIAL,  /* too short to tell: wait for more bytes */
};

/* Classifies the input s[0..n) that starts with ESC. */
enum term_seq term_classify(const unsigned char *s, size_t n, size_t *len);

/* Between prompts the terminal on fd does not echo: what it sends by
 * itself then (an answer to a question in output just printed) would
 * show as "^[[24;1R"; keys typed ahead show when the line editor reads
 * them. The terminal's mode is restored at exit and on the signals that
 * end the program. 0, or -1 if fd is no terminal. */
int term_quiet_start(int fd);
/* Echo off again (after the line editor restored the mode it found). */
void term_quiet(void);
/* The terminal's mode as term_quiet_start found it. */
void term_restore(void);

/* Writes output for the terminal (write_all) and remembers how it ended. */
ssize_t term_write(int fd, const void *buf, size_t n);
/* Remembers how output written otherwise ended. */
void term_note_output(const void *buf, size_t n);
/* Did the output so far end with a newline (or is there none)? */
int term_at_line_start(void);

/* A secret from the controlling terminal (/dev/tty), without echo: the
 * line without its newline, or NULL with e (no terminal, end of input). */
char *term_read_secret(const char *prompt, struct err *e);

#endif
