/* image_int.h -- what the image builders (image.c: busybox and the ext4
 * write; debimage.c: Debian) share. Not for other callers. */
#ifndef UMLMON_IMAGE_INT_H
#define UMLMON_IMAGE_INT_H

#include <sys/stat.h>

#include "host/image.h"

/* Shell lines of both images' boot: the VM's name (umlmon.name=) into
 * $host and the interfaces' addresses (umlmon.net=IF,ADDR[,PEER]) from
 * the kernel command line that the monitor builds. */
#define IMAGE_SH_CMDLINE \
	"read -r cmdline </proc/cmdline\n" \
	"for a in $cmdline; do\n" \
	"\tcase \"$a\" in\n" \
	"\tumlmon.name=?*) host=\"${a#umlmon.name=}\";;\n" \
	"\tumlmon.net=*)\n" \
	"\t\tset -- $(echo \"${a#umlmon.net=}\" | tr , ' ')\n" \
	"\t\tip link set \"$1\" up\n" \
	"\t\tif [ -n \"$3\" ]; then\n" \
	"\t\t\tip addr add \"$2\" peer \"$3\" dev \"$1\"\n" \
	"\t\t\tip route add default via \"$3\" dev \"$1\"\n" \
	"\t\telse\n" \
	"\t\t\tip addr add \"$2\" dev \"$1\"\n" \
	"\t\tfi;;\n" \
	"\tesac\n" \
	"done\n"

/* Writes text as ROOT/REL with mode (replacing a file there). */
int image_put_file(const char *root, const char *rel, const char *text,
		   mode_t mode, struct err *e);
/* The SHA-512 crypt(3) hash of a password, random salt: a new string. */
char *image_hash_password(const char *password, struct err *e);
/* A step of the build on stderr when o->progress. */
void image_progress(const struct image_opts *o, const char *step);
/* 1 with e if the caller's handler saw Ctrl-C or SIGTERM (the build
 * then stops and leaves nothing); else 0. */
int image_interrupted(const struct image_opts *o, struct err *e);
/* Stages the Debian tree in dir (debimage.c). */
int image_stage_debian(const struct image_opts *o, const char *dir,
		       struct err *e);

#endif
