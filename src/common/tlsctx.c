/* tlsctx.c -- TLS contexts of a monitor and of a client. */
#include "common/ossl.h"
#include "common/tlsctx.h"

#include <errno.h>
#include <string.h>

const char *tlsctx_reason(char *buf, size_t len)
{
	const char *data = NULL;
	int flags = 0;
	unsigned long code = ERR_peek_error_all(NULL, NULL, NULL, &data, &flags);
	const char *r = code ? ERR_reason_error_string(code) : NULL;

	if (!(flags & ERR_TXT_STRING))
		data = NULL;
	if (code && ERR_GET_LIB(code) == ERR_LIB_SYS)
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(code)));
	else if (r && data && *data)
		snprintf(buf, len, "%s (%s)", r, data);
	else if (r)
		snprintf(buf, len, "%s", r);
	else if (code)
		ERR_error_string_n(code, buf, len);
	else
		snprintf(buf, len, "%s", errno ? strerror(errno) : "unknown error");
	ERR_clear_error();
	return buf;
}

static SSL_CTX *ctx_new(const SSL_METHOD *m, struct err *e)
{
	SSL_CTX *ctx = SSL_CTX_new(m);
	char why[160];

	if (!ctx) {
		err_set(e, "TLS: %s", tlsctx_reason(why, sizeof(why)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* a peer's end without close_notify is an end (read 0), as on a
	 * plain socket: the record layer sees a record cut short */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* rpc_out may move its buffer between a write and its retry; a write
	 * may take part of it */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			      SSL_MODE_ENABLE_PARTIAL_WRITE);
	return ctx;
}

SSL_CTX *tlsctx_server(const char *cert, const char *key, struct err *e)
{
	SSL_CTX *ctx;
	char why[160];

	ERR_clear_error();
	ctx = ctx_new(TLS_server_method(), e);
	if (!ctx)
		return NULL;
	SSL_CTX_set_num_tickets(ctx, 0);
	errno = 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		err_code(e, ERR_INVAL, "tls_cert %s: cannot use it: %s", cert,
			 tlsctx_reason(why, sizeof(why)));
		goto fail;
	}
	errno = 0;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		unsigned long code = ERR_peek_last_error();

		/* it also checks the key against the certificate */
		if (ERR_GET_LIB(code) == ERR_LIB_X509 &&
		    ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH)
			err_code(e, ERR_INVAL, "tls_key %s: not the key of "
				 "tls_cert %s", key, cert);
		else
			err_code(e, ERR_INVAL, "tls_key %s: cannot use it: %s", key,
				 tlsctx_reason(why, sizeof(why)));
		ERR_clear_error();
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		err_code(e, ERR_INVAL, "tls_key %s: not the key of tls_cert %s: %s",
			 key, cert, tlsctx_reason(why, sizeof(why)));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *tlsctx_client(const char *ca, struct err *e)
{
	SSL_CTX *ctx;
	char why[160];

	ERR_clear_error();
	ctx = ctx_new(TLS_client_method(), e);
	if (!ctx)
		return NULL;
	if (!ca) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	errno = 0;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		err_code(e, ERR_INVAL, "TLS CA file %s: cannot use it: %s", ca,
			 tlsctx_reason(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

void tlsctx_ref(SSL_CTX *ctx)
{
	if (ctx)
		SSL_CTX_up_ref(ctx);
}

void tlsctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}
