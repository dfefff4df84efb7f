/* config.h -- the umlmon configuration file, umlmon(5). */
#ifndef UMLMON_CONFIG_H
#define UMLMON_CONFIG_H

#include <stdint.h>
#include <sys/types.h>

#include "common/nameidx.h"
#include "common/util.h"

#define UMLMON_DEFAULT_CONFIG "/etc/umlmon"
#define UMLMON_DEFAULT_VARDIR "/var/lib/umlmon"
#define UMLMON_DEFAULT_RUNDIR "/run/umlmon"
#define UMLMON_DEFAULT_KERNEL "/shared/kernels/linux"
#define UMLMON_DEFAULT_MEMORY (128ULL << 20)
/* The least memory a VM may have (umlmon(5) memory), measured
 * (docs/PERFORMANCE.md, "The minimum memory"). With the host's address
 * randomization the kernel added a random gap of up to 1 GiB to its
 * memory and failed at random below 48M; the jail now runs it without
 * (ADDR_NO_RANDOMIZE): 24M always logged in, 20M never; 32M leaves a
 * margin. */
#define UMLMON_MIN_MEMORY (32ULL << 20)
#define UMLMON_MAX_MEMORY (64ULL << 30)
/* what admission leaves to the host (umlmon(5) host_reserve) */
#define UMLMON_DEFAULT_HOST_RESERVE (512ULL << 20)
/* umladmin start boots this many VMs at a time (PERFORMANCE "Many VMs") */
#define UMLMON_DEFAULT_START_CONCURRENCY 4
#define UMLMON_DEFAULT_STOP_TIMEOUT 30
#define UMLMON_DEFAULT_LOG_MAX (1ULL << 20)
#define UMLMON_DEFAULT_LOG_KEEP 2

#define VM_NAME_MAX 32
#define VM_MAX_DISKS 16  /* ubd0 .. ubd15, the kernel's limit */
#define VM_MAX_CON 16    /* con0 .. con15 */
#define VM_MAX_SSL 64    /* ssl0 .. ssl63 */
#define VM_MAX_CHANS (VM_MAX_CON + VM_MAX_SSL)
#define VM_MAX_NICS 8    /* eth0 .. eth7 */
#define IFNAME_MAX 16    /* IFNAMSIZ */
/* Remote control (umlmon(5), REMOTE CONTROL): the directory daemon's
 * ports when /etc/services has no "umldir" / "umlredir", and the limits of
 * a monitor's TCP listener. */
#define UMLMON_DEFAULT_UMLDIR_PORT 7301
#define UMLMON_DEFAULT_UMLREDIR_PORT 7302
/* The web console (umlweb(8)): loopback unless told otherwise. */
#define UMLMON_DEFAULT_WEB_BIND "127.0.0.1"
#define UMLMON_DEFAULT_WEB_PORT 7380
#define UMLMON_DEFAULT_WEB_USER "umlweb"
#define UMLMON_DEFAULT_MAX_CLIENTS 64
#define UMLMON_DEFAULT_MAX_CLIENTS_PER_PEER 16
#define UMLMON_DEFAULT_MAX_UNAUTH 16
#define UMLMON_DEFAULT_AUTH_TIMEOUT 10       /* seconds */
#define UMLMON_DEFAULT_KDF_ITERATIONS 100000 /* PBKDF2-HMAC-SHA256 */
#define UMLMON_PASSWORD_MIN 8
/* The kernel process's rlimits (umlmon(5) limit_*; umlmon(8) has the
 * measured needs: 22 descriptors and 9 processes at an idle boot, no
 * locked memory). */
#define UMLMON_DEFAULT_LIMIT_NOFILE 1024
#define UMLMON_DEFAULT_LIMIT_NPROC 1024
#define UMLMON_DEFAULT_LIMIT_CORE 0
#define UMLMON_DEFAULT_LIMIT_MEMLOCK (64ULL << 10)
/* "unlimited" (RLIM_INFINITY) */
#define UMLMON_LIMIT_INFINITY UINT64_MAX
/* The default range of the VMs' own uids (vmuser = auto), 0x70000-0x7ffff:
 * above 16 bits and below 2^21 (ustar's and cpio's limits, far from 2^31),
 * in what systemd leaves unused (umlmon(5) vm_uid_range says why). */
#define UMLMON_DEFAULT_UID_FIRST 458752
#define UMLMON_DEFAULT_UID_LAST 524287
/* A VM's cgroup (umlmon(5) cgroup_parent, memory_allowance, cpu_weight,
 * cpu_quota, pids_max, io_weight; umlmon(8) has the measured needs). */
#define UMLMON_DEFAULT_CGROUP_PARENT "umlmon"
#define UMLMON_DEFAULT_MEMORY_ALLOWANCE (64ULL << 20)
#define UMLMON_DEFAULT_CPU_WEIGHT 100
#define UMLMON_DEFAULT_CPU_QUOTA 0 /* percent of one CPU; 0: none */
#define UMLMON_DEFAULT_PIDS_MAX 1024
#define UMLMON_DEFAULT_IO_WEIGHT 100
/* The default MAC pool: locally administered, "UML" in the middle. */
#define UMLMON_DEFAULT_MAC_POOL "02:55:4d:4c:00:00-02:55:4d:4c:ff:ff"

enum chan_mode {
	CHAN_NULL = 0, /* not connected */
	CHAN_PTY = 1,  /* a monitor-owned pty: logged, connectable */
	CHAN_LOG = 2,  /* a monitor-owned pty: logged, read-only for clients */
};

enum start_mode { START_MANUAL = 0, START_OFF, START_BOOT };

/* What the monitor does with a kernel that panicked. */
enum panic_action { PANIC_END = 0, PANIC_KEEP };

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

enum nic_kind {
	NIC_HOST_TO_HOST, /* a tap with a point-to-point address (proxy ARP) */
	NIC_BRIDGED,      /* a tap on an existing host bridge */
	NIC_SWITCHED,     /* a virtual switch (uml_switch), no host link */
};

enum net_driver {
	NET_VECTOR = 0,   /* vecN:transport=tap: the fast path */
	NET_TUNTAP = 1,   /* ethN=tuntap: the legacy driver */
};

struct nic_conf {
	int index;                  /* N of ethN */
	enum nic_kind kind;
	char proxy_if[IFNAME_MAX];  /* the tap on the host */
	char proxy_addr[16];        /* host_to_host: the tap's address */
	char guest_addr[20];        /* host_to_host: a.b.c.d; else a.b.c.d/n or "" */
	char host_if[IFNAME_MAX];   /* host_to_host: proxy ARP there, or "" */
	char bridge_if[IFNAME_MAX]; /* bridged */
	char sw[VM_NAME_MAX + 1];   /* switched: the switch's name */
	char mac[18];               /* given in the file, or "" (from the pool) */
	int line;
};

/* How a monitor serves its RPC on TCP: given in [GLOBAL] for every VM, or
 * in a VM's section for that VM (a key given there wins). */
struct remote_conf {
	int tcp;                 /* serve the RPC on TCP too (anonymous port) */
	char *tcp_bind;          /* the address to bind; NULL: all addresses */
	char *tls_cert;          /* PEM certificate and key: TLS; NULL: none */
	char *tls_key;
	int max_clients;         /* TCP connections at once */
	int max_clients_per_peer;/* of those, from one address */
	int max_unauth;          /* of those, not yet authenticated */
	int auth_timeout;        /* seconds a connection has to authenticate */
	int kdf_iterations;      /* of the key derived from a password */
	unsigned given;          /* REMOTE_* bits of the keys given here */
};

/* The rlimits of a VM's kernel process, soft and hard alike: given in
 * [GLOBAL] for every VM, or in a VM's section (a key given there wins). */
enum vm_limit { LIMIT_NOFILE, LIMIT_NPROC, LIMIT_CORE, LIMIT_MEMLOCK, LIMIT_COUNT };

struct limits_conf {
	uint64_t v[LIMIT_COUNT]; /* UMLMON_LIMIT_INFINITY: unlimited */
	unsigned given;          /* 1 << enum vm_limit of the keys given here */
};

/* The limits of a VM's cgroup, kept like limits_conf. */
enum vm_cglimit { CG_MEM_ALLOWANCE, CG_CPU_WEIGHT, CG_CPU_QUOTA, CG_PIDS_MAX,
		  CG_IO_WEIGHT, CG_COUNT };

struct cgroup_conf {
	uint64_t v[CG_COUNT];    /* bytes, a weight, percent (0: none), a count */
	unsigned given;          /* 1 << enum vm_cglimit of the keys given here */
};

struct vm_conf {
	char *name;
	int line;              /* of the [name] header */
	char *vmuser;          /* a user's name, or "auto" */
	int uid_auto;          /* vmuser = auto: a uid of vm_uid_range */
	uid_t uid;             /* auto: (uid_t)-1 until uidalloc_resolve() */
	gid_t gid;             /* auto: the uid */
	int vmuser_shared;     /* vmuser_shared (or [GLOBAL]'s) */
	char *kernel;          /* inside the jail */
	uint64_t memory;       /* bytes */
	struct disk_conf disks[VM_MAX_DISKS];
	int ndisks;            /* sorted by index */
	struct chan_conf chans[VM_MAX_CHANS];
	int nchans;            /* con first, then ssl; both by number */
	struct nic_conf nics[VM_MAX_NICS];
	int nnics;             /* by index */
	enum net_driver netdriver;
	char *args;            /* extra kernel arguments, or NULL */
	int stop_timeout;      /* seconds */
	uint64_t log_max;      /* bytes per channel log; 0: no cap */
	int log_keep;          /* rotated logs kept per channel */
	enum start_mode start;
	enum panic_action on_panic;
	char *password;        /* of this VM's TCP clients, or NULL */
	char *password_file;   /* or in this file (its first line) */
	struct remote_conf remote; /* with [GLOBAL]'s defaults filled in */
	struct limits_conf limits; /* likewise */
	int seccomp;           /* the kernel's seccomp filter: 1 yes, 0 no */
	int fastboot;          /* the boot cuts of cmdline.c: 1 yes, 0 no */
	struct cgroup_conf cgroup; /* likewise */
	int nerrors;           /* errors found in this section */
	char *keys;            /* " key key " given in the section (umladmin config) */
};

struct global_conf {
	char *vardir;
	char *shared;
	char *rundir;
	char *ctrl_group;      /* may use the control sockets, or NULL */
	gid_t ctrl_gid;
	uint64_t mac_lo, mac_hi; /* the MAC pool, as 48-bit numbers */
	char *master_password; /* valid for every VM, or NULL */
	char *master_password_file;
	struct remote_conf remote; /* the defaults of every VM */
	struct limits_conf limits; /* likewise */
	int seccomp;           /* likewise (default yes) */
	int fastboot;          /* likewise (default yes) */
	uint64_t host_reserve; /* bytes of RAM that no VM is admitted to */
	int start_concurrency; /* umladmin start: VMs booting at once; 0: all */
	struct cgroup_conf cgroup; /* likewise */
	char *cgroup_parent;   /* the VMs' cgroups go in it (no '/') */
	int umldir_port;       /* "umldir" in /etc/services, else the default */
	int umlredir_port;     /* "umlredir" likewise */
	char *umldir_bind;     /* the address umldir binds; NULL: all */
	char *umldir_user;     /* umldir runs as this user once bound */
	char *web_bind;        /* umlweb(8) listens there (default 127.0.0.1) */
	int web_port;          /* "umlweb" in /etc/services, else the default */
	char *web_user;        /* umlweb runs as this user once bound */
	char *web_remote;      /* other hosts' umldir, "HOST[:PORT] ...", or NULL */
	char *web_tls_cert;    /* PEM certificate and key: HTTPS; NULL: HTTP */
	char *web_tls_key;
	uid_t uid_first, uid_last; /* vm_uid_range */
	int vmuser_shared;     /* the default of every VM */
	int nerrors;
	char *keys;            /* " key key " given in [GLOBAL] */
};

struct config {
	char *path;
	struct global_conf global;
	struct vm_conf *vms;
	int nvms;
	char **errors;         /* "file:line: key: cause" */
	char **error_sections; /* the section of each error ("" before any) */
	int nerrors;
	struct nameidx byname; /* vms[0 .. byname.n - 1] by name (config_vm) */
};

/* Parses the file. Returns NULL only when it cannot be read (e says why);
 * syntax and value errors are collected in cfg->errors and counted per
 * section, so that one bad VM does not hide the others. */
struct config *config_load(const char *path, struct err *e);
void config_free(struct config *cfg);

/* The VM section, or NULL. */
struct vm_conf *config_vm(struct config *cfg, const char *name);
/* key = val applied to vm as a line of its section would be (the same
 * parsers and checks: a disk's place, kind and flags, an interface's
 * form and its tap and MAC against cfg's other VMs, a channel's mode),
 * for a device plugged into a running VM. -1 with e (ERR_INVAL) naming
 * the key and the cause; vm is then unchanged. */
int config_vm_set(const struct config *cfg, struct vm_conf *vm, const char *key,
		  const char *val, struct err *e);
/* A disk (ubdN) or an interface (ethN) taken out of vm. -1 with e (may
 * be NULL): ERR_NOENT if vm has none, ERR_INVAL for another key. */
int config_vm_unset(struct vm_conf *vm, const char *key, struct err *e);

/* Checks that name could be a VM (section) name; e gets the cause. */
int config_valid_name(const char *name, struct err *e);

/* Whether key ("memory", "ubd0r") was given in a section whose keys
 * (vm_conf.keys, global_conf.keys) are these. */
int config_given(const char *keys, const char *key);

/* Prints the errors of [GLOBAL] (and before any section) on stderr,
 * "PROG: file:line: ...", and counts them: a daemon that serves every VM
 * refuses to run with any; a VM's errors are its monitor's business. */
int config_global_errors(const struct config *cfg, const char *prog);

/* The config path from -c, $UMLMON_CONFIG, or the default. */
const char *config_default_path(const char *opt);

#endif
