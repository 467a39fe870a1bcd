/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The published zone table: the zone set every worker answers from.
 *
 * Readers are liburcu QSBR threads: they load the table with
 * zw_table_get() once per burst, use it, and announce a quiescent state
 * (holding no table pointer) once per loop. The control thread is the only
 * writer: it builds a complete new table off to the side, publishes it with
 * zw_table_publish(), which waits for a grace period and only then frees
 * the old table and unmaps the images it no longer shares. A reader
 * therefore sees one whole version of each zone, never a mix, and never a
 * freed one.
 */
#ifndef ZW_TABLE_H
#define ZW_TABLE_H

#include <stdint.h>
#include <urcu-qsbr.h>

#include "image.h"
#include "lookup.h"

struct zw_table {
	struct zw_zoneset *zs;
	unsigned n;
	uint64_t version;	    /* increases with every publish */
	struct rcu_head rcu;	    /* for zw_table_publish_async() */
	void (*retired)(void *arg); /* called after the grace period */
	void *retired_arg;
	struct zw_image *imgs[]; /* owned: closed when the table is freed */
};

/* Builds a table from images (takes ownership of them on success).
 * Returns NULL on ENOMEM or duplicate zones (images then still the
 * caller's). */
struct zw_table *zw_table_create(struct zw_image **imgs, unsigned n);

/* Frees a table that was never published, closing its images. */
void zw_table_free(struct zw_table *t);

/* Reader side: the current table (may be NULL before the first publish).
 * Call between rcu_read_lock/unlock-free QSBR quiescent states. */
const struct zw_table *zw_table_get(void);

/*
 * Writer side (one thread): publishes t, waits for every reader to pass a
 * quiescent state, then frees the previous table. Images that appear in
 * both (same pointer) are moved, not closed. Returns the old version.
 */
uint64_t zw_table_publish(struct zw_table *t);

/*
 * Writer side, without waiting: publishes t and returns at once; after a
 * grace period the previous table is freed (on liburcu's call_rcu thread)
 * and then retired(arg) is called there, e.g. to hand work back to the
 * control loop. The calling thread must be registered with RCU (and is
 * put online around the call). rcu_barrier() waits for all of them.
 */
void zw_table_publish_async(struct zw_table *t, void (*retired)(void *arg), void *arg);

/* Writer side, at shutdown or in tests: unpublishes the current table,
 * waits for a grace period and returns it (the caller frees it). */
struct zw_table *zw_table_take(void);

/* Test instrumentation: called with every table just before it is freed
 * by zw_table_publish() (e.g. to poison its memory). NULL to remove. */
void zw_table_set_free_hook(void (*hook)(struct zw_table *));

/* Loads every image path into a new table; on any failure returns NULL and
 * sets *err to a message (static or in errbuf) naming the file. */
struct zw_table *zw_table_load(char *const *paths, unsigned n, char *errbuf, size_t errlen);

#endif /* ZW_TABLE_H */
