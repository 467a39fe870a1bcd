/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone compiler.
 *
 * Design note. Records are gathered into nodes keyed by their lower-cased
 * owner name (an open-addressing hash of node ids) and kept in two arenas
 * (names, rdata), so a million RRs cost a few large allocations, not a
 * million small ones. zw_builder_finish() then works in passes, each over
 * arrays:
 *   1. zone origin, out-of-zone owners, empty non-terminals and parents;
 *   2. canonical order of the nodes (RFC 4034 6.1), by sorting keys built
 *      from the reversed labels, so every later pass meets a node after
 *      all of its ancestors;
 *   3. RRsets: sort, drop duplicates, normalise TTLs, attach RRSIGs;
 *   4. flags and checks: cuts, glue, occlusion, CNAME/DNAME rules, SOA
 *      and apex NS, name-server host names and counts;
 *   5. layout: names, nodes, hash index, RRsets and their chunks.
 */
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "chunk.h"
#include "compile.h"
#include "image.h"
#include "name.h"
#include "nsec3.h"
#include "rdata.h"
#include "zw_err.h"

#define NODE_ENT_CREATED (1u << 16) /* builder-only flags above 16 bits */
#define NODE_OUT	 (1u << 17) /* out of zone: not in the image */
#define NODE_BELOW_CUT	 (1u << 18)
#define NODE_BELOW_DNAME (1u << 19)
#define NODE_KEEP	 (1u << 20) /* below a cut, kept for glue */
#define NODE_GLUE_REF	 (1u << 21) /* named by an NS RRset */
#define NODE_NSEC3	 (1u << 22) /* an NSEC3 owner: in the NSEC3 section */

struct brr {
	uint32_t node;
	uint32_t next;
	uint16_t type;
	uint16_t rclass;
	uint16_t rdlen;
	uint16_t file;
	uint32_t ttl;
	uint32_t line;
	uint8_t dropped;
	uint64_t rdata;
};

struct bset {
	uint32_t first; /* index in b->order (sorted RR ids) */
	uint16_t count;
	uint16_t type;
	uint32_t ttl;
	uint32_t sig_first; /* index in b->order of its RRSIGs, or ZW_NONE */
	uint32_t sig_count;
	uint32_t out; /* index in the image */
};

struct bnode {
	uint32_t name_off; /* in names: [len][lower wire] */
	uint32_t hash;
	uint32_t head, tail; /* RR list */
	uint32_t nrr;
	uint32_t parent;
	uint32_t flags;
	uint32_t set_first; /* in b->sets */
	uint32_t set_count;
	uint32_t out;  /* index in the image, or ZW_NONE */
	uint32_t aux;  /* builder id of '*' child, or of the cut */
	uint32_t line; /* first RR's line, for diagnostics */
	uint16_t file;
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct zw_builder {
	struct zw_compile_opts opts;
	struct zw_compile_stats st;
	struct buf names;
	struct buf rdata;
	struct bnode *nodes;
	uint32_t nnodes, capnodes;
	uint32_t *tab; /* node id + 1 */
	uint32_t tabmask;
	struct brr *rrs;
	uint32_t nrrs, caprrs;
	char **files;
	unsigned nfiles;
	const char *last_file_ptr;
	/* finish */
	uint8_t origin[ZW_NAME_MAX + 1];
	unsigned origin_len;
	uint32_t *order; /* RR ids, grouped by node then RRset */
	struct bset *sets;
	uint32_t nsets;
	uint32_t *sorted; /* node ids in canonical order */
	uint32_t nsorted;
	struct zw_chunk_builder *cb, *cb2;
	bool finished;
	/* DNSSEC */
	bool signed_zone, has_nsec, has_nsec3;
	uint8_t dnssec_alg;
	uint32_t sig_expire_min;
	uint8_t n3_alg, n3_flags, n3_salt_len;
	uint16_t n3_iter;
	uint8_t n3_salt[255];
	uint32_t *n3_nodes; /* NSEC3 owners, builder ids, in hash order */
	uint8_t (*n3_hash)[ZW_SHA1_LEN];
	uint32_t n3_count;
};

static int buf_reserve(struct buf *b, size_t n)
{
	if (b->p != NULL && b->len + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void diag(struct zw_builder *b, enum zw_diag_code code, enum zw_severity sev, uint16_t file,
		 uint32_t line, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void diag(struct zw_builder *b, enum zw_diag_code code, enum zw_severity sev, uint16_t file,
		 uint32_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (sev == ZW_SEV_ERROR)
		b->st.errors++;
	else
		b->st.warnings++;
	if (b->opts.on_diag == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct zw_diag d = {
		.code = code,
		.severity = sev,
		.file = (file < b->nfiles) ? b->files[file] : NULL,
		.line = line,
		.msg = msg,
	};
	b->opts.on_diag(b->opts.ctx, &d);
}

static const uint8_t *node_name(const struct zw_builder *b, const struct bnode *n)
{
	return b->names.p + n->name_off + 1;
}

static unsigned node_name_len(const struct zw_builder *b, const struct bnode *n)
{
	return b->names.p[n->name_off];
}

static const char *node_str(const struct zw_builder *b, const struct bnode *n, char *buf,
			    size_t len)
{
	zw_name_to_str(node_name(b, n), buf, len);
	return buf;
}

struct zw_builder *zw_builder_create(const struct zw_compile_opts *opts)
{
	struct zw_builder *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	if (opts != NULL)
		b->opts = *opts;
	if (b->opts.max_ns == 0)
		b->opts.max_ns = 10;
	if (b->opts.sig_horizon == 0)
		b->opts.sig_horizon = 7 * 86400;
	if (b->opts.now == 0)
		b->opts.now = time(NULL);
	b->tabmask = 1023;
	b->tab = calloc(b->tabmask + 1, sizeof(*b->tab));
	if (b->tab == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void zw_builder_free(struct zw_builder *b)
{
	if (b == NULL)
		return;
	free(b->names.p);
	free(b->rdata.p);
	free(b->nodes);
	free(b->tab);
	free(b->rrs);
	for (unsigned i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	free(b->files);
	free(b->order);
	free(b->sets);
	free(b->sorted);
	free(b->cb);
	free(b->cb2);
	free(b->n3_nodes);
	free(b->n3_hash);
	free(b);
}

const struct zw_compile_stats *zw_builder_stats(const struct zw_builder *b)
{
	return &b->st;
}

static int tab_grow(struct zw_builder *b)
{
	uint32_t mask = b->tabmask * 2 + 1;
	uint32_t *t = calloc((size_t)mask + 1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nnodes; i++) {
		uint32_t h = b->nodes[i].hash & mask;
		while (t[h] != 0)
			h = (h + 1) & mask;
		t[h] = i + 1;
	}
	free(b->tab);
	b->tab = t;
	b->tabmask = mask;
	return 0;
}

static uint32_t node_lookup(const struct zw_builder *b, const uint8_t *lname, unsigned len,
			    uint32_t hash)
{
	uint32_t h = hash & b->tabmask;

	for (;;) {
		uint32_t v = b->tab[h];
		if (v == 0)
			return ZW_NONE;
		const struct bnode *n = &b->nodes[v - 1];
		if (n->hash == hash && node_name_len(b, n) == len &&
		    memcmp(node_name(b, n), lname, len) == 0)
			return v - 1;
		h = (h + 1) & b->tabmask;
	}
}

/* Finds or creates the node of a lower-cased name; ZW_NONE on ENOMEM. */
static uint32_t node_get(struct zw_builder *b, const uint8_t *lname, unsigned len, bool *created)
{
	uint32_t hash = zw_name_hash(lname, len);
	uint32_t id = node_lookup(b, lname, len, hash);

	*created = false;
	if (id != ZW_NONE)
		return id;
	if ((b->nnodes + 1) * 2 > b->tabmask && tab_grow(b) != 0)
		return ZW_NONE;
	if (b->nnodes == b->capnodes) {
		uint32_t cap = b->capnodes ? b->capnodes * 2 : 4096;
		struct bnode *nn = realloc(b->nodes, (size_t)cap * sizeof(*nn));
		if (nn == NULL)
			return ZW_NONE;
		b->nodes = nn;
		b->capnodes = cap;
	}
	if (buf_reserve(&b->names, len + 1u) != 0)
		return ZW_NONE;
	id = b->nnodes++;
	struct bnode *n = &b->nodes[id];
	memset(n, 0, sizeof(*n));
	n->name_off = (uint32_t)b->names.len;
	n->hash = hash;
	n->head = n->tail = ZW_NONE;
	n->parent = n->aux = n->out = ZW_NONE;
	b->names.p[b->names.len] = (uint8_t)len;
	memcpy(b->names.p + b->names.len + 1, lname, len);
	b->names.len += len + 1u;
	uint32_t h = hash & b->tabmask;
	while (b->tab[h] != 0)
		h = (h + 1) & b->tabmask;
	b->tab[h] = id + 1;
	*created = true;
	return id;
}

static int file_id(struct zw_builder *b, const char *file)
{
	if (file == NULL)
		return 0xffff;
	if (b->nfiles > 0 &&
	    (file == b->last_file_ptr || strcmp(b->files[b->nfiles - 1], file) == 0)) {
		b->last_file_ptr = file;
		return (int)b->nfiles - 1;
	}
	for (unsigned i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i], file) == 0) {
			b->last_file_ptr = file;
			return (int)i;
		}
	if (b->nfiles >= 0xfffe)
		return 0xffff;
	char **f = realloc(b->files, (b->nfiles + 1) * sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	b->files = f;
	if ((f[b->nfiles] = strdup(file)) == NULL)
		return -ENOMEM;
	b->last_file_ptr = file;
	return (int)b->nfiles++;
}

int zw_builder_add(void *builder, const struct zw_rr *rr)
{
	struct zw_builder *b = builder;
	uint8_t lname[ZW_NAME_MAX + 1];
	bool created;

	if (b->finished)
		return -EINVAL;
	if (zw_name_len(rr->owner, rr->owner_len) != (int)rr->owner_len)
		return ZW_ENAME;
	int fid = file_id(b, rr->file);
	if (fid < 0)
		return fid;
	b->st.rrs_in++;
	if (rr->rclass != 1) {
		char tmp[ZW_NAME_MAX * 4 + 1];
		zw_name_to_str(rr->owner, tmp, sizeof(tmp));
		diag(b, ZW_D_CLASS, ZW_SEV_ERROR, (uint16_t)fid, rr->line,
		     "%s: class %u is not IN; only class IN zones are served", tmp, rr->rclass);
		return 0;
	}
	if (rr->type == ZW_T_OPT || rr->type == ZW_T_AXFR || rr->type == ZW_T_IXFR ||
	    rr->type == ZW_T_ANY || (rr->type >= 128 && rr->type <= 255)) {
		diag(b, ZW_D_BAD_RDATA, ZW_SEV_ERROR, (uint16_t)fid, rr->line,
		     "type %u is a meta-type and cannot appear in a zone", rr->type);
		return 0;
	}
	struct zw_rdata_names nm;
	if (zw_rdata_names(rr->type, rr->rdata, rr->rdlen, &nm) != 0) {
		char tmp[ZW_NAME_MAX * 4 + 1];
		zw_name_to_str(rr->owner, tmp, sizeof(tmp));
		diag(b, ZW_D_BAD_RDATA, ZW_SEV_ERROR, (uint16_t)fid, rr->line,
		     "%s: malformed rdata for type %u", tmp, rr->type);
		return 0;
	}
	unsigned len = zw_name_lower(lname, rr->owner);
	uint32_t id = node_get(b, lname, len, &created);
	if (id == ZW_NONE)
		return -ENOMEM;
	if (b->nrrs == b->caprrs) {
		uint32_t cap = b->caprrs ? b->caprrs * 2 : 16384;
		struct brr *r = realloc(b->rrs, (size_t)cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		b->rrs = r;
		b->caprrs = cap;
	}
	if (b->nrrs == ZW_NONE - 1)
		return ZW_ETOOBIG;
	if (buf_reserve(&b->rdata, rr->rdlen) != 0)
		return -ENOMEM;
	uint32_t rid = b->nrrs++;
	struct brr *r = &b->rrs[rid];
	r->node = id;
	r->next = ZW_NONE;
	r->type = rr->type;
	r->rclass = rr->rclass;
	r->rdlen = rr->rdlen;
	r->file = (uint16_t)fid;
	r->ttl = rr->ttl;
	r->line = rr->line;
	r->dropped = 0;
	r->rdata = b->rdata.len;
	if (rr->rdlen > 0)
		memcpy(b->rdata.p + b->rdata.len, rr->rdata, rr->rdlen);
	b->rdata.len += rr->rdlen;
	struct bnode *n = &b->nodes[id];
	if (n->head == ZW_NONE) {
		n->head = rid;
		n->line = rr->line;
		n->file = (uint16_t)fid;
	} else {
		b->rrs[n->tail].next = rid;
	}
	n->tail = rid;
	n->nrr++;
	return 0;
}

/* ---- pass 1: origin, ENTs, parents ---- */

static int find_origin(struct zw_builder *b)
{
	if (b->opts.origin != NULL) {
		ldns_rdf *d = NULL;
		if (ldns_str2rdf_dname(&d, b->opts.origin) != LDNS_STATUS_OK || d == NULL)
			return ZW_ENAME;
		uint8_t *data = ldns_rdf_data(d);
		size_t len = ldns_rdf_size(d);
		if (zw_name_len(data, len) != (int)len) {
			ldns_rdf_deep_free(d);
			return ZW_ENAME;
		}
		b->origin_len = zw_name_lower(b->origin, data);
		ldns_rdf_deep_free(d);
		return 0;
	}
	for (uint32_t i = 0; i < b->nrrs; i++) {
		if (b->rrs[i].type == ZW_T_SOA) {
			const struct bnode *n = &b->nodes[b->rrs[i].node];
			b->origin_len = node_name_len(b, n);
			memcpy(b->origin, node_name(b, n), b->origin_len);
			return 0;
		}
	}
	return ZW_ENOTFOUND;
}

#define MAX_OUTSIDE_DIAGS 20

static int link_parents(struct zw_builder *b)
{
	char tmp[1024], origin_str[1024];
	bool created;
	unsigned long outside = 0;

	zw_name_to_str(b->origin, origin_str, sizeof(origin_str));

	for (uint32_t i = 0; i < b->nnodes; i++) {
		struct bnode *n = &b->nodes[i];
		unsigned len = node_name_len(b, n);
		if (!zw_name_is_sub(node_name(b, n), len, b->origin, b->origin_len)) {
			n->flags |= NODE_OUT;
			for (uint32_t r = n->head; r != ZW_NONE; r = b->rrs[r].next) {
				b->rrs[r].dropped = 1;
				/* a wrong origin puts every record outside: report a
				 * few, then count */
				if (++outside <= MAX_OUTSIDE_DIAGS)
					diag(b, ZW_D_OUT_OF_ZONE, ZW_SEV_ERROR, b->rrs[r].file,
					     b->rrs[r].line, "%s is outside the zone %s",
					     node_str(b, n, tmp, sizeof(tmp)), origin_str);
				else
					b->st.errors++;
			}
			continue;
		}
		if (len == b->origin_len) {
			n->flags |= ZW_NODE_APEX;
			continue;
		}
		/* parent: strip the first label; create it as an ENT if absent */
		uint8_t pname[ZW_NAME_MAX + 1];
		const uint8_t *name = node_name(b, n);
		unsigned plen = len - 1u - name[0];
		memcpy(pname, name + 1 + name[0], plen);
		uint32_t pid = node_get(b, pname, plen, &created);
		if (pid == ZW_NONE)
			return -ENOMEM;
		n = &b->nodes[i]; /* node_get may have moved the array */
		if (created)
			b->nodes[pid].flags |= NODE_ENT_CREATED;
		n->parent = pid;
	}
	if (outside > MAX_OUTSIDE_DIAGS)
		diag(b, ZW_D_OUT_OF_ZONE, ZW_SEV_ERROR, 0xffff, 0,
		     "%lu records in all are outside the zone %s (is the origin right?)", outside,
		     origin_str);
	return 0;
}

/* ---- pass 2: canonical order ---- */

struct sortkey {
	const uint8_t *k;
	uint32_t len;
	uint32_t id;
};

static int key_cmp(const void *pa, const void *pb)
{
	const struct sortkey *a = pa, *b = pb;
	unsigned l = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->k, b->k, l);

	if (c != 0)
		return c;
	return a->len < b->len ? -1 : (a->len > b->len);
}

/* The byte of a key at depth d, with the end of the key below every byte
 * so that a key sorts before the keys it is a prefix of. */
static inline int key_at(const struct sortkey *k, unsigned d)
{
	return d < k->len ? k->k[d] + 1 : 0;
}

static void key_swap(struct sortkey *a, struct sortkey *b)
{
	struct sortkey t = *a;
	*a = *b;
	*b = t;
}

/*
 * Multikey quicksort (Bentley and Sedgewick) of keys that share depth
 * bytes: three-way partitioning on one byte at a time, so the long common
 * prefixes of names in one zone are compared once per level rather than
 * once per comparison. Small ranges use insertion sort.
 */
static void mkqsort(struct sortkey *a, size_t n, unsigned d)
{
	while (n > 1) {
		if (n < 12) {
			for (size_t i = 1; i < n; i++)
				for (size_t j = i; j > 0 && key_cmp(&a[j - 1], &a[j]) > 0; j--)
					key_swap(&a[j - 1], &a[j]);
			return;
		}
		key_swap(&a[0], &a[n / 2]);
		int v = key_at(&a[0], d);
		size_t lt = 0, gt = n, i = 0;
		/* Dijkstra's partition: a[0..lt) < v, a[lt..i) == v, a[gt..n) > v */
		while (i < gt) {
			int c = key_at(&a[i], d);
			if (c < v)
				key_swap(&a[lt++], &a[i++]);
			else if (c > v)
				key_swap(&a[i], &a[--gt]);
			else
				i++;
		}
		mkqsort(a, lt, d);
		mkqsort(a + gt, n - gt, d);
		if (v == 0)
			return; /* equal keys that ended here are equal */
		a += lt;
		n = gt - lt;
		d++;
	}
}

/* Key of a name below the origin: its labels from the right, each byte
 * escaped so that 0x00 can separate labels (0x00 -> 01 01, 0x01 -> 01 02),
 * which makes memcmp order equal to RFC 4034 canonical order. */
static unsigned make_key(const uint8_t *lname, unsigned rel_len, uint8_t *out)
{
	uint8_t off[128];
	unsigned n = 0, o = 0;

	for (unsigned pos = 0; pos < rel_len && n < 128; pos += 1u + lname[pos])
		off[n++] = (uint8_t)pos;
	while (n-- > 0) {
		const uint8_t *l = lname + off[n];
		for (unsigned i = 1; i <= l[0]; i++) {
			uint8_t c = l[i];
			if (c <= 1) {
				out[o++] = 1;
				out[o++] = (uint8_t)(c + 1);
			} else {
				out[o++] = c;
			}
		}
		out[o++] = 0;
	}
	return o;
}

/*
 * Lays nodes and their names out again in canonical order, so that every
 * later pass walks memory in order instead of jumping around a table in
 * the order the records happened to arrive (a large zone's passes are
 * bound by cache misses, not by work). Out-of-zone nodes go last.
 */
static int renumber(struct zw_builder *b)
{
	struct bnode *nn = malloc((size_t)b->capnodes * sizeof(*nn));
	uint32_t *map = malloc((size_t)b->nnodes * sizeof(*map));
	uint32_t *inv = malloc((size_t)b->nnodes * sizeof(*inv));
	struct buf names = { 0 };
	uint32_t k = 0;
	int rc = -ENOMEM;

	if (nn == NULL || map == NULL || inv == NULL || buf_reserve(&names, b->names.len) != 0)
		goto out;
	for (uint32_t i = 0; i < b->nnodes; i++)
		map[i] = ZW_NONE;
	for (uint32_t i = 0; i < b->nsorted; i++)
		map[b->sorted[i]] = k++;
	for (uint32_t i = 0; i < b->nnodes; i++)
		if (map[i] == ZW_NONE)
			map[i] = k++;
	for (uint32_t i = 0; i < b->nnodes; i++)
		inv[map[i]] = i;
	for (uint32_t j = 0; j < b->nnodes; j++) {
		struct bnode *n = &nn[j];
		*n = b->nodes[inv[j]];
		unsigned len = b->names.p[n->name_off] + 1u;
		memcpy(names.p + names.len, b->names.p + n->name_off, len);
		n->name_off = (uint32_t)names.len;
		names.len += len;
		if (n->parent != ZW_NONE)
			n->parent = map[n->parent];
		if (n->aux != ZW_NONE)
			n->aux = map[n->aux];
	}
	for (uint32_t r = 0; r < b->nrrs; r++)
		b->rrs[r].node = map[b->rrs[r].node];
	for (uint32_t i = 0; i <= b->tabmask; i++)
		if (b->tab[i] != 0)
			b->tab[i] = map[b->tab[i] - 1] + 1;
	for (uint32_t i = 0; i < b->nsorted; i++)
		b->sorted[i] = i;
	free(b->nodes);
	free(b->names.p);
	b->nodes = nn;
	b->names = names;
	nn = NULL;
	names.p = NULL;
	rc = 0;
out:
	free(nn);
	free(names.p);
	free(map);
	free(inv);
	return rc;
}

static int sort_nodes(struct zw_builder *b)
{
	uint32_t n = 0;
	struct sortkey *keys = malloc((size_t)b->nnodes * sizeof(*keys));
	size_t kbytes = 0;

	if (keys == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nnodes; i++)
		if (!(b->nodes[i].flags & NODE_OUT))
			kbytes += 2u * (node_name_len(b, &b->nodes[i]) - b->origin_len) + 1;
	uint8_t *kb = malloc(kbytes + 1);
	if (kb == NULL) {
		free(keys);
		return -ENOMEM;
	}
	size_t ko = 0;
	for (uint32_t i = 0; i < b->nnodes; i++) {
		const struct bnode *nd = &b->nodes[i];
		if (nd->flags & NODE_OUT)
			continue;
		unsigned rel = node_name_len(b, nd) - b->origin_len;
		keys[n].k = kb + ko;
		keys[n].len = make_key(node_name(b, nd), rel, kb + ko);
		keys[n].id = i;
		ko += keys[n].len;
		n++;
	}
	mkqsort(keys, n, 0);
	b->sorted = malloc((size_t)(n ? n : 1) * sizeof(*b->sorted));
	if (b->sorted == NULL) {
		free(kb);
		free(keys);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		b->sorted[i] = keys[i].id;
	b->nsorted = n;
	free(kb);
	free(keys);
	return renumber(b);
}

/* ---- pass 3: RRsets ---- */

static const uint8_t *rr_rdata(const struct zw_builder *b, const struct brr *r)
{
	return b->rdata.p + r->rdata;
}

static uint16_t rr_sort_type(const struct zw_builder *b, const struct brr *r)
{
	/* RRSIGs sort with the type they cover, after it */
	if (r->type == ZW_T_RRSIG && r->rdlen >= 2) {
		const uint8_t *d = rr_rdata(b, r);
		return (uint16_t)(d[0] << 8 | d[1]);
	}
	return r->type;
}

static int rdata_cmp(const struct zw_builder *b, const struct brr *x, const struct brr *y)
{
	uint8_t cx[65536], cy[65536];
	struct zw_rdata_names nx, ny;
	const uint8_t *dx = rr_rdata(b, x), *dy = rr_rdata(b, y);

	if (zw_rdata_names(x->type, dx, x->rdlen, &nx) == 0 && nx.n > 0 &&
	    zw_rdata_names(y->type, dy, y->rdlen, &ny) == 0) {
		zw_rdata_canon(x->type, dx, x->rdlen, &nx, cx);
		zw_rdata_canon(y->type, dy, y->rdlen, &ny, cy);
		dx = cx;
		dy = cy;
	}
	unsigned l = x->rdlen < y->rdlen ? x->rdlen : y->rdlen;
	int c = memcmp(dx, dy, l);
	if (c != 0)
		return c;
	return x->rdlen < y->rdlen ? -1 : (x->rdlen > y->rdlen);
}

static int rr_cmp(const void *pa, const void *pb, void *arg)
{
	const struct zw_builder *b = arg;
	const struct brr *x = &b->rrs[*(const uint32_t *)pa], *y = &b->rrs[*(const uint32_t *)pb];
	uint16_t tx = rr_sort_type(b, x), ty = rr_sort_type(b, y);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	bool sx = x->type == ZW_T_RRSIG, sy = y->type == ZW_T_RRSIG;
	if (sx != sy)
		return sx ? 1 : -1;
	return rdata_cmp(b, x, y);
}

/*
 * Moves the records (and their rdata) into node order, so that every pass
 * after this one reads them sequentially: in a large zone the records
 * arrive in no useful order and each later pass would otherwise take a
 * cache miss per record. Records of out-of-zone nodes are left behind
 * (they were reported and dropped). The nodes' record lists are void
 * afterwards: RRsets refer to records through b->order.
 */
static int gather_rrs(struct zw_builder *b)
{
	struct brr *nr = malloc((size_t)(b->nrrs ? b->nrrs : 1) * sizeof(*nr));
	struct buf nd = { 0 };
	uint32_t k = 0;

	if (nr == NULL || buf_reserve(&nd, b->rdata.len + 1) != 0) {
		free(nr);
		free(nd.p);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		uint32_t first = k;
		for (uint32_t r = n->head; r != ZW_NONE; r = b->rrs[r].next) {
			const struct brr *o = &b->rrs[r];
			if (o->dropped)
				continue;
			nr[k] = *o;
			nr[k].rdata = nd.len;
			nr[k].next = k + 1;
			if (o->rdlen > 0)
				memcpy(nd.p + nd.len, b->rdata.p + o->rdata, o->rdlen);
			nd.len += o->rdlen;
			k++;
		}
		if (k > first) {
			nr[k - 1].next = ZW_NONE;
			n->head = first;
			n->tail = k - 1;
		} else {
			n->head = n->tail = ZW_NONE;
		}
	}
	free(b->rrs);
	free(b->rdata.p);
	b->rrs = nr;
	b->nrrs = k;
	b->caprrs = b->nrrs ? b->nrrs : 1;
	b->rdata = nd;
	return 0;
}

static int build_sets(struct zw_builder *b)
{
	char tmp[1024];
	uint32_t pos = 0;
	int rc;

	if ((rc = gather_rrs(b)) != 0)
		return rc;
	b->order = malloc((size_t)(b->nrrs ? b->nrrs : 1) * sizeof(*b->order));
	b->sets = malloc((size_t)(b->nrrs ? b->nrrs : 1) * sizeof(*b->sets));
	if (b->order == NULL || b->sets == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		uint32_t start = pos;
		for (uint32_t r = n->head; r != ZW_NONE; r = b->rrs[r].next)
			if (!b->rrs[r].dropped)
				b->order[pos++] = r;
		uint32_t cnt = pos - start;
		if (cnt > 1 && cnt <= 16) {
			/* most names have a handful of RRs: insertion sort */
			uint32_t *o = b->order + start;
			for (uint32_t i = 1; i < cnt; i++)
				for (uint32_t j = i; j > 0 && rr_cmp(&o[j - 1], &o[j], b) > 0;
				     j--) {
					uint32_t t = o[j - 1];
					o[j - 1] = o[j];
					o[j] = t;
				}
		} else if (cnt > 1) {
			qsort_r(b->order + start, cnt, sizeof(uint32_t), rr_cmp, b);
		}
		n->set_first = b->nsets;
		n->set_count = 0;
		/* group; drop duplicates; normalise TTLs; attach RRSIGs */
		uint32_t i = start;
		while (i < pos) {
			struct brr *r0 = &b->rrs[b->order[i]];
			if (r0->type == ZW_T_RRSIG) {
				uint16_t cov = rr_sort_type(b, r0);
				struct bset *owner = NULL;
				if (n->set_count > 0 && b->sets[b->nsets - 1].type == cov)
					owner = &b->sets[b->nsets - 1];
				uint32_t j = i;
				while (j < pos && b->rrs[b->order[j]].type == ZW_T_RRSIG &&
				       rr_sort_type(b, &b->rrs[b->order[j]]) == cov)
					j++;
				if (owner == NULL) {
					diag(b, ZW_D_BAD_RDATA, ZW_SEV_WARNING, r0->file, r0->line,
					     "%s: RRSIG covers type %u, which the name does not "
					     "have; dropped",
					     node_str(b, n, tmp, sizeof(tmp)), cov);
					for (uint32_t k = i; k < j; k++)
						b->rrs[b->order[k]].dropped = 1;
				} else {
					owner->sig_first = i;
					owner->sig_count = (uint16_t)(j - i);
				}
				i = j;
				continue;
			}
			struct bset *set = &b->sets[b->nsets++];
			n->set_count++;
			set->first = i;
			set->type = r0->type;
			set->ttl = r0->ttl;
			set->sig_first = ZW_NONE;
			set->sig_count = 0;
			uint32_t j = i + 1, out = i + 1;
			bool mixed = false;
			while (j < pos && b->rrs[b->order[j]].type == r0->type) {
				struct brr *r = &b->rrs[b->order[j]];
				struct brr *prev = &b->rrs[b->order[out - 1]];
				if (rdata_cmp(b, prev, r) == 0) {
					diag(b, ZW_D_DUPLICATE, ZW_SEV_WARNING, r->file, r->line,
					     "%s: duplicate record dropped (type %u)",
					     node_str(b, n, tmp, sizeof(tmp)), r->type);
					b->st.duplicates++;
					r->dropped = 1;
				} else {
					if (r->ttl != set->ttl) {
						if (!mixed)
							diag(b, ZW_D_TTL_MISMATCH, ZW_SEV_WARNING,
							     r->file, r->line,
							     "%s: TTL %u differs from %u in the "
							     "same RRset (type %u); the lowest is "
							     "used",
							     node_str(b, n, tmp, sizeof(tmp)),
							     r->ttl, set->ttl, r->type);
						mixed = true;
						if (r->ttl < set->ttl)
							set->ttl = r->ttl;
					}
					b->order[out++] = b->order[j];
				}
				j++;
			}
			if (mixed)
				b->st.ttl_fixed++;
			if (out - i > 0xffff)
				return ZW_ETOOBIG;
			set->count = (uint16_t)(out - i);
			/* keep the slots after the compacted RRs unused */
			for (uint32_t k = out; k < j; k++)
				b->order[k] = ZW_NONE;
			i = j;
		}
	}
	return 0;
}

/* ---- pass 4: flags and checks ---- */

static struct bset *node_set(struct zw_builder *b, const struct bnode *n, uint16_t type)
{
	for (uint32_t i = 0; i < n->set_count; i++)
		if (b->sets[n->set_first + i].type == type)
			return &b->sets[n->set_first + i];
	return NULL;
}

static struct brr *set_rr(struct zw_builder *b, const struct bset *s, uint32_t i)
{
	return &b->rrs[b->order[s->first + i]];
}

static uint32_t find_lname(struct zw_builder *b, const uint8_t *name)
{
	uint8_t lname[ZW_NAME_MAX + 1];
	unsigned len = zw_name_lower(lname, name);

	return node_lookup(b, lname, len, zw_name_hash(lname, len));
}

static bool has_addr(struct zw_builder *b, uint32_t id)
{
	if (id == ZW_NONE)
		return false;
	const struct bnode *t = &b->nodes[id];
	return node_set(b, t, ZW_T_A) != NULL || node_set(b, t, ZW_T_AAAA) != NULL;
}

static void set_drop(struct zw_builder *b, struct bset *s)
{
	for (uint32_t i = 0; i < s->count; i++)
		set_rr(b, s, i)->dropped = 1;
	for (uint32_t i = 0; i < s->sig_count; i++)
		b->rrs[b->order[s->sig_first + i]].dropped = 1;
	s->count = 0;
}

static void check_ns_set(struct zw_builder *b, struct bnode *n, struct bset *ns, bool cut)
{
	char tmp[1024], t2[1024];
	const uint8_t *cname = node_name(b, n);
	unsigned clen = node_name_len(b, n);

	if (cut && ns->count > b->opts.max_ns) {
		struct brr *r = set_rr(b, ns, b->opts.max_ns);
		diag(b, ZW_D_TOO_MANY_NS, ZW_SEV_ERROR, r->file, r->line,
		     "%s: delegation has %u name servers, more than the limit of %u",
		     node_str(b, n, tmp, sizeof(tmp)), ns->count, b->opts.max_ns);
	}
	for (uint32_t i = 0; i < ns->count; i++) {
		struct brr *r = set_rr(b, ns, i);
		const uint8_t *target = rr_rdata(b, r);
		unsigned tlen = r->rdlen;
		zw_name_to_str(target, t2, sizeof(t2));
		if (!zw_name_is_hostname(target))
			diag(b, ZW_D_BAD_HOSTNAME, ZW_SEV_ERROR, r->file, r->line,
			     "%s: name server %s is not a valid host name",
			     node_str(b, n, tmp, sizeof(tmp)), t2);
		uint32_t tid = find_lname(b, target);
		if (tid != ZW_NONE)
			b->nodes[tid].flags |= NODE_GLUE_REF;
		bool in_domain = zw_name_is_sub(target, tlen, cname, clen);
		bool in_zone = zw_name_is_sub(target, tlen, b->origin, b->origin_len);
		if ((cut && in_domain) || (!cut && in_zone && tid != ZW_NONE &&
					   !(b->nodes[tid].flags & NODE_BELOW_CUT))) {
			if (!has_addr(b, tid))
				diag(b, ZW_D_GLUE_MISSING, ZW_SEV_ERROR, r->file, r->line,
				     "%s: name server %s is inside %s but has no A or AAAA %s",
				     node_str(b, n, tmp, sizeof(tmp)), t2,
				     cut ? "the delegated zone" : "the zone",
				     cut ? "glue" : "record");
		} else if (!cut && in_zone && tid == ZW_NONE) {
			diag(b, ZW_D_GLUE_MISSING, ZW_SEV_ERROR, r->file, r->line,
			     "%s: name server %s is inside the zone but has no A or AAAA record",
			     node_str(b, n, tmp, sizeof(tmp)), t2);
		}
	}
}

static int check_zone(struct zw_builder *b)
{
	char tmp[1024];
	unsigned soa_seen = 0;

	/* flags in canonical order: parents come first */
	for (uint32_t s = 0; s < b->nsorted; s++) {
		uint32_t id = b->sorted[s];
		struct bnode *n = &b->nodes[id];
		if (n->parent != ZW_NONE) {
			const struct bnode *p = &b->nodes[n->parent];
			if (p->flags & (NODE_BELOW_CUT | ZW_NODE_DELEG)) {
				n->flags |= NODE_BELOW_CUT;
				n->aux = (p->flags & ZW_NODE_DELEG) ? n->parent : p->aux;
			}
			if (p->flags & (NODE_BELOW_DNAME | ZW_NODE_DNAME))
				n->flags |= NODE_BELOW_DNAME;
			if (n->flags & NODE_BELOW_DNAME) {
				diag(b, ZW_D_DNAME_CHILDREN, ZW_SEV_ERROR, n->file, n->line,
				     "%s is below a DNAME; DNAME owners may not have names below "
				     "them",
				     node_str(b, n, tmp, sizeof(tmp)));
			}
		}
		if (n->set_count == 0 && !(n->flags & NODE_OUT))
			n->flags |= ZW_NODE_ENT;
		const uint8_t *name = node_name(b, n);
		if (name[0] == 1 && name[1] == '*' && !(n->flags & ZW_NODE_APEX)) {
			n->flags |= ZW_NODE_WILDCARD;
			struct bnode *p = &b->nodes[n->parent];
			p->flags |= ZW_NODE_HAS_WILD;
			if (!(p->flags & NODE_BELOW_CUT) && !(p->flags & ZW_NODE_DELEG))
				p->aux = id;
		}
		struct bset *soa = node_set(b, n, ZW_T_SOA);
		if (soa != NULL) {
			if (!(n->flags & ZW_NODE_APEX)) {
				struct brr *r = set_rr(b, soa, 0);
				diag(b, ZW_D_SOA_NOT_APEX, ZW_SEV_ERROR, r->file, r->line,
				     "%s: SOA record is not at the zone apex",
				     node_str(b, n, tmp, sizeof(tmp)));
			} else if (soa->count > 1) {
				struct brr *r = set_rr(b, soa, 1);
				diag(b, ZW_D_MULTI_SOA, ZW_SEV_ERROR, r->file, r->line,
				     "%s: more than one SOA record",
				     node_str(b, n, tmp, sizeof(tmp)));
			}
			soa_seen++;
		}
		if (n->flags & ZW_NODE_APEX)
			continue;
		if (n->flags & NODE_BELOW_CUT)
			continue;
		if (node_set(b, n, ZW_T_NS) != NULL)
			n->flags |= ZW_NODE_DELEG;
		if (node_set(b, n, ZW_T_DNAME) != NULL)
			n->flags |= ZW_NODE_DNAME;
	}
	const struct bnode *apex = NULL;
	for (uint32_t s = 0; s < b->nsorted; s++)
		if (b->nodes[b->sorted[s]].flags & ZW_NODE_APEX)
			apex = &b->nodes[b->sorted[s]];
	if (apex == NULL || node_set(b, apex, ZW_T_SOA) == NULL) {
		zw_name_to_str(b->origin, tmp, sizeof(tmp));
		diag(b, ZW_D_NO_SOA, ZW_SEV_ERROR, b->nfiles ? 0 : 0xffff, 0,
		     "%s: the zone has no SOA record at its apex", tmp);
	}
	if (apex == NULL || node_set(b, apex, ZW_T_NS) == NULL) {
		zw_name_to_str(b->origin, tmp, sizeof(tmp));
		diag(b, ZW_D_NO_APEX_NS, ZW_SEV_ERROR, b->nfiles ? 0 : 0xffff, 0,
		     "%s: the zone has no NS records at its apex", tmp);
	}
	if (apex != NULL && node_set(b, apex, ZW_T_DNAME) != NULL)
		((struct bnode *)apex)->flags |= ZW_NODE_DNAME;

	/* per-node rules */
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		struct bset *cn = node_set(b, n, ZW_T_CNAME);
		if (n->flags & NODE_BELOW_CUT)
			continue;
		if (cn != NULL) {
			n->flags |= ZW_NODE_CNAME;
			if (cn->count > 1) {
				struct brr *r = set_rr(b, cn, 1);
				diag(b, ZW_D_MULTI_CNAME, ZW_SEV_ERROR, r->file, r->line,
				     "%s: more than one CNAME record",
				     node_str(b, n, tmp, sizeof(tmp)));
			}
			for (uint32_t i = 0; i < n->set_count; i++) {
				struct bset *o = &b->sets[n->set_first + i];
				if (o->type == ZW_T_CNAME || o->type == ZW_T_NSEC || o->count == 0)
					continue;
				struct brr *r = set_rr(b, o, 0);
				diag(b, ZW_D_CNAME_OTHER, ZW_SEV_ERROR, r->file, r->line,
				     "%s: CNAME and other data (type %u) at the same name",
				     node_str(b, n, tmp, sizeof(tmp)), o->type);
				break;
			}
		}
		struct bset *ns = node_set(b, n, ZW_T_NS);
		if (ns != NULL)
			check_ns_set(b, n, ns, (n->flags & ZW_NODE_DELEG) != 0);
	}

	/* occlusion: below a cut only referenced A/AAAA survive, as glue; at a
	 * cut only NS, DS, NSEC and glue addresses */
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		bool below = (n->flags & NODE_BELOW_CUT) != 0,
		     cut = (n->flags & ZW_NODE_DELEG) != 0;
		if (!below && !cut)
			continue;
		for (uint32_t i = 0; i < n->set_count; i++) {
			struct bset *o = &b->sets[n->set_first + i];
			if (o->count == 0)
				continue;
			bool addr = o->type == ZW_T_A || o->type == ZW_T_AAAA;
			if (cut &&
			    (o->type == ZW_T_NS || o->type == ZW_T_DS || o->type == ZW_T_NSEC))
				continue;
			if (addr && (n->flags & NODE_GLUE_REF)) {
				n->flags |= NODE_KEEP;
				continue;
			}
			struct brr *r = set_rr(b, o, 0);
			diag(b, ZW_D_OCCLUDED, ZW_SEV_WARNING, r->file, r->line,
			     "%s: type %u is %s and is not served",
			     node_str(b, n, tmp, sizeof(tmp)), o->type,
			     cut ? "at a delegation point (occluded by the NS records)"
				 : (addr ? "below a delegation and no NS names it (not glue)"
					 : "below a delegation (occluded)"));
			b->st.occluded += o->count;
			set_drop(b, o);
		}
	}
	/* keep the ancestors of glue nodes that are below cuts */
	for (uint32_t s = b->nsorted; s-- > 0;) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		if ((n->flags & NODE_KEEP) && n->parent != ZW_NONE &&
		    (b->nodes[n->parent].flags & NODE_BELOW_CUT))
			b->nodes[n->parent].flags |= NODE_KEEP;
	}
	(void)soa_seen;
	return 0;
}

/* ---- pass 4b: DNSSEC ---- */

static bool served(const struct bnode *n)
{
	if (n->flags & (NODE_OUT | NODE_NSEC3))
		return false;
	if (n->flags & NODE_BELOW_CUT)
		return (n->flags & NODE_KEEP) != 0;
	return true;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define MAX_DNSSEC_DIAGS 10

/* Signature validity periods: expired, or expiring within the horizon
 * (RFC 4034 3.1.5: serial number arithmetic on 32-bit times). */
static void check_sig_times(struct zw_builder *b)
{
	uint32_t now = (uint32_t)b->opts.now;
	unsigned reported = 0, expired = 0, soon = 0;
	bool any = false;

	for (uint32_t i = 0; i < b->nsets; i++) {
		const struct bset *set = &b->sets[i];
		for (uint32_t k = 0; k < set->sig_count; k++) {
			const struct brr *r = &b->rrs[b->order[set->sig_first + k]];
			if (r->dropped || r->rdlen < 18)
				continue;
			const uint8_t *rd = rr_rdata(b, r);
			uint32_t exp = get32(rd + 8);
			if (!any || (int32_t)(exp - b->sig_expire_min) < 0)
				b->sig_expire_min = exp;
			any = true;
			int32_t left = (int32_t)(exp - now);
			if (left >= (int32_t)b->opts.sig_horizon)
				continue;
			if (left < 0)
				expired++;
			else
				soon++;
			if (reported++ < MAX_DNSSEC_DIAGS)
				diag(b, ZW_D_SIG_EXPIRY, ZW_SEV_WARNING, r->file, r->line,
				     left < 0
					     ? "RRSIG (type %u) has expired"
					     : "RRSIG (type %u) expires within the warning horizon",
				     rd[0] << 8 | rd[1]);
		}
	}
	if (reported > MAX_DNSSEC_DIAGS)
		diag(b, ZW_D_SIG_EXPIRY, ZW_SEV_WARNING, 0xffff, 0,
		     "%u RRSIGs expired and %u expire soon in all", expired, soon);
}

/* The NSEC chain: in canonical order, each authoritative name's NSEC
 * names the next one, and the last names the apex (RFC 4034 4.1.1). */
static void check_nsec_chain(struct zw_builder *b)
{
	uint32_t first = ZW_NONE, prev = ZW_NONE;
	unsigned reported = 0;
	char tmp[1024], t2[1024];

	for (uint32_t s = 0; s <= b->nsorted; s++) {
		uint32_t id = s < b->nsorted ? b->sorted[s] : first;
		if (id == ZW_NONE)
			break;
		const struct bnode *n = &b->nodes[id];
		if (s < b->nsorted && (!served(n) || (n->flags & NODE_BELOW_CUT) ||
				       node_set(b, n, ZW_T_NSEC) == NULL))
			continue;
		if (prev != ZW_NONE) {
			const struct bnode *p = &b->nodes[prev];
			const struct bset *ns = node_set(b, p, ZW_T_NSEC);
			const struct brr *r = set_rr(b, ns, 0);
			const uint8_t *rd = rr_rdata(b, r);
			int l = zw_name_len(rd, r->rdlen);
			if ((l < 0 || !zw_name_equal(rd, node_name(b, n))) &&
			    reported++ < MAX_DNSSEC_DIAGS) {
				if (l > 0)
					zw_name_to_str(rd, t2, sizeof(t2));
				else
					snprintf(t2, sizeof(t2), "(malformed)");
				diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, r->file, r->line,
				     "%s: NSEC names %s as the next name, but the next name in the "
				     "zone is %s",
				     node_str(b, p, tmp, sizeof(tmp)), t2,
				     node_str(b, n, t2 + 512, sizeof(t2) - 512));
			}
		}
		if (s == b->nsorted)
			break;
		if (first == ZW_NONE)
			first = id;
		prev = id;
	}
}

/* NSEC3: owners under the apex named by a base32hex hash, parameters equal
 * to the apex NSEC3PARAM, and a closed chain in hash order. */
static int check_nsec3(struct zw_builder *b, struct bnode *apex)
{
	struct bset *param = node_set(b, apex, ZW_T_NSEC3PARAM);
	unsigned reported = 0;
	char tmp[1024];

	if (param == NULL || param->count == 0) {
		struct brr *r = NULL;
		for (uint32_t s = 0; s < b->nsorted && r == NULL; s++)
			if (b->nodes[b->sorted[s]].flags & NODE_NSEC3)
				r = set_rr(b, node_set(b, &b->nodes[b->sorted[s]], ZW_T_NSEC3), 0);
		diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, r ? r->file : 0xffff, r ? r->line : 0,
		     "NSEC3 records but no NSEC3PARAM at the apex");
		return 0;
	}
	const struct brr *pr = set_rr(b, param, 0);
	const uint8_t *pd = rr_rdata(b, pr);
	if (pr->rdlen < 5 || pr->rdlen != 5u + pd[4]) {
		diag(b, ZW_D_BAD_RDATA, ZW_SEV_ERROR, pr->file, pr->line, "malformed NSEC3PARAM");
		return 0;
	}
	b->n3_alg = pd[0];
	b->n3_flags = pd[1];
	b->n3_iter = (uint16_t)(pd[2] << 8 | pd[3]);
	b->n3_salt_len = pd[4];
	memcpy(b->n3_salt, pd + 5, pd[4]);
	if (b->n3_alg != 1) {
		diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, pr->file, pr->line,
		     "NSEC3 hash algorithm %u is not SHA-1 (1), the only one defined", b->n3_alg);
		return 0;
	}
	uint32_t n = 0;
	for (uint32_t s = 0; s < b->nsorted; s++)
		n += (b->nodes[b->sorted[s]].flags & NODE_NSEC3) != 0;
	b->n3_nodes = malloc((n ? n : 1) * sizeof(*b->n3_nodes));
	b->n3_hash = malloc((n ? n : 1) * sizeof(*b->n3_hash));
	if (b->n3_nodes == NULL || b->n3_hash == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < b->nsorted; s++) {
		uint32_t id = b->sorted[s];
		struct bnode *nd = &b->nodes[id];
		if (!(nd->flags & NODE_NSEC3))
			continue;
		const uint8_t *name = node_name(b, nd);
		struct bset *set = node_set(b, nd, ZW_T_NSEC3);
		struct brr *r = set_rr(b, set, 0);
		if (zw_base32hex_decode(name + 1, name[0], b->n3_hash[b->n3_count], ZW_SHA1_LEN) !=
		    ZW_SHA1_LEN) {
			diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, r->file, r->line,
			     "%s: NSEC3 owner is not a base32hex SHA-1 hash",
			     node_str(b, nd, tmp, sizeof(tmp)));
			continue;
		}
		if (set->count > 1 || nd->set_count > 1)
			diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, r->file, r->line,
			     "%s: an NSEC3 owner must hold one NSEC3 record and nothing else",
			     node_str(b, nd, tmp, sizeof(tmp)));
		const uint8_t *rd = rr_rdata(b, r);
		if (r->rdlen < 6 || rd[0] != b->n3_alg ||
		    (uint16_t)(rd[2] << 8 | rd[3]) != b->n3_iter || rd[4] != b->n3_salt_len ||
		    r->rdlen < 6u + rd[4] || memcmp(rd + 5, b->n3_salt, rd[4]) != 0) {
			if (reported++ < MAX_DNSSEC_DIAGS)
				diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, r->file, r->line,
				     "%s: NSEC3 parameters differ from the NSEC3PARAM",
				     node_str(b, nd, tmp, sizeof(tmp)));
			continue;
		}
		b->n3_nodes[b->n3_count++] = id;
	}
	/* the chain: each next hashed owner is the following hash, the last
	 * wraps to the first */
	for (uint32_t i = 0; i < b->n3_count; i++) {
		const struct bnode *nd = &b->nodes[b->n3_nodes[i]];
		const struct brr *r = set_rr(b, node_set(b, nd, ZW_T_NSEC3), 0);
		const uint8_t *rd = rr_rdata(b, r);
		unsigned off = 5u + rd[4];
		const uint8_t *want = b->n3_hash[(i + 1) % b->n3_count];
		if (off >= r->rdlen || rd[off] != ZW_SHA1_LEN ||
		    off + 1u + ZW_SHA1_LEN > r->rdlen ||
		    memcmp(rd + off + 1, want, ZW_SHA1_LEN) != 0) {
			if (reported++ < MAX_DNSSEC_DIAGS)
				diag(b, ZW_D_NSEC_CHAIN, ZW_SEV_ERROR, r->file, r->line,
				     "%s: the next hashed owner is not the following NSEC3 in the "
				     "chain",
				     node_str(b, nd, tmp, sizeof(tmp)));
		}
	}
	return 0;
}

static int check_dnssec(struct zw_builder *b)
{
	struct bnode *apex = NULL;
	bool sigs = false;

	for (uint32_t s = 0; s < b->nsorted && apex == NULL; s++)
		if (b->nodes[b->sorted[s]].flags & ZW_NODE_APEX)
			apex = &b->nodes[b->sorted[s]];
	if (apex == NULL)
		return 0;
	for (uint32_t i = 0; i < b->nsets && !sigs; i++)
		sigs = b->sets[i].sig_count > 0;
	/* NSEC3 owners: the apex's children that hold an NSEC3 RRset */
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		if (n->parent != ZW_NONE && (b->nodes[n->parent].flags & ZW_NODE_APEX) &&
		    !(n->flags & NODE_BELOW_CUT) && node_set(b, n, ZW_T_NSEC3) != NULL) {
			n->flags |= NODE_NSEC3;
			b->has_nsec3 = true;
		}
		if (served(n) && node_set(b, n, ZW_T_NSEC) != NULL)
			b->has_nsec = true;
	}
	struct bset *keys = node_set(b, apex, ZW_T_DNSKEY);
	if ((sigs || b->has_nsec || b->has_nsec3) && (keys == NULL || keys->count == 0)) {
		diag(b, ZW_D_NO_DNSKEY, ZW_SEV_ERROR, apex->file, apex->line,
		     "signed data (RRSIG, NSEC or NSEC3) but no DNSKEY at the apex");
		return 0;
	}
	if (keys != NULL && keys->count > 0) {
		const struct brr *k = set_rr(b, keys, 0);
		if (k->rdlen >= 4)
			b->dnssec_alg = rr_rdata(b, k)[3];
		b->signed_zone = sigs;
	}
	check_sig_times(b);
	if (b->has_nsec)
		check_nsec_chain(b);
	if (b->has_nsec3)
		return check_nsec3(b, apex);
	return 0;
}

/* ---- pass 5: layout ---- */

static int emit_chunk(struct buf *chunks, const struct zw_chunk_builder *cb, unsigned flags,
		      uint32_t extra, uint32_t sigs, uint32_t *off)
{
	size_t sz = zw_cb_size(cb, flags);

	if (chunks->len + sz > UINT32_MAX - 1)
		return ZW_ETOOBIG;
	if (buf_reserve(chunks, sz) != 0)
		return -ENOMEM;
	*off = (uint32_t)chunks->len;
	zw_cb_emit(cb, chunks->p + chunks->len, flags, extra, sigs);
	chunks->len += sz;
	return 0;
}

/* Pads the chunks so that the next sz octets, where they fit in a cache
 * line and would start in its last 16 octets, start on the next line
 * instead: writing a short RRset then reads one line, not two. Further
 * into a line, the padding would cost more of the image than the line
 * it saves is worth (docs/benchmarks.md, Answer engine). */
static int line_pad(struct buf *chunks, size_t sz)
{
	size_t in = chunks->len % 64;

	if (sz > 64 || in + sz <= 64 || 64 - in > 16)
		return 0;
	if (chunks->len + (64 - in) > UINT32_MAX - 1)
		return ZW_ETOOBIG;
	if (buf_reserve(chunks, 64 - in) != 0)
		return -ENOMEM;
	memset(chunks->p + chunks->len, 0, 64 - in);
	chunks->len += 64 - in;
	return 0;
}

#define MAX_EXTRA 64

/*
 * The additional-data list of an NS, MX or SRV RRset whose chunk is in
 * anchor: for each target named in it that is served from this zone, its A
 * and AAAA RRsets. In a referral, the in-domain glue comes first and is
 * required; authoritative addresses of other in-zone targets follow;
 * glue below other cuts (sibling glue) is left out.
 */
static int build_extra(struct zw_builder *b, const struct bnode *n, const struct bset *set,
		       const struct zw_chunk_builder *anchor, struct buf *chunks, uint32_t *off)
{
	struct zw_img_extra_ent ents[2 * MAX_EXTRA];
	uint32_t done[MAX_EXTRA];
	unsigned nent = 0, ndone = 0;
	bool cut = (n->flags & ZW_NODE_DELEG) != 0;

	*off = ZW_NONE;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < set->count; i++) {
			struct brr *r = set_rr(b, set, i);
			struct zw_rdata_names nm;
			const uint8_t *rd = rr_rdata(b, r);
			if (zw_rdata_names(r->type, rd, r->rdlen, &nm) != 0 || nm.n == 0)
				continue;
			const uint8_t *target = rd + nm.off[0];
			uint32_t tid = find_lname(b, target);
			if (tid == ZW_NONE || !served(&b->nodes[tid]))
				continue;
			const struct bnode *t = &b->nodes[tid];
			bool in_domain =
				cut && zw_name_is_sub(node_name(b, t), node_name_len(b, t),
						      node_name(b, n), node_name_len(b, n));
			bool auth = !(t->flags & NODE_BELOW_CUT) && !(t->flags & ZW_NODE_DELEG) &&
				    !(t->flags & ZW_NODE_WILDCARD);
			if (pass == 0 ? !in_domain : (in_domain || !auth))
				continue;
			bool dup = false;
			for (unsigned k = 0; k < ndone; k++)
				dup |= done[k] == tid;
			if (dup || ndone == MAX_EXTRA)
				continue;
			unsigned kind, val;
			if (!zw_cb_find_name(anchor, target, &kind, &val))
				continue;
			done[ndone++] = tid;
			static const uint16_t types[2] = { ZW_T_A, ZW_T_AAAA };
			for (int k = 0; k < 2; k++) {
				const struct bset *as = node_set(b, t, types[k]);
				if (as == NULL || as->count == 0)
					continue;
				ents[nent].rrset = as->out;
				ents[nent].ptr = ZW_EXTRA_PTR(kind, val);
				ents[nent].flags = pass == 0 ? ZW_EXTRA_REQUIRED : 0;
				nent++;
			}
		}
	}
	if (nent == 0)
		return 0;
	struct zw_img_extra x = { .count = (uint16_t)nent };
	size_t sz = sizeof(x) + nent * sizeof(ents[0]);
	if (buf_reserve(chunks, sz) != 0)
		return -ENOMEM;
	*off = (uint32_t)chunks->len;
	memcpy(chunks->p + chunks->len, &x, sizeof(x));
	memcpy(chunks->p + chunks->len + sizeof(x), ents, nent * sizeof(ents[0]));
	chunks->len += sz;
	return 0;
}

static int rdata_error(struct zw_builder *b, int rc, const struct brr *r, uint16_t type)
{
	if (rc == -EINVAL)
		diag(b, ZW_D_BAD_RDATA, ZW_SEV_ERROR, r->file, r->line,
		     "malformed rdata for type %u", type);
	else if (rc == ZW_ETOOBIG)
		diag(b, ZW_D_TOO_BIG, ZW_SEV_ERROR, r->file, r->line,
		     "RRset of type %u is larger than a DNS message can carry", type);
	else
		return rc;
	return ZW_EZONE;
}

/* Chunks of one RRset: its signatures, its additional list, itself. */
static int build_rrset(struct zw_builder *b, const struct bnode *n, const struct bset *set,
		       struct buf *chunks, uint32_t *off, uint16_t *flags, uint64_t *wire)
{
	bool wild = (n->flags & ZW_NODE_WILDCARD) != 0;
	const uint8_t *ctx = wild ? node_name(b, n) + 2 : node_name(b, n);
	unsigned len = node_name_len(b, n);
	uint32_t sigs = ZW_NONE, extra = ZW_NONE;
	int rc;

	*flags = 0;
	if (set->sig_count > 0) {
		zw_cb_begin(b->cb2, ctx, true, wild);
		for (uint32_t k = 0; k < set->sig_count; k++) {
			struct brr *r = &b->rrs[b->order[set->sig_first + k]];
			rc = zw_cb_add_rr(b->cb2, ZW_T_RRSIG, r->ttl, rr_rdata(b, r), r->rdlen);
			if (rc != 0)
				return rdata_error(b, rc, r, ZW_T_RRSIG);
			*wire += len + 10u + r->rdlen;
			b->st.rrs_out++;
		}
		*flags |= ZW_RRSET_SIGS;
	}
	zw_cb_begin(b->cb, ctx, true, wild);
	for (uint32_t k = 0; k < set->count; k++) {
		struct brr *r = set_rr(b, set, k);
		rc = zw_cb_add_rr(b->cb, set->type, set->ttl, rr_rdata(b, r), r->rdlen);
		if (rc != 0)
			return rdata_error(b, rc, r, set->type);
		*wire += len + 10u + r->rdlen;
		b->st.rrs_out++;
	}
	if (set->type == ZW_T_NS || set->type == ZW_T_MX || set->type == ZW_T_SRV) {
		if ((rc = build_extra(b, n, set, b->cb, chunks, &extra)) != 0)
			return rc;
		if (extra != ZW_NONE)
			*flags |= ZW_RRSET_EXTRA;
	}
	if ((rc = line_pad(chunks, zw_cb_size(b->cb, *flags))) != 0)
		return rc;
	/* the signatures right after the RRset, so that writing both reads
	 * on in memory */
	if (*flags & ZW_RRSET_SIGS) {
		size_t at = chunks->len + zw_cb_size(b->cb, *flags);
		if (at > UINT32_MAX - 1)
			return ZW_ETOOBIG;
		sigs = (uint32_t)at;
	}
	if ((rc = emit_chunk(chunks, b->cb, *flags, extra, sigs, off)) != 0)
		return rc;
	if (*flags & ZW_RRSET_SIGS) {
		uint32_t at;
		if ((rc = emit_chunk(chunks, b->cb2, 0, 0, 0, &at)) != 0)
			return rc;
		if (at != sigs)
			return -EINVAL; /* cannot happen: chunks are laid end to end */
	}
	return 0;
}

/* Strides up to 64 lines for records laid out to write (NSEC3PROOF,
 * NSECPROOF); fit[k]: how many records take k lines. */
enum { PLACE_LINES = 64 };

/* The stride (a multiple of 64) that 99 in 100 of count records fit in. */
static uint32_t place_stride(const uint32_t *fit, uint32_t count)
{
	for (uint32_t k = 1, sum = 0; k <= PLACE_LINES; k++) {
		sum += fit[k];
		if ((uint64_t)sum * 100 >= (uint64_t)count * 99)
			return 64 * k;
	}
	return 64 * PLACE_LINES;
}

/* Where record i's data (len octets) goes: in its place after its header
 * (hsize octets), or, too long for the stride, at *far_at after the
 * table, whose offset then goes in the place and *far is set. */
static uint8_t *place_data(uint8_t *p, uint32_t i, uint32_t stride, size_t hsize, size_t len,
			   size_t *far_at, uint8_t *far)
{
	uint8_t *d = p + (size_t)i * stride + hsize;

	*far = 0;
	if (hsize + len <= stride)
		return d;
	uint32_t off = (uint32_t)*far_at;
	*far = 1;
	memcpy(d, &off, sizeof(off));
	*far_at += len;
	return p + off;
}

/*
 * The NSEC3 records as denials write them (struct zw_img_n3proof), from
 * their chunks: the owner label, the record's chunk (its first two octets
 * a placeholder for the owner pointer), its signature chunk. The stride
 * is the multiple of 64 that 99 in 100 of them fit in; the others are
 * laid after the table.
 */
/* NSEC3 record i's chunk, its signature chunk (or NULL) in *sig, and the
 * length of its data ready to write in *len. */
static const struct zw_img_chunk *n3_parts(const struct buf *chunks,
					   const struct zw_img_rrset *osets,
					   const struct zw_img_nsec3 *on3, uint32_t i,
					   const struct zw_img_chunk **sig, size_t *len)
{
	const struct zw_img_chunk *c = (const void *)(chunks->p + osets[on3[i].rrset].chunk);
	uint32_t so = zw_chunk_sigs(c);

	*sig = so != ZW_NONE ? (const void *)(chunks->p + so) : NULL;
	*len = ZW_N3PROOF_OWNER - 2u + c->len + (*sig != NULL ? (*sig)->len : 0u);
	return c;
}

static int build_n3proofs(const struct zw_builder *b, const struct buf *chunks,
			  const struct zw_img_rrset *osets, const struct zw_img_nsec3 *on3,
			  uint8_t **out, size_t *out_size, uint32_t *stride_out)
{
	uint32_t n = b->n3_count, fit[PLACE_LINES + 1] = { 0 }, stride;
	const struct zw_img_chunk *c, *sig;
	size_t far = 0, len;

	for (uint32_t i = 0; i < n; i++) {
		c = n3_parts(chunks, osets, on3, i, &sig, &len);
		/* nothing in an NSEC3 RR or an RRSIG is compressed (RFC 4034
		 * 3.1.7, RFC 5155 3.2) */
		if (c->rrs != 1 || c->nreloc != 0 || (sig != NULL && sig->nreloc != 0))
			return -EINVAL;
		if (len > UINT16_MAX || (sig != NULL && sig->rrs >= UINT8_MAX))
			return ZW_ETOOBIG;
		size_t lines = (sizeof(struct zw_img_n3proof) + len + 63) / 64;
		fit[lines < PLACE_LINES ? lines : PLACE_LINES]++;
	}
	stride = place_stride(fit, n);
	for (uint32_t i = 0; i < n; i++) {
		n3_parts(chunks, osets, on3, i, &sig, &len);
		if (sizeof(struct zw_img_n3proof) + len > stride)
			far += len;
	}
	size_t size = (size_t)n * stride + far;
	if (size > UINT32_MAX)
		return ZW_ETOOBIG;
	uint8_t *p = calloc(1, size ? size : 1);
	if (p == NULL)
		return -ENOMEM;
	size_t far_at = (size_t)n * stride;
	for (uint32_t i = 0; i < n; i++) {
		c = n3_parts(chunks, osets, on3, i, &sig, &len);
		struct zw_img_n3proof h = {
			.len = (uint16_t)len,
			.rrs = (uint8_t)(1u + (sig != NULL ? sig->rrs : 0u)),
		};
		uint8_t *d = place_data(p, i, stride, sizeof(h), h.len, &far_at, &h.far);
		memcpy(p + (size_t)i * stride, &h, sizeof(h));
		char label[33];
		zw_base32hex(b->n3_hash[i], ZW_SHA1_LEN, label);
		d[0] = 32;
		memcpy(d + 1, label, 32);
		memcpy(d + ZW_N3PROOF_OWNER - 2, zw_chunk_data(c), c->len);
		if (sig != NULL)
			memcpy(d + ZW_N3PROOF_OWNER - 2 + c->len, zw_chunk_data(sig), sig->len);
	}
	*out = p;
	*out_size = size;
	*stride_out = stride;
	return 0;
}

/* The NSEC3 record whose hash is the node's, or ZW_NONE (a name without
 * one: under an opt-out span, or a broken chain). */
static uint32_t nsec3_find(const struct zw_builder *b, const struct bnode *n)
{
	uint8_t h[ZW_SHA1_LEN];
	uint32_t lo = 0, hi = b->n3_count;

	if (zw_nsec3_hash(node_name(b, n), node_name_len(b, n), b->n3_salt, b->n3_salt_len,
			  b->n3_iter, h) != 0)
		return ZW_NONE;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(b->n3_hash[mid], h, ZW_SHA1_LEN);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ZW_NONE;
}

/* The NSEC3 record that covers the hash of "*." + the node's name: the
 * last one below it, wrapping around to the last of all, as the answer
 * path finds it; ZW_NONE when the hash matches a record (the wildcard
 * exists: nothing to deny) or the name is too long for a wildcard. */
static uint32_t nsec3_wild_cover(const struct zw_builder *b, const struct bnode *n)
{
	uint8_t wc[ZW_NAME_MAX + 1], h[ZW_SHA1_LEN];
	unsigned len = node_name_len(b, n);
	uint32_t lo = 0, hi = b->n3_count;

	if (len + 2 > ZW_NAME_MAX || b->n3_count == 0)
		return ZW_NONE;
	wc[0] = 1;
	wc[1] = '*';
	memcpy(wc + 2, node_name(b, n), len);
	if (zw_nsec3_hash(wc, len + 2, b->n3_salt, b->n3_salt_len, b->n3_iter, h) != 0)
		return ZW_NONE;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(b->n3_hash[mid], h, ZW_SHA1_LEN);
		if (c == 0)
			return ZW_NONE;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? b->n3_count - 1 : lo - 1;
}

/*
 * NSEC zones: for each node N that can be the closest encloser of an
 * NXDOMAIN, the node whose NSEC covers *.N, found in the assembled image
 * with the search the answer path uses (the image is not verified yet, but
 * it is the compiler's own). ZW_NONE elsewhere.
 */
static void nsec_wild_covers(uint8_t *buf, size_t size, uint32_t *out)
{
	const struct zw_img_header *h = (const void *)buf;
	struct zw_image v;
	uint8_t wc[ZW_NAME_MAX + 1];
	struct zw_canon_name q;

	memset(&v, 0, sizeof(v));
	v.base = buf;
	v.size = size;
	v.hdr = h;
	v.names = buf + h->sec[ZW_SEC_NAMES].off;
	v.nodes = (const void *)(buf + h->sec[ZW_SEC_NODES].off);
	v.rrsets = (const void *)(buf + h->sec[ZW_SEC_RRSETS].off);
	v.chunks = buf + h->sec[ZW_SEC_CHUNKS].off;
	v.chunks_size = h->sec[ZW_SEC_CHUNKS].size;
	v.canon = h->sec[ZW_SEC_CANON].size ? (const void *)(buf + h->sec[ZW_SEC_CANON].off) : NULL;
	for (uint32_t i = 0; i < h->node_count; i++) {
		const struct zw_img_node *n = &v.nodes[i];
		const uint8_t *nm = v.names + n->name_off;
		out[i] = ZW_NONE;
		if ((n->flags & (ZW_NODE_GLUE | ZW_NODE_DELEG)) ||
		    nm[0] + 2u + h->origin_len > ZW_NAME_MAX)
			continue;
		wc[0] = 1;
		wc[1] = '*';
		memcpy(wc + 2, nm + 1, nm[0]);
		zw_canon_prepare(&q, wc, nm[0] + 2u);
		uint32_t p = zw_image_canon_pred(&v, &q, i);
		/* back to the nearest NSEC owner: glue and empty non-terminals
		 * have none */
		for (;;) {
			const struct zw_img_node *c = &v.nodes[p];
			if (!(c->flags & ZW_NODE_GLUE) &&
			    zw_image_rrset(&v, c, ZW_T_NSEC) != NULL) {
				out[i] = p;
				break;
			}
			if (p == 0)
				break;
			p--;
		}
	}
}

/*
 * The NSEC of each node as denials write it (struct zw_img_nsecproof), from
 * the node's name and its NSEC's chunks: a place per node, in node order,
 * so that a node's index gives its NSEC without a read; empty (len 0) for
 * nodes without one. The stride is chosen as for NSEC3PROOF, over the nodes
 * that have an NSEC.
 */
/* Node nd's NSEC chunk (NULL: none), its signature chunk in *sig, and the
 * length of its data ready to write in *len. */
static const struct zw_img_chunk *nsec_parts(const struct buf *chunks,
					     const struct zw_img_rrset *osets,
					     const struct zw_img_node *nd, const uint8_t *onames,
					     const struct zw_img_chunk **sig, size_t *len)
{
	const struct zw_img_chunk *c = NULL;

	*sig = NULL;
	*len = 0;
	if (nd->flags & ZW_NODE_GLUE)
		return NULL;
	for (uint32_t k = 0; k < nd->rrset_count && c == NULL; k++)
		if (osets[nd->rrset_first + k].type == ZW_T_NSEC)
			c = (const void *)(chunks->p + osets[nd->rrset_first + k].chunk);
	if (c == NULL)
		return NULL;
	uint32_t so = zw_chunk_sigs(c);
	*sig = so != ZW_NONE ? (const void *)(chunks->p + so) : NULL;
	*len = onames[nd->name_off] + (size_t)c->len + (*sig != NULL ? (*sig)->len : 0u);
	return c;
}

static int build_nsecproofs(const struct buf *chunks, const struct zw_img_rrset *osets,
			    const struct zw_img_node *onodes, uint32_t nout, const uint8_t *onames,
			    uint8_t **out, size_t *out_size, uint32_t *stride_out)
{
	uint32_t fit[PLACE_LINES + 1] = { 0 }, stride, owners = 0;
	const struct zw_img_chunk *c, *sig;
	size_t far = 0, len;

	for (uint32_t i = 0; i < nout; i++) {
		c = nsec_parts(chunks, osets, &onodes[i], onames, &sig, &len);
		if (c == NULL)
			continue;
		/* nothing in an NSEC RR or an RRSIG is compressed (RFC 4034
		 * 4.1.1, 3.1.7) */
		if (c->rrs != 1 || c->nreloc != 0 || c->len < 12 ||
		    (sig != NULL && sig->nreloc != 0))
			return -EINVAL;
		if (len > UINT16_MAX || (sig != NULL && sig->rrs >= UINT8_MAX))
			return ZW_ETOOBIG;
		size_t lines = (sizeof(struct zw_img_nsecproof) + len + 63) / 64;
		fit[lines < PLACE_LINES ? lines : PLACE_LINES]++;
		owners++;
	}
	if (owners == 0) {
		*out = NULL;
		*out_size = 0;
		*stride_out = 0;
		return 0;
	}
	stride = place_stride(fit, owners);
	for (uint32_t i = 0; i < nout; i++)
		if (nsec_parts(chunks, osets, &onodes[i], onames, &sig, &len) != NULL &&
		    sizeof(struct zw_img_nsecproof) + len > stride)
			far += len;
	size_t size = (size_t)nout * stride + far;
	if (size > UINT32_MAX)
		return ZW_ETOOBIG;
	uint8_t *p = calloc(1, size);
	if (p == NULL)
		return -ENOMEM;
	size_t far_at = (size_t)nout * stride;
	for (uint32_t i = 0; i < nout; i++) {
		c = nsec_parts(chunks, osets, &onodes[i], onames, &sig, &len);
		if (c == NULL)
			continue;
		const uint8_t *nm = onames + onodes[i].name_off;
		struct zw_img_nsecproof h = {
			.len = (uint16_t)len,
			.nsec_len = c->len,
			.rel = nm[0],
			.rrs = (uint8_t)(1u + (sig != NULL ? sig->rrs : 0u)),
		};
		uint8_t *d = place_data(p, i, stride, sizeof(h), h.len, &far_at, &h.far);
		memcpy(p + (size_t)i * stride, &h, sizeof(h));
		memcpy(d, nm + 1, nm[0]);
		memcpy(d + nm[0], zw_chunk_data(c), c->len);
		if (sig != NULL)
			memcpy(d + nm[0] + c->len, zw_chunk_data(sig), sig->len);
	}
	*out = p;
	*out_size = size;
	*stride_out = stride;
	return 0;
}

static int build_image(struct zw_builder *b, void **image, size_t *size)
{
	struct buf chunks = { 0 };
	struct zw_img_rrset *osets = NULL;
	struct zw_img_node *onodes = NULL;
	uint8_t *onames = NULL;
	struct zw_img_slot *hash = NULL;
	uint32_t nout = 0, nsets_out = 0;
	size_t names_bytes = 0;
	uint64_t wire_bytes = 0;
	uint8_t *n3proof = NULL, *nsecproof = NULL;
	size_t n3proof_size = 0, nsecproof_size = 0;
	struct zw_img_header hdr;
	int rc = 0;

	memset(&hdr, 0, sizeof(hdr));
	b->cb = malloc(sizeof(*b->cb));
	b->cb2 = malloc(sizeof(*b->cb2));
	if (b->cb == NULL || b->cb2 == NULL)
		return -ENOMEM;
	/* final numbering of nodes and RRsets, so lists can refer forward */
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		if (!served(n))
			continue;
		n->out = nout++;
		names_bytes += node_name_len(b, n) - b->origin_len + 1u;
		for (uint32_t i = 0; i < n->set_count; i++) {
			struct bset *set = &b->sets[n->set_first + i];
			set->out = set->count > 0 ? nsets_out++ : ZW_NONE;
		}
	}
	if (nout == 0)
		return ZW_EZONE;
	/* NSEC3 RRsets come after every node's, outside the tree */
	for (uint32_t i = 0; i < b->n3_count; i++) {
		node_set(b, &b->nodes[b->n3_nodes[i]], ZW_T_NSEC3)->out = nsets_out++;
		names_bytes += 1u + ZW_SHA1_LEN;
	}
	struct zw_img_nsec3 *on3 = calloc(b->n3_count ? b->n3_count : 1, sizeof(*on3));
	uint32_t *n3map = b->n3_count ? calloc(nout, sizeof(*n3map)) : NULL;
	/* what proofs of non-existence need: NSEC3 owner labels, the denial
	 * of each node's wildcard, canonical keys (NSEC) */
	bool nsec3 = b->has_nsec3 && b->n3_count > 0, nsec = b->has_nsec && !nsec3;
	uint64_t *n3keys = nsec3 ? malloc((size_t)b->n3_count * sizeof(*n3keys)) : NULL;
	uint32_t *wcover = nsec3 || nsec ? malloc((size_t)nout * sizeof(*wcover)) : NULL;
	struct zw_img_canon *canon = nsec ? malloc((size_t)nout * sizeof(*canon)) : NULL;
	onodes = calloc(nout, sizeof(*onodes));
	osets = calloc(nsets_out ? nsets_out : 1, sizeof(*osets));
	onames = malloc(names_bytes);
	if (wcover != NULL)
		memset(wcover, 0xff, (size_t)nout * sizeof(*wcover)); /* ZW_NONE */
	if (on3 == NULL || (b->n3_count && n3map == NULL) || (nsec3 && n3keys == NULL) ||
	    ((nsec3 || nsec) && wcover == NULL) || (nsec && canon == NULL)) {
		free(n3keys);
		free(wcover);
		free(canon);
		free(on3);
		free(n3map);
		free(onodes);
		free(osets);
		free(onames);
		return -ENOMEM;
	}
	uint32_t hsize = 16;
	while (hsize < (uint64_t)nout + nout / 2)
		hsize *= 2;
	hash = calloc(hsize, sizeof(*hash));
	if (onodes == NULL || osets == NULL || onames == NULL || hash == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	size_t noff = 0;
	uint32_t si = 0;
	for (uint32_t s = 0; s < b->nsorted; s++) {
		struct bnode *n = &b->nodes[b->sorted[s]];
		if (n->out == ZW_NONE)
			continue;
		struct zw_img_node *o = &onodes[n->out];
		unsigned rel = node_name_len(b, n) - b->origin_len;
		o->name_off = (uint32_t)noff;
		onames[noff] = (uint8_t)rel;
		memcpy(onames + noff + 1, node_name(b, n), rel);
		noff += rel + 1u;
		o->hash = zw_name_hash(node_name(b, n), rel);
		if (n3map != NULL)
			n3map[n->out] = (n->flags & NODE_BELOW_CUT) ? ZW_NONE : nsec3_find(b, n);
		if (canon != NULL)
			canon[n->out] = zw_canon_key(node_name(b, n), rel);
		if (nsec3)
			/* closest encloser of an NXDOMAIN: not a cut nor glue,
			 * and with an NSEC3 (else its provable ancestor is) */
			wcover[n->out] = (n->flags & (NODE_BELOW_CUT | ZW_NODE_DELEG)) ||
							 n3map[n->out] == ZW_NONE
						 ? ZW_NONE
						 : nsec3_wild_cover(b, n);
		o->flags = (uint16_t)(n->flags & 0xffff);
		o->aux = ZW_NONE;
		if (n->flags & NODE_BELOW_CUT) {
			o->flags |= ZW_NODE_GLUE;
			o->flags &= (uint16_t)~ZW_NODE_HAS_WILD;
			o->aux = b->nodes[n->aux].out;
		} else if ((n->flags & ZW_NODE_HAS_WILD) && n->aux != ZW_NONE &&
			   !(n->flags & ZW_NODE_DELEG)) {
			o->aux = b->nodes[n->aux].out;
		} else {
			o->flags &= (uint16_t)~ZW_NODE_HAS_WILD;
		}
		if ((n->flags & ZW_NODE_DELEG) && node_set(b, n, ZW_T_DS) != NULL)
			o->flags |= ZW_NODE_DS;
		if ((n->flags & ZW_NODE_APEX) && n->out != 0) {
			rc = ZW_EZONE;
			goto out;
		}
		uint32_t h = o->hash & (hsize - 1);
		while (hash[h].node != 0)
			h = (h + 1) & (hsize - 1);
		hash[h].node = n->out + 1;
		hash[h].hash = o->hash;

		o->rrset_first = si;
		for (uint32_t i = 0; i < n->set_count; i++) {
			struct bset *set = &b->sets[n->set_first + i];
			if (set->count == 0)
				continue;
			struct zw_img_rrset *os = &osets[si++];
			o->rrset_count++;
			os->type = set->type;
			rc = build_rrset(b, n, set, &chunks, &os->chunk, &os->flags, &wire_bytes);
			if (rc != 0)
				goto out;
			if (set->type == ZW_T_SOA && (n->flags & ZW_NODE_APEX)) {
				/* the SOA of negative answers: TTL min(TTL, MINIMUM) */
				struct brr *r = set_rr(b, set, 0);
				const uint8_t *rd = rr_rdata(b, r);
				uint32_t minimum = get32(rd + r->rdlen - 4);
				hdr.serial = get32(rd + r->rdlen - 20);
				hdr.neg_ttl = minimum < set->ttl ? minimum : set->ttl;
				hdr.soa_rrset = si - 1;
				zw_cb_begin(b->cb2, node_name(b, n), true, false);
				rc = zw_cb_add_rr(b->cb2, ZW_T_SOA, hdr.neg_ttl, rd, r->rdlen);
				if (rc == 0)
					rc = emit_chunk(&chunks, b->cb2, 0, 0, 0,
							&hdr.neg_soa_chunk);
				if (rc != 0)
					goto out;
			}
		}
		if (o->rrset_count == 0)
			o->rrset_first = ZW_NONE;
		if (n->flags & ZW_NODE_DELEG)
			hdr.deleg_count++;
		if (n->flags & NODE_BELOW_CUT)
			hdr.glue_count++;
		if (n->flags & ZW_NODE_ENT)
			hdr.ent_count++;
		if (n->flags & ZW_NODE_WILDCARD)
			hdr.wildcard_count++;
	}

	/* NSEC3 records, in hash order */
	for (uint32_t i = 0; i < b->n3_count; i++) {
		const struct bnode *n = &b->nodes[b->n3_nodes[i]];
		const struct bset *set = node_set(b, n, ZW_T_NSEC3);
		struct zw_img_rrset *os = &osets[si];
		os->type = ZW_T_NSEC3;
		rc = build_rrset(b, n, set, &chunks, &os->chunk, &os->flags, &wire_bytes);
		if (rc != 0)
			goto out;
		on3[i].hash_off = (uint32_t)noff;
		on3[i].rrset = si++;
		onames[noff] = ZW_SHA1_LEN;
		memcpy(onames + noff + 1, b->n3_hash[i], ZW_SHA1_LEN);
		noff += 1u + ZW_SHA1_LEN;
		n3keys[i] = zw_load_be64(b->n3_hash[i]);
	}
	if (nsec3 && (rc = build_n3proofs(b, &chunks, osets, on3, &n3proof, &n3proof_size,
					  &hdr.nsec3_stride)) != 0)
		goto out;
	if (nsec && (rc = build_nsecproofs(&chunks, osets, onodes, nout, onames, &nsecproof,
					   &nsecproof_size, &hdr.nsec_stride)) != 0)
		goto out;
	if (b->has_nsec3) {
		hdr.flags |= ZW_IMGF_NSEC3;
		hdr.nsec3_alg = b->n3_alg;
		hdr.nsec3_iterations = b->n3_iter;
		hdr.nsec3_salt_len = b->n3_salt_len;
		memcpy(hdr.nsec3_salt, b->n3_salt, b->n3_salt_len);
	}
	if (b->has_nsec)
		hdr.flags |= ZW_IMGF_NSEC;
	if (b->signed_zone)
		hdr.flags |= ZW_IMGF_SIGNED;
	hdr.dnssec_alg = b->dnssec_alg;
	hdr.sig_expire_min = b->sig_expire_min;
	hdr.nsec3_count = b->n3_count;

	/* assemble */
	size_t sizes[ZW_SEC_COUNT] = { 0 };
	const void *srcs[ZW_SEC_COUNT] = { 0 };
	sizes[ZW_SEC_NAMES] = noff;
	srcs[ZW_SEC_NAMES] = onames;
	sizes[ZW_SEC_NODES] = (size_t)nout * sizeof(*onodes);
	srcs[ZW_SEC_NODES] = onodes;
	sizes[ZW_SEC_HASH] = (size_t)hsize * sizeof(*hash);
	srcs[ZW_SEC_HASH] = hash;
	sizes[ZW_SEC_RRSETS] = (size_t)si * sizeof(*osets);
	srcs[ZW_SEC_RRSETS] = osets;
	sizes[ZW_SEC_CHUNKS] = chunks.len;
	srcs[ZW_SEC_CHUNKS] = chunks.p;
	sizes[ZW_SEC_NSEC3] = (size_t)b->n3_count * sizeof(*on3);
	srcs[ZW_SEC_NSEC3] = on3;
	sizes[ZW_SEC_NSEC3MAP] = n3map ? (size_t)nout * sizeof(*n3map) : 0;
	srcs[ZW_SEC_NSEC3MAP] = n3map;
	sizes[ZW_SEC_CANON] = canon ? (size_t)nout * sizeof(*canon) : 0;
	srcs[ZW_SEC_CANON] = canon;
	sizes[ZW_SEC_WILDCOVER] = wcover ? (size_t)nout * sizeof(*wcover) : 0;
	srcs[ZW_SEC_WILDCOVER] = wcover;
	sizes[ZW_SEC_NSEC3PROOF] = n3proof_size;
	srcs[ZW_SEC_NSEC3PROOF] = n3proof;
	sizes[ZW_SEC_NSEC3KEYS] = n3keys ? (size_t)b->n3_count * sizeof(*n3keys) : 0;
	srcs[ZW_SEC_NSEC3KEYS] = n3keys;
	sizes[ZW_SEC_NSECPROOF] = nsecproof_size;
	srcs[ZW_SEC_NSECPROOF] = nsecproof;
	size_t total = (sizeof(hdr) + 7) & ~(size_t)7;
	for (int i = 0; i < ZW_SEC_COUNT; i++) {
		if ((i == ZW_SEC_NSEC3PROOF || i == ZW_SEC_NSECPROOF || i == ZW_SEC_CHUNKS) &&
		    sizes[i] > 0)
			total = (total + 63) & ~(size_t)63; /* records on line boundaries */
		hdr.sec[i].off = total;
		hdr.sec[i].size = sizes[i];
		total += (sizes[i] + 7) & ~(size_t)7;
	}
	uint8_t *img = calloc(1, total);
	if (img == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(hdr.magic, ZW_IMG_MAGIC, 8);
	hdr.version = ZW_IMG_VERSION;
	hdr.header_size = sizeof(hdr);
	hdr.file_size = total;
	hdr.endian = 0x01020304;
	hdr.node_count = nout;
	hdr.rrset_count = si;
	hdr.rr_count = (uint32_t)b->st.rrs_out;
	hdr.hash_size = hsize;
	hdr.rr_wire_bytes = wire_bytes;
	hdr.compiled_at = (uint64_t)b->opts.now;
	hdr.origin_len = (uint8_t)b->origin_len;
	memcpy(hdr.origin, b->origin, b->origin_len);
	for (int i = 0; i < ZW_SEC_COUNT; i++)
		if (sizes[i] > 0)
			memcpy(img + hdr.sec[i].off, srcs[i], sizes[i]);
	memcpy(img, &hdr, sizeof(hdr));
	if (nsec)
		nsec_wild_covers(img, total,
				 (uint32_t *)(void *)(img + hdr.sec[ZW_SEC_WILDCOVER].off));
	uint64_t sum = XXH3_64bits(img, total);
	memcpy(img + offsetof(struct zw_img_header, checksum), &sum, sizeof(sum));
	*image = img;
	*size = total;
out:
	free(chunks.p);
	free(n3proof);
	free(nsecproof);
	free(n3keys);
	free(wcover);
	free(canon);
	free(on3);
	free(n3map);
	free(onodes);
	free(osets);
	free(onames);
	free(hash);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ZW_COMPILE_TIMING=1 prints the time each pass takes, for profiling. */
static void phase(const char *what, double *t)
{
	static int on = -1;

	if (on < 0)
		on = getenv("ZW_COMPILE_TIMING") != NULL;
	if (!on)
		return;
	double n = now_ms();
	if (what != NULL)
		fprintf(stderr, "compile: %-8s %8.1f ms\n", what, n - *t);
	*t = n;
}

int zw_builder_finish(struct zw_builder *b, void **image, size_t *size)
{
	double t = 0;
	int rc;

	phase(NULL, &t);

	*image = NULL;
	*size = 0;
	if (b->finished)
		return -EINVAL;
	b->finished = true;
	rc = find_origin(b);
	if (rc == ZW_ENOTFOUND) {
		diag(b, ZW_D_NO_SOA, ZW_SEV_ERROR, 0xffff, 0,
		     "no SOA record and no origin given: cannot tell the zone's name");
		return ZW_EZONE;
	}
	if (rc != 0)
		return rc;
	if ((rc = link_parents(b)) != 0)
		return rc;
	phase("parents", &t);
	/* the apex exists even when it has no records, so checks can say so */
	bool created;
	uint32_t apex = node_get(b, b->origin, b->origin_len, &created);
	if (apex == ZW_NONE)
		return -ENOMEM;
	b->nodes[apex].flags |= ZW_NODE_APEX;
	if ((rc = sort_nodes(b)) != 0)
		return rc;
	phase("sort", &t);
	if ((rc = build_sets(b)) != 0)
		return rc;
	phase("rrsets", &t);
	if ((rc = check_zone(b)) != 0)
		return rc;
	if ((rc = check_dnssec(b)) != 0)
		return rc;
	phase("checks", &t);
	if (b->st.errors > 0)
		return ZW_EZONE;
	rc = build_image(b, image, size);
	phase("layout", &t);
	if (rc == 0 && b->st.errors > 0) {
		free(*image);
		*image = NULL;
		*size = 0;
		return ZW_EZONE;
	}
	return rc;
}

struct compile_ctx {
	struct zw_builder *b;
};

static void parse_diag(void *ctx, const struct zw_diag *d)
{
	struct zw_builder *b = ((struct compile_ctx *)ctx)->b;

	if (d->severity == ZW_SEV_ERROR)
		b->st.errors++;
	else
		b->st.warnings++;
	if (b->opts.on_diag != NULL)
		b->opts.on_diag(b->opts.ctx, d);
}

static int parse_rr(void *ctx, const struct zw_rr *rr)
{
	return zw_builder_add(((struct compile_ctx *)ctx)->b, rr);
}

int zw_compile_file(const char *path, const struct zw_compile_opts *opts, void **image,
		    size_t *size, struct zw_compile_stats *stats)
{
	struct zw_builder *b = zw_builder_create(opts);
	int rc;

	*image = NULL;
	*size = 0;
	if (b == NULL)
		return -ENOMEM;
	struct compile_ctx cc = { .b = b };
	struct zw_parse_opts po = {
		.origin = opts ? opts->origin : NULL,
		.default_ttl = 3600,
		.flags = opts ? opts->parse_flags : 0,
		.on_rr = parse_rr,
		.on_diag = parse_diag,
		.ctx = &cc,
	};
	double t = 0;
	phase(NULL, &t);
	rc = zw_parse_file(path, &po);
	phase("parse", &t);
	if (rc == 0)
		rc = zw_builder_finish(b, image, size);
	else if (b->st.errors == 0)
		b->st.errors = 1;
	if (stats != NULL)
		*stats = b->st;
	zw_builder_free(b);
	return rc;
}

int zw_image_write(const char *path, const void *image, size_t size)
{
	char tmp[4096];
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	const uint8_t *p = image;
	size_t left = size;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}
