/* diskargs.c -- the disk operations as a user names them (see
 * diskargs.h). */
#include "common/diskargs.h"

#include <string.h>

const char *const diskjob_ops[] = {"info", "check", "create", "delete", "copy",
				   "resize", "merge", NULL};

/* in the order of diskjob_ops */
static const struct {
	um_disk_op op;
	int min, max;          /* arguments after OP */
	const char *usage;
} ops[] = {
	{UM_DISK_INFO, 1, 1, "info PATH"},
	{UM_DISK_CHECK, 1, 1, "check PATH"},
	{UM_DISK_CREATE, 2, 2, "create PATH.dsk SIZE | create PATH.cow BACKING"},
	{UM_DISK_DELETE, 1, 1, "delete PATH"},
	{UM_DISK_COPY, 2, 2, "copy PATH NEWPATH"},
	{UM_DISK_RESIZE, 2, 2, "resize PATH.dsk SIZE"},
	{UM_DISK_MERGE, 1, 2, "merge PATH.cow [NEWPATH.dsk]"},
};

_Static_assert(ARRAY_SIZE(ops) + 1 == ARRAY_SIZE(diskjob_ops),
	       "a disk operation without its name, or a name without its operation");

const char diskjob_usage[] =
	"info|check|delete PATH, create PATH.dsk SIZE, create PATH.cow BACKING, "
	"copy PATH NEWPATH, resize PATH.dsk SIZE, merge PATH.cow [NEWPATH.dsk]";

const char *diskjob_op_name(um_disk_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return diskjob_ops[i];
	return "?";
}

int diskjob_parse(int argc, char **argv, struct diskjob_args *a, struct err *e)
{
	int which = -1;
	size_t n;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; argc > 0 && i < ARRAY_SIZE(ops); i++)
		if (!strcmp(argv[0], diskjob_ops[i]))
			which = (int)i;
	if (which < 0) {
		err_code(e, ERR_INVAL, "disk: %s%s%s: expected %s",
			 argc > 0 ? "unknown operation '" : "",
			 argc > 0 ? argv[0] : "no operation", argc > 0 ? "'" : "",
			 diskjob_usage);
		return -1;
	}
	if (argc - 1 < ops[which].min || argc - 1 > ops[which].max) {
		err_code(e, ERR_INVAL, "disk: usage: %s", ops[which].usage);
		return -1;
	}
	a->op = ops[which].op;
	a->path = argv[1];
	a->other = argc > 2 ? argv[2] : "";
	n = strlen(a->path);
	if (a->op == UM_DISK_RESIZE ||
	    (a->op == UM_DISK_CREATE && !(n > 4 && !strcmp(a->path + n - 4, ".cow")))) {
		if (parse_size(argv[2], &a->size) < 0 || !a->size) {
			err_code(e, ERR_INVAL, "disk %s: size '%s': expected bytes, or a "
				 "number with k, M, G or T", argv[0], argv[2]);
			return -1;
		}
		a->other = "";
	}
	return 0;
}
