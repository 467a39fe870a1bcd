/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's event loop.
 *
 * One thread (zonewired's main lcore) runs everything that is not the UDP
 * fast path, on ordinary kernel sockets bound to the service addresses of
 * the exception interface: DNS over TCP, zone transfers, the control API,
 * signals, timers. It is the only writer of the zone table. Modules
 * register file descriptors and timers with the loop; their callbacks run
 * on the loop's thread, one at a time, and must not block: long work goes to
 * a helper thread that reports back through zw_ctl_post().
 *
 * Nothing here is called by the workers.
 */
#ifndef ZW_CTL_H
#define ZW_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct zw_ctl;
struct zw_config;
struct zw_answer_cfg;

/* Called with the epoll events that fired for fd. */
typedef void (*zw_ctl_fd_fn)(struct zw_ctl *ctl, int fd, uint32_t events, void *arg);
/* Called when a timer expires; return the next delay in ms, or 0 to stop. */
typedef uint64_t (*zw_ctl_timer_fn)(struct zw_ctl *ctl, void *arg);
/* Work handed to the loop from another thread. */
typedef void (*zw_ctl_post_fn)(struct zw_ctl *ctl, void *arg);

struct zw_ctl *zw_ctl_create(const struct zw_config *cfg, const struct zw_answer_cfg *acfg);
void zw_ctl_free(struct zw_ctl *ctl);

/* The configuration and answer settings the loop was created with. */
const struct zw_config *zw_ctl_config(const struct zw_ctl *ctl);
const struct zw_answer_cfg *zw_ctl_answer_cfg(const struct zw_ctl *ctl);

/* Registers fd for events (EPOLLIN, EPOLLOUT, ...); 0 or -errno. */
int zw_ctl_add_fd(struct zw_ctl *ctl, int fd, uint32_t events, zw_ctl_fd_fn fn, void *arg);
int zw_ctl_mod_fd(struct zw_ctl *ctl, int fd, uint32_t events);
/* Unregisters fd (the caller closes it). */
void zw_ctl_del_fd(struct zw_ctl *ctl, int fd);

/* A timer firing after delay_ms, then as its callback says. Returns an id
 * for zw_ctl_timer_cancel(), or 0 on ENOMEM. */
uint64_t zw_ctl_timer(struct zw_ctl *ctl, uint64_t delay_ms, zw_ctl_timer_fn fn, void *arg);
void zw_ctl_timer_cancel(struct zw_ctl *ctl, uint64_t id);

/* Any thread: runs fn(ctl, arg) on the loop's thread soon. 0 or -errno. */
int zw_ctl_post(struct zw_ctl *ctl, zw_ctl_post_fn fn, void *arg);

/* Runs the work posted so far (at shutdown, after rcu_barrier()). */
void zw_ctl_drain(struct zw_ctl *ctl);

/* Milliseconds of a monotonic clock, as the loop sees it. */
uint64_t zw_ctl_now_ms(void);

/* Runs until zw_ctl_stop() or a stop signal; returns 0. */
int zw_ctl_run(struct zw_ctl *ctl);
void zw_ctl_stop(struct zw_ctl *ctl);
bool zw_ctl_stopping(const struct zw_ctl *ctl);

/* Hooks zonewired gives the loop: reload zones (SIGHUP / API), print or
 * collect statistics (SIGUSR1 / API). Set before zw_ctl_run(). */
struct zw_ctl_hooks {
	int (*reload)(void *arg, char *err, size_t errlen);
	void (*stats_print)(void *arg);
	void *arg;
};
void zw_ctl_set_hooks(struct zw_ctl *ctl, const struct zw_ctl_hooks *hooks);
const struct zw_ctl_hooks *zw_ctl_hooks(const struct zw_ctl *ctl);

#endif /* ZW_CTL_H */
