/* cmdline.h -- the UML kernel's command line, computed from a VM's config:
 * mem=, ubdN=, umid=, umlmon.name=, uml_dir=, mconsole=notify:, con/ssl
 * channels on the fds the monitor passes, then the operator's extra
 * arguments. */
#ifndef UMLMON_CMDLINE_H
#define UMLMON_CMDLINE_H

#include "common/config.h"
#include "common/paths.h"
#include "common/util.h"

/* Where the kernel finds things inside its jail. */
/* The control socket of switch NAME, inside the jail (SHARED/switches on
 * the host). */
#define JAIL_SWITCH_CTL "/shared/switches/%s/ctl"

/* The first fd for channels other than con0 (0, 1 and 2 are con0). */
#define CMDLINE_FIRST_CHAN_FD 3

struct cmdline_fd {
	int chan;   /* index in vm->chans */
	int fd;     /* the fd number the kernel gets it on */
};

struct cmdline {
	char **argv;          /* NULL terminated */
	int argc;
	struct cmdline_fd fds[VM_MAX_CHANS];
	int nfds;
	int con0_chan;        /* index of con0 in vm->chans, or -1 if null */
	char *text;           /* argv joined by spaces, for info and logs */
};

/* Builds the command line. Channels in mode null get "null"; the others get
 * fd:N,fd:N with N assigned here. Interface k gets macs[k] (NULL: no
 * address, for a preview) and, if it has a guest address, a
 * "umlmon.net=IF,ADDR[,PEER]" that the default image's init applies. -1
 * with e if the extra args are bad. */
int cmdline_build(const struct vm_conf *vm, char (*macs)[18], struct cmdline *out,
		  struct err *e);
/* The name of interface k inside the guest: vecN or ethN. */
void cmdline_guest_if(const struct vm_conf *vm, int k, char *buf, size_t len);
void cmdline_free(struct cmdline *c);
/* The kernel's switch of disk d ("ubd1=/disks/a.dsk") and of interface
 * k ("vec1:transport=tap,..."): on the command line, and after mconsole's
 * "config " to plug it into a running kernel. Malloc'd. */
char *cmdline_disk_arg(const struct disk_conf *d);
char *cmdline_nic_arg(const struct vm_conf *vm, int k, const char *mac);

#endif
