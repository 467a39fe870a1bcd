/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "name.h"
#include "rdata.h"

struct zw_zoneset {
	unsigned count;
	uint32_t mask;
	uint32_t *tab; /* index + 1, keyed by the origin's hash */
	struct zw_image *zones[];
};

static const uint8_t *origin_of(const struct zw_image *img)
{
	return img->hdr->origin;
}

struct zw_zoneset *zw_zoneset_create(struct zw_image *const *imgs, unsigned n)
{
	struct zw_zoneset *zs = calloc(1, sizeof(*zs) + (size_t)n * sizeof(zs->zones[0]));
	uint32_t size = 16;

	if (zs == NULL)
		return NULL;
	while (size < 2u * n + 2)
		size *= 2;
	zs->tab = calloc(size, sizeof(*zs->tab));
	if (zs->tab == NULL) {
		free(zs);
		return NULL;
	}
	zs->mask = size - 1;
	zs->count = n;
	for (unsigned i = 0; i < n; i++) {
		const struct zw_img_header *h = imgs[i]->hdr;
		uint32_t hv = zw_name_hash(h->origin, h->origin_len) & zs->mask;
		while (zs->tab[hv] != 0) {
			const struct zw_image *o = zs->zones[zs->tab[hv] - 1];
			if (o->hdr->origin_len == h->origin_len &&
			    memcmp(origin_of(o), h->origin, h->origin_len) == 0) {
				zw_zoneset_free(zs);
				return NULL;
			}
			hv = (hv + 1) & zs->mask;
		}
		zs->zones[i] = imgs[i];
		zs->tab[hv] = i + 1;
	}
	return zs;
}

void zw_zoneset_free(struct zw_zoneset *zs)
{
	if (zs == NULL)
		return;
	free(zs->tab);
	free(zs);
}

unsigned zw_zoneset_count(const struct zw_zoneset *zs)
{
	return zs->count;
}

struct zw_image *zw_zoneset_get(const struct zw_zoneset *zs, unsigned i)
{
	return i < zs->count ? zs->zones[i] : NULL;
}

static const struct zw_image *find_origin(const struct zw_zoneset *zs, const uint8_t *lname,
					  unsigned len)
{
	uint32_t h = zw_name_hash(lname, len) & zs->mask;

	for (;;) {
		uint32_t v = zs->tab[h];
		if (v == 0)
			return NULL;
		const struct zw_image *img = zs->zones[v - 1];
		if (img->hdr->origin_len == len && memcmp(origin_of(img), lname, len) == 0)
			return img;
		h = (h + 1) & zs->mask;
	}
}

/* Few zones: compare the query name's suffixes with each origin directly,
 * which costs less than hashing every suffix. */
#define ZW_SMALL_SET 16

static const struct zw_image *find_small(const struct zw_zoneset *zs, const uint8_t *lname,
					 unsigned len, bool parent_side)
{
	const struct zw_image *best = NULL, *child = NULL;
	uint8_t starts[256]; /* 1 at the offset of each label */
	unsigned pos = 0;

	memset(starts, 0, len + 1u);
	for (;;) {
		starts[pos] = 1;
		if (lname[pos] == 0)
			break;
		pos += 1u + lname[pos];
	}
	for (unsigned i = 0; i < zs->count; i++) {
		const struct zw_image *img = zs->zones[i];
		unsigned olen = img->hdr->origin_len;
		if (olen > len || !starts[len - olen] ||
		    memcmp(lname + len - olen, origin_of(img), olen) != 0)
			continue;
		if (parent_side && olen == len) {
			child = img;
			continue;
		}
		if (best == NULL || olen > best->hdr->origin_len)
			best = img;
	}
	return best != NULL ? best : child;
}

const struct zw_image *zw_zoneset_find(const struct zw_zoneset *zs, const uint8_t *lname,
				       unsigned len, bool parent_side)
{
	if (zs->count <= ZW_SMALL_SET)
		return find_small(zs, lname, len, parent_side);
	const struct zw_image *child = NULL;
	unsigned pos = 0;

	for (;;) {
		const struct zw_image *img = find_origin(zs, lname + pos, len - pos);
		if (img != NULL) {
			if (!(parent_side && pos == 0))
				return img;
			child = img;
		}
		if (lname[pos] == 0)
			return child;
		pos += 1u + lname[pos];
	}
}

/* The data of a node that a query of qtype gets, wildcard or not. */
static void at_node(const struct zw_image *img, const struct zw_img_node *n, uint16_t qtype,
		    struct zw_lookup *out)
{
	out->node = n;
	/* ANY matches the CNAME itself (RFC 1034 4.3.2 step 3a); NSEC and
	 * RRSIG live beside a CNAME and are the name's own (RFC 4035 2.5) */
	if (qtype != ZW_T_CNAME && qtype != ZW_T_ANY && qtype != ZW_T_NSEC && qtype != ZW_T_RRSIG &&
	    (n->flags & ZW_NODE_CNAME)) {
		out->shape = ZW_SHAPE_CNAME;
		out->rrset = zw_image_rrset(img, n, ZW_T_CNAME);
		return;
	}
	out->rrset = zw_image_rrset(img, n, qtype);
	out->shape = out->rrset != NULL ? ZW_SHAPE_ANSWER : ZW_SHAPE_NODATA;
}

void zw_lookup_zone(const struct zw_image *img, const uint8_t *lname, unsigned len, uint16_t qtype,
		    struct zw_lookup *out)
{
	unsigned olen = img->hdr->origin_len, pos = 0;
	const struct zw_img_node *n = NULL;

	memset(out, 0, sizeof(*out));
	out->zone = img;
	/* closest encloser: the longest existing suffix, apex at the latest;
	 * names in the image are stored relative to the origin */
	unsigned rel = len - olen;
	for (;;) {
		n = zw_image_find(img, lname + pos, rel - pos,
				  zw_name_hash(lname + pos, rel - pos));
		if (n != NULL || pos >= rel)
			break;
		pos += 1u + lname[pos];
	}
	if (n == NULL)
		n = &img->nodes[0];
	out->encloser = n;
	if (n->flags & ZW_NODE_GLUE) {
		n = &img->nodes[n->aux];
		out->shape = ZW_SHAPE_REFERRAL;
		out->node = out->encloser = n;
		out->rrset = zw_image_rrset(img, n, ZW_T_NS);
		return;
	}
	if (n->flags & ZW_NODE_DELEG) {
		if (pos == 0 && qtype == ZW_T_DS) {
			/* DS belongs to the parent side of the cut */
			out->node = n;
			out->rrset = zw_image_rrset(img, n, ZW_T_DS);
			out->shape = out->rrset != NULL ? ZW_SHAPE_ANSWER : ZW_SHAPE_NODATA;
			return;
		}
		out->shape = ZW_SHAPE_REFERRAL;
		out->node = n;
		out->rrset = zw_image_rrset(img, n, ZW_T_NS);
		return;
	}
	if (pos == 0) {
		at_node(img, n, qtype, out);
		return;
	}
	if (n->flags & ZW_NODE_DNAME) {
		out->shape = ZW_SHAPE_DNAME;
		out->node = n;
		out->rrset = zw_image_rrset(img, n, ZW_T_DNAME);
		return;
	}
	if (n->flags & ZW_NODE_HAS_WILD) {
		out->wildcard = true;
		at_node(img, &img->nodes[n->aux], qtype, out);
		return;
	}
	out->shape = ZW_SHAPE_NXDOMAIN;
	out->node = n;
}

void zw_lookup(const struct zw_zoneset *zs, const uint8_t *lname, unsigned len, uint16_t qtype,
	       struct zw_lookup *out)
{
	const struct zw_image *img = zw_zoneset_find(zs, lname, len, qtype == ZW_T_DS);

	if (img == NULL) {
		memset(out, 0, sizeof(*out));
		out->shape = ZW_SHAPE_NOTAUTH;
		return;
	}
	zw_lookup_zone(img, lname, len, qtype, out);
}

const char *zw_shape_name(enum zw_shape s)
{
	static const char *const names[] = { "answer", "cname",	   "dname",  "referral",
					     "nodata", "nxdomain", "notauth" };
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
