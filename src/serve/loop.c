/* loop.c -- epoll, a heap of timers and signalfd. */
#include "serve/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

struct handler {
	loop_fd_cb cb;
	void *arg;
	uint32_t gen;  /* bumped on every add, so stale events are dropped */
	int active;
};

/* Timers are a binary heap ordered by (due, seq): adding and cancelling
 * one costs O(log n) with tens of thousands pending (a parked console read
 * each holds one), and timers due at the same time run in the order they
 * were added. */
struct loop_timer {
	int64_t due;
	uint64_t seq;
	loop_timer_cb cb;
	void *arg;
	size_t idx;            /* in the heap; TIMER_RUNNING while it runs */
};

#define TIMER_RUNNING ((size_t)-1)

struct sighandler {
	int sig;
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	struct handler *fds;
	int nfds;
	struct loop_timer **heap;  /* timers, the earliest first */
	size_t ntimers, captimers;
	uint64_t timer_seq;
	int sigfd;
	sigset_t sigs;
	struct sighandler sh[16];
	int nsh;
	int quit;
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigs);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->ntimers; i++)
		free(l->heap[i]);
	free(l->heap);
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigs, NULL);
	}
	close(l->epfd);
	free(l->fds);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fd >= l->nfds) {
		int n = l->nfds ? l->nfds : 64;

		while (n <= fd)
			n *= 2;
		l->fds = xrealloc(l->fds, sizeof(*l->fds) * (size_t)n);
		memset(l->fds + l->nfds, 0, sizeof(*l->fds) * (size_t)(n - l->nfds));
		l->nfds = n;
	}
	l->fds[fd].cb = cb;
	l->fds[fd].arg = arg;
	l->fds[fd].gen++;
	l->fds[fd].active = 1;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)l->fds[fd].gen << 32);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		l->fds[fd].active = 0;
		return -1;
	}
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev;

	if (fd < 0 || fd >= l->nfds || !l->fds[fd].active) {
		errno = EBADF;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)l->fds[fd].gen << 32);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].active)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->fds[fd].active = 0;
}

static int timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

/* Moves the timer at i to its place. */
static void heap_fix(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0 && timer_before(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->ntimers)
			break;
		if (c + 1 < l->ntimers && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;
	struct loop_timer *last = l->heap[--l->ntimers];

	if (last != t) {
		heap_set(l, i, last);
		heap_fix(l, i);
	}
}

struct loop_timer *loop_timer_add(struct loop *l, int64_t delay_ms,
				  loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->due = now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->seq = l->timer_seq++;
	t->cb = cb;
	t->arg = arg;
	if (l->ntimers == l->captimers) {
		l->captimers = l->captimers ? l->captimers * 2 : 64;
		l->heap = xrealloc(l->heap, l->captimers * sizeof(*l->heap));
	}
	heap_set(l, l->ntimers++, t);
	heap_fix(l, t->idx);
	return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	/* one that runs now is freed when its callback returns */
	if (!t || t->idx == TIMER_RUNNING)
		return;
	heap_remove(l, t);
	free(t);
}

static void on_signalfd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (int i = 0; i < l->nsh; i++)
			if (l->sh[i].sig == (int)si.ssi_signo)
				l->sh[i].cb(l, (int)si.ssi_signo, l->sh[i].arg);
	}
}

int loop_signal(struct loop *l, int sig, loop_signal_cb cb, void *arg)
{
	if (l->nsh >= (int)ARRAY_SIZE(l->sh)) {
		errno = ENOSPC;
		return -1;
	}
	sigaddset(&l->sigs, sig);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		return -1;
	l->sigfd = signalfd(l->sigfd, &l->sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return -1;
	if (l->nsh == 0 && loop_add_fd(l, l->sigfd, EPOLLIN, on_signalfd, NULL) < 0)
		return -1;
	l->sh[l->nsh].sig = sig;
	l->sh[l->nsh].cb = cb;
	l->sh[l->nsh].arg = arg;
	l->nsh++;
	return 0;
}

static void run_timers(struct loop *l)
{
	int64_t now = now_ms();

	while (l->ntimers && l->heap[0]->due <= now && !l->quit) {
		struct loop_timer *t = l->heap[0];

		heap_remove(l, t);
		t->idx = TIMER_RUNNING;
		t->cb(l, t->arg);
		free(t);
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	l->quit = 0;
	while (!l->quit) {
		int timeout = -1, n;

		if (l->ntimers) {
			int64_t d = l->heap[0]->due - now_ms();

			timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(l->epfd, evs, (int)ARRAY_SIZE(evs), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n && !l->quit; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);

			if (fd >= l->nfds || !l->fds[fd].active || l->fds[fd].gen != gen)
				continue;
			l->fds[fd].cb(l, fd, evs[i].events, l->fds[fd].arg);
		}
		run_timers(l);
	}
	return 0;
}

void loop_quit(struct loop *l)
{
	l->quit = 1;
}
