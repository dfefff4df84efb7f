/* elfdeps.h -- which host files a dynamically linked kernel needs in its
 * jail: the ELF program interpreter (PT_INTERP) and the DT_NEEDED
 * libraries, resolved the way ld.so resolves them on Debian. */
#ifndef UMLMON_ELFDEPS_H
#define UMLMON_ELFDEPS_H

#include "common/util.h"

struct elf_dep {
	char *jail_path;  /* where the file must appear inside the jail */
	char *host_path;  /* the real file on the host (symlinks resolved) */
};

struct elf_deps {
	struct elf_dep *v;
	int n;
	int is_static;    /* no PT_INTERP: nothing to install */
};

/* Reads the ELF file (64-bit little-endian x86_64 and 32-bit are enough)
 * at host path 'exe'. The interpreter keeps the path named in PT_INTERP
 * (e.g. /lib64/ld-linux-x86-64.so.2); each DT_NEEDED name is looked up in
 * the directories of 'search' (NULL: the Debian multiarch defaults
 * /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64,
 * /lib, /usr/lib) and keeps the directory it was found in.  Libraries
 * needed by those libraries are followed too (once each).
 * Returns -1 with e naming the file and the cause. */
int elf_deps(const char *exe, const char *const *search, struct elf_deps *out,
	     struct err *e);
void elf_deps_free(struct elf_deps *d);

/* Copies each dependency into jail (host path of the jail root) at its
 * jail_path, mode 0555, owned by root; skips files whose copy already has
 * the same size and mtime; each copy is a new file renamed over the old
 * one (tmpfile.h). The directories on the way are made and opened from
 * the jail's root down, none through a symlink. */
int elf_deps_install(const struct elf_deps *d, const char *jail, struct err *e);

#endif
