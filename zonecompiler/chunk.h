/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Chunk builder: renders RRs into the wire form they take in a response,
 * compressing names against the query name's suffixes, earlier names in the
 * same chunk, and names of an anchor chunk, and records the relocations the
 * answer path patches (see struct zw_img_chunk in image.h).
 *
 * Internal to the zone compiler.
 */
#ifndef ZW_CHUNK_H
#define ZW_CHUNK_H

#include <stdbool.h>
#include <stdint.h>

#define ZW_CB_MAX_DATA	65535u
#define ZW_CB_MAX_DICT	512u
#define ZW_CB_MAX_RELOC 8192u

struct zw_cb_entry {
	uint8_t lname[256]; /* lower-cased suffix */
	uint8_t len;
	uint8_t kind; /* enum zw_reloc_kind */
	uint16_t val;
};

struct zw_chunk_builder {
	unsigned len;
	unsigned rrs;
	unsigned nreloc;
	unsigned ndict;
	unsigned owner_v; /* see struct zw_img_chunk */
	uint8_t data[ZW_CB_MAX_DATA + 512];
	uint32_t reloc[ZW_CB_MAX_RELOC];
	struct zw_cb_entry dict[ZW_CB_MAX_DICT];
};

/*
 * Starts a chunk of RRs owned by ctx (a valid wire name), answered for query
 * names at or below it. With wildcard set, ctx is the wildcard's parent and
 * the owner is the query name itself. ctx_lower says ctx is lower-cased
 * already.
 */
void zw_cb_begin(struct zw_chunk_builder *cb, const uint8_t *ctx, bool ctx_lower, bool wildcard);

/*
 * Appends one RR of the chunk's owner. Returns 0, or ZW_ETOOBIG when the
 * chunk would exceed 64 KiB or a table is full, or -EINVAL for malformed
 * rdata.
 */
int zw_cb_add_rr(struct zw_chunk_builder *cb, uint16_t type, uint32_t ttl, const uint8_t *rdata,
		 unsigned rdlen);

/* Where a name written in this chunk can be pointed at from another part
 * of the response: returns true and the kind (QEND, or ANCHOR for a name
 * in this chunk) and value, or false if the name is not in the chunk. */
bool zw_cb_find_name(const struct zw_chunk_builder *cb, const uint8_t *name, unsigned *kind,
		     unsigned *val);

/* Size the finished chunk takes in CHUNKS (header, data, tables, padding),
 * with room for the trailer offsets its flags ask for. */
size_t zw_cb_size(const struct zw_chunk_builder *cb, unsigned flags);

/* Writes the chunk to dst with the given flags and trailer offsets
 * (extra, sigs: used only when the flags say so). */
void zw_cb_emit(const struct zw_chunk_builder *cb, uint8_t *dst, unsigned flags, uint32_t extra,
		uint32_t sigs);

#endif /* ZW_CHUNK_H */
