/* server.c -- umlweb's server on libwebsockets: the listening socket (TLS
 * when configured), the front end's files from a fixed table, the JSON
 * API (api.c), the console WebSockets (term.c) and the monitors'
 * connections (monrpc.c), all in libwebsockets' one loop. */
#include "web/web_int.h"
#include "web/web.h"

#include <arpa/inet.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "serve/privdrop.h"

#define BODY_MAX 4096                /* a POST's form */

/* The front end: what may be asked for, its file, its type. */
static const struct page {
	const char *url;
	const char *file;            /* in the root */
	const char *type;
} pages[] = {
	{"/", "index.html", "text/html; charset=utf-8"},
	{"/index.html", "index.html", "text/html; charset=utf-8"},
	{"/app.js", "app.js", "text/javascript"},
	{"/app.css", "app.css", "text/css"},
	{"/xterm.js", "xterm.js", "text/javascript"},
	{"/xterm.css", "xterm.css", "text/css"},
	{"/addon-fit.js", "addon-fit.js", "text/javascript"},
};

/* Every answer's headers: nothing from elsewhere, no framing, no sniffing. */
static const struct {
	const char *name, *value;
} safety[] = {
	{"content-security-policy:", "default-src 'self'; style-src 'self' "
	 "'unsafe-inline'; frame-ancestors 'none'"},
	{"x-frame-options:", "DENY"},
	{"x-content-type-options:", "nosniff"},
	{"referrer-policy:", "no-referrer"},
};

struct http_pss {
	char path[256];
	int post;
	struct strbuf body;
	int too_big;
	struct api_reply r;
	size_t off;
	int waiting;                 /* for r (r.later) */
	int replying;                /* the headers went out */
};

struct ws_pss {
	struct term *t;
};

static volatile sig_atomic_t quit;
static struct lws_context *quit_ctx;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
	if (quit_ctx)
		lws_cancel_service(quit_ctx);
}

static int add_safety(struct lws *wsi, unsigned char **p, unsigned char *end)
{
	for (size_t i = 0; i < ARRAY_SIZE(safety); i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)safety[i].name,
						(const unsigned char *)safety[i].value,
						(int)strlen(safety[i].value), p, end))
			return -1;
	return 0;
}

static void hdr(struct lws *wsi, enum lws_token_indexes h, char *buf, int n)
{
	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, h) > 0 && lws_hdr_total_length(wsi, h) < n)
		lws_hdr_copy(wsi, buf, n, h);
}

static int serve_page(struct web *w, struct lws *wsi, const char *url)
{
	unsigned char headers[1024], *p = headers, *end = headers + sizeof(headers);
	const struct page *pg = NULL;
	char path[4096];
	int n;

	for (size_t i = 0; i < ARRAY_SIZE(pages); i++)
		if (!strcmp(pages[i].url, url))
			pg = &pages[i];
	if (!pg) {
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	snprintf(path, sizeof(path), "%s/%s", w->root, pg->file);
	if (add_safety(wsi, &p, end) < 0)
		return -1;
	n = lws_serve_http_file(wsi, path, pg->type, (const char *)headers,
				(int)(p - headers));
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

/* The API's answer's headers; the body when writable. */
static int api_headers(struct lws *wsi, struct http_pss *ps)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
		      *end = buf + sizeof(buf) - 1;

	if (ps->r.status < 0)
		return -1;
	if (lws_add_http_common_headers(wsi, (unsigned)ps->r.status, ps->r.type,
					ps->r.total ? ps->r.total : ps->r.len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    add_safety(wsi, &p, end) < 0 ||
	    (ps->r.cookie && lws_add_http_header_by_name(wsi,
		(const unsigned char *)"set-cookie:", (unsigned char *)ps->r.cookie,
		(int)strlen(ps->r.cookie), &p, end)) ||
	    (ps->r.disposition && lws_add_http_header_by_name(wsi,
		(const unsigned char *)"content-disposition:",
		(unsigned char *)ps->r.disposition, (int)strlen(ps->r.disposition),
		&p, end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	ps->replying = 1;
	ps->off = 0;
	lws_callback_on_writable(wsi);
	return 0;
}

/* The API's answer: now, or when api.c has it (ps->r.later). */
static int api_answer(struct web *w, struct lws *wsi, struct http_pss *ps)
{
	char cookie[8192], csrf[128], origin[512], host[512], peer[128];
	struct api_req q = {.post = ps->post, .path = ps->path, .wsi = wsi};

	hdr(wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof(cookie));
	lws_hdr_custom_copy(wsi, csrf, sizeof(csrf), "x-csrf-token:", 13);
	if (lws_hdr_custom_length(wsi, "x-csrf-token:", 13) <= 0)
		csrf[0] = '\0';
	hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	hdr(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	q.cookie = cookie;
	q.csrf = csrf;
	q.origin = origin[0] ? origin : NULL;
	q.host = host;
	q.peer = peer;
	q.body = ps->body.buf ? ps->body.buf : "";
	q.body_len = ps->body.len;
	if (ps->too_big) {
		memset(&ps->r, 0, sizeof(ps->r));
		ps->r.status = 413;
		ps->r.type = "application/json";
		ps->r.body = xstrdup("{\"error\": \"request too large\"}\n");
		ps->r.len = strlen(ps->r.body);
	} else {
		api_handle(w, &q, &ps->r);
	}
	if (ps->r.later) {
		/* the loop goes on; api.c makes the wsi writable */
		ps->waiting = 1;
		return 0;
	}
	return api_headers(wsi, ps);
}

static int api_write(struct lws *wsi, struct http_pss *ps)
{
	struct api_reply *r = &ps->r;
	size_t k = r->len - ps->off;
	unsigned char *buf;
	int fin, n;

	if (k > 65536)
		k = 65536;
	/* streamed: the last piece's end is the answer's */
	fin = ps->off + k == r->len && (!r->total || r->sent + k == r->total);
	buf = xmalloc(LWS_PRE + k + 1);
	memcpy(buf + LWS_PRE, r->body + ps->off, k);
	n = lws_write(wsi, buf + LWS_PRE, k, fin ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
	free(buf);
	if (n < (int)k)
		return -1;
	ps->off += k;
	r->sent += k;
	if (!fin && ps->off < r->len) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (!fin) {
		/* the piece went out: the next one, when it comes */
		if (!r->more || r->more(r) < 0)
			return -1;
		ps->off = 0;
		ps->waiting = 1;
		return 0;
	}
	api_reply_free(r);
	sb_free(&ps->body);
	ps->replying = 0;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		   void *in, size_t len)
{
	struct web *w = lws_context_user(lws_get_context(wsi));
	struct http_pss *ps = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		memset(ps, 0, sizeof(*ps));
		snprintf(ps->path, sizeof(ps->path), "%s", (const char *)in);
		ps->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
		if (strncmp(ps->path, "/api/", 5)) {
			if (ps->post) {
				lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL);
				return -1;
			}
			return serve_page(w, wsi, ps->path);
		}
		if (ps->post)
			return 0;   /* the body comes */
		return api_answer(w, wsi, ps);
	case LWS_CALLBACK_HTTP_BODY:
		if (ps->body.len + len > BODY_MAX)
			ps->too_big = 1;
		else
			sb_append(&ps->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return api_answer(w, wsi, ps);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (ps && ps->waiting && !ps->r.later) {
			ps->waiting = 0;
			if (ps->r.status < 0)
				return -1;
			if (!ps->replying)
				return api_headers(wsi, ps);
		}
		if (ps && ps->waiting)
			return 0;
		if (!ps || !ps->replying)
			return 0;
		return api_write(wsi, ps);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (ps) {
			/* a reply still to come is cancelled */
			api_reply_free(&ps->r);
			sb_free(&ps->body);
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/* The console's URL: /ws?vm=VM&chan=CHAN&rows=R&cols=C */
struct ws_args {
	char vm[200], chan[65];
	unsigned rows, cols;
};

static int ws_args(struct lws *wsi, struct ws_args *a)
{
	char buf[80];

	memset(a, 0, sizeof(*a));
	if (!lws_get_urlarg_by_name(wsi, "vm=", a->vm, sizeof(a->vm)) ||
	    !lws_get_urlarg_by_name(wsi, "chan=", a->chan, sizeof(a->chan)))
		return -1;
	/* lws leaves the name in: "vm=vm1" */
	memmove(a->vm, a->vm + 3, strlen(a->vm + 3) + 1);
	memmove(a->chan, a->chan + 5, strlen(a->chan + 5) + 1);
	a->rows = 24;
	a->cols = 80;
	if (lws_get_urlarg_by_name(wsi, "rows=", buf, sizeof(buf)))
		a->rows = (unsigned)atoi(buf + 5);
	if (lws_get_urlarg_by_name(wsi, "cols=", buf, sizeof(buf)))
		a->cols = (unsigned)atoi(buf + 5);
	if (!a->rows || a->rows > 1000 || !a->cols || a->cols > 1000)
		return -1;
	return 0;
}

/* Whether the upgrade may go on: a session that may see the VM, this
 * server's own Origin. */
static int ws_allowed(struct web *w, struct lws *wsi, struct ws_args *a)
{
	char cookie[8192], origin[512], host[512], peer[128];
	struct session *s;

	hdr(wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof(cookie));
	hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	hdr(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	if (!web_origin_ok(w, origin, host)) {
		log_warn("console from %s refused: origin '%s' is not this server's",
			 peer, origin);
		return 0;
	}
	s = session_find(w->sessions, cookie, now_ms());
	if (!s) {
		log_warn("console from %s refused: not logged in", peer);
		return 0;
	}
	if (ws_args(wsi, a) < 0 || !web_vm_known(w, s, a->vm)) {
		log_warn("console from %s refused: no such VM or channel", peer);
		return 0;
	}
	return 1;
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		 void *in, size_t len)
{
	struct web *w = lws_context_user(lws_get_context(wsi));
	struct ws_pss *ps = user;
	struct ws_args a;
	struct err e;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (ws_allowed(w, wsi, &a))
			return 0;
		/* a 403 rather than a reset: the browser tells why */
		lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL);
		return 1;
	case LWS_CALLBACK_ESTABLISHED:
		if (ws_args(wsi, &a) < 0)
			return -1;
		ps->t = term_open(w, wsi, a.vm, a.chan, a.rows, a.cols, &e);
		if (!ps->t) {
			log_warn("console %s %s: %s", a.vm, a.chan, e.msg);
			lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
					 (unsigned char *)e.msg,
					 strlen(e.msg) > 120 ? 120 : strlen(e.msg));
			return -1;
		}
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (ps->t)
			term_receive(ps->t, in, len);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ps->t && term_writable(ps->t) < 0 ? -1 : 0;
	case LWS_CALLBACK_CLOSED:
		term_close(ps->t);
		ps->t = NULL;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{"http", http_cb, sizeof(struct http_pss), 0, 0, NULL, 0},
	{WEB_PROTO_CONSOLE, ws_cb, sizeof(struct ws_pss), 65536, 0, NULL, 0},
	{WEB_PROTO_RPC, monrpc_callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_logger(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && line[n - 1] == '\n')
		n--;
	log_msg(level == LLL_ERR ? LOG_LVL_ERR : LOG_LVL_WARN, "libwebsockets: %.*s",
		(int)n, line);
}

struct web *web_new(struct config *cfg, const char *root, struct err *e)
{
	struct web *w = xcalloc(1, sizeof(*w));

	w->cfg = cfg;
	w->root = xstrdup(root);
	w->sessions = sessions_new();
	w->keys = xcalloc((size_t)(cfg->nvms ? cfg->nvms : 1), sizeof(*w->keys));
	for (int i = 0; i < cfg->nvms; i++) {
		if (mon_keys_load(cfg, &cfg->vms[i], &w->keys[i], e) < 0) {
			web_free(w);
			return NULL;
		}
	}
	if (privdrop_lookup(cfg->global.web_user, &w->uid, &w->gid, e) < 0) {
		err_prefix(e, "web_user");
		web_free(w);
		return NULL;
	}
	if (hosts_init(w, e) < 0) {
		web_free(w);
		return NULL;
	}
	/* the control sockets' group: the monitors answer their members */
	if (cfg->global.ctrl_group)
		w->gid = cfg->global.ctrl_gid;
	return w;
}

int web_listen(struct web *w, struct err *e)
{
	struct lws_context_creation_info info;
	const struct global_conf *g = &w->cfg->global;
	struct in6_addr a6;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_logger);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = w;
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		err_code(e, ERR_IO, "libwebsockets: no context");
		return -1;
	}
	memset(&info, 0, sizeof(info));
	info.port = g->web_port;
	info.iface = g->web_bind;
	info.protocols = protocols;
	info.vhost_name = "umlweb";
	/* an IPv4 address: the socket is IPv4 only */
	if (inet_pton(AF_INET6, g->web_bind, &a6) != 1)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (g->web_tls_cert) {
		info.ssl_cert_filepath = g->web_tls_cert;
		info.ssl_private_key_filepath = g->web_tls_key;
		/* a vhost of an explicit-vhost context speaks TLS only so */
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		/* HTTP/1.1 only: the consoles are WebSockets of HTTP/1.1, and
		 * the origin check reads the Host header (HTTP/2 has none) */
		info.alpn = "http/1.1";
		w->tls = 1;
	}
	info.keepalive_timeout = 30;
	info.timeout_secs = 30;
	w->vh = lws_create_vhost(w->ctx, &info);
	if (!w->vh) {
		err_code(e, ERR_IO, "%s port %d: cannot listen%s (in use, or no such "
			 "address?)", g->web_bind, g->web_port,
			 w->tls ? " with TLS (certificate or key unreadable?)" : "");
		return -1;
	}
	return 0;
}

int web_drop(struct web *w, struct err *e)
{
	return privdrop(w->cfg->global.web_user, w->uid, w->gid, e);
}

int web_run(struct web *w)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	quit_ctx = w->ctx;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!quit)
		if (lws_service(w->ctx, 0) < 0)
			return -1;
	return 0;
}

void web_free(struct web *w)
{
	if (!w)
		return;
	if (w->ctx)
		lws_context_destroy(w->ctx);
	quit_ctx = NULL;
	for (int i = 0; w->keys && i < w->cfg->nvms; i++)
		mon_keys_clear(&w->keys[i]);
	web_notes_free(w);
	hosts_free(w);
	free(w->keys);
	sessions_free(w->sessions);
	config_free(w->cfg);
	free(w->root);
	free(w);
}
