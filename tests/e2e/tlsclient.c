/* tlsclient -- the remote client's way to a monitor's own TCP port, without
 * umldir (remote_open_port: TLS when asked, the handshake bound to it, a
 * sealed UM_INFO), for remote_tls.sh; with -n N it connects N times and
 * prints the time of one connection (TLS and handshake) in microseconds.
 * The password comes from $UMLWATCH_PASSWORD.
 * usage: tlsclient [-tls] [-ca FILE] [-n N] HOST PORT VM
 * Prints "VM state" and exits 0, or prints the error and its code name
 * ("ERR_PERM: ...") and exits 1. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/remote.h"
#include "common/names.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "common/util.h"
#include "umlmonctrl.h"

static const char *const code_names[] = {
	"ERR_OK", "ERR_INVAL", "ERR_STATE", "ERR_NOENT", "ERR_IO",
	"ERR_TIMEDOUT", "ERR_PERM", "ERR_CLOSED", "ERR_BUSY", "ERR_KERNEL",
	"ERR_UNSAFE",
	"ERR_NOMEM",
	"ERR_SHARED",
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int failed(const struct err *e)
{
	unsigned c = (unsigned)e->code;

	printf("%s: %s\n", c < sizeof(code_names) / sizeof(code_names[0]) ?
	       code_names[c] : "ERR_?", e->msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct remote_target t = {.timeout_ms = 10000};
	const char *pw = getenv("UMLWATCH_PASSWORD");
	struct rpc_client *c = NULL;
	long n = 1, port;
	int64_t t0;
	um_info info;
	struct err e;
	int i = 1;

	signal(SIGPIPE, SIG_IGN);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-tls"))
			t.tls = 1;
		else if (!strcmp(argv[i], "-ca") && i + 1 < argc)
			t.tls_ca = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
		else
			break;
	}
	if (argc - i != 3 || !pw || n < 1 || parse_long(argv[i + 1], 1, 65535, &port) < 0) {
		fprintf(stderr, "usage: UMLWATCH_PASSWORD=... tlsclient [-tls] "
			"[-ca FILE] [-n N] HOST PORT VM\n");
		return 2;
	}
	snprintf(t.host, sizeof(t.host), "%s", argv[i]);
	t0 = now_us();
	for (long k = 0; k < n; k++) {
		rpc_client_free(c);
		c = remote_open_port(&t, (int)port, t.tls, argv[i + 2], pw, &e);
		if (!c)
			return failed(&e);
	}
	if (n > 1)
		printf("us_per_connection %lld\n", (long long)((now_us() - t0) / n));
	memset(&info, 0, sizeof(info));
	if (rpc_client_call(c, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
			    (xdrproc_t)xdr_um_info, &info, t.timeout_ms, &e) < 0) {
		rpc_client_free(c);
		return failed(&e);
	}
	printf("%s %s\n", info.name, vm_state_name(info.state));
	xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
	rpc_client_free(c);
	return 0;
}
