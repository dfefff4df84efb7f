/* rpc_wire.c -- record marking and RPC message encoding. */
#include "common/rpc_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

void rpc_in_free(struct rpc_in *in)
{
	free(in->buf);
	free(in->rec);
	auth_wipe(in, sizeof(*in));
}

void rpc_in_seal(struct rpc_in *in, const uint8_t key[AUTH_KEY_LEN])
{
	memcpy(in->seal.key, key, AUTH_KEY_LEN);
	in->seal.seq = 0;
	in->sealed = 1;
}

static void in_reserve(struct rpc_in *in, size_t more)
{
	if (in->len + more <= in->cap)
		return;
	while (in->len + more > in->cap)
		in->cap = in->cap ? in->cap * 2 : 16384;
	in->buf = xrealloc(in->buf, in->cap);
}

ssize_t rpc_in_read_io(struct rpc_in *in, struct netio *io)
{
	ssize_t r, total = 0;

	do {
		in_reserve(in, 16384);
		do
			r = netio_read(io, in->buf + in->len, in->cap - in->len);
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			return total ? total : r;
		in->len += (size_t)r;
		total += r;
	} while (netio_pending(io));
	return total;
}

ssize_t rpc_in_read(struct rpc_in *in, int fd)
{
	struct netio io;

	netio_init(&io, fd);
	return rpc_in_read_io(in, &io);
}

void rpc_in_push(struct rpc_in *in, const void *data, size_t n)
{
	in_reserve(in, n);
	memcpy(in->buf + in->len, data, n);
	in->len += n;
}

int rpc_in_next(struct rpc_in *in, const uint8_t **rec, size_t *len)
{
	size_t pos = 0;
	int got = 0;

	if (in->rec_done) {
		in->reclen = 0;
		in->rec_done = 0;
	}
	while (in->len - pos >= 4) {
		uint32_t hdr, flen;
		int last;

		memcpy(&hdr, in->buf + pos, 4);
		hdr = ntohl(hdr);
		last = (hdr & 0x80000000u) != 0;
		flen = hdr & 0x7fffffffu;
		if (in->reclen + flen > RPC_MAX_RECORD)
			return -1;
		if (in->len - pos - 4 < flen)
			break;
		if (in->reclen + flen > in->reccap) {
			in->reccap = in->reclen + flen;
			in->rec = xrealloc(in->rec, in->reccap);
		}
		/* an empty fragment (even a whole empty record) adds nothing;
		 * rec may still be NULL */
		if (flen)
			memcpy(in->rec + in->reclen, in->buf + pos + 4, flen);
		in->reclen += flen;
		pos += 4 + flen;
		if (last) {
			got = 1;
			break;
		}
	}
	if (pos) {
		memmove(in->buf, in->buf + pos, in->len - pos);
		in->len -= pos;
	}
	if (!got)
		return 0;
	in->rec_done = 1;
	if (in->sealed)
		return auth_open(&in->seal, in->rec, in->reclen, rec, len) < 0 ? -2 : 1;
	*rec = in->rec;
	*len = in->reclen;
	return 1;
}

void rpc_out_free(struct rpc_out *out)
{
	free(out->buf);
	auth_wipe(out, sizeof(*out));
}

void rpc_out_seal(struct rpc_out *out, const uint8_t key[AUTH_KEY_LEN])
{
	memcpy(out->seal.key, key, AUTH_KEY_LEN);
	out->seal.seq = 0;
	out->sealed = 1;
}

int rpc_out_record(struct rpc_out *out, xdrproc_t fn, void *obj)
{
	unsigned long size = xdr_sizeof(fn, obj);
	/* a sealed record: sequence number, message, MAC, in one fragment */
	size_t pre = out->sealed ? AUTH_SEQ_LEN : 0;
	size_t extra = out->sealed ? AUTH_SEAL_OVERHEAD : 0;
	uint8_t *msg;
	uint32_t hdr;
	XDR x;

	if (size == 0 || size + extra > RPC_MAX_RECORD)
		return -1;
	if (out->start && out->start == out->len) {
		out->start = out->len = 0;
	}
	if (out->len + 4 + extra + size > out->cap) {
		if (out->start) {
			memmove(out->buf, out->buf + out->start, out->len - out->start);
			out->len -= out->start;
			out->start = 0;
		}
		while (out->len + 4 + extra + size > out->cap)
			out->cap = out->cap ? out->cap * 2 : 16384;
		out->buf = xrealloc(out->buf, out->cap);
	}
	msg = out->buf + out->len + 4 + pre;
	xdrmem_create(&x, (char *)msg, (u_int)size, XDR_ENCODE);
	if (!fn(&x, obj)) {
		xdr_destroy(&x);
		return -1;
	}
	size = xdr_getpos(&x);
	xdr_destroy(&x);
	if (out->sealed)
		auth_seal(&out->seal, msg, size, msg - pre);
	hdr = htonl(0x80000000u | (uint32_t)(size + extra));
	memcpy(out->buf + out->len, &hdr, 4);
	out->len += 4 + extra + size;
	return 0;
}

int rpc_out_flush(struct rpc_out *out, int fd)
{
	struct netio io;

	netio_init(&io, fd);
	return rpc_out_flush_io(out, &io);
}

int rpc_out_flush_io(struct rpc_out *out, struct netio *io)
{
	while (out->start < out->len) {
		ssize_t w = netio_write(io, out->buf + out->start, out->len - out->start);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			return -1;
		}
		out->start += (size_t)w;
	}
	out->start = out->len = 0;
	return 0;
}

size_t rpc_out_pending(const struct rpc_out *out)
{
	return out->len - out->start;
}

bool_t xdr_rpc_void(XDR *x, void *p)
{
	(void)x;
	(void)p;
	return TRUE;
}

/* A call header plus its arguments, for rpc_out_record(). */
struct rpc_call_msg {
	struct rpc_msg msg;
	xdrproc_t xargs;
	void *args;
};

static bool_t xdr_rpc_call_msg(XDR *x, struct rpc_call_msg *c)
{
	if (!xdr_callmsg(x, &c->msg))
		return FALSE;
	return c->xargs ? c->xargs(x, c->args) : TRUE;
}

int rpc_out_call(struct rpc_out *out, uint32_t xid, uint32_t prog, uint32_t vers,
		 uint32_t proc, xdrproc_t xargs, void *args)
{
	struct rpc_call_msg cm;

	memset(&cm, 0, sizeof(cm));
	cm.msg.rm_xid = xid;
	cm.msg.rm_direction = CALL;
	cm.msg.rm_call.cb_rpcvers = RPC_MSG_VERSION;
	cm.msg.rm_call.cb_prog = prog;
	cm.msg.rm_call.cb_vers = vers;
	cm.msg.rm_call.cb_proc = proc;
	cm.msg.rm_call.cb_cred = _null_auth;
	cm.msg.rm_call.cb_verf = _null_auth;
	cm.xargs = xargs;
	cm.args = args;
	return rpc_out_record(out, (xdrproc_t)xdr_rpc_call_msg, &cm);
}

void rpc_reply_accepted(struct rpc_msg *m, uint32_t xid, enum accept_stat stat,
			xdrproc_t xres, void *res)
{
	memset(m, 0, sizeof(*m));
	m->rm_xid = xid;
	m->rm_direction = REPLY;
	m->rm_reply.rp_stat = MSG_ACCEPTED;
	m->acpted_rply.ar_verf = _null_auth;
	m->acpted_rply.ar_stat = stat;
	if (stat == SUCCESS) {
		m->acpted_rply.ar_results.where = res;
		m->acpted_rply.ar_results.proc = xres;
	}
}

int rpc_reply_unserved(const struct rpc_msg *call, uint32_t prog, uint32_t vers,
		       struct rpc_msg *reply)
{
	uint32_t xid = call->rm_xid;

	if (call->rm_call.cb_rpcvers != RPC_MSG_VERSION) {
		memset(reply, 0, sizeof(*reply));
		reply->rm_xid = xid;
		reply->rm_direction = REPLY;
		reply->rm_reply.rp_stat = MSG_DENIED;
		reply->rjcted_rply.rj_stat = RPC_MISMATCH;
		reply->rjcted_rply.rj_vers.low = RPC_MSG_VERSION;
		reply->rjcted_rply.rj_vers.high = RPC_MSG_VERSION;
	} else if (call->rm_call.cb_prog != prog) {
		rpc_reply_accepted(reply, xid, PROG_UNAVAIL, NULL, NULL);
	} else if (call->rm_call.cb_vers != vers) {
		rpc_reply_accepted(reply, xid, PROG_MISMATCH, NULL, NULL);
		reply->acpted_rply.ar_vers.low = vers;
		reply->acpted_rply.ar_vers.high = vers;
	} else {
		return 0;
	}
	return 1;
}

const char *rpc_reply_error(const struct rpc_msg *m)
{
	if (m->rm_reply.rp_stat == MSG_DENIED)
		return m->rjcted_rply.rj_stat == RPC_MISMATCH ?
			"RPC version mismatch" : "authentication refused";
	switch (m->acpted_rply.ar_stat) {
	case SUCCESS: return "success";
	case PROG_UNAVAIL: return "program unavailable (not a umlmon monitor?)";
	case PROG_MISMATCH: return "program version mismatch";
	case PROC_UNAVAIL: return "procedure unavailable (monitor too old?)";
	case GARBAGE_ARGS: return "the server could not decode the arguments";
	case SYSTEM_ERR: return "system error in the server";
	}
	return "unknown reply status";
}
