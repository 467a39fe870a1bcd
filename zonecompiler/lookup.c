/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "name.h"
#include "rdata.h"

/* A zone's origin as the choice of a zone among few reads it. */
struct zs_origin {
	const uint8_t *name;
	const struct zw_image *img;
	uint8_t len;
	uint8_t labels;
};

struct zw_zoneset {
	unsigned count;
	uint32_t mask;
	uint32_t *tab;		     /* index + 1, keyed by the origin's hash */
	struct zs_origin *by_labels; /* the origins, most labels first */
	struct zw_image *zones[];
};

static int cmp_labels_desc(const void *a, const void *b)
{
	const struct zs_origin *x = a, *y = b;

	return (int)y->labels - (int)x->labels;
}

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
	zs->by_labels = malloc((n + 1u) * sizeof(*zs->by_labels));
	if (zs->tab == NULL || zs->by_labels == NULL) {
		free(zs->tab);
		free(zs->by_labels);
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
		zs->by_labels[i] =
			(struct zs_origin){ .name = h->origin,
					    .img = imgs[i],
					    .len = (uint8_t)h->origin_len,
					    .labels = (uint8_t)zw_name_labels(h->origin) };
		zs->tab[hv] = i + 1;
	}
	qsort(zs->by_labels, n, sizeof(*zs->by_labels), cmp_labels_desc);
	return zs;
}

void zw_zoneset_free(struct zw_zoneset *zs)
{
	if (zs == NULL)
		return;
	free(zs->tab);
	free(zs->by_labels);
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

void zw_qname_set(struct zw_qname *qn, const uint8_t *lname, unsigned len)
{
	unsigned n = 0, p = 0;

	memcpy(qn->name, lname, len);
	memset(qn->name + len, 0, 8);
	while (lname[p] != 0) {
		qn->off[n++] = (uint8_t)p;
		p += 1u + lname[p];
	}
	qn->off[n] = (uint8_t)p;
	qn->labels = n;
	qn->len = len;
}

void zw_qname_hashes(const struct zw_qname *qn, unsigned rel, uint32_t *h)
{
	uint64_t st = ZW_HASH_SEED;

	while (rel > 0) {
		rel--;
		st = zw_hash_fold(st, zw_label_hash(qn->name + qn->off[rel], true));
		h[rel] = zw_hash_final(st);
	}
}

/* Few zones: compare the name's suffix with each origin directly, at the
 * label boundary the origin's label count gives, longest origins first, so
 * that the first match is the zone (two origins of the same label count
 * cannot both be suffixes of a name). */
#define ZW_SMALL_SET 16

const struct zw_image *zw_zoneset_pick(const struct zw_zoneset *zs, const struct zw_qname *qn,
				       bool parent_side, unsigned *rel)
{
	const struct zw_image *child = NULL;

	if (zs->count > ZW_SMALL_SET) {
		for (unsigned k = 0; k <= qn->labels; k++) {
			unsigned o = qn->off[k];
			const struct zw_image *img = find_origin(zs, qn->name + o, qn->len - o);
			if (img == NULL)
				continue;
			if (!(parent_side && k == 0)) {
				*rel = k;
				return img;
			}
			child = img;
		}
		*rel = 0;
		return child;
	}
	for (unsigned i = 0; i < zs->count; i++) {
		const struct zs_origin *z = &zs->by_labels[i];
		if (z->labels > qn->labels)
			continue;
		unsigned k = qn->labels - z->labels;
		if (qn->len - qn->off[k] != z->len ||
		    !zw_bytes_eq(qn->name + qn->off[k], z->name, z->len))
			continue;
		if (parent_side && k == 0) {
			child = z->img; /* DS at a zone's apex: its parent's, if it is here */
			continue;
		}
		*rel = k;
		return z->img;
	}
	*rel = 0;
	return child;
}

const struct zw_image *zw_zoneset_find(const struct zw_zoneset *zs, const uint8_t *lname,
				       unsigned len, bool parent_side)
{
	struct zw_qname qn;
	unsigned rel;

	zw_qname_set(&qn, lname, len);
	return zw_zoneset_pick(zs, &qn, parent_side, &rel);
}

/* The data of a node that a query of qtype gets, wildcard or not. */
static void at_node(const struct zw_image *img, const struct zw_img_node *n, uint16_t qtype,
		    struct zw_lookup *out)
{
	out->node = n;
	/* ANY matches the CNAME itself (RFC 1034 4.3.2 step 3a); NSEC and
	 * RRSIG live beside a CNAME and are the name's own (RFC 4035 2.5) */
	if (qtype != ZW_T_CNAME && qtype != ZW_T_ANY && qtype != ZW_T_NSEC && qtype != ZW_T_RRSIG &&
	    (zw_node_flags(img, n) & ZW_NODE_CNAME)) {
		out->shape = ZW_SHAPE_CNAME;
		out->rrset = zw_image_rrset(img, n, ZW_T_CNAME);
		return;
	}
	out->rrset = zw_image_rrset(img, n, qtype);
	out->shape = out->rrset != NULL ? ZW_SHAPE_ANSWER : ZW_SHAPE_NODATA;
}

void zw_lookup_q(const struct zw_image *img, const struct zw_qname *qn, unsigned rel,
		 const uint32_t *h, uint16_t qtype, struct zw_lookup *out)
{
	const struct zw_img_node *n = NULL;
	unsigned rlen = qn->len - img->hdr->origin_len, i = 0;

	/* closest encloser: the longest existing suffix, apex at the latest;
	 * names in the image are stored relative to the origin */
	for (; i < rel; i++) {
		unsigned o = qn->off[i];
		n = zw_image_find(img, qn->name + o, rlen - o, h[i]);
		if (n != NULL)
			break;
	}
	zw_lookup_at(img, n != NULL ? n : &img->nodes[0], i, qtype, out);
}

void zw_lookup_at(const struct zw_image *img, const struct zw_img_node *n, unsigned i,
		  uint16_t qtype, struct zw_lookup *out)
{
	out->wildcard = false;
	out->zone = img;
	out->rrset = NULL;
	out->encloser = n;
	unsigned flags = zw_node_flags(img, n);
	if (flags & ZW_NODE_GLUE) {
		n = &img->nodes[zw_node_aux(img, n)];
		out->shape = ZW_SHAPE_REFERRAL;
		out->node = out->encloser = n;
		out->rrset = zw_image_rrset(img, n, ZW_T_NS);
		return;
	}
	if (flags & ZW_NODE_DELEG) {
		if (i == 0 && qtype == ZW_T_DS) {
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
	if (i == 0) {
		at_node(img, n, qtype, out);
		return;
	}
	if (flags & ZW_NODE_DNAME) {
		out->shape = ZW_SHAPE_DNAME;
		out->node = n;
		out->rrset = zw_image_rrset(img, n, ZW_T_DNAME);
		return;
	}
	if (flags & ZW_NODE_HAS_WILD) {
		out->wildcard = true;
		at_node(img, &img->nodes[zw_node_aux(img, n)], qtype, out);
		return;
	}
	out->shape = ZW_SHAPE_NXDOMAIN;
	out->node = n;
}

void zw_lookup_zone(const struct zw_image *img, const uint8_t *lname, unsigned len, uint16_t qtype,
		    struct zw_lookup *out)
{
	struct zw_qname qn;
	uint32_t h[ZW_LABELS_MAX];

	zw_qname_set(&qn, lname, len);
	unsigned rel = qn.labels - zw_name_labels(img->hdr->origin);
	zw_qname_hashes(&qn, rel, h);
	zw_lookup_q(img, &qn, rel, h, qtype, out);
}

void zw_lookup(const struct zw_zoneset *zs, const uint8_t *lname, unsigned len, uint16_t qtype,
	       struct zw_lookup *out)
{
	struct zw_qname qn;
	uint32_t h[ZW_LABELS_MAX];
	unsigned rel;

	zw_qname_set(&qn, lname, len);
	const struct zw_image *img = zw_zoneset_pick(zs, &qn, qtype == ZW_T_DS, &rel);
	if (img == NULL) {
		memset(out, 0, sizeof(*out));
		out->shape = ZW_SHAPE_NOTAUTH;
		return;
	}
	zw_qname_hashes(&qn, rel, h);
	zw_lookup_q(img, &qn, rel, h, qtype, out);
}

const char *zw_shape_name(enum zw_shape s)
{
	static const char *const names[] = { "answer", "cname",	   "dname",  "referral",
					     "nodata", "nxdomain", "notauth" };
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
