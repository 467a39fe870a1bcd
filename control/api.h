/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API: newline-delimited JSON requests and responses on a
 * UNIX stream socket whose permissions restrict it to its owner and group
 * (0660). One request per line:
 *   {"cmd": "status"}
 *   {"cmd": "zone-list"}
 *   {"cmd": "zone-load", "image": "/path/to/zone.zwi"}
 *   {"cmd": "zone-remove", "zone": "example.com."}
 *   {"cmd": "reload"}
 *   {"cmd": "stats"}
 *   {"cmd": "stop"}
 * Responses: {"ok": true, ...} or {"ok": false, "error": "..."}.
 * Malformed requests get a clear error and the connection stays usable.
 * zonewirectl is the command-line client (docs/zonewirectl.md).
 *
 * Control thread only.
 */
#ifndef ZW_API_H
#define ZW_API_H

#include <stddef.h>

struct zw_ctl;
struct zw_zones;
struct zw_tcp;
struct zw_xfr;
struct zw_api;

#include <stdint.h>

/* The workers' counters, summed (see dataplane/worker.h). */
struct zw_api_counters {
	uint64_t rx, tx, truncated;
	uint64_t answers[17]; /* by rcode; 16 is BADVERS */
	uint64_t drop_short, drop_checksum, drop_query, drop_room;
	uint64_t to_kernel, from_kernel, tx_full;
	unsigned workers;
};

/* What the API reports on, and the hooks it acts through. */
struct zw_api_sources {
	struct zw_zones *zones;
	struct zw_tcp *tcp;					  /* may be NULL */
	struct zw_xfr *xfr;					  /* may be NULL */
	void (*counters)(void *arg, struct zw_api_counters *out); /* may be NULL */
	void *arg;
};

struct zw_api *zw_api_start(struct zw_ctl *ctl, const char *socket_path,
			    const struct zw_api_sources *src, char *err, size_t errlen);
void zw_api_stop(struct zw_api *a);

#endif /* ZW_API_H */
