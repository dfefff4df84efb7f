/* log.h -- messages of the umlmon programs. */
#ifndef UMLMON_LOG_H
#define UMLMON_LOG_H

#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* prog prefixes every line. Messages go to stderr until log_to_file(). */
void log_init(const char *prog, enum log_level max);
/* Sends further messages to the file (appended, time-stamped); with
 * keep_stderr they also still go to stderr. At max bytes (0: no cap) the
 * file is rotated as the console logs are: path -> path.1 ... up to
 * path.keep (keep 0: it starts anew). */
int log_to_file(const char *path, int keep_stderr, uint64_t max, int keep);
/* The errno of the file's outage in progress (a full disk), 0 if none:
 * messages are lost until a write succeeds (see log.c). */
int log_file_error(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Prints "prog: message" to stderr and exits with status. */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
