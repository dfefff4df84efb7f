/* loop.h -- the one event loop of a umlmon daemon: fds (epoll), timers and
 * signals (signalfd).  Idle, it sleeps in epoll_wait: no polling. */
#ifndef UMLMON_LOOP_H
#define UMLMON_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);
typedef void (*loop_signal_cb)(struct loop *l, int sig, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* events: EPOLLIN, EPOLLOUT ...; one handler per fd. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
/* Safe to call from any callback, also for the fd being dispatched. */
void loop_del_fd(struct loop *l, int fd);

/* Calls cb once after delay_ms. The timer is freed after it fires. */
struct loop_timer *loop_timer_add(struct loop *l, int64_t delay_ms,
				  loop_timer_cb cb, void *arg);
/* Cancels a pending timer; NULL is ignored, and so is the timer whose
 * callback runs now. A timer that has run is freed: whoever keeps its
 * pointer clears it in the callback (cancelling it later is a use after
 * free). O(log n). */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Delivers sig through the loop; the signal is blocked for the process.
 * A forked child inherits the block: it must set the mask it needs (the
 * monitor keeps the one it had before its loop). */
int loop_signal(struct loop *l, int sig, loop_signal_cb cb, void *arg);

/* Runs until loop_quit(); returns 0, or -1 if epoll failed. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l);

#endif
