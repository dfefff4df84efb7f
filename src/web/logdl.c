/* logdl.c -- a console log over HTTP in pieces: one UM_LOG_READ at a
 * time, each with a deadline, the next asked when the last went out, so
 * neither a long log nor a slow monitor holds the loop. Its length is the
 * log's size at the first piece (at most LOG_MAX). */
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umlmonctrl.h"

#define LOG_MAX (64ULL << 20)     /* the most of a log one request sends */

struct logdl {
	struct web *w;
	struct lws *wsi;
	struct api_reply *r;
	char vm[200], chan[65];
	uint64_t offset;             /* of the next piece */
	struct monrpc_ask *q;
	int started;                 /* the first piece came: the headers */
	int download;
};

static void logdl_free(void *arg)
{
	struct logdl *d = arg;

	monrpc_ask_cancel(d->q);
	free(d);
}

static void on_piece(void *arg, void *res, const struct err *e)
{
	struct logdl *d = arg;
	um_log_res *lr = res;
	struct api_reply *r = d->r;
	uint64_t want;

	d->q = NULL;
	r->later = 0;
	lws_callback_on_writable(d->wsi);
	free(r->body);
	r->body = NULL;
	r->len = 0;
	if (!lr || lr->res.status != UM_OK) {
		if (d->started)
			r->status = -1;   /* the length went out: ends short */
		else if (e)
			api_fail(r, e->code, "%s", e->msg);
		else
			api_fail(r, monrpc_err(lr->res.status), "%s", lr->res.message);
		return;
	}
	if (!d->started) {
		d->started = 1;
		r->status = 200;
		r->type = "text/plain; charset=utf-8";
		r->total = lr->size < LOG_MAX ? lr->size : LOG_MAX;
		if (d->download)
			r->disposition = xasprintf("attachment; filename=\"%s-%s.log\"",
						   d->vm, d->chan);
	}
	want = r->total - r->sent;
	if (want && !lr->data.data_len) {
		/* the log became shorter (rotated) than it said */
		r->status = -1;
		return;
	}
	r->len = lr->data.data_len < want ? lr->data.data_len : (size_t)want;
	r->body = xmalloc(r->len + 1);
	memcpy(r->body, lr->data.data_val, r->len);
	d->offset = lr->offset + lr->data.data_len;
}

static int ask(struct logdl *d, struct err *e)
{
	um_log_args la;

	la.chan = d->chan;
	la.offset = d->offset;
	la.max = UM_DATA_MAX;
	d->q = monrpc_ask(d->w, d->vm, UM_LOG_READ, (xdrproc_t)xdr_um_log_args, &la,
			  (xdrproc_t)xdr_um_log_res, sizeof(um_log_res),
			  WEB_RPC_TIMEOUT_MS, on_piece, d, e);
	if (!d->q)
		return -1;
	d->r->later = 1;
	return 0;
}

static int more(struct api_reply *r)
{
	struct err e;

	return ask(r->src, &e);
}

void logdl_start(struct web *w, struct lws *wsi, struct api_reply *r,
		 const char *vm, const char *chan, int download)
{
	struct logdl *d = xcalloc(1, sizeof(*d));
	struct err e;

	d->w = w;
	d->wsi = wsi;
	d->r = r;
	snprintf(d->vm, sizeof(d->vm), "%s", vm);
	snprintf(d->chan, sizeof(d->chan), "%s", chan);
	d->download = download;
	if (ask(d, &e) < 0) {
		api_fail(r, e.code, "%s", e.msg);
		free(d);
		return;
	}
	r->src = d;
	r->src_free = logdl_free;
	r->more = more;
}
