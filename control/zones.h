/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The zone registry of the control plane: which zones are served, from
 * which image, since when. It owns the published zone table (dataplane's
 * table.h): every change builds a complete new table off to the side and
 * publishes it through RCU; on any failure the old table keeps serving.
 *
 * Sources of zones: the configuration file (zones: - image: PATH), and
 * images pushed through the control API, which are copied into
 * <state-dir>/zones/ so that a restart serves the last pushed version. A
 * pushed zone overrides a configured zone with the same origin.
 *
 * Control thread only.
 */
#ifndef ZW_ZONES_H
#define ZW_ZONES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct zw_ctl;
struct zw_zones;
struct zw_table;

enum zw_zone_source {
	ZW_ZONE_CONFIG = 0, /* from the configuration file */
	ZW_ZONE_PUSHED,	    /* pushed through the control API (state dir) */
};

struct zw_zone_info {
	char name[1024]; /* presentation form, with the final dot */
	uint32_t serial;
	enum zw_zone_source source;
	char path[4096];   /* the image file it was loaded from */
	uint64_t checksum; /* the image's XXH3-64 */
	time_t loaded_at;
	uint64_t records;
};

/* Loads the configured zones and the pushed ones from the state directory
 * and publishes the first table. NULL on failure, with a message. */
struct zw_zones *zw_zones_create(struct zw_ctl *ctl, char *err, size_t errlen);
/* Unpublishes and frees everything (after the workers stopped). */
void zw_zones_free(struct zw_zones *z);

/* Re-reads every image (SIGHUP, "reload"); all or nothing. */
int zw_zones_reload(struct zw_zones *z, char *err, size_t errlen);

/* Loads and verifies the image at path, stores a copy in the state
 * directory, and serves it in place of the zone of the same origin (or as
 * a new zone). All or nothing; err says why not. */
int zw_zones_push(struct zw_zones *z, const char *path, char *err, size_t errlen);

/* Stops serving a zone (by name, e.g. "example.com." or "example.com"),
 * and removes its pushed copy. */
int zw_zones_remove(struct zw_zones *z, const char *name, char *err, size_t errlen);

/* Zone information, in a stable order; returns the number of zones and
 * fills at most max entries. */
unsigned zw_zones_list(const struct zw_zones *z, struct zw_zone_info *out, unsigned max);

struct zw_answer_cfg;

/* The answer settings of the loop the registry belongs to. */
const struct zw_answer_cfg *zw_zones_answer_cfg(const struct zw_zones *z);

/* The configuration the registry was created with. */
const struct zw_config *zw_zones_config(const struct zw_zones *z);

/* The current table (control thread: no RCU read side needed). */
const struct zw_table *zw_zones_table(const struct zw_zones *z);

#endif /* ZW_ZONES_H */
