/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995, answered with a
 * full transfer until journals exist) over TCP, with a per-zone ACL of
 * address prefixes and TSIG (RFC 8945: hmac-sha256, hmac-sha384,
 * hmac-sha512). A transfer streams from the zone image: messages are
 * produced one at a time as the connection drains, from the image's
 * chunks, without copying the zone; the image is pinned until the stream
 * ends, even if a new version is published meanwhile.
 *
 * Control thread only.
 */
#ifndef ZW_XFR_H
#define ZW_XFR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct zw_zones;
struct zw_xfr;
struct zw_xfr_stream;

struct zw_xfr_stats {
	uint64_t started;
	uint64_t refused;
	uint64_t completed;
	uint64_t messages;
	uint64_t records;
};

struct zw_xfr *zw_xfr_create(struct zw_zones *zones, char *err, size_t errlen);
void zw_xfr_free(struct zw_xfr *x);

/*
 * Starts answering a transfer request q (qlen bytes) from peer. Returns a
 * stream, or NULL when the request is answered with one message that is
 * already in out (*outlen bytes: a refusal, NOTAUTH, FORMERR...).
 */
struct zw_xfr_stream *zw_xfr_begin(struct zw_xfr *x, const uint8_t *q, size_t qlen,
				   const struct sockaddr *peer, uint8_t *out, size_t outcap,
				   size_t *outlen);

/* The next message of the stream into out; returns its length, 0 when the
 * transfer is complete, or a negative error. */
int zw_xfr_next(struct zw_xfr_stream *s, uint8_t *out, size_t outcap);

/* Ends a stream (complete or not) and unpins its image. */
void zw_xfr_end(struct zw_xfr_stream *s);

void zw_xfr_get_stats(const struct zw_xfr *x, struct zw_xfr_stats *st);

/*
 * A TSIG-signed query that is not a transfer (a secondary's SOA check), as
 * the workers and the engine hand it over (they have no keys): verified,
 * answered by the engine with flags (ZW_ANS_TCP...), signed. Returns the
 * response length in out, or 0 when nothing is to be sent (not signed,
 * not a query). zw_xfr_begin() does the same for such queries over TCP.
 */
size_t zw_xfr_query(struct zw_xfr *x, const uint8_t *q, size_t qlen, unsigned flags, uint8_t *out,
		    size_t outcap);

#endif /* ZW_XFR_H */
