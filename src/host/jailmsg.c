/* jailmsg.c -- the message from the monitor to the jail helper (see
 * jailmsg.h). */
#include "host/jailmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	sb_append(sb, b, sizeof(b));
}

static void put_u64(struct strbuf *sb, uint64_t v)
{
	put_u32(sb, (uint32_t)v);
	put_u32(sb, (uint32_t)(v >> 32));
}

static void put_str(struct strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u32(sb, (uint32_t)n);
	sb_append(sb, s ? s : "", n);
}

/* A kept master's name is a word: the hand-over message lists them
 * separated by spaces. */
static int check_names(const struct jail_msg *m, struct err *e)
{
	for (int i = 0; i < m->nkeep; i++) {
		const char *n = m->keep[i];
		size_t len = strlen(n);
		int ok = len > 0 && len <= JAILMSG_NAME_MAX;

		for (size_t k = 0; ok && k < len; k++)
			ok = (n[k] >= 'a' && n[k] <= 'z') || (n[k] >= '0' && n[k] <= '9');
		if (!ok) {
			err_code(e, ERR_INVAL, "kept master '%s': not a channel name", n);
			return -1;
		}
	}
	return 0;
}

/* The same bounds on both sides: the monitor never sends what the helper
 * would refuse. */
static int check(const struct jail_msg *m, struct err *e)
{
	if (!m->root || m->root[0] != '/')
		err_code(e, ERR_INVAL, "jail root '%s': not an absolute path",
			 m->root ? m->root : "");
	else if (m->uid == 0 || m->gid == 0 || m->uid == (uid_t)-1 ||
		 m->gid == (gid_t)-1)
		err_code(e, ERR_INVAL, "vmuser %u:%u: not an unprivileged user",
			 (unsigned)m->uid, (unsigned)m->gid);
	else if (m->seccomp != 0 && m->seccomp != 1)
		err_code(e, ERR_INVAL, "seccomp %d: neither 0 nor 1", m->seccomp);
	else if (m->own_net != 0 && m->own_net != 1)
		err_code(e, ERR_INVAL, "network namespace %d: neither 0 nor 1",
			 m->own_net);
	else if (m->nfds < 3 || m->nfds > JAILMSG_MAX_FDS)
		err_code(e, ERR_INVAL, "%d descriptors for the kernel (3 to %d)",
			 m->nfds, JAILMSG_MAX_FDS);
	else if (m->argc < 1 || m->argc > JAILMSG_MAX_ARGS || m->argv[0][0] != '/')
		err_code(e, ERR_INVAL, "kernel command of %d words (1 to %d, the "
			 "first an absolute path)", m->argc, JAILMSG_MAX_ARGS);
	else if (m->ncgroups < 0 || m->ncgroups > JAILMSG_MAX_CGROUPS)
		err_code(e, ERR_INVAL, "%d cgroups to join (at most %d)", m->ncgroups,
			 JAILMSG_MAX_CGROUPS);
	else if (m->nkeep < 0 || m->nkeep > JAILMSG_MAX_KEEP ||
		 m->nfds + m->nkeep > JAILMSG_MAX_FDS)
		err_code(e, ERR_INVAL, "%d masters to keep (at most %d, and %d "
			 "descriptors in all)", m->nkeep, JAILMSG_MAX_KEEP,
			 JAILMSG_MAX_FDS);
	else if (m->handover && m->handover[0] && m->handover[0] != '/')
		err_code(e, ERR_INVAL, "hand-over socket '%s': not an absolute path",
			 m->handover);
	else if (m->envc < 0 || m->envc > JAILMSG_MAX_ARGS)
		err_code(e, ERR_INVAL, "%d environment variables (at most %d)",
			 m->envc, JAILMSG_MAX_ARGS);
	else
		for (int i = 0;; i++) {
			if (i == m->ncgroups)
				return check_names(m, e);
			if (m->cgroups[i][0] != '/') {
				err_code(e, ERR_INVAL, "cgroup file '%s': not an "
					 "absolute path", m->cgroups[i]);
				break;
			}
		}
	return -1;
}

int jailmsg_encode(const struct jail_msg *m, char **buf, size_t *len,
		   struct err *e)
{
	struct strbuf sb;

	if (check(m, e) < 0)
		return -1;
	sb_init(&sb);
	sb_puts(&sb, JAILMSG_MAGIC);
	put_str(&sb, m->root);
	put_u32(&sb, m->uid);
	put_u32(&sb, m->gid);
	put_str(&sb, m->hostname);
	for (int i = 0; i < LIMIT_COUNT; i++)
		put_u64(&sb, m->limits[i]);
	put_u32(&sb, (uint32_t)m->seccomp);
	put_u32(&sb, (uint32_t)m->ncgroups);
	for (int i = 0; i < m->ncgroups; i++)
		put_str(&sb, m->cgroups[i]);
	put_u32(&sb, (uint32_t)m->own_net);
	put_u32(&sb, (uint32_t)m->nfds);
	put_u32(&sb, (uint32_t)m->nkeep);
	for (int i = 0; i < m->nkeep; i++)
		put_str(&sb, m->keep[i]);
	put_str(&sb, m->handover);
	put_u32(&sb, (uint32_t)m->argc);
	for (int i = 0; i < m->argc; i++)
		put_str(&sb, m->argv[i]);
	put_u32(&sb, (uint32_t)m->envc);
	for (int i = 0; i < m->envc; i++)
		put_str(&sb, m->envp[i]);
	put_str(&sb, m->fail);
	if (sb.len > JAILMSG_MAX) {
		err_code(e, ERR_INVAL, "the jail helper's message of %zu bytes is "
			 "over %u", sb.len, JAILMSG_MAX);
		sb_free(&sb);
		return -1;
	}
	*len = sb.len;
	*buf = sb_steal(&sb);
	return 0;
}

struct reader {
	const unsigned char *p;
	size_t left;
	struct err *e;
};

static int get_u32(struct reader *r, const char *what, uint32_t *v)
{
	if (r->left < 4) {
		err_code(r->e, ERR_INVAL, "message ends before its %s", what);
		return -1;
	}
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	     (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_u64(struct reader *r, const char *what, uint64_t *v)
{
	uint32_t lo, hi;

	if (get_u32(r, what, &lo) < 0 || get_u32(r, what, &hi) < 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static int get_str(struct reader *r, const char *what, char **s)
{
	uint32_t n;

	if (get_u32(r, what, &n) < 0)
		return -1;
	if (n > r->left) {
		err_code(r->e, ERR_INVAL, "%s of %u bytes: past the end of the message",
			 what, (unsigned)n);
		return -1;
	}
	if (memchr(r->p, '\0', n)) {
		err_code(r->e, ERR_INVAL, "%s: has a NUL byte", what);
		return -1;
	}
	*s = xmalloc(n + 1);
	memcpy(*s, r->p, n);
	(*s)[n] = '\0';
	r->p += n;
	r->left -= n;
	return 0;
}

/* count strings into *v (NULL-terminated); count first checked. */
static int get_list(struct reader *r, const char *what, uint32_t max, int *count,
		    char ***v)
{
	uint32_t n;

	if (get_u32(r, what, &n) < 0)
		return -1;
	if (n > max) {
		err_code(r->e, ERR_INVAL, "%u %s: more than %u", (unsigned)n, what,
			 (unsigned)max);
		return -1;
	}
	*v = xcalloc(n + 1, sizeof(**v));
	*count = (int)n;
	for (uint32_t i = 0; i < n; i++)
		if (get_str(r, what, &(*v)[i]) < 0)
			return -1;
	return 0;
}

int jailmsg_decode(const char *buf, size_t len, struct jail_msg *m,
		   struct err *e)
{
	struct reader r = {(const unsigned char *)buf, len, e};
	size_t ml = strlen(JAILMSG_MAGIC);
	uint32_t uid, gid, seccomp, own_net, nfds;

	memset(m, 0, sizeof(*m));
	if (len > JAILMSG_MAX || len < ml || memcmp(buf, JAILMSG_MAGIC, ml)) {
		err_code(e, ERR_INVAL, "not a message of this version (%.*s)",
			 (int)ml - 1, JAILMSG_MAGIC);
		return -1;
	}
	r.p += ml;
	r.left -= ml;
	if (get_str(&r, "root", &m->root) < 0 || get_u32(&r, "uid", &uid) < 0 ||
	    get_u32(&r, "gid", &gid) < 0 ||
	    get_str(&r, "hostname", &m->hostname) < 0 ||
	    get_u64(&r, "limit_nofile", &m->limits[LIMIT_NOFILE]) < 0 ||
	    get_u64(&r, "limit_nproc", &m->limits[LIMIT_NPROC]) < 0 ||
	    get_u64(&r, "limit_core", &m->limits[LIMIT_CORE]) < 0 ||
	    get_u64(&r, "limit_memlock", &m->limits[LIMIT_MEMLOCK]) < 0 ||
	    get_u32(&r, "seccomp", &seccomp) < 0 ||
	    get_list(&r, "cgroups", JAILMSG_MAX_CGROUPS, &m->ncgroups,
		     &m->cgroups) < 0 ||
	    get_u32(&r, "network namespace", &own_net) < 0 ||
	    get_u32(&r, "descriptors", &nfds) < 0 ||
	    get_list(&r, "kept masters", JAILMSG_MAX_KEEP, &m->nkeep, &m->keep) < 0 ||
	    get_str(&r, "hand-over socket", &m->handover) < 0 ||
	    get_list(&r, "arguments", JAILMSG_MAX_ARGS, &m->argc, &m->argv) < 0 ||
	    get_list(&r, "environment variables", JAILMSG_MAX_ARGS, &m->envc,
		     &m->envp) < 0 ||
	    get_str(&r, "step to fail", &m->fail) < 0)
		goto fail;
	if (r.left) {
		err_code(e, ERR_INVAL, "%zu bytes after the end of the message", r.left);
		goto fail;
	}
	m->uid = uid;
	m->gid = gid;
	m->seccomp = seccomp > 1 ? -1 : (int)seccomp;
	if (m->seccomp < 0) {
		err_code(e, ERR_INVAL, "seccomp %u: neither 0 nor 1", (unsigned)seccomp);
		goto fail;
	}
	m->own_net = own_net > 1 ? -1 : (int)own_net;
	if (m->own_net < 0) {
		err_code(e, ERR_INVAL, "network namespace %u: neither 0 nor 1",
			 (unsigned)own_net);
		goto fail;
	}
	m->nfds = nfds > JAILMSG_MAX_FDS ? -1 : (int)nfds;
	if (check(m, e) == 0)
		return 0;
fail:
	jailmsg_free(m);
	return -1;
}

static void free_list(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void jailmsg_free(struct jail_msg *m)
{
	free(m->root);
	free(m->hostname);
	free_list(m->cgroups);
	free_list(m->keep);
	free(m->handover);
	free_list(m->argv);
	free_list(m->envp);
	free(m->fail);
	memset(m, 0, sizeof(*m));
}
