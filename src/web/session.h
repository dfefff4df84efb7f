/* session.h -- umlweb's logins: sessions by a random id (the cookie), each
 * with its CSRF token and what it may see (every VM with the master
 * password, one VM with that VM's), and the rate limit of failed logins
 * per peer address. No I/O: the server asks, this decides. */
#ifndef UMLMON_WEB_SESSION_H
#define UMLMON_WEB_SESSION_H

#include <stdint.h>

#define SESSION_COOKIE "umlweb_session"
#define SESSION_ID_LEN 64        /* hex of 32 random bytes */
#define SESSION_MAX 256          /* at once; the oldest goes first */
#define SESSION_IDLE_MS (12LL * 3600 * 1000)
/* failed logins one address may make per window before it must wait */
#define LOGIN_FAILS 5
#define LOGIN_WINDOW_MS 60000
#define LOGIN_PEERS 128          /* addresses remembered */

struct session {
	char id[SESSION_ID_LEN + 1];
	char csrf[SESSION_ID_LEN + 1];
	char vm[65];                 /* the one VM it may see; "": all */
	int64_t last;                /* ms, of its last use */
};

struct sessions;

struct sessions *sessions_new(void);
void sessions_free(struct sessions *ss);

/* A new session for vm ("": every VM); the oldest is ended if there are
 * SESSION_MAX already. */
struct session *session_create(struct sessions *ss, const char *vm, int64_t now);
/* The session named by a Cookie header's SESSION_COOKIE, if it lives;
 * its last use becomes now. */
struct session *session_find(struct sessions *ss, const char *cookie, int64_t now);
void session_end(struct sessions *ss, struct session *s);
/* Whether s may see vm. */
int session_may(const struct session *s, const char *vm);
/* Whether token is s's CSRF token (constant time). */
int session_csrf_ok(const struct session *s, const char *token);

/* 0 if peer may try to log in now, else the seconds it must wait. */
int login_wait(struct sessions *ss, const char *peer, int64_t now);
/* A failed attempt of peer; a success forgets its failures. */
void login_result(struct sessions *ss, const char *peer, int ok, int64_t now);

#endif
