/* diskargs.h -- the disk operations as a user names them: "OP PATH [ARG]"
 * as umlwatch -disk and umladmin disk take it, the operations' names and
 * usage. Shared by the clients (which check a run before it starts) and
 * the places that run the operations (disk engine, monitor). */
#ifndef UMLMON_DISKARGS_H
#define UMLMON_DISKARGS_H

#include <stdint.h>

#include "umlmonctrl.h"
#include "common/util.h"

struct diskjob_args {
	um_disk_op op;
	const char *path;
	const char *other;
	uint64_t size;
};

/* Parses "OP PATH [ARG]" (argv[0] is OP). The strings point into argv. */
int diskjob_parse(int argc, char **argv, struct diskjob_args *a, struct err *e);
/* The usage line of the operations. */
extern const char diskjob_usage[];
/* The operations' names, NULL-terminated (for completion). */
extern const char *const diskjob_ops[];
/* "copy"; "?" for an unknown operation */
const char *diskjob_op_name(um_disk_op op);

#endif
