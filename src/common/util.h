/* util.h -- small helpers shared by every umlmon program. */
#ifndef UMLMON_UTIL_H
#define UMLMON_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What kind of failure an error is, for callers that act on it (the RPC
 * status of umlmonctrl.x has the same numbers: ctrl.c checks that). */
enum err_code {
	ERR_OK = 0,
	ERR_INVAL = 1,    /* a bad argument */
	ERR_STATE = 2,    /* not possible in the VM's current state */
	ERR_NOENT = 3,    /* no such object */
	ERR_IO = 4,       /* the host refused an operation (the default) */
	ERR_TIMEDOUT = 5, /* no answer in time */
	ERR_PERM = 6,     /* not allowed */
	ERR_CLOSED = 7,   /* the other side went away */
	ERR_BUSY = 8,     /* in use, or already in progress */
	ERR_KERNEL = 9,   /* the UML kernel answered with an error */
	ERR_UNSAFE = 10,  /* a file the jail depends on is not root's alone */
	ERR_NOMEM = 11,   /* the host has not enough memory left (admission) */
	ERR_SHARED = 12,  /* the VM's user is another's (vmuser_shared) */
};

/* An error for the caller to print and act on; functions that can fail
 * take one and fill it when they return -1. The message names the object
 * and the cause; decisions are made on the code, never on the text. */
struct err {
	enum err_code code;
	int sys;          /* errno, if a system call failed; else 0 */
	char msg[1024];
};

/* Sets the message (code ERR_IO unless the code is given). */
void err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_code(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* err_set() with ": strerror(errno)" appended; the code follows errno
 * (ENOENT: ERR_NOENT, EACCES/EPERM: ERR_PERM, EBUSY: ERR_BUSY, ...). */
void err_sys(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Puts "prefix: " before the message; the code stays. */
void err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation that aborts on exhaustion: a monitor that cannot allocate a
 * few bytes cannot do anything useful. */
/* Out of memory: a message on stderr, then abort (the x* allocators' end). */
_Noreturn void oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growing string. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void sb_init(struct strbuf *sb);
void sb_append(struct strbuf *sb, const void *data, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns the string and leaves sb empty. */
char *sb_steal(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* "128M", "1.5G", "4096", "512k": bytes (units are powers of 1024; "Ki",
 * "KiB" and "KB" mean K). Returns -1 on a malformed value, an overflow or
 * a fraction that is not a whole number of bytes. */
int parse_size(const char *s, uint64_t *out);
/* The same; cause gets the reason as a predicate ("is not a whole number
 * of bytes") for a message "'VALUE' CAUSE". */
int parse_size_cause(const char *s, uint64_t *out, const char **cause);
/* A decimal integer in [min, max]. */
int parse_long(const char *s, long min, long max, long *out);
/* Formats bytes as "128M"-style text into buf. */
const char *fmt_size(uint64_t bytes, char *buf, size_t len);
/* Formats Unix time t as "2026-12-03 15:40:00 UTC" into buf. */
const char *fmt_utc(int64_t t, char *buf, size_t len);

int fd_cloexec(int fd);
int fd_nonblock(int fd);
/* write() until done, retrying EINTR. -1 on error. */
ssize_t write_all(int fd, const void *buf, size_t n);
/* mkdir -p with the mode for each created component. */
int mkdir_p(const char *path, mode_t mode);
/* Reads a whole (small) file; NUL terminated. */
char *read_file(const char *path, size_t max, size_t *len_out);

/* Edits from a to b (insert, delete, change, or swap two neighbours;
 * letters compared without case), for "did you mean" suggestions;
 * SIZE_MAX for words over 32 letters. */
size_t edit_distance(const char *a, const char *b);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t now_ms(void);

#endif
