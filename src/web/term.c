/* term.c -- a console in the browser: a WebSocket per channel, bridged to
 * the console engine (client/console.c) on a connection to the VM's
 * monitor. It first draws the monitor's screen (UM_CONSOLE_SCREEN: cells,
 * colours, cursor) and then goes on exactly where that screen ends (its
 * head), so a reload shows the same screen.
 *
 * Frames, first byte the kind: to the browser 'o' output, 'c' the console
 * ended (a message follows); from the browser 'i' input, 'r' "ROWS COLS". */
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/console.h"
#include "common/log.h"
#include "umlmonctrl.h"

/* Output the browser has not taken: above HIGH the console holds its
 * reads, below LOW it goes on (backpressure, not a closed console); MAX
 * is what a hold cannot exceed (one read more). */
#define TERM_OUT_HIGH (1U << 20)
#define TERM_OUT_LOW (256U << 10)
#define TERM_OUT_MAX (8U << 20)
#define TERM_FRAME 65536             /* the most of one frame */

struct term {
	struct web *w;
	struct lws *wsi;
	char vm[200], chan[65];
	struct monrpc *m;
	struct console_opening *opening;  /* UM_CONSOLE_OPEN asked */
	struct console *c;           /* NULL: not (yet) open */
	unsigned rows, cols;
	char *stopped;               /* the VM does not run: why */
	int drawn;                   /* the screen came, or the open ended */
	lws_sorted_usec_list_t sul;  /* the opening's deadline */
	struct strbuf out;           /* frames' payloads to send: kind + bytes */
	size_t sent;                 /* of out */
	int ended;                   /* the 'c' frame is queued */
	int held;                    /* the console's reads are held */
	int closing;                 /* callbacks are cancellations */
};

/* Queues a frame: kind, then the bytes. */
static int queue(struct term *t, char kind, const void *data, size_t n)
{
	uint32_t len = (uint32_t)n + 1;

	if (t->out.len - t->sent + n > TERM_OUT_MAX)
		return -1;
	/* each frame's length first, so frames keep their bounds */
	sb_append(&t->out, &len, sizeof(len));
	sb_append(&t->out, &kind, 1);
	sb_append(&t->out, data, n);
	lws_callback_on_writable(t->wsi);
	return 0;
}

static int on_output(void *arg, const void *buf, size_t n)
{
	struct term *t = arg;

	/* the guest's output in frames of at most TERM_FRAME */
	while (n) {
		size_t k = n > TERM_FRAME ? TERM_FRAME : n;

		if (queue(t, 'o', buf, k) < 0) {
			log_warn("%s %s: the browser at the console takes its output "
				 "too slowly: closed", t->vm, t->chan);
			return -1;
		}
		buf = (const char *)buf + k;
		n -= k;
	}
	if (t->c && !t->held && t->out.len - t->sent > TERM_OUT_HIGH) {
		t->held = 1;
		console_hold(t->c, 1);
	}
	return 0;
}

static void on_note(void *arg, const char *text)
{
	struct term *t = arg;

	queue(t, 'o', text, strlen(text));
}

static void end_with(struct term *t, const char *why)
{
	if (t->ended)
		return;
	t->ended = 1;
	queue(t, 'c', why, strlen(why));
}

static void on_event(void *arg, const char *why)
{
	struct term *t = arg;

	if (why) {
		end_with(t, why);
		return;
	}
	if (t->c && console_ended(t->c) != CONSOLE_ATTACHED) {
		const char *msg = console_message(t->c);

		end_with(t, msg ? msg : "the console ended");
	}
}

/* The screen, drawn; then the console goes on where it ends (its head),
 * or, the VM not running, why there is no more. */
static void on_screen(struct rpc_client *rpc, void *res, const char *err, void *arg)
{
	struct term *t = arg;
	um_screen_res *r = res;

	(void)rpc;
	if (t->closing || t->drawn)
		return;
	t->drawn = 1;
	lws_sul_cancel(&t->sul);
	if (err || r->res.status != UM_OK) {
		end_with(t, err ? err : r->res.message);
		return;
	}
	if (r->ansi && *r->ansi) {
		queue(t, 'o', r->ansi, strlen(r->ansi));
	} else {
		/* a monitor without the escape sequences: the text, the cursor */
		struct strbuf sb;

		sb_init(&sb);
		sb_puts(&sb, "\033[0m\033[H\033[2J");
		for (const char *p = r->text; *p; p++) {
			if (*p == '\n')
				sb_append(&sb, "\r", 1);
			sb_append(&sb, p, 1);
		}
		sb_printf(&sb, "\033[%u;%uH", r->cursor_row + 1, r->cursor_col + 1);
		queue(t, 'o', sb.buf, sb.len);
		sb_free(&sb);
	}
	if (t->c) {
		console_seek(t->c, r->head);
		console_start(t->c);
		monrpc_flush(t->m);
	} else {
		end_with(t, t->stopped);
	}
}

static void ask_screen(struct term *t)
{
	char *name = t->chan;
	struct err e;

	if (rpc_client_send(monrpc_client(t->m), UM_CONSOLE_SCREEN,
			    (xdrproc_t)xdr_wrapstring, &name,
			    (xdrproc_t)xdr_um_screen_res, sizeof(um_screen_res),
			    on_screen, t, &e) < 0) {
		t->drawn = 1;
		end_with(t, e.msg);
		return;
	}
	monrpc_flush(t->m);
}

static void on_opened(void *arg, struct console *c, int r, const struct err *e)
{
	struct term *t = arg;

	t->opening = NULL;
	if (c) {
		t->c = c;
		/* the guest's pty at the browser's size, before the screen is
		 * taken (the monitor answers in order) */
		console_winsize(c, t->rows, t->cols);
		ask_screen(t);
	} else if (r == -2 && e->code == ERR_CLOSED) {
		/* the VM does not run: its last screen, and why no more */
		t->stopped = xstrdup(e->msg);
		ask_screen(t);
	} else {
		/* no answer, no such channel, or not allowed */
		t->drawn = 1;
		lws_sul_cancel(&t->sul);
		end_with(t, e->msg);
	}
}

/* The monitor did not answer the opening in time (stopped, hung): the
 * browser is told; a late answer is ignored. */
static void open_deadline(lws_sorted_usec_list_t *sul)
{
	struct term *t = lws_container_of(sul, struct term, sul);
	char msg[300];

	console_open_cancel(t->opening);
	t->opening = NULL;
	t->drawn = 1;
	snprintf(msg, sizeof(msg), "%s: monitor not answering (nothing in %d ms)",
		 t->vm, WEB_RPC_TIMEOUT_MS);
	end_with(t, msg);
}

struct term *term_open(struct web *w, struct lws *wsi, const char *vm,
		       const char *chan, unsigned rows, unsigned cols,
		       struct err *e)
{
	struct console_io io = {on_output, on_note, NULL, "umlweb"};
	struct term *t = xcalloc(1, sizeof(*t));

	t->w = w;
	t->wsi = wsi;
	snprintf(t->vm, sizeof(t->vm), "%s", vm);
	snprintf(t->chan, sizeof(t->chan), "%s", chan);
	t->rows = rows;
	t->cols = cols;
	sb_init(&t->out);
	io.arg = t;
	t->m = monrpc_open(w, vm, on_event, t, e);
	if (!t->m) {
		sb_free(&t->out);
		free(t);
		return NULL;
	}
	/* the answers come to the loop: it does not wait for a monitor */
	t->opening = console_open_send(monrpc_client(t->m), chan, 0,
				       CONSOLE_ESCAPE_NONE, &io, on_opened, t, e);
	if (!t->opening) {
		err_prefix(e, "%s: monitor", vm);
		term_close(t);
		return NULL;
	}
	monrpc_flush(t->m);
	lws_sul_schedule(w->ctx, 0, &t->sul, open_deadline,
			 (lws_usec_t)WEB_RPC_TIMEOUT_MS * LWS_US_PER_MS);
	return t;
}

void term_receive(struct term *t, const void *data, size_t n)
{
	const char *p = data;
	unsigned rows, cols;
	char buf[32];

	if (n && p[0] == 'r' && !t->c && n < sizeof(buf)) {
		/* a size while the console opens: the one it opens with */
		memcpy(buf, p + 1, n - 1);
		buf[n - 1] = '\0';
		if (sscanf(buf, "%u %u", &rows, &cols) == 2 && rows && cols &&
		    rows <= 1000 && cols <= 1000) {
			t->rows = rows;
			t->cols = cols;
		}
		return;
	}
	if (!n || !t->c || t->ended)
		return;
	if (p[0] == 'i') {
		console_input(t->c, p + 1, n - 1);
	} else if (p[0] == 'r' && n < sizeof(buf)) {
		memcpy(buf, p + 1, n - 1);
		buf[n - 1] = '\0';
		if (sscanf(buf, "%u %u", &rows, &cols) == 2 && rows && cols &&
		    rows <= 1000 && cols <= 1000)
			console_winsize(t->c, rows, cols);
	}
	monrpc_flush(t->m);
	on_event(t, NULL);
}

int term_writable(struct term *t)
{
	uint32_t len;
	unsigned char *buf;
	int n;

	if (t->sent == t->out.len)
		return 0;
	memcpy(&len, t->out.buf + t->sent, sizeof(len));
	buf = xmalloc(LWS_PRE + len);
	memcpy(buf + LWS_PRE, t->out.buf + t->sent + sizeof(len), len);
	n = lws_write(t->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY);
	free(buf);
	if (n < (int)len)
		return -1;
	t->sent += sizeof(len) + len;
	if (t->sent == t->out.len) {
		/* all gone: the buffer starts again */
		t->out.len = 0;
		t->sent = 0;
	} else if (t->sent > (1U << 20)) {
		memmove(t->out.buf, t->out.buf + t->sent, t->out.len - t->sent);
		t->out.len -= t->sent;
		t->sent = 0;
	}
	if (t->held && t->out.len - t->sent < TERM_OUT_LOW) {
		t->held = 0;
		console_hold(t->c, 0);
		monrpc_flush(t->m);
	}
	if (t->sent < t->out.len)
		lws_callback_on_writable(t->wsi);
	return 0;
}

void term_close(struct term *t)
{
	if (!t)
		return;
	t->closing = 1;
	lws_sul_cancel(&t->sul);
	console_open_cancel(t->opening);
	free(t->stopped);
	if (t->c) {
		/* the console owns the RPC client */
		monrpc_close(t->m, 0);
		console_free(t->c);
	} else {
		monrpc_close(t->m, 1);
	}
	sb_free(&t->out);
	free(t);
}
