/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's event loop: epoll over registered descriptors, a
 * short list of timers, a queue of work posted by other threads (woken
 * through an eventfd), and the process's signals through a signalfd, so
 * that SIGHUP, SIGUSR1 and SIGTERM are handled on this thread like any
 * other event. The signals must be blocked in every thread (zonewired does
 * it before EAL starts its threads).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "ctl.h"

struct fd_slot {
	zw_ctl_fd_fn fn;
	void *arg;
	bool used;
};

struct timer {
	uint64_t id;
	uint64_t due;
	zw_ctl_timer_fn fn;
	void *arg;
	struct timer *next;
};

struct post {
	zw_ctl_post_fn fn;
	void *arg;
	struct post *next;
};

struct zw_ctl {
	int ep;
	int wake; /* eventfd */
	int sig;  /* signalfd */
	bool stop;
	const struct zw_config *cfg;
	const struct zw_answer_cfg *acfg;
	struct zw_ctl_hooks hooks;
	struct fd_slot *fds;
	int nfds;
	struct timer *timers;
	uint64_t next_timer_id;
	pthread_mutex_t post_lock;
	struct post *posts, **posts_tail;
};

/* loops created by this thread: it is registered with RCU while any lives */
static __thread unsigned rcu_loops;

uint64_t zw_ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_wake(struct zw_ctl *ctl, int fd, uint32_t events, void *arg)
{
	uint64_t v;

	(void)events;
	(void)arg;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&ctl->post_lock);
	struct post *p = ctl->posts;
	ctl->posts = NULL;
	ctl->posts_tail = &ctl->posts;
	pthread_mutex_unlock(&ctl->post_lock);
	while (p != NULL) {
		struct post *n = p->next;
		p->fn(ctl, p->arg);
		free(p);
		p = n;
	}
}

void zw_ctl_drain(struct zw_ctl *ctl)
{
	on_wake(ctl, ctl->wake, 0, NULL);
}

static void on_signal(struct zw_ctl *ctl, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (ctl->hooks.reload != NULL) {
				char err[512];
				if (ctl->hooks.reload(ctl->hooks.arg, err, sizeof(err)) != 0)
					fprintf(stderr, "zonewired: reload failed: %s\n", err);
			}
			break;
		case SIGUSR1:
			if (ctl->hooks.stats_print != NULL)
				ctl->hooks.stats_print(ctl->hooks.arg);
			break;
		default: ctl->stop = true; break;
		}
	}
}

struct zw_ctl *zw_ctl_create(const struct zw_config *cfg, const struct zw_answer_cfg *acfg)
{
	struct zw_ctl *ctl = calloc(1, sizeof(*ctl));
	sigset_t set;

	if (ctl == NULL)
		return NULL;
	ctl->cfg = cfg;
	ctl->acfg = acfg;
	ctl->ep = ctl->wake = ctl->sig = -1;
	/* the loop publishes tables with call_rcu(), which QSBR wants from a
	 * registered thread; it reads no table itself, so it stays offline.
	 * Once per thread, however many loops it creates. */
	if (rcu_loops++ == 0) {
		rcu_register_thread();
		rcu_thread_offline();
	}
	ctl->posts_tail = &ctl->posts;
	pthread_mutex_init(&ctl->post_lock, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	ctl->ep = epoll_create1(EPOLL_CLOEXEC);
	ctl->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctl->sig = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ctl->ep < 0 || ctl->wake < 0 || ctl->sig < 0 ||
	    zw_ctl_add_fd(ctl, ctl->wake, EPOLLIN, on_wake, NULL) != 0 ||
	    zw_ctl_add_fd(ctl, ctl->sig, EPOLLIN, on_signal, NULL) != 0) {
		zw_ctl_free(ctl);
		return NULL;
	}
	return ctl;
}

void zw_ctl_free(struct zw_ctl *ctl)
{
	if (ctl == NULL)
		return;
	if (ctl->ep >= 0)
		close(ctl->ep);
	if (ctl->wake >= 0)
		close(ctl->wake);
	if (ctl->sig >= 0)
		close(ctl->sig);
	while (ctl->timers != NULL) {
		struct timer *t = ctl->timers;
		ctl->timers = t->next;
		free(t);
	}
	while (ctl->posts != NULL) {
		struct post *p = ctl->posts;
		ctl->posts = p->next;
		free(p);
	}
	pthread_mutex_destroy(&ctl->post_lock);
	free(ctl->fds);
	free(ctl);
	if (rcu_loops > 0 && --rcu_loops == 0) {
		rcu_thread_online();
		rcu_unregister_thread();
	}
}

const struct zw_config *zw_ctl_config(const struct zw_ctl *ctl)
{
	return ctl->cfg;
}

const struct zw_answer_cfg *zw_ctl_answer_cfg(const struct zw_ctl *ctl)
{
	return ctl->acfg;
}

int zw_ctl_add_fd(struct zw_ctl *ctl, int fd, uint32_t events, zw_ctl_fd_fn fn, void *arg)
{
	if (fd < 0)
		return -EBADF;
	if (fd >= ctl->nfds) {
		int n = ctl->nfds ? ctl->nfds : 64;
		while (n <= fd)
			n *= 2;
		struct fd_slot *s = realloc(ctl->fds, (size_t)n * sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
		memset(s + ctl->nfds, 0, (size_t)(n - ctl->nfds) * sizeof(*s));
		ctl->fds = s;
		ctl->nfds = n;
	}
	struct epoll_event ev = { .events = events, .data.fd = fd };
	if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		return -errno;
	ctl->fds[fd] = (struct fd_slot){ .fn = fn, .arg = arg, .used = true };
	return 0;
}

int zw_ctl_mod_fd(struct zw_ctl *ctl, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(ctl->ep, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
}

void zw_ctl_del_fd(struct zw_ctl *ctl, int fd)
{
	if (fd < 0 || fd >= ctl->nfds || !ctl->fds[fd].used)
		return;
	epoll_ctl(ctl->ep, EPOLL_CTL_DEL, fd, NULL);
	ctl->fds[fd].used = false;
}

uint64_t zw_ctl_timer(struct zw_ctl *ctl, uint64_t delay_ms, zw_ctl_timer_fn fn, void *arg)
{
	struct timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return 0;
	t->id = ++ctl->next_timer_id;
	t->due = zw_ctl_now_ms() + delay_ms;
	t->fn = fn;
	t->arg = arg;
	t->next = ctl->timers;
	ctl->timers = t;
	return t->id;
}

void zw_ctl_timer_cancel(struct zw_ctl *ctl, uint64_t id)
{
	for (struct timer **p = &ctl->timers; *p != NULL; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct timer *t = *p;
			*p = t->next;
			free(t);
			return;
		}
	}
}

int zw_ctl_post(struct zw_ctl *ctl, zw_ctl_post_fn fn, void *arg)
{
	struct post *p = malloc(sizeof(*p));
	uint64_t one = 1;

	if (p == NULL)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&ctl->post_lock);
	*ctl->posts_tail = p;
	ctl->posts_tail = &p->next;
	pthread_mutex_unlock(&ctl->post_lock);
	if (write(ctl->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/* Runs the timers that are due; returns ms until the next, or -1. */
static int run_timers(struct zw_ctl *ctl)
{
	uint64_t now = zw_ctl_now_ms();
	bool again = true;

	while (again) {
		again = false;
		for (struct timer **p = &ctl->timers; *p != NULL; p = &(*p)->next) {
			struct timer *t = *p;
			if (t->due > now)
				continue;
			*p = t->next;
			uint64_t next = t->fn(ctl, t->arg);
			if (next > 0) {
				t->due = zw_ctl_now_ms() + next;
				t->next = ctl->timers;
				ctl->timers = t;
			} else {
				free(t);
			}
			again = true; /* the list changed: walk it again */
			break;
		}
	}
	int64_t wait = -1;
	for (struct timer *t = ctl->timers; t != NULL; t = t->next) {
		int64_t d = (int64_t)(t->due > now ? t->due - now : 0);
		if (wait < 0 || d < wait)
			wait = d;
	}
	return wait > 1000 ? 1000 : (int)wait;
}

int zw_ctl_run(struct zw_ctl *ctl)
{
	struct epoll_event evs[64];

	while (!ctl->stop) {
		int timeout = run_timers(ctl);
		int n = epoll_wait(ctl->ep, evs, 64, timeout < 0 ? 1000 : timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !ctl->stop; i++) {
			int fd = evs[i].data.fd;
			if (fd < ctl->nfds && ctl->fds[fd].used)
				ctl->fds[fd].fn(ctl, fd, evs[i].events, ctl->fds[fd].arg);
		}
	}
	return 0;
}

void zw_ctl_stop(struct zw_ctl *ctl)
{
	ctl->stop = true;
}

bool zw_ctl_stopping(const struct zw_ctl *ctl)
{
	return ctl->stop;
}

void zw_ctl_set_hooks(struct zw_ctl *ctl, const struct zw_ctl_hooks *hooks)
{
	ctl->hooks = *hooks;
}

const struct zw_ctl_hooks *zw_ctl_hooks(const struct zw_ctl *ctl)
{
	return &ctl->hooks;
}
