/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS over UDP on the control plane: what the workers do not answer
 * themselves and pass to the kernel arrives here, on port 53 of the service
 * addresses: TSIG-signed queries (the workers have no keys) and NOTIFY.
 * Ordinary queries that reach the kernel (from the server's own host) are
 * answered too, with the same engine.
 *
 * Control thread only.
 */
#ifndef ZW_UDP_H
#define ZW_UDP_H

#include <stddef.h>
#include <stdint.h>

struct zw_ctl;
struct zw_zones;
struct zw_xfr;
struct zw_udp;

struct zw_udp_stats {
	uint64_t received;
	uint64_t signed_answered;
	uint64_t answered;
	uint64_t notify;
	uint64_t dropped;
};

/* Listens on port (0: 53) of every service address (IP_FREEBIND). */
struct zw_udp *zw_udp_start(struct zw_ctl *ctl, struct zw_zones *zones, struct zw_xfr *xfr,
			    uint16_t port, char *err, size_t errlen);
void zw_udp_stop(struct zw_udp *u);
void zw_udp_get_stats(const struct zw_udp *u, struct zw_udp_stats *st);

#endif /* ZW_UDP_H */
