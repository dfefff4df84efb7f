/* netio.c -- a stream, plain or TLS (OpenSSL). */
#include "common/ossl.h"
#include "common/netio.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/tlsctx.h"

void netio_init(struct netio *io, int fd)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
}

/* Why the TLS operation failed (sslerr: SSL_get_error's), in reason. */
static void take_reason(struct netio *io, int sslerr)
{
	if (sslerr == SSL_ERROR_SYSCALL && !ERR_peek_error() && !errno)
		snprintf(io->reason, sizeof(io->reason), "the peer closed the connection");
	else
		tlsctx_reason(io->reason, sizeof(io->reason));
}

/* The result r of an SSL_read/SSL_write/handshake as read(2)'s. */
static int ssl_result(struct netio *io, int r)
{
	int se = SSL_get_error(io->ssl, r);
	int saved = errno;

	switch (se) {
	case SSL_ERROR_WANT_READ:
		io->want_read = 1;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		io->want_write = 1;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		io->failed = 1;
		errno = saved;
		take_reason(io, se);
		errno = saved ? saved : ECONNRESET;
		return -1;
	default:
		io->failed = 1;
		take_reason(io, se);
		errno = EPROTO;
		return -1;
	}
}

ssize_t netio_read(struct netio *io, void *buf, size_t n)
{
	size_t got = 0;
	int r;

	if (!io->ssl)
		return read(io->fd, buf, n);
	io->want_read = io->want_write = 0;
	ERR_clear_error();
	r = SSL_read_ex(io->ssl, buf, n, &got);
	if (r > 0)
		return (ssize_t)got;
	return ssl_result(io, r);
}

ssize_t netio_write(struct netio *io, const void *buf, size_t n)
{
	size_t done = 0;
	int r;

	if (!io->ssl) {
		/* a peer that went away is EPIPE, not a signal that ends a
		 * client which never asked for one */
		ssize_t w = send(io->fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == ENOTSOCK)
			w = write(io->fd, buf, n);
		return w;
	}
	/* the retry of a write OpenSSL could not finish: the same length */
	if (io->retry_len && n > io->retry_len)
		n = io->retry_len;
	io->want_read = io->want_write = 0;
	ERR_clear_error();
	r = SSL_write_ex(io->ssl, buf, n, &done);
	if (r > 0) {
		io->retry_len = 0;
		return (ssize_t)done;
	}
	r = ssl_result(io, r);
	if (errno == EAGAIN)
		io->retry_len = n;
	return r;
}

size_t netio_pending(const struct netio *io)
{
	return io->ssl ? (size_t)SSL_pending(io->ssl) : 0;
}

void netio_close(struct netio *io)
{
	if (io->ssl) {
		/* no close_notify: the records are framed (and sealed), so a
		 * cut is seen above TLS; and a write to a peer already gone
		 * would raise SIGPIPE in a client that does not ignore it */
		SSL_free(io->ssl);
		ERR_clear_error();
		io->ssl = NULL;
	}
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}

static int tls_new(struct netio *io, SSL_CTX *ctx, struct err *e)
{
	io->ssl = SSL_new(ctx);
	if (!io->ssl || !SSL_set_fd(io->ssl, io->fd)) {
		take_reason(io, SSL_ERROR_SSL);
		err_set(e, "TLS: %s", io->reason);
		SSL_free(io->ssl);
		io->ssl = NULL;
		return -1;
	}
	return 0;
}

int netio_tls_server(struct netio *io, SSL_CTX *ctx, struct err *e)
{
	if (tls_new(io, ctx, e) < 0)
		return -1;
	SSL_set_accept_state(io->ssl);
	return 0;
}

int netio_accept(struct netio *io)
{
	int r;

	io->want_read = io->want_write = 0;
	ERR_clear_error();
	r = SSL_do_handshake(io->ssl);
	if (r == 1)
		return 1;
	if (ssl_result(io, r) < 0 && errno == EAGAIN)
		return 0;
	if (!io->reason[0])
		snprintf(io->reason, sizeof(io->reason), "the peer closed the connection");
	io->failed = 1;
	return -1;
}

int netio_tls_client(struct netio *io, SSL_CTX *ctx, const char *host,
		     int64_t deadline, struct err *e)
{
	if (tls_new(io, ctx, e) < 0)
		return -1;
	SSL_set_connect_state(io->ssl);
	if (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(io->ssl);

		/* a certificate of the CA, and for this host: another
		 * monitor's does not do */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1) {
			ERR_clear_error();
			SSL_set1_host(io->ssl, host);
			SSL_set_tlsext_host_name(io->ssl, host);
		}
	}
	for (;;) {
		struct pollfd pfd = {io->fd, 0, 0};
		int64_t left;
		int r = netio_accept(io);

		if (r > 0)
			return 0;
		if (r < 0) {
			long v = SSL_get_verify_result(io->ssl);

			if (v != X509_V_OK)
				err_code(e, ERR_PERM, "TLS: the server's certificate "
					 "does not verify: %s",
					 X509_verify_cert_error_string(v));
			else
				err_code(e, ERR_IO, "TLS: %s", io->reason);
			return -1;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			err_code(e, ERR_TIMEDOUT, "TLS: no handshake in time");
			return -1;
		}
		pfd.events = io->want_write ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			err_sys(e, "poll");
			return -1;
		}
	}
}

int netio_binding(const struct netio *io, uint8_t *out)
{
	if (!io->ssl)
		return -1;
	if (SSL_export_keying_material(io->ssl, out, AUTH_TLS_BINDING_LEN,
				       AUTH_TLS_LABEL, strlen(AUTH_TLS_LABEL),
				       NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}
