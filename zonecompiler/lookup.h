/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookups over a set of loaded zone images.
 *
 * A zone set is immutable once created: the control plane builds a new one
 * and publishes it through RCU; readers use it without locks. The lookup
 * functions allocate nothing and take a lower-cased query name in wire form
 * (the caller lower-cases it once, keeping the original for the answer).
 */
#ifndef ZW_LOOKUP_H
#define ZW_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "name.h"

enum zw_shape {
	ZW_SHAPE_ANSWER = 0, /* rrset: the data of the query type */
	ZW_SHAPE_CNAME,	     /* rrset: the CNAME at the name (type was not CNAME) */
	ZW_SHAPE_DNAME,	     /* node: the DNAME owner above the name; rrset: DNAME */
	ZW_SHAPE_REFERRAL,   /* node: the zone cut; rrset: its NS (glue: zw_rrset_extra) */
	ZW_SHAPE_NODATA,     /* the name exists, no data of the type */
	ZW_SHAPE_NXDOMAIN,   /* no such name; encloser: its closest encloser */
	ZW_SHAPE_NOTAUTH,    /* in no loaded zone: REFUSED */
};

struct zw_lookup {
	enum zw_shape shape;
	bool wildcard; /* answered from a wildcard: node is '*' */
	const struct zw_image *zone;
	const struct zw_img_node *node; /* matched node, wildcard, cut or DNAME */
	/* NULL for NODATA / NXDOMAIN; the entry in img->rrsets or its copy
	 * in the node's record (zw_rrset_same() compares them) */
	const struct zw_img_rrset *rrset;
	const struct zw_img_node *encloser; /* closest encloser */
};

struct zw_zoneset;

#define ZW_LABELS_MAX 127 /* labels of a name, the root not counted */

/*
 * A lower-cased name split into labels once, for the lookups of a query:
 * choosing the zone compares label boundaries, and the hashes of all the
 * name's suffixes come out of one pass (zw_qname_hashes).
 */
struct zw_qname {
	unsigned len;			   /* wire length, root included */
	unsigned labels;		   /* root not counted */
	uint8_t off[ZW_LABELS_MAX + 1];	   /* start of each label; off[labels] = len - 1 */
	uint8_t name[ZW_NAME_MAX + 1 + 8]; /* lower-cased; 8 zero bytes of slack */
};

/* Fills qn from a valid lower-cased wire name. */
void zw_qname_set(struct zw_qname *qn, const uint8_t *lname, unsigned len);

/* The hashes of the suffixes of qn below a zone's origin, relative to it
 * (as the image's nodes are hashed): h[i] for the name from label i down to
 * the origin, i < rel (the labels of qn below the origin; the origin itself
 * needs none: it is node 0). */
void zw_qname_hashes(const struct zw_qname *qn, unsigned rel, uint32_t *h);

/* Creates a set over n verified images (not owned: the caller keeps them
 * alive at least as long as the set). Returns NULL on ENOMEM or when two
 * images have the same origin. */
struct zw_zoneset *zw_zoneset_create(struct zw_image *const *imgs, unsigned n);
void zw_zoneset_free(struct zw_zoneset *zs);
unsigned zw_zoneset_count(const struct zw_zoneset *zs);
struct zw_image *zw_zoneset_get(const struct zw_zoneset *zs, unsigned i);

/* The zone with the longest origin that contains lname, or NULL. With
 * parent_side set, a zone whose origin equals lname is skipped in favour of
 * an enclosing one (DS is answered from the parent side of a cut). */
const struct zw_image *zw_zoneset_find(const struct zw_zoneset *zs, const uint8_t *lname,
				       unsigned len, bool parent_side);

/* zw_zoneset_find() over a split name; *rel receives the number of labels
 * of qn below the zone's origin. */
const struct zw_image *zw_zoneset_pick(const struct zw_zoneset *zs, const struct zw_qname *qn,
				       bool parent_side, unsigned *rel);

/* Looks up (qn, qtype) in one zone img that contains it, rel and h as
 * zw_zoneset_pick() and zw_qname_hashes() gave them. */
void zw_lookup_q(const struct zw_image *img, const struct zw_qname *qn, unsigned rel,
		 const uint32_t *h, uint16_t qtype, struct zw_lookup *out);

/* The rest of zw_lookup_q() once the closest encloser n is known: the
 * name is n itself (i == 0) or i labels longer. */
void zw_lookup_at(const struct zw_image *img, const struct zw_img_node *n, unsigned i,
		  uint16_t qtype, struct zw_lookup *out);

/* Looks up (lname, qtype) in one zone that contains lname. */
void zw_lookup_zone(const struct zw_image *img, const uint8_t *lname, unsigned len, uint16_t qtype,
		    struct zw_lookup *out);

/* Chooses the zone and looks the name up; NOTAUTH if no zone has it. */
void zw_lookup(const struct zw_zoneset *zs, const uint8_t *lname, unsigned len, uint16_t qtype,
	       struct zw_lookup *out);

/* Short name of a shape ("answer", "nxdomain", ...). */
const char *zw_shape_name(enum zw_shape s);

#endif /* ZW_LOOKUP_H */
