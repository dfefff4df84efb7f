/* web_int.h -- what the parts of umlweb share: the daemon's state, the
 * monitors' RPC from the server's loop (monrpc.c), the JSON API (api.c),
 * the console WebSockets (term.c). */
#ifndef UMLMON_WEB_INT_H
#define UMLMON_WEB_INT_H

/* OpenSSL's ERR_STATE renamed (common/ossl.h): first in every file */
#include "common/ossl.h"
#define ERR_STATE OPENSSL_ERR_STATE
#include <libwebsockets.h>
#undef ERR_STATE
#include <stddef.h>
#include <sys/types.h>

#include "common/authkeys.h"
#include "common/config.h"
#include "common/rpc_client.h"
#include "client/remote.h"
#include "common/rpc_wire.h"
#include "umlmonctrl.h"
#include "web/session.h"

#define WEB_RPC_TIMEOUT_MS 3000      /* a monitor's answer to a quick call */
#define WEB_LIST_TIMEOUT_MS 1000     /* UM_INFO for the list (the page asks
					every second) */
#define WEB_PROTO_CONSOLE "umlweb-console"
#define WEB_PROTO_RPC "umlweb-rpc"
#define WEB_LOGIN_SALT "-"           /* no VM's name (config_valid_name) */

struct web {
	struct config *cfg;
	char *root;                  /* the front end's files */
	struct mon_keys *keys;       /* one per cfg->vms[i] */
	struct sessions *sessions;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	int tls;
	uid_t uid;
	gid_t gid;
	struct web_note *notes;      /* per VM: how its last action ended */
	int nnotes;
	struct web_host *hosts;      /* web_remote (hosts.c) */
	int nhosts;
	char *master_pw;             /* with web_remote only */
	struct auth_key login_key;   /* the master password's, for a login
					when no VM of this host has one */
	int has_login_key;
	struct kept *kept;           /* connections kept to remote VMs */
	int nkept;
};

struct web_note {
	char *vm, *text;
};

/* --- hosts.c: the VMs of other hosts, "VM@HOST" --- */
struct json;
int hosts_init(struct web *w, struct err *e);
void hosts_free(struct web *w);
int hosts_is_remote(const char *vm);
/* Whether s may see vm (this host's or another's). */
int web_vm_known(const struct web *w, const struct session *s, const char *vm);
/* A new authenticated connection to a remote VM's monitor. */
struct rpc_client *hosts_connect(struct web *w, const char *vm, struct err *e);
/* The connection kept for quick calls (made if none); hosts_drop after a
 * call on it failed. */
struct rpc_client *hosts_kept(struct web *w, const char *vm, struct err *e);
void hosts_drop(struct web *w, const char *vm);
/* one(w, j, "VM@HOST") for each VM that umldir of each host lists. */
void hosts_list(struct web *w, struct json *j,
		void (*one)(struct web *w, struct json *j, const char *vm));

/* --- monrpc.c: a monitor's connection watched by the server's loop --- */
struct monrpc;
/* Connects to vm's monitor (its control socket) and watches the
 * connection; on_event(arg, NULL) after each input that the RPC client's
 * callbacks took, on_event(arg, why) once when it is gone. Neither may
 * close it (from the loop: lws_sul). */
struct monrpc *monrpc_open(struct web *w, const char *vm,
			   void (*on_event)(void *arg, const char *why), void *arg,
			   struct err *e);
struct rpc_client *monrpc_client(struct monrpc *m);
/* After calls were queued: writes them, or waits to. */
void monrpc_flush(struct monrpc *m);
/* free_rpc 0: the RPC client went to another owner (a console). */
void monrpc_close(struct monrpc *m, int free_rpc);
/* A blocking call (WEB_RPC_TIMEOUT_MS at most): on the connection kept
 * to another host's VM (the list's), else on a fresh one; local VMs use
 * monrpc_ask, which the loop does not wait for. e->code from the
 * monitor's status; ERR_CLOSED when the monitor is not there. */
int monrpc_call(struct web *w, const char *vm, uint32_t proc, xdrproc_t xa,
		void *a, xdrproc_t xr, void *r, struct err *e);
/* One call that the loop does not wait for: done(arg, res, NULL) with
 * the answer (res is freed after done returns: take what is kept, and
 * zero it), or done(arg, NULL, e) when the connection failed or no answer
 * came within timeout_ms (ERR_TIMEDOUT). done runs once, never from
 * inside monrpc_ask (NULL with e: no connection), and not after
 * monrpc_ask_cancel; the rest is freed by the loop. */
struct monrpc_ask;
typedef void (*monrpc_done)(void *arg, void *res, const struct err *e);
struct monrpc_ask *monrpc_ask(struct web *w, const char *vm, uint32_t proc,
			      xdrproc_t xa, void *a, xdrproc_t xr, size_t rsize,
			      int timeout_ms, monrpc_done done, void *arg,
			      struct err *e);
void monrpc_ask_cancel(struct monrpc_ask *q);
/* ERR_* of a um_status */
enum err_code monrpc_err(um_status s);
/* The lws protocol of the watched connections. */
int monrpc_callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len);

/* --- api.c: the JSON API --- */
struct api_req {
	int post;
	const char *path;            /* "/api/vms" */
	const char *body;            /* POST: form-urlencoded */
	size_t body_len;
	const char *cookie, *csrf, *origin, *host, *peer;
	struct lws *wsi;             /* the request's */
};

struct api_reply {
	int status;                  /* HTTP; -1: end the connection (a
					streamed answer failed midway) */
	const char *type;            /* Content-Type */
	char *body;                  /* all of it, or the piece in hand */
	size_t len;
	char *cookie;                /* Set-Cookie, or NULL */
	char *disposition;           /* Content-Disposition, or NULL */
	uint64_t total;              /* streamed: the length; 0: len is */
	uint64_t sent;               /* streamed: what went out */
	int later;                   /* not in place yet: the request's wsi
					is made writable when it is */
	void *src;                   /* what makes it (vmlist, logdl), */
	void (*src_free)(void *src); /* freed with the reply */
	/* Streamed: asks for the next piece (later set). -1: cannot. */
	int (*more)(struct api_reply *r);
};

void api_handle(struct web *w, const struct api_req *q, struct api_reply *r);
void api_reply_free(struct api_reply *r);
/* An error answer: {"error": ...} with code's HTTP status. */
void api_fail(struct api_reply *r, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* How vm's last action here ended, or NULL. */
const char *web_note_of(const struct web *w, const char *vm);

/* --- vmlist.c: GET /api/vms, every monitor asked at once --- */
/* Starts r's answer (r->later set); it comes within WEB_LIST_TIMEOUT_MS
 * (and the remote VMs' calls). */
void vmlist_start(struct web *w, const struct session *s, struct lws *wsi,
		  struct api_reply *r);

/* --- logdl.c: GET /api/vm/VM/log/CHAN[/download], in pieces --- */
void logdl_start(struct web *w, struct lws *wsi, struct api_reply *r,
		 const char *vm, const char *chan, int download);
/* The index of vm in the configuration, or -1. */
int web_vm_index(const struct web *w, const char *vm);
void web_notes_free(struct web *w);
/* Whether origin is this server's own (scheme and the Host header). */
int web_origin_ok(const struct web *w, const char *origin, const char *host);

/* --- term.c: a console over a WebSocket --- */
struct term;
/* The WebSocket wsi asks for vm's chan, rows x cols; -1 with e (HTTP
 * status in e->code's mapping) if it may not. */
struct term *term_open(struct web *w, struct lws *wsi, const char *vm,
		       const char *chan, unsigned rows, unsigned cols,
		       struct err *e);
/* A message from the browser. */
void term_receive(struct term *t, const void *data, size_t n);
/* The WebSocket may be written. -1: close it. */
int term_writable(struct term *t);
void term_close(struct term *t);

#endif
