/* admission.c -- a VM is started only if its memory fits (admission.h). */
#include "host/admission.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/log.h"

/* The tmpfs source name jail_mount() gives; only these count. */
#define TMPFS_SOURCE "umlmon-tmp"

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* Is mp VARDIR/NAME/jail/tmp, NAME one component? */
static int is_jail_tmp(const char *mp, const char *vardir)
{
	size_t vl = strlen(vardir);
	const char *name, *slash;

	while (vl > 1 && vardir[vl - 1] == '/')
		vl--;
	if (strncmp(mp, vardir, vl) || mp[vl] != '/')
		return 0;
	name = mp + vl + 1;
	slash = strchr(name, '/');
	return slash && slash > name && !strcmp(slash, "/jail/tmp");
}

char **admission_tmpfs_mounts(const char *mountinfo, const char *vardir,
			      const char *self_tmp)
{
	char *text = xstrdup(mountinfo), *line, *save = NULL, **v;
	int n = 0;

	v = xcalloc(1, sizeof(*v));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint opts [optional...] - type source super */
		char mp[4096], type[64], source[256];
		const char *f = line, *dash;

		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		dash = strstr(line, " - ");
		if (!f || !dash || sscanf(f, "%4095s", mp) != 1 ||
		    sscanf(dash + 3, "%63s %255s", type, source) != 2)
			continue;
		unescape(mp);
		unescape(source);
		if (strcmp(type, "tmpfs") || strcmp(source, TMPFS_SOURCE) ||
		    !is_jail_tmp(mp, vardir) || (self_tmp && !strcmp(mp, self_tmp)))
			continue;
		v = xrealloc(v, sizeof(*v) * (size_t)(n + 2));
		v[n++] = xstrdup(mp);
		v[n] = NULL;
	}
	free(text);
	return v;
}

/* A line of /proc/meminfo ("MemTotal"), bytes; 0 if unknown. */
static uint64_t meminfo(const char *key)
{
	char *info = read_file("/proc/meminfo", 1 << 16, NULL), *p;
	unsigned long long kb = 0;
	size_t kl = strlen(key);

	for (p = info; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			sscanf(p + kl + 1, "%llu", &kb);
			break;
		}
	free(info);
	return (uint64_t)kb << 10;
}

/* What the other VMs hold: the sizes of their tmpfs; -1 if the mounts
 * cannot be read. */
static int held_by_others(const char *vardir, const char *self_tmp,
			  uint64_t *sum, int *count)
{
	char *info = read_file("/proc/self/mountinfo", 16u << 20, NULL);
	/* mountinfo has the paths without symlinks; both exist */
	char *real = realpath(vardir, NULL), **v = NULL;
	char *self = self_tmp ? realpath(self_tmp, NULL) : NULL;

	*sum = 0;
	*count = 0;
	if (info)
		v = admission_tmpfs_mounts(info, real ? real : vardir,
					   self ? self : self_tmp);
	free(info);
	free(real);
	free(self);
	if (!v)
		return -1;
	for (int i = 0; v[i]; i++) {
		struct statfs sf;

		/* one unmounted meanwhile no longer holds anything */
		if (statfs(v[i], &sf) == 0) {
			*sum += (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
			(*count)++;
		}
		free(v[i]);
	}
	free(v);
	return 0;
}

/* Sizes in the message: MiB, rounded down (what is left) or exact. */
static const char *mib(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
	return buf;
}

int admission_enter(const char *vardir, const char *vm, const char *self_tmp,
		    uint64_t memory, uint64_t margin, uint64_t reserve,
		    struct err *e)
{
	char *path = xasprintf("%s/admission", vardir);
	char a[32], b[32], c[32], d[32], f[32], g[32], h[32];
	uint64_t total, held, left, avail, need = memory + margin;
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* held only across the check and the mount: milliseconds */
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		err_sys(e, "%s: admission lock", path);
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	free(path);
	total = meminfo("MemTotal");
	if (!total) {
		err_code(e, ERR_IO, "/proc/meminfo has no MemTotal; the memory the "
			 "VM needs cannot be checked");
		close(fd);
		return -1;
	}
	if (held_by_others(vardir, self_tmp, &held, &n) < 0) {
		err_sys(e, "/proc/self/mountinfo: the memory the running VMs hold "
			"cannot be read");
		close(fd);
		return -1;
	}
	left = total > held + reserve ? total - held - reserve : 0;
	if (need > left) {
		err_code(e, ERR_NOMEM, "not enough memory left on the host: "
			 "the VM needs %s (memory %s + %s for its tmp), %s is left "
			 "(MemTotal %s - %s held by %d running VM%s - host_reserve %s)",
			 mib(need, a, sizeof(a)), mib(memory, b, sizeof(b)),
			 mib(margin, c, sizeof(c)), mib(left, d, sizeof(d)),
			 mib(total, f, sizeof(f)), mib(held, g, sizeof(g)), n,
			 n == 1 ? "" : "s", mib(reserve, h, sizeof(h)));
		close(fd);
		return -1;
	}
	/* not a refusal: MemAvailable is a moment's estimate that the page
	 * cache and every other process move, and the running VMs' touched
	 * memory is in it already, counted above once more */
	avail = meminfo("MemAvailable");
	if (avail && avail < need)
		log_warn("%s: MemAvailable is %s, below the %s the VM may use; "
			 "it starts, the host may swap or reclaim", vm,
			 mib(avail, a, sizeof(a)), mib(need, b, sizeof(b)));
	return fd;
}

void admission_leave(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd); /* the lock goes with it */
}
