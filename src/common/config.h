/* config.h -- the umlmon configuration file, umlmon(5). */
#ifndef UMLMON_CONFIG_H
#define UMLMON_CONFIG_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define UMLMON_DEFAULT_CONFIG "/etc/umlmon"
#define UMLMON_DEFAULT_VARDIR "/var/lib/umlmon"
#define UMLMON_DEFAULT_RUNDIR "/run/umlmon"
#define UMLMON_DEFAULT_KERNEL "/shared/kernels/linux"
#define UMLMON_DEFAULT_MEMORY (128ULL << 20)
#define UMLMON_DEFAULT_STOP_TIMEOUT 30
#define UMLMON_DEFAULT_LOG_MAX (1ULL << 20)
#define UMLMON_DEFAULT_LOG_KEEP 2

#define VM_NAME_MAX 32
#define VM_MAX_DISKS 16  /* ubd0 .. ubd15, the kernel's limit */
#define VM_MAX_CON 16    /* con0 .. con15 */
#define VM_MAX_SSL 64    /* ssl0 .. ssl63 */
#define VM_MAX_CHANS (VM_MAX_CON + VM_MAX_SSL)

enum chan_mode {
	CHAN_NULL = 0, /* not connected */
	CHAN_PTY = 1,  /* a monitor-owned pty: logged, connectable */
	CHAN_LOG = 2,  /* a monitor-owned pty: logged, read-only for clients */
};

enum start_mode { START_MANUAL = 0, START_OFF, START_BOOT };

struct chan_conf {
	char name[8];          /* "con0", "ssl3" */
	enum chan_mode mode;
	int line;              /* 0: a default, not from the file */
};

struct disk_conf {
	int index;             /* N of ubdN */
	char flags[8];         /* kernel flags after ubdN: r, s, d, t */
	char *path;            /* inside the jail */
	char *backing;         /* COW backing file inside the jail, or NULL */
	int line;
};

struct vm_conf {
	char *name;
	int line;              /* of the [name] header */
	char *vmuser;
	uid_t uid;
	gid_t gid;
	char *kernel;          /* inside the jail */
	uint64_t memory;       /* bytes */
	struct disk_conf disks[VM_MAX_DISKS];
	int ndisks;            /* sorted by index */
	struct chan_conf chans[VM_MAX_CHANS];
	int nchans;            /* con first, then ssl; both by number */
	char *args;            /* extra kernel arguments, or NULL */
	int stop_timeout;      /* seconds */
	uint64_t log_max;      /* bytes per channel log; 0: no cap */
	int log_keep;          /* rotated logs kept per channel */
	enum start_mode start;
	int nerrors;           /* errors found in this section */
};

struct global_conf {
	char *vardir;
	char *shared;
	char *rundir;
	char *ctrl_group;      /* may use the control sockets, or NULL */
	gid_t ctrl_gid;
	int nerrors;
};

struct config {
	char *path;
	struct global_conf global;
	struct vm_conf *vms;
	int nvms;
	char **errors;         /* "file:line: key: cause" */
	char **error_sections; /* the section of each error ("" before any) */
	int nerrors;
};

/* Parses the file. Returns NULL only when it cannot be read (e says why);
 * syntax and value errors are collected in cfg->errors and counted per
 * section, so that one bad VM does not hide the others. */
struct config *config_load(const char *path, struct err *e);
void config_free(struct config *cfg);

/* The VM section, or NULL. */
struct vm_conf *config_vm(struct config *cfg, const char *name);
/* Checks that name could be a VM (section) name; e gets the cause. */
int config_valid_name(const char *name, struct err *e);

/* The channel of a VM by name, or NULL. */
const struct chan_conf *vm_chan(const struct vm_conf *vm, const char *name);

const char *chan_mode_name(enum chan_mode m);
const char *start_mode_name(enum start_mode m);

/* The config path from -c, $UMLMON_CONFIG, or the default. */
const char *config_default_path(const char *opt);

#endif
