/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS over TCP (RFC 7766) on every service address, on the control plane's
 * loop: queries are answered with the same engine as UDP (zw_answer with
 * ZW_ANS_TCP), several per connection and pipelined; zone transfers go to
 * the transfer module (xfr.h), which streams its messages into the
 * connection as it drains. Limits: connections in all and per client
 * address, queries per connection, an idle timeout; the RFC 7828 keepalive
 * option is honoured. A client that stalls, sends a partial length or
 * garbage is closed without affecting others.
 *
 * Control thread only.
 */
#ifndef ZW_TCP_H
#define ZW_TCP_H

#include <stddef.h>
#include <stdint.h>

struct zw_ctl;
struct zw_zones;
struct zw_xfr;
struct zw_tcp;

struct zw_tcp_limits {
	unsigned max_conns;	     /* default 1024 */
	unsigned max_conns_per_addr; /* default 32 */
	unsigned max_queries;	     /* per connection; default 10000 */
	unsigned idle_ms;	     /* default 10000 (RFC 7766 6.2.3) */
	uint16_t port;		     /* 0: 53 (tests listen elsewhere) */
};

struct zw_tcp_stats {
	uint64_t accepted;
	uint64_t refused; /* over a connection limit */
	uint64_t queries;
	uint64_t answers;
	uint64_t transfers; /* handed to the transfer module */
	uint64_t closed_idle;
	uint64_t closed_bad; /* garbage, oversize, protocol errors */
	unsigned open;
};

/* Listens on port 53 of every configured service address (binding with
 * IP_FREEBIND, so the exception interface may come up later). Limits of 0
 * take the defaults. xfr may be NULL: transfer requests are then answered
 * REFUSED. Returns NULL with a message in err when a listener cannot be
 * set up. */
struct zw_tcp *zw_tcp_start(struct zw_ctl *ctl, struct zw_zones *zones, struct zw_xfr *xfr,
			    const struct zw_tcp_limits *lim, char *err, size_t errlen);
/* Closes every connection (ending their transfers) and the listeners;
 * NULL is ignored. */
void zw_tcp_stop(struct zw_tcp *t);
void zw_tcp_get_stats(const struct zw_tcp *t, struct zw_tcp_stats *st);

#endif /* ZW_TCP_H */
