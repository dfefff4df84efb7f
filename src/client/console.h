/* console.h -- the protocol side of a console attached through a monitor:
 * the offset of the output shown so far, one read in flight, what is
 * typed sent as pipelined writes on the same connection, the terminal's
 * size, and the escape menu (leave, SysRq, the escape key itself). It has
 * no terminal and no descriptor of its own: a front end hands it the
 * bytes typed and the connection's readiness, and gets the bytes to show,
 * its notes and the end. umlwatch -connect is the terminal's front end
 * (watch_console.c); a web console will be another. */
#ifndef UMLMON_CONSOLE_H
#define UMLMON_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

struct rpc_client;
struct console;

#define CONSOLE_ESCAPE_NONE (-1)

/* How a console ended; CONSOLE_CLOSED, _REFUSED and _LOST say why. */
enum console_end {
	CONSOLE_ATTACHED = 0,   /* not ended */
	CONSOLE_LEFT,           /* the user left through the escape menu */
	CONSOLE_CLOSED,         /* the channel closed: the VM stopped */
	CONSOLE_REFUSED,        /* the monitor refused a read */
	CONSOLE_LOST,           /* the connection to the monitor is gone */
	CONSOLE_UNSHOWN,        /* the front end could not show the output */
};

/* What the console gives its front end. */
struct console_io {
	/* The guest's output, to show; -1 if it cannot be (the console
	 * then ends, CONSOLE_UNSHOWN). */
	int (*output)(void *arg, const void *buf, size_t n);
	/* A note of the console's own, line ends included
	 * ("\r\n[umlwatch: SysRq sent]\r\n"). */
	void (*note)(void *arg, const char *text);
	void *arg;
	const char *name;       /* who speaks in the notes: "umlwatch" */
};

/* Opens the channel chan on the monitor at the other end of rpc
 * (UM_CONSOLE_OPEN, waiting for the answer); escape is the escape key
 * or CONSOLE_ESCAPE_NONE (every byte typed is the guest's). 0 with *out:
 * the console owns rpc from then on. -1: no answer; -2: the monitor
 * refused (e has its message); rpc stays the caller's. */
int console_open(struct rpc_client *rpc, const char *chan, int readonly,
		 int escape, const struct console_io *io, struct console **out,
		 struct err *e);
/* The same without waiting (umlweb's loop): the call is queued on rpc
 * (flush it), and opened(arg, c, r, e) runs from rpc_client_input() with
 * console_open's c, return value and e, unless console_open_cancel came
 * first (before rpc is freed, which runs the callback). NULL with e: not
 * queued. */
typedef void (*console_opened_fn)(void *arg, struct console *c, int r,
				  const struct err *e);
struct console_opening;
struct console_opening *console_open_send(struct rpc_client *rpc, const char *chan,
					  int readonly, int escape,
					  const struct console_io *io,
					  console_opened_fn opened, void *arg,
					  struct err *e);
void console_open_cancel(struct console_opening *o);
/* The monitor's word on the opening when it is not plain "ok" (log-only,
 * paused ...), else NULL. */
const char *console_notice(const struct console *c);
/* Whether what is typed reaches the guest (not -readonly, not log-only). */
int console_writable(const struct console *c);
/* Before console_start: the output starts at this offset of the channel
 * instead of the monitor's (the web console first draws the screen,
 * which shows the output up to its um_screen_res.head). */
void console_seek(struct console *c, uint64_t offset);
/* Sends the first read; the output comes from then on. */
void console_start(struct console *c);
/* hold 1: the front end cannot take more output for now (a slow
 * browser): the next read waits; 0: it goes on. The monitor keeps the
 * output meanwhile, up to its ring. */
void console_hold(struct console *c, int hold);
/* The terminal's size, for the guest's pty (if writable). */
void console_winsize(struct console *c, unsigned rows, unsigned cols);
/* Bytes typed: for the guest, or for the escape menu. */
void console_input(struct console *c, const void *buf, size_t n);

/* The connection, for the front end's poll: its descriptor, whether it
 * waits to write, and what poll said of it. */
int console_fd(const struct console *c);
int console_want_write(const struct console *c);
void console_ready(struct console *c, int readable, int writable);
/* Writes not answered yet. */
int console_writes_pending(const struct console *c);

enum console_end console_ended(const struct console *c);
/* Why it ended, or NULL. */
const char *console_message(const struct console *c);
/* Frees the console and its connection; calls in flight are dropped. */
void console_free(struct console *c);

/* "Ctrl-]", "Ctrl-X", "none" */
const char *console_escape_name(int key, char *buf, size_t n);

#endif
