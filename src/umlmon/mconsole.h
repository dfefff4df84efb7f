/* mconsole.h -- client of the UML management console
 * (arch/um/drivers/mconsole.h in the kernel: datagrams on an AF_UNIX socket
 * at UML_DIR/UMID/mconsole; magic 0xcafebabe, version 2, 512 bytes of data;
 * replies in chunks with err/more/len; host byte order).
 *
 * The client binds its own socket to an autobound abstract address, so that
 * a kernel in a chroot jail running as another user can answer it, in the
 * kernel's network namespace (abstract addresses are per namespace).  Every
 * call has a timeout: a sick kernel may never answer (uml_mconsole then
 * hangs forever; we do not). */
#ifndef UMLMON_MCONSOLE_H
#define UMLMON_MCONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define MCONSOLE_MAGIC 0xcafebabeu
#define MCONSOLE_VERSION 2
#define MCONSOLE_MAX_DATA 512

struct mconsole_request {
	uint32_t magic;
	uint32_t version;
	uint32_t len;
	char data[MCONSOLE_MAX_DATA];
};

struct mconsole_reply {
	uint32_t err;
	uint32_t more;
	uint32_t len;
	char data[MCONSOLE_MAX_DATA];
};

enum mconsole_notify_type {
	MCONSOLE_NOTIFY_SOCKET = 0,  /* data: the mconsole socket path */
	MCONSOLE_NOTIFY_PANIC = 1,
	MCONSOLE_NOTIFY_HANG = 2,
	MCONSOLE_NOTIFY_USER = 3,    /* the guest wrote to /proc/mconsole */
};

struct mconsole_notify {
	uint32_t magic;
	uint32_t version;
	uint32_t type;
	uint32_t len;
	char data[MCONSOLE_MAX_DATA];
};

/* The answer to one command, all chunks joined. */
struct mconsole_answer {
	int kernel_err;   /* the kernel's err flag of the first chunk */
	char *text;       /* NUL terminated, malloc'd */
	size_t len;
};

/* Encodes cmd as a request; -1 if it does not fit (>= 512 bytes). */
int mconsole_encode(const char *cmd, struct mconsole_request *req);

/* Collects reply chunks. */
struct mconsole_collect {
	struct strbuf text;
	int kernel_err;
	int nchunks;
};
void mconsole_collect_init(struct mconsole_collect *c);
/* Feeds one received datagram. Returns 1 when the answer is complete, 0
 * when more chunks follow, -1 for a malformed datagram (e says why). */
int mconsole_collect_feed(struct mconsole_collect *c, const void *buf,
			  size_t n, struct err *e);
/* Moves the collected text into ans and resets c. */
void mconsole_collect_finish(struct mconsole_collect *c,
			     struct mconsole_answer *ans);
void mconsole_collect_free(struct mconsole_collect *c);
void mconsole_answer_free(struct mconsole_answer *a);

/* A datagram socket bound to an autobound abstract address,
 * SOCK_CLOEXEC | SOCK_NONBLOCK, in the network namespace netns (an open
 * /proc/PID/ns/net of the kernel's; -1: the caller's). The kernel answers
 * at the sender's address, and an abstract address belongs to a network
 * namespace, so the socket must be in the kernel's: the calling thread
 * enters it for the socket and the bind and returns to its own (setns is
 * per thread; the socket stays in netns). Not returning is fatal. */
int mconsole_socket(int netns, struct err *e);
/* Sends cmd to the kernel's socket at path. */
int mconsole_send(int fd, const char *path, const char *cmd, struct err *e);

/* Blocking: send cmd, wait up to timeout_ms for the whole answer.
 * -1 with e on a local error or timeout ("no answer from PATH in N ms");
 * 0 when the kernel answered (check ans->kernel_err). */
int mconsole_call(const char *path, const char *cmd, int timeout_ms,
		  struct mconsole_answer *ans, struct err *e);

/* Parses a notification datagram (sent to the socket named with the kernel
 * switch mconsole=notify:PATH). -1 if malformed. data is NUL terminated
 * and points into buf's copy in n. */
int mconsole_notify_parse(const void *buf, size_t n, struct mconsole_notify *out,
			  struct err *e);

/* Asynchronous call on an event loop: cb runs exactly once, from the loop
 * (never from inside mconsole_async()), with ans when the kernel answered
 * (kernel_err may be set) or with an error naming the socket and the cause
 * (a local failure, or ERR_TIMEDOUT). The answer is freed after cb returns,
 * and so is the op. netns: the kernel's network namespace, as for
 * mconsole_socket(). */
struct loop;
struct mconsole_op;
typedef void (*mconsole_cb)(const struct mconsole_answer *ans,
			    const struct err *error, void *arg);
struct mconsole_op *mconsole_async(struct loop *l, const char *path, int netns,
				   const char *cmd, int timeout_ms,
				   mconsole_cb cb, void *arg);
/* Cancels a pending call: cb is not run. */
void mconsole_async_cancel(struct mconsole_op *op);

#endif
