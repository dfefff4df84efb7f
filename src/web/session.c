/* session.c -- umlweb's sessions and the login rate limit (session.h). */
#include "web/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/util.h"

struct peer {
	char addr[64];
	int64_t start;               /* of its window */
	int fails;
};

struct sessions {
	struct session s[SESSION_MAX];
	int used[SESSION_MAX];
	struct peer peers[LOGIN_PEERS];
};

static void random_hex(char *out)
{
	uint8_t b[SESSION_ID_LEN / 2];

	auth_random(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	auth_wipe(b, sizeof(b));
}

struct sessions *sessions_new(void)
{
	return xcalloc(1, sizeof(struct sessions));
}

void sessions_free(struct sessions *ss)
{
	if (!ss)
		return;
	auth_wipe(ss, sizeof(*ss));
	free(ss);
}

struct session *session_create(struct sessions *ss, const char *vm, int64_t now)
{
	int slot = -1;

	for (int i = 0; i < SESSION_MAX; i++) {
		if (ss->used[i] && now - ss->s[i].last > SESSION_IDLE_MS)
			ss->used[i] = 0;
		if (!ss->used[i] && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < SESSION_MAX; i++)
			if (ss->s[i].last < ss->s[slot].last)
				slot = i;
	}
	memset(&ss->s[slot], 0, sizeof(ss->s[slot]));
	random_hex(ss->s[slot].id);
	random_hex(ss->s[slot].csrf);
	snprintf(ss->s[slot].vm, sizeof(ss->s[slot].vm), "%s", vm);
	ss->s[slot].last = now;
	ss->used[slot] = 1;
	return &ss->s[slot];
}

/* The value of name in a Cookie header ("a=1; name=v; b=2"), into out. */
static int cookie_value(const char *cookie, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	const char *p = cookie;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, len) && p[len] == '=') {
			const char *v = p + len + 1, *end = strchr(v, ';');
			size_t vl = end ? (size_t)(end - v) : strlen(v);

			if (vl >= n)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

struct session *session_find(struct sessions *ss, const char *cookie, int64_t now)
{
	char id[SESSION_ID_LEN + 2];
	struct session *found = NULL;

	if (!cookie || cookie_value(cookie, SESSION_COOKIE, id, sizeof(id)) < 0 ||
	    strlen(id) != SESSION_ID_LEN)
		return NULL;
	/* every live session compared, in constant time each */
	for (int i = 0; i < SESSION_MAX; i++) {
		if (!ss->used[i])
			continue;
		if (now - ss->s[i].last > SESSION_IDLE_MS) {
			ss->used[i] = 0;
			continue;
		}
		if (auth_equal(ss->s[i].id, id, SESSION_ID_LEN))
			found = &ss->s[i];
	}
	if (found)
		found->last = now;
	return found;
}

void session_end(struct sessions *ss, struct session *s)
{
	int i = (int)(s - ss->s);

	auth_wipe(s, sizeof(*s));
	ss->used[i] = 0;
}

int session_may(const struct session *s, const char *vm)
{
	return !s->vm[0] || !strcmp(s->vm, vm);
}

int session_csrf_ok(const struct session *s, const char *token)
{
	return token && strlen(token) == SESSION_ID_LEN &&
	       auth_equal(s->csrf, token, SESSION_ID_LEN);
}

static struct peer *peer_of(struct sessions *ss, const char *addr, int make,
			    int64_t now)
{
	struct peer *old = &ss->peers[0];

	for (int i = 0; i < LOGIN_PEERS; i++) {
		struct peer *p = &ss->peers[i];

		if (p->addr[0] && !strcmp(p->addr, addr))
			return p;
		if (p->start < old->start)
			old = p;
	}
	if (!make)
		return NULL;
	/* the address seen longest ago makes room */
	memset(old, 0, sizeof(*old));
	snprintf(old->addr, sizeof(old->addr), "%s", addr);
	old->start = now;
	return old;
}

int login_wait(struct sessions *ss, const char *peer, int64_t now)
{
	struct peer *p = peer_of(ss, peer, 0, now);

	if (!p || p->fails < LOGIN_FAILS)
		return 0;
	if (now - p->start >= LOGIN_WINDOW_MS) {
		p->fails = 0;
		p->start = now;
		return 0;
	}
	return (int)((LOGIN_WINDOW_MS - (now - p->start) + 999) / 1000);
}

void login_result(struct sessions *ss, const char *peer, int ok, int64_t now)
{
	struct peer *p = peer_of(ss, peer, !ok, now);

	if (!p)
		return;
	if (ok) {
		memset(p, 0, sizeof(*p));
		return;
	}
	if (now - p->start >= LOGIN_WINDOW_MS) {
		p->start = now;
		p->fails = 0;
	}
	p->fails++;
}
