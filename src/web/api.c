/* api.c -- umlweb's JSON API: login and logout, the session, the VM list,
 * the actions (start, stop, ctrl-alt-del, halt) and the console logs. One
 * table of routes says what each needs: a session, the CSRF token. */
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/json.h"
#include "common/log.h"
#include "umlmonctrl.h"


struct route_args {
	struct web *w;
	const struct api_req *q;
	struct api_reply *r;
	struct session *s;           /* NULL for login */
	char vm[200];                /* /api/vm/VM/..., VM@HOST too */
	char rest[128];              /* what follows VM/ */
};

typedef void (*route_fn)(struct route_args *a);

/* --- replies --- */

static void reply(struct api_reply *r, int status, const char *type, char *body)
{
	r->status = status;
	r->type = type;
	r->body = body;
	r->len = strlen(body);
}

/* {"error": MESSAGE, "code": CODE} */
static void fail(struct api_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct api_reply *r, int status, const char *fmt, ...)
{
	struct json_buf b;
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	json_buf_begin(&b);
	json_obj_begin(&b.j);
	json_key(&b.j, "error");
	json_str(&b.j, msg);
	json_obj_end(&b.j);
	free(msg);
	reply(r, status, "application/json", json_buf_end(&b));
}

/* The HTTP status of an error's code. */
static int http_of(enum err_code c);

void api_fail(struct api_reply *r, enum err_code code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fail(r, http_of(code), "%s", msg);
	free(msg);
}

/* The HTTP status of an error's code. */
static int http_of(enum err_code c)
{
	switch (c) {
	case ERR_INVAL: return 400;
	case ERR_PERM: return 403;
	case ERR_NOENT: return 404;
	case ERR_STATE: case ERR_BUSY: return 409;
	case ERR_CLOSED: return 503;
	case ERR_TIMEDOUT: return 504;
	default: return 500;
	}
}

/* --- the form of a POST --- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of name in an application/x-www-form-urlencoded body,
 * decoded, malloc'd; NULL if absent. */
static char *form_value(const char *body, size_t len, const char *name)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > nl && !strncmp(body + i, name, nl) && body[i + nl] == '=') {
			char *out = xmalloc(end - i), *o = out;

			for (size_t k = i + nl + 1; k < end; k++) {
				int h, l;

				if (body[k] == '+') {
					*o++ = ' ';
				} else if (body[k] == '%' && k + 2 < end &&
					   (h = hexval(body[k + 1])) >= 0 &&
					   (l = hexval(body[k + 2])) >= 0) {
					*o++ = (char)(h << 4 | l);
					k += 2;
				} else {
					*o++ = body[k];
				}
			}
			*o = '\0';
			return out;
		}
		i = end + 1;
	}
	return NULL;
}

/* --- helpers --- */

int web_vm_index(const struct web *w, const char *vm)
{
	for (int i = 0; i < w->cfg->nvms; i++)
		if (!strcmp(w->cfg->vms[i].name, vm))
			return i;
	return -1;
}

int web_origin_ok(const struct web *w, const char *origin, const char *host)
{
	const char *scheme = w->tls ? "https://" : "http://";
	size_t sl = strlen(scheme);

	return origin && host && *host && !strncmp(origin, scheme, sl) &&
	       !strcmp(origin + sl, host);
}

static char *session_cookie(const struct web *w, const char *id, int end)
{
	return xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
			 SESSION_COOKIE, end ? "" : id, w->tls ? "; Secure" : "",
			 end ? "; Max-Age=0" : "");
}

static void session_json(struct api_reply *r, const struct session *s)
{
	struct json_buf b;

	json_buf_begin(&b);
	json_obj_begin(&b.j);
	json_key(&b.j, "vm");
	json_str(&b.j, s->vm[0] ? s->vm : NULL);
	json_key(&b.j, "csrf");
	json_str(&b.j, s->csrf);
	json_obj_end(&b.j);
	reply(r, 200, "application/json", json_buf_end(&b));
}

/* --- each VM's note: how its last action here ended --- */

const char *web_note_of(const struct web *w, const char *vm)
{
	for (int i = 0; i < w->nnotes; i++)
		if (!strcmp(w->notes[i].vm, vm))
			return w->notes[i].text;
	return NULL;
}

static void set_note(struct web *w, const char *vm, char *text)
{
	for (int i = 0; i < w->nnotes; i++) {
		if (!strcmp(w->notes[i].vm, vm)) {
			free(w->notes[i].text);
			w->notes[i].text = text;
			return;
		}
	}
	w->notes = xrealloc(w->notes, (size_t)(w->nnotes + 1) * sizeof(*w->notes));
	w->notes[w->nnotes].vm = xstrdup(vm);
	w->notes[w->nnotes].text = text;
	w->nnotes++;
}

void web_notes_free(struct web *w)
{
	for (int i = 0; i < w->nnotes; i++) {
		free(w->notes[i].vm);
		free(w->notes[i].text);
	}
	free(w->notes);
}

/* --- the routes --- */

/* Which password it is: the VM's (scope vm) or the master password
 * (scope ""). Both keys are compared whatever the first gave. -1: none. */
static int check_password(struct web *w, const char *vm, const char *pw,
			  char *scope, size_t n)
{
	struct auth_key k;
	struct err e;
	int i = vm[0] ? web_vm_index(w, vm) : -1, by_vm, by_master;

	if (!vm[0]) {
		/* the master password: checked against the first VM's key */
		for (int x = 0; x < w->cfg->nvms && i < 0; x++)
			if (w->keys[x].has_master)
				i = x;
	}
	if (i < 0) {
		/* no VM of this host knows the master password: the one of
		 * web_remote; else as long as a known VM's refusal (the time
		 * tells no names) */
		if (auth_derive(pw, WEB_LOGIN_SALT, UMLMON_DEFAULT_KDF_ITERATIONS,
				&k, &e) < 0)
			return -1;
		by_master = !vm[0] && w->has_login_key &&
			    auth_equal(k.k, w->login_key.k, sizeof(k.k));
		auth_wipe(&k, sizeof(k));
		if (by_master)
			snprintf(scope, n, "%s", "");
		return by_master ? 0 : -1;
	}
	if (auth_derive(pw, w->cfg->vms[i].name, w->keys[i].iterations, &k, &e) < 0)
		return -1;
	by_vm = vm[0] && w->keys[i].has_vm &&
		auth_equal(k.k, w->keys[i].vm.k, sizeof(k.k));
	by_master = w->keys[i].has_master &&
		    auth_equal(k.k, w->keys[i].master.k, sizeof(k.k));
	auth_wipe(&k, sizeof(k));
	if (by_master)
		snprintf(scope, n, "%s", "");
	else if (by_vm)
		snprintf(scope, n, "%s", vm);
	return by_master || by_vm ? 0 : -1;
}

static void r_login(struct route_args *a)
{
	char *vm = form_value(a->q->body, a->q->body_len, "vm");
	char *pw = form_value(a->q->body, a->q->body_len, "password");
	int64_t now = now_ms();
	char scope[65];
	int wait = login_wait(a->w->sessions, a->q->peer, now);
	struct session *s;

	if (wait) {
		fail(a->r, 429, "too many failed logins from %s: wait %d s",
		     a->q->peer, wait);
	} else if (!pw || (vm && strlen(vm) > 64) ||
		   check_password(a->w, vm ? vm : "", pw, scope, sizeof(scope)) < 0) {
		login_result(a->w->sessions, a->q->peer, 0, now);
		log_warn("login%s%s from %s refused: wrong password", vm && *vm ?
			 " to " : "", vm && *vm ? vm : "", a->q->peer);
		fail(a->r, 403, "%s: wrong password", vm && *vm ? vm : "master");
	} else {
		login_result(a->w->sessions, a->q->peer, 1, now);
		s = session_create(a->w->sessions, scope, now);
		log_info("login from %s: %s", a->q->peer, scope[0] ? scope : "every VM");
		a->r->cookie = session_cookie(a->w, s->id, 0);
		session_json(a->r, s);
	}
	free(vm);
	auth_wipe_free(pw);
}

static void r_logout(struct route_args *a)
{
	session_end(a->w->sessions, a->s);
	a->r->cookie = session_cookie(a->w, NULL, 1);
	reply(a->r, 200, "application/json", xstrdup("{}\n"));
}

static void r_session(struct route_args *a)
{
	session_json(a->r, a->s);
}

static void r_vms(struct route_args *a)
{
	vmlist_start(a->w, a->s, a->q->wsi, a->r);
}

/* --- actions: answered at once; how they end shows in the list --- */

struct action {
	const char *name;
	uint32_t proc;
	xdrproc_t xargs;
};

static const struct action actions[] = {
	{"start", UM_START, (xdrproc_t)xdr_rpc_void},
	{"stop", UM_STOP, (xdrproc_t)xdr_um_stop_args},
	{"ctrlaltdel", UM_CTRLALTDEL, (xdrproc_t)xdr_rpc_void},
	{"halt", UM_HALT, (xdrproc_t)xdr_rpc_void},
};

struct job {
	struct web *w;
	char vm[200];
	const struct action *act;
	struct monrpc *m;
	int done;
	lws_sorted_usec_list_t sul;
};



static void job_free_cb(lws_sorted_usec_list_t *sul)
{
	struct job *j = lws_container_of(sul, struct job, sul);

	monrpc_close(j->m, 1);
	free(j);
}

/* Freed from the loop, not from inside the connection's callback. */
static void job_done(struct job *j)
{
	j->done = 1;
	lws_sul_schedule(j->w->ctx, 0, &j->sul, job_free_cb, 1);
}

static void job_lost(void *arg, const char *why)
{
	struct job *j = arg;

	if (!why || j->done)
		return;
	set_note(j->w, j->vm, xasprintf("%s: %s", j->act->name, why));
	job_done(j);
}

static void job_reply(struct rpc_client *c, void *res, const char *err, void *arg)
{
	struct job *j = arg;
	um_result *r = res;

	(void)c;
	if (err)
		set_note(j->w, j->vm, xasprintf("%s: %s", j->act->name, err));
	else if (r->status == UM_OK)
		set_note(j->w, j->vm, xasprintf("%s: done", j->act->name));
	else
		set_note(j->w, j->vm, xasprintf("%s: %s", j->act->name, r->message));
	log_info("%s %s: %s", j->vm, j->act->name, web_note_of(j->w, j->vm));
	job_done(j);
}

static void r_action(struct route_args *a)
{
	um_stop_args stop = {-1};
	const struct action *act = NULL;
	struct job *j;
	struct err e;

	for (size_t k = 0; k < ARRAY_SIZE(actions); k++)
		if (!strcmp(actions[k].name, a->rest))
			act = &actions[k];
	if (!act) {
		fail(a->r, 404, "%s: no action '%s' (start, stop, ctrlaltdel, halt)",
		     a->vm, a->rest);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->w = a->w;
	snprintf(j->vm, sizeof(j->vm), "%s", a->vm);
	j->act = act;
	j->m = monrpc_open(a->w, a->vm, job_lost, j, &e);
	if (!j->m) {
		free(j);
		fail(a->r, http_of(e.code), "%s", e.msg);
		return;
	}
	if (rpc_client_send(monrpc_client(j->m), act->proc, act->xargs, &stop,
			    (xdrproc_t)xdr_um_result, sizeof(um_result), job_reply,
			    j, &e) < 0) {
		monrpc_close(j->m, 1);
		free(j);
		fail(a->r, 500, "%s: %s: %s", a->vm, act->name, e.msg);
		return;
	}
	monrpc_flush(j->m);
	set_note(a->w, a->vm, xasprintf("%s: asked", act->name));
	log_info("%s: %s asked from %s", a->vm, act->name, a->q->peer);
	reply(a->r, 202, "application/json", xstrdup("{}\n"));
}

/* GET /api/vm/VM/log/CHAN[/download]: the current log file (logdl.c). */
static void r_log(struct route_args *a)
{
	const char *slash;
	char chan[65];

	if (strncmp(a->rest, "log/", 4) || !a->rest[4]) {
		fail(a->r, 404, "%s: no such resource '%s'", a->vm, a->rest);
		return;
	}
	slash = strchr(a->rest + 4, '/');
	if (slash && strcmp(slash, "/download")) {
		fail(a->r, 404, "%s: no such resource '%s'", a->vm, a->rest);
		return;
	}
	snprintf(chan, sizeof(chan), "%.*s", slash ? (int)(slash - a->rest - 4) :
		 (int)strlen(a->rest + 4), a->rest + 4);
	logdl_start(a->w, a->q->wsi, a->r, a->vm, chan, slash != NULL);
}

static void r_vm(struct route_args *a)
{
	if (a->q->post)
		r_action(a);
	else
		r_log(a);
}

/* What each request needs before its handler runs. */
static const struct route {
	int post;
	const char *path;            /* exact, or a prefix ending in '/' */
	int session;                 /* a live session */
	int csrf;                    /* and its CSRF token */
	route_fn fn;
} routes[] = {
	{1, "/api/login", 0, 0, r_login},
	{1, "/api/logout", 1, 1, r_logout},
	{0, "/api/session", 1, 0, r_session},
	{0, "/api/vms", 1, 0, r_vms},
	{1, "/api/vm/", 1, 1, r_vm},
	{0, "/api/vm/", 1, 0, r_vm},
};

void api_handle(struct web *w, const struct api_req *q, struct api_reply *r)
{
	struct route_args a = {.w = w, .q = q, .r = r};
	const struct route *rt = NULL;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ARRAY_SIZE(routes) && !rt; i++) {
		size_t n = strlen(routes[i].path);

		if (routes[i].post == q->post &&
		    (routes[i].path[n - 1] == '/' ? !strncmp(q->path, routes[i].path, n)
		     : !strcmp(q->path, routes[i].path)))
			rt = &routes[i];
	}
	if (!rt) {
		fail(r, 404, "%s %s: no such API call", q->post ? "POST" : "GET", q->path);
		return;
	}
	/* a POST from another site's page is refused whatever it carries */
	if (q->post && q->origin && !web_origin_ok(w, q->origin, q->host)) {
		fail(r, 403, "%s: origin %s is not this server's", q->path, q->origin);
		return;
	}
	if (rt->session) {
		a.s = session_find(w->sessions, q->cookie, now_ms());
		if (!a.s) {
			fail(r, 401, "%s: not logged in", q->path);
			return;
		}
		if (rt->csrf && !session_csrf_ok(a.s, q->csrf)) {
			fail(r, 403, "%s: no valid CSRF token (X-CSRF-Token)", q->path);
			return;
		}
	}
	if (!strncmp(q->path, "/api/vm/", 8)) {
		const char *vm = q->path + 8, *slash = strchr(vm, '/');

		if (!slash || (size_t)(slash - vm) >= sizeof(a.vm) ||
		    strlen(slash + 1) >= sizeof(a.rest)) {
			fail(r, 404, "%s: no such API call", q->path);
			return;
		}
		snprintf(a.vm, sizeof(a.vm), "%.*s", (int)(slash - vm), vm);
		snprintf(a.rest, sizeof(a.rest), "%s", slash + 1);
		/* another VM's is as if it did not exist */
		if (!web_vm_known(w, a.s, a.vm)) {
			fail(r, 404, "%s: no such VM", a.vm);
			return;
		}
	}
	rt->fn(&a);
}

void api_reply_free(struct api_reply *r)
{
	/* an answer still to come is cancelled */
	if (r->src && r->src_free)
		r->src_free(r->src);
	free(r->body);
	free(r->cookie);
	free(r->disposition);
	memset(r, 0, sizeof(*r));
}
