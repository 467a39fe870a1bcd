/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_answer [options] IMAGE... [vs IMAGE...]...
 *
 * Throughput of the answer engine (dataplane/answer.h) on one core, with no
 * network: the images are opened and put in a zone set, a mix of wire-format
 * queries is generated from the zones' own names, and zw_answer() answers
 * them in a loop on one pinned thread.
 *
 * The query mix (see make_mix()), drawn uniformly over the zones' nodes:
 *   70 %  positive: an existing name and a type it has
 *   15 %  NXDOMAIN: a random label prepended to an existing name that has no
 *         wildcard child (so no wildcard applies)
 *   10 %  referral: a delegation of the zones, or a name below one
 *    5 %  NODATA: an existing name and a type it does not have
 * Every name gets random letter case; one query in three carries an OPT RR
 * (payload size 1232; with --do the DO bit is set on every OPT RR).
 *
 * Modes:
 *   default       one untimed pass over the mix (page faults, the mix as
 *                 answered, the average response size), then timed passes
 *                 over the whole mix until at least SECONDS have elapsed.
 *                 CLOCK_MONOTONIC is read once before the first timed pass
 *                 and once after each pass, never per query; the thread's
 *                 CPU time over the same interval shows how much of it other
 *                 processes took (thread_cpu_share).
 *   --count N     answers exactly N queries (cycling over the mix) once and
 *                 exits: for instruction counting with callgrind. Set-up
 *                 (opening the images, generating the mix) costs the same
 *                 whatever N is, so a run with --count 0 and the same -n is
 *                 the baseline to subtract; see docs/benchmarks.md.
 *   --hugepages   reads each image into anonymous memory advised for
 *                 transparent huge pages (zw_image_from_buffer) instead of
 *                 mapping the file with 4 KiB pages: the difference is the
 *                 cost of TLB misses over a large zone set.
 *   IMAGES vs IMAGES [vs IMAGES...]
 *                 compares zone sets (the same zones unsigned and signed,
 *                 say) in one run: each set gets its own mix from the same
 *                 seed (mix_hash tells whether they are the same queries),
 *                 and the timed passes go round the sets, a pass of each in
 *                 a round, the set that starts a round rotating. A drift of
 *                 the host's speed, which on a shared machine is larger than
 *                 the differences sought, then weighs on every set alike:
 *                 setN.ratio is set N's CPU time per answer to the first
 *                 set's over all passes, setN.ratio_median_round the median
 *                 of that ratio over the rounds.
 *   --write-queries PREFIX
 *                 writes the mix to PREFIX.raw (dnsperf -B format: each
 *                 message preceded by its 2-byte length) and PREFIX.txt
 *                 (dnsperf's "name TYPE" lines; this form cannot carry the
 *                 per-query OPT RR) and exits.
 *
 * Profiling: timed_start_monotonic_s is when the timed passes begin, on
 * the clock that `perf record -k CLOCK_MONOTONIC` stamps samples with, so
 * `perf report --time START,` leaves the set-up out.
 *
 * The sum of the response lengths is printed as a checksum, so the work
 * cannot be optimised away and two runs over the same mix can be compared.
 * Output is "key: value" lines, for scripts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "bench_median.h"
#include "bench_pin.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"
#include "zw_err.h"

#define DEFAULT_QUERIES 1000000UL
#define MAX_QUERIES	100000000UL
#define EDNS_SIZE	1232
#define QMAX		(12 + ZW_NAME_MAX + 4 + 11)
#define OUT_SIZE	65536
#define T_CAA		257
#define HUGE_PAGE	(2UL << 20)
#define ZW_BURST_MAX	64 /* --burst at most */
#define MAX_SETS	4  /* zone sets compared in one run */
#define OUT_SLOT                                                                                   \
	1280 /* per response of a burst (a multiple of 64): UDP answers here never exceed 1232 */

enum kind { K_POSITIVE, K_NXDOMAIN, K_REFERRAL, K_NODATA, K_COUNT };

static const char *const kind_names[K_COUNT] = { "positive", "nxdomain", "referral", "nodata" };

/* ---- random numbers (splitmix64: fast, seedable, good enough) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* ---- candidate nodes ---- */

struct ref {
	uint32_t img;
	uint32_t node;
};

struct refs {
	struct ref *v;
	size_t n, cap;
};

static int refs_push(struct refs *r, uint32_t img, uint32_t node)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4096;
		struct ref *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].img = img;
	r->v[r->n].node = node;
	r->n++;
	return 0;
}

struct pools {
	struct refs pos;    /* names with data, answered authoritatively */
	struct refs nxbase; /* names a random label can go in front of */
	struct refs nodata; /* names with no CNAME, data or not (ENTs) */
	struct refs deleg;  /* zone cuts */
};

/* Sorts the nodes of every image into the pools. Nodes below a cut (glue)
 * and wildcard nodes are in none: their answers are not what the names
 * say. A name whose closest encloser has a wildcard child would be
 * synthesised, not denied, so such names are no NXDOMAIN base. */
static int fill_pools(struct zw_image *const *imgs, unsigned nimg, struct pools *p)
{
	for (unsigned i = 0; i < nimg; i++) {
		const struct zw_image *img = imgs[i];
		for (uint32_t k = 0; k < img->hdr->node_count; k++) {
			const struct zw_img_node *n = &img->nodes[k];
			unsigned f = n->flags;
			int rc = 0;
			if (f & (ZW_NODE_GLUE | ZW_NODE_WILDCARD))
				continue;
			if (f & ZW_NODE_DELEG) {
				if (refs_push(&p->deleg, i, k) != 0)
					return -ENOMEM;
				continue;
			}
			if (n->rrset_count > 0)
				rc |= refs_push(&p->pos, i, k);
			if (!(f & (ZW_NODE_HAS_WILD | ZW_NODE_DNAME)) &&
			    img->hdr->origin_len + img->names[n->name_off] < ZW_NAME_MAX - 16)
				rc |= refs_push(&p->nxbase, i, k);
			if (!(f & ZW_NODE_CNAME))
				rc |= refs_push(&p->nodata, i, k);
			if (rc != 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* ---- query construction ---- */

static void random_case(uint8_t *name, unsigned len)
{
	uint64_t bits = 0;
	unsigned have = 0;

	for (unsigned i = 0; i < len; i++) {
		uint8_t c = name[i];
		if (c < 'a' || c > 'z')
			continue; /* label lengths are < 'a' and so are left alone */
		if (have == 0) {
			bits = rnd();
			have = 64;
		}
		if (bits & 1)
			name[i] = (uint8_t)(c - 'a' + 'A');
		bits >>= 1;
		have--;
	}
}

/* A label of 8 to 14 random letters and digits, at dst; returns its length
 * with the length byte. */
static unsigned random_label(uint8_t *dst)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned l = 8 + rnd_below(7);

	dst[0] = (uint8_t)l;
	dst[1] = (uint8_t)alnum[rnd_below(26)];
	for (unsigned i = 2; i <= l; i++)
		dst[i] = (uint8_t)alnum[rnd_below(36)];
	return l + 1;
}

/* Types a signer adds to a zone (and DS, which only a signed parent has). */
static bool signing_type(uint16_t t)
{
	switch (t) {
	case ZW_T_DS:
	case ZW_T_RRSIG:
	case ZW_T_NSEC:
	case ZW_T_DNSKEY:
	case ZW_T_NSEC3:
	case ZW_T_NSEC3PARAM:
	case ZW_T_CDS:
	case ZW_T_CDNSKEY: return true;
	default: return false;
	}
}

/* A type present at the node, drawn among those that are not signing
 * types, so that a zone and the same zone signed give the same draws. */
static uint16_t type_at(const struct zw_image *img, const struct zw_img_node *n)
{
	const struct zw_img_rrset *s = &img->rrsets[n->rrset_first];
	unsigned data = 0;

	for (unsigned i = 0; i < n->rrset_count; i++)
		data += !signing_type(s[i].type);
	uint32_t k = rnd_below(data ? data : n->rrset_count);
	for (unsigned i = 0; i < n->rrset_count; i++)
		if ((data == 0 || !signing_type(s[i].type)) && k-- == 0)
			return s[i].type;
	return s[0].type;
}

/* A common type absent at the node, or 0 if it has them all. */
static uint16_t type_not_at(const struct zw_image *img, const struct zw_img_node *n)
{
	static const uint16_t types[] = { ZW_T_A,  ZW_T_AAAA,  ZW_T_MX,	 ZW_T_TXT, ZW_T_SRV,  T_CAA,
					  ZW_T_NS, ZW_T_HTTPS, ZW_T_PTR, ZW_T_SOA, ZW_T_DNAME };
	const unsigned nt = sizeof(types) / sizeof(types[0]);
	unsigned start = rnd_below(nt);

	for (unsigned i = 0; i < nt; i++) {
		uint16_t t = types[(start + i) % nt];
		if (zw_image_rrset(img, n, t) == NULL)
			return t;
	}
	return 0;
}

struct mix {
	uint8_t *buf;  /* the queries, back to back */
	uint32_t *off; /* query i is buf[off[i]] .. buf[off[i + 1]] */
	uint8_t *kind; /* enum kind of each query */
	size_t n;
	size_t planned[K_COUNT];
	size_t edns;
};

/* Writes a query for name/type at p; returns its length. */
static unsigned put_query(uint8_t *p, const uint8_t *name, unsigned len, uint16_t type, bool edns,
			  bool do_bit)
{
	uint16_t id = (uint16_t)rnd();

	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[2] = 0; /* QUERY, RD clear: what a resolver sends to an authority */
	p[3] = 0;
	p[4] = 0;
	p[5] = 1;
	memset(p + 6, 0, 6);
	if (edns)
		p[11] = 1;
	memcpy(p + 12, name, len);
	unsigned o = 12 + len;
	p[o++] = (uint8_t)(type >> 8);
	p[o++] = (uint8_t)type;
	p[o++] = 0;
	p[o++] = 1; /* IN */
	if (edns) {
		p[o++] = 0; /* root */
		p[o++] = 0;
		p[o++] = ZW_T_OPT;
		p[o++] = (uint8_t)(EDNS_SIZE >> 8);
		p[o++] = (uint8_t)(EDNS_SIZE & 0xff);
		p[o++] = 0; /* extended rcode */
		p[o++] = 0; /* version */
		p[o++] = do_bit ? 0x80 : 0;
		p[o++] = 0;
		p[o++] = 0; /* rdlength */
		p[o++] = 0;
	}
	return o;
}

/* Draws the kind of the next query by the shares of the mix; a kind the
 * zones cannot provide (no delegation, say) becomes a positive query. */
static int only_kind = -1; /* --kind: every query of this kind */
static bool edns_all;	   /* --edns-all: every query with an OPT RR */

static enum kind pick_kind(const struct pools *p)
{
	uint32_t r = rnd_below(100);
	enum kind k = r < 70 ? K_POSITIVE : r < 85 ? K_NXDOMAIN : r < 95 ? K_REFERRAL : K_NODATA;

	if (only_kind >= 0)
		k = (enum kind)only_kind;

	if (k == K_REFERRAL && p->deleg.n == 0)
		k = K_POSITIVE;
	if (k == K_NXDOMAIN && p->nxbase.n == 0)
		k = K_POSITIVE;
	if (k == K_NODATA && p->nodata.n == 0)
		k = K_POSITIVE;
	return k;
}

/* Builds one query of kind k into q; returns its length (0: try again). */
static unsigned make_query(struct zw_image *const *imgs, const struct pools *p, enum kind k,
			   uint8_t *q, bool edns, bool do_bit)
{
	uint8_t name[ZW_NAME_MAX + 1], lname[ZW_NAME_MAX + 1];
	const struct zw_image *img;
	const struct zw_img_node *n;
	const struct ref *r;
	unsigned len, pre;
	uint16_t type;

	switch (k) {
	case K_POSITIVE:
		r = &p->pos.v[rnd_below((uint32_t)p->pos.n)];
		img = imgs[r->img];
		n = &img->nodes[r->node];
		len = zw_image_node_name(img, n, name);
		type = type_at(img, n);
		break;
	case K_NXDOMAIN:
		r = &p->nxbase.v[rnd_below((uint32_t)p->nxbase.n)];
		img = imgs[r->img];
		n = &img->nodes[r->node];
		pre = random_label(name);
		len = pre + zw_image_node_name(img, n, name + pre);
		/* a random label could, rarely, exist already */
		zw_name_lower(lname, name);
		if (zw_image_find_name(img, lname, len) != NULL)
			return 0;
		{
			static const uint16_t t[] = { ZW_T_A, ZW_T_A, ZW_T_AAAA, ZW_T_MX,
						      ZW_T_TXT };
			type = t[rnd_below(5)];
		}
		break;
	case K_REFERRAL: {
		r = &p->deleg.v[rnd_below((uint32_t)p->deleg.n)];
		img = imgs[r->img];
		n = &img->nodes[r->node];
		uint32_t how = rnd_below(4);
		pre = 0;
		if (how == 0) {
			memcpy(name, "\3www", 4);
			pre = 4;
		} else if (how == 1) {
			pre = random_label(name);
		}
		len = pre + zw_image_node_name(img, n, name + pre);
		if (len > ZW_NAME_MAX)
			return 0;
		/* A, AAAA or NS, never DS: DS at a cut is the parent's answer */
		how = rnd_below(4);
		type = how < 2 ? ZW_T_A : how == 2 ? ZW_T_AAAA : ZW_T_NS;
		break;
	}
	case K_NODATA:
		r = &p->nodata.v[rnd_below((uint32_t)p->nodata.n)];
		img = imgs[r->img];
		n = &img->nodes[r->node];
		type = type_not_at(img, n);
		if (type == 0)
			return 0;
		len = zw_image_node_name(img, n, name);
		break;
	default: return 0;
	}
	random_case(name, len);
	return put_query(q, name, len, type, edns, do_bit);
}

static int make_mix(struct zw_image *const *imgs, const struct pools *p, size_t nq, bool do_bit,
		    struct mix *m)
{
	size_t cap = nq * 64 + QMAX;

	memset(m, 0, sizeof(*m));
	m->buf = malloc(cap);
	m->off = malloc((nq + 1) * sizeof(*m->off));
	m->kind = malloc(nq ? nq : 1);
	if (m->buf == NULL || m->off == NULL || m->kind == NULL)
		return -ENOMEM;
	size_t used = 0;
	for (size_t i = 0; i < nq; i++) {
		unsigned qlen = 0;
		enum kind k = K_POSITIVE;
		bool edns = rnd_below(3) == 0 || edns_all;
		for (unsigned tries = 0; qlen == 0; tries++) {
			if (tries == 1000)
				return -EINVAL; /* nothing to draw from: odd zones */
			k = pick_kind(p);
			qlen = make_query(imgs, p, k, m->buf + used, edns, do_bit);
		}
		if (used + qlen + QMAX > cap) {
			size_t ncap = cap * 3 / 2 + QMAX;
			uint8_t *nb = realloc(m->buf, ncap);
			if (nb == NULL)
				return -ENOMEM;
			m->buf = nb;
			cap = ncap;
		}
		m->off[i] = (uint32_t)used;
		m->kind[i] = (uint8_t)k;
		m->planned[k]++;
		m->edns += edns;
		used += qlen;
		if (used > UINT32_MAX - QMAX)
			return -E2BIG;
	}
	m->off[nq] = (uint32_t)used;
	m->n = nq;
	return 0;
}

static void mix_free(struct mix *m)
{
	free(m->buf);
	free(m->off);
	free(m->kind);
}

/* FNV-1a of the queries: equal for two sets whose mixes are the same
 * queries (the same zones signed and unsigned, the same seed). */
static uint64_t mix_hash(const struct mix *m)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < m->off[m->n]; i++)
		h = (h ^ m->buf[i]) * 1099511628211ull;
	return h;
}

/* ---- writing the mix for dnsperf ---- */

static const char *type_name(uint16_t t, char *buf, size_t size)
{
	switch (t) {
	case ZW_T_A: return "A";
	case ZW_T_NS: return "NS";
	case ZW_T_CNAME: return "CNAME";
	case ZW_T_SOA: return "SOA";
	case ZW_T_PTR: return "PTR";
	case ZW_T_MX: return "MX";
	case ZW_T_TXT: return "TXT";
	case ZW_T_AAAA: return "AAAA";
	case ZW_T_SRV: return "SRV";
	case ZW_T_DNAME: return "DNAME";
	case ZW_T_DS: return "DS";
	case ZW_T_HTTPS: return "HTTPS";
	case T_CAA: return "CAA";
	default: snprintf(buf, size, "TYPE%u", t); return buf;
	}
}

static int write_queries(const struct mix *m, const char *prefix)
{
	size_t plen = strlen(prefix) + 8;
	char *path = malloc(plen);
	FILE *raw, *txt = NULL;
	int rc = 0;

	if (path == NULL)
		return -ENOMEM;
	snprintf(path, plen, "%s.raw", prefix);
	raw = fopen(path, "wb");
	if (raw != NULL) {
		snprintf(path, plen, "%s.txt", prefix);
		txt = fopen(path, "w");
	}
	if (raw == NULL || txt == NULL) {
		rc = -errno;
		fprintf(stderr, "bench_answer: %s: %s\n", path, strerror(errno));
		if (raw)
			fclose(raw);
		free(path);
		return rc;
	}
	for (size_t i = 0; i < m->n; i++) {
		const uint8_t *q = m->buf + m->off[i];
		unsigned qlen = m->off[i + 1] - m->off[i];
		uint8_t hdr[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
		char name[1024], tb[16];
		unsigned nlen = (unsigned)zw_name_len(q + 12, qlen - 12);
		uint16_t type = (uint16_t)(q[12 + nlen] << 8 | q[13 + nlen]);

		fwrite(hdr, 1, 2, raw);
		fwrite(q, 1, qlen, raw);
		zw_name_to_str(q + 12, name, sizeof(name));
		fprintf(txt, "%s %s\n", name, type_name(type, tb, sizeof(tb)));
	}
	if (fclose(raw) != 0 || ferror(txt))
		rc = -EIO;
	if (fclose(txt) != 0)
		rc = -EIO;
	if (rc != 0)
		fprintf(stderr, "bench_answer: writing %s.{raw,txt} failed\n", prefix);
	free(path);
	return rc;
}

/* ---- loading ---- */

/* Reads the image at path into 2 MiB-aligned memory advised for huge pages
 * and opens it from there. */
static int open_huge(const char *path, struct zw_image **out, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (st.st_size <= 0) {
		close(fd);
		return -EINVAL;
	}
	size_t size = (size_t)st.st_size, room = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uint8_t *buf = aligned_alloc(HUGE_PAGE, room);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	if (madvise(buf, room, MADV_HUGEPAGE) != 0)
		fprintf(stderr, "bench_answer: madvise(MADV_HUGEPAGE): %s\n", strerror(errno));
	for (size_t got = 0; got < size;) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r <= 0) {
			int rc = r < 0 ? -errno : -EIO;
			close(fd);
			free(buf);
			return rc;
		}
		got += (size_t)r;
	}
	close(fd);
	int rc = zw_image_from_buffer(buf, size, out, why);
	if (rc != 0)
		free(buf);
	return rc;
}

/* AnonHugePages of this process, in KiB, or -1. */
static long anon_huge_kib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* ---- measuring ---- */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

struct tally {
	uint64_t rcode[17];
	uint64_t shape[ZW_SHAPE_NOTAUTH + 2]; /* last: no lookup (0xff) */
	uint64_t kind_ok[K_COUNT];	      /* answered as the kind intended */
	uint64_t tc, edns, do_bit, dropped, bytes;
};

/* Whether the answer is what the query was drawn to get. */
static bool as_intended(enum kind k, const struct zw_answer_info *in)
{
	switch (k) {
	case K_POSITIVE:
		return in->rcode == 0 &&
		       (in->shape == ZW_SHAPE_ANSWER || in->shape == ZW_SHAPE_CNAME);
	case K_NXDOMAIN: return in->rcode == 3 && in->shape == ZW_SHAPE_NXDOMAIN;
	case K_REFERRAL: return in->rcode == 0 && in->shape == ZW_SHAPE_REFERRAL;
	case K_NODATA: return in->rcode == 0 && in->shape == ZW_SHAPE_NODATA;
	default: return false;
	}
}

/* The untimed pass: faults the images in and records the mix as answered. */
static void tally_pass(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs,
		       const struct mix *m, uint8_t *out, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < m->n; i++) {
		struct zw_answer_info in;
		int len = zw_answer(cfg, zs, m->buf + m->off[i], m->off[i + 1] - m->off[i], out,
				    OUT_SIZE, 0, &in);
		if (len <= 0) {
			t->dropped++;
			continue;
		}
		t->bytes += (unsigned)len;
		t->rcode[in.rcode <= 16 ? in.rcode : 16]++;
		t->shape[in.shape <= ZW_SHAPE_NOTAUTH ? in.shape : ZW_SHAPE_NOTAUTH + 1]++;
		t->kind_ok[m->kind[i]] += as_intended((enum kind)m->kind[i], &in);
		t->tc += in.tc;
		t->edns += in.edns;
		t->do_bit += in.dnssec_ok;
	}
}

static const char *rcode_name(unsigned r)
{
	static const char *const names[] = { "noerror", "formerr", "servfail", "nxdomain",
					     "notimp",	"refused", "yxdomain", "yxrrset",
					     "nxrrset", "notauth", "notzone" };
	return r < sizeof(names) / sizeof(names[0]) ? names[r] : r == 16 ? "badvers" : "other";
}

static void print_tally(const char *pre, const struct tally *t, const struct mix *m)
{
	double n = m->n ? (double)m->n : 1.0;

	for (unsigned r = 0; r <= 16; r++)
		if (t->rcode[r])
			printf("%srcode.%s: %" PRIu64 " (%.1f%%)\n", pre, rcode_name(r),
			       t->rcode[r], 100.0 * (double)t->rcode[r] / n);
	for (unsigned s = 0; s <= ZW_SHAPE_NOTAUTH + 1; s++)
		if (t->shape[s])
			printf("%sshape.%s: %" PRIu64 " (%.1f%%)\n", pre,
			       s <= ZW_SHAPE_NOTAUTH ? zw_shape_name((enum zw_shape)s) : "none",
			       t->shape[s], 100.0 * (double)t->shape[s] / n);
	for (unsigned k = 0; k < K_COUNT; k++)
		printf("%splanned.%s: %zu (%.1f%%), answered as planned: %" PRIu64 "\n", pre,
		       kind_names[k], m->planned[k], 100.0 * (double)m->planned[k] / n,
		       t->kind_ok[k]);
	printf("%sedns_queries: %" PRIu64 " (%.1f%%)\n", pre, t->edns, 100.0 * (double)t->edns / n);
	printf("%sdo_queries: %" PRIu64 "\n", pre, t->do_bit);
	printf("%struncated: %" PRIu64 "\n", pre, t->tc);
	printf("%sdropped: %" PRIu64 "\n", pre, t->dropped);
	printf("%savg_response_bytes: %.1f\n", pre,
	       m->n > t->dropped ? (double)t->bytes / (double)(m->n - t->dropped) : 0.0);
	printf("%savg_query_bytes: %.1f\n", pre, (double)m->off[m->n] / n);
	printf("%smix_hash: %016" PRIx64 "\n", pre, mix_hash(m));
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_answer [options] IMAGE... [vs IMAGE...]...\n"
		"  -n, --queries N        queries in the mix (default %lu)\n"
		"  -s, --seconds S        run for at least S seconds (default 5)\n"
		"  -c, --cpu CPU          pin to this CPU, -1: do not pin (default 1)\n"
		"      --do               set the DO bit on the queries with EDNS\n"
		"      --count N          answer exactly N queries once (callgrind)\n"
		"      --seed S           seed of the mix (default 1)\n"
		"      --hugepages        load the images into memory advised for huge pages\n"
		"  -b, --burst N          answer in bursts of N with zw_answer_burst();\n"
		"                         1: zw_answer(), one query at a time (default 32)\n"
		"      --edns-all         an OPT RR in every query, not one in three\n"
		"                         (with --do: the DO bit on every query)\n"
		"      --kind K           only queries of one kind of the mix (positive,\n"
		"                         nxdomain, referral or nodata): its cost alone\n"
		"      --write-queries P  write the mix to P.raw and P.txt and exit\n"
		"  vs                     between sets of images: the sets are answered\n"
		"                         a pass each in turn (up to %d sets)\n"
		"  -h, --help             this text\n",
		DEFAULT_QUERIES, MAX_SETS);
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return false;
	*out = v;
	return true;
}

enum { OPT_DO = 256, OPT_COUNT, OPT_SEED, OPT_WRITE, OPT_HUGE, OPT_KIND, OPT_EDNS_ALL };

/* Answers queries first .. first + n - 1 of the mix (n <= burst, or any n
 * for burst 1), the way a worker answers what one receive burst brought:
 * zw_answer_burst() over the burst; with burst 1, zw_answer() for each. Returns
 * the sum of the response lengths. */
static uint64_t answer_span(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs,
			    const struct mix *m, size_t first, unsigned n, unsigned burst,
			    uint8_t *out)
{
	uint64_t sum = 0;

	if (burst > 1) {
		struct zw_answer_req rq[ZW_BURST_MAX];
		for (unsigned k = 0; k < n; k++) {
			size_t i = first + k;
			rq[k] = (struct zw_answer_req){ .q = m->buf + m->off[i],
							.qlen = m->off[i + 1] - m->off[i],
							.out = out + (size_t)k * OUT_SLOT,
							.outcap = OUT_SLOT };
		}
		zw_answer_burst(cfg, zs, rq, n);
		for (unsigned k = 0; k < n; k++)
			sum += (unsigned)rq[k].ret;
		return sum;
	}
	for (unsigned k = 0; k < n; k++) {
		size_t i = first + k;
		struct zw_answer_info in;
		int len = zw_answer(cfg, zs, m->buf + m->off[i], m->off[i + 1] - m->off[i], out,
				    OUT_SIZE, 0, &in);
		sum += (unsigned)len;
	}
	return sum;
}

/* A whole pass over the mix, burst by burst. */
static uint64_t answer_pass(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs,
			    const struct mix *m, unsigned burst, uint8_t *out)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < m->n; i += burst) {
		unsigned n = m->n - i < burst ? (unsigned)(m->n - i) : burst;
		sum += answer_span(cfg, zs, m, i, n, burst, out);
	}
	return sum;
}

/* ---- sets of images ---- */

/* The images of one zone set, and the mix drawn from their names. */
struct set {
	struct zw_image **imgs;
	unsigned nimg;
	uint64_t nodes;
	struct zw_zoneset *zs;
	struct pools pools;
	struct mix mix;
};

/* Opens the images, builds the zone set and draws the mix, from the same
 * seed for every set: sets of the same names (a zone unsigned and signed)
 * get the same queries. */
static int load_set(struct set *st, char *const *paths, unsigned n, bool huge, size_t nq,
		    bool do_bit, unsigned long seed)
{
	memset(st, 0, sizeof(*st));
	st->nimg = n;
	st->imgs = calloc(n, sizeof(*st->imgs));
	if (st->imgs == NULL) {
		perror("calloc");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *why = NULL;
		int rc = huge ? open_huge(paths[i], &st->imgs[i], &why)
			      : zw_image_open(paths[i], &st->imgs[i], &why);
		if (rc != 0) {
			fprintf(stderr, "bench_answer: %s: %s%s%s\n", paths[i], zw_strerror(rc),
				why ? ": " : "", why ? why : "");
			return -1;
		}
		st->nodes += st->imgs[i]->hdr->node_count;
	}
	st->zs = zw_zoneset_create(st->imgs, n);
	if (st->zs == NULL) {
		fprintf(stderr, "bench_answer: cannot build the zone set (duplicate origins?)\n");
		return -1;
	}
	rng_state = seed;
	if (fill_pools(st->imgs, n, &st->pools) != 0) {
		fprintf(stderr, "bench_answer: out of memory\n");
		return -1;
	}
	if (st->pools.pos.n == 0) {
		fprintf(stderr, "bench_answer: the zones have no name with data\n");
		return -1;
	}
	if (st->pools.deleg.n == 0)
		fprintf(stderr, "bench_answer: no delegation in the zones: referrals become "
				"positive queries\n");
	int rc = make_mix(st->imgs, &st->pools, nq, do_bit, &st->mix);
	if (rc != 0) {
		fprintf(stderr, "bench_answer: cannot generate the queries: %s\n", strerror(-rc));
		return -1;
	}
	return 0;
}

static void free_set(struct set *st)
{
	mix_free(&st->mix);
	free(st->pools.pos.v);
	free(st->pools.nxbase.v);
	free(st->pools.nodata.v);
	free(st->pools.deleg.v);
	zw_zoneset_free(st->zs);
	for (unsigned i = 0; i < st->nimg; i++)
		zw_image_close(st->imgs[i]);
	free(st->imgs);
}

/* One set: whole passes over its mix until seconds have elapsed. */
static uint64_t timed_passes(const struct zw_answer_cfg *cfg, const struct set *st, unsigned burst,
			     double seconds, uint8_t *out)
{
	uint64_t sum = 0;
	unsigned passes = 0;
	double best = 1e30, c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), t0 = now_s(), prev = t0, t1;

	/* for `perf record -k CLOCK_MONOTONIC` + `perf report --time START,` */
	printf("timed_start_monotonic_s: %.6f\n", t0);
	fflush(stdout);
	do {
		sum += answer_pass(cfg, st->zs, &st->mix, burst, out);
		passes++;
		t1 = now_s();
		if (t1 - prev < best)
			best = t1 - prev;
		prev = t1;
	} while (t1 - t0 < seconds);
	double cpu_used = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;

	double answers = (double)passes * (double)st->mix.n, elapsed = t1 - t0;
	printf("passes: %u\n", passes);
	printf("answers: %.0f\n", answers);
	printf("elapsed_s: %.3f\n", elapsed);
	printf("answers_per_s: %.0f\n", answers / elapsed);
	printf("ns_per_answer: %.1f\n", elapsed * 1e9 / answers);
	printf("ns_per_answer_best_pass: %.1f\n", best * 1e9 / (double)st->mix.n);
	/* below 1.0 when other work took the CPU from this thread; the CPU
	 * time per answer then tells what the answers cost when it ran */
	printf("thread_cpu_share: %.3f\n", cpu_used / elapsed);
	printf("cpu_ns_per_answer: %.1f\n", cpu_used * 1e9 / answers);
	return sum;
}

#define MAX_ROUNDS 100000

/* What a run is: the settings every run prints, whatever its sets. */
static void print_run(long cpu, bool do_bit, unsigned burst, bool huge)
{
	printf("cpu: %ld\n", cpu);
	printf("do_bit: %s\n", do_bit ? "yes" : "no");
	printf("burst: %u\n", burst);
	printf("image_memory: %s\n", huge ? "anonymous, huge pages advised" : "file mapping");
	if (huge)
		printf("anon_huge_kib: %ld\n", anon_huge_kib());
}

/* A set's zones and queries, each key with the prefix pre. */
static void print_set(const char *pre, const struct set *st)
{
	printf("%simages: %u\n", pre, st->nimg);
	printf("%snodes: %" PRIu64 "\n", pre, st->nodes);
	printf("%squeries: %zu\n", pre, st->mix.n);
}

/*
 * Several sets in turn, a pass of each a round, the first of a round
 * rotating, until seconds have elapsed: the host's speed, which on a
 * shared machine drifts by more than the differences measured, is the
 * same for the passes of one round. Each set's CPU time per answer over
 * all its passes, and for each set after the first the median over the
 * rounds of its pass's CPU time to the first set's.
 */
static uint64_t compare_sets(const struct zw_answer_cfg *cfg, struct set *sets, unsigned nsets,
			     long cpu, bool do_bit, unsigned burst, double seconds, bool huge,
			     uint8_t *out)
{
	uint64_t sum = 0;
	double cpu_tot[MAX_SETS] = { 0 }, wall_tot[MAX_SETS] = { 0 }, *ratio[MAX_SETS] = { 0 };
	unsigned rounds = 0;

	printf("sets: %u\n", nsets);
	print_run(cpu, do_bit, burst, huge);
	for (unsigned i = 0; i < nsets; i++) {
		char pre[32];
		struct tally t;
		snprintf(pre, sizeof(pre), "set%u.", i + 1);
		print_set(pre, &sets[i]);
		tally_pass(cfg, sets[i].zs, &sets[i].mix, out, &t);
		print_tally(pre, &t, &sets[i].mix);
		if (i == 0)
			continue; /* the ratios are to the first set */
		ratio[i] = malloc(MAX_ROUNDS * sizeof(double));
		if (ratio[i] == NULL) {
			perror("malloc");
			exit(1);
		}
	}
	fflush(stdout);
	double t0 = now_s();
	do {
		double c[MAX_SETS];
		for (unsigned k = 0; k < nsets; k++) {
			unsigned i = (rounds + k) % nsets;
			double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s();
			sum += answer_pass(cfg, sets[i].zs, &sets[i].mix, burst, out);
			c[i] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
			cpu_tot[i] += c[i];
			wall_tot[i] += now_s() - w0;
		}
		for (unsigned i = 1; i < nsets; i++)
			ratio[i][rounds] =
				(c[i] / (double)sets[i].mix.n) / (c[0] / (double)sets[0].mix.n);
		rounds++;
	} while (now_s() - t0 < seconds && rounds < MAX_ROUNDS);

	printf("rounds: %u\n", rounds);
	for (unsigned i = 0; i < nsets; i++) {
		double answers = (double)rounds * (double)sets[i].mix.n;
		printf("set%u.cpu_ns_per_answer: %.1f\n", i + 1, cpu_tot[i] * 1e9 / answers);
		printf("set%u.ns_per_answer: %.1f\n", i + 1, wall_tot[i] * 1e9 / answers);
		printf("set%u.thread_cpu_share: %.3f\n", i + 1, cpu_tot[i] / wall_tot[i]);
		if (i == 0)
			continue;
		printf("set%u.ratio: %.3f\n", i + 1,
		       (cpu_tot[i] / (double)sets[i].mix.n) / (cpu_tot[0] / (double)sets[0].mix.n));
		printf("set%u.ratio_median_round: %.3f\n", i + 1, bench_median(ratio[i], rounds));
	}
	for (unsigned i = 0; i < nsets; i++)
		free(ratio[i]);
	return sum;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queries", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "do", no_argument, NULL, OPT_DO },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "write-queries", required_argument, NULL, OPT_WRITE },
		{ "hugepages", no_argument, NULL, OPT_HUGE },
		{ "burst", required_argument, NULL, 'b' },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "edns-all", no_argument, NULL, OPT_EDNS_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long nq = DEFAULT_QUERIES, count = 0, seed = 1, burst = 32;
	double seconds = 5.0;
	long cpu = 1;
	bool do_bit = false, count_mode = false, huge = false;
	const char *write_prefix = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:c:b:h", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'n':
			if (!parse_ulong(optarg, MAX_QUERIES, &nq) || nq == 0) {
				fprintf(stderr, "bench_answer: -n must be 1..%lu\n", MAX_QUERIES);
				return 2;
			}
			break;
		case 's':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno || *end || !(seconds > 0 && seconds <= 3600)) {
				fprintf(stderr, "bench_answer: -s must be in (0, 3600]\n");
				return 2;
			}
			break;
		case 'c':
			errno = 0;
			cpu = strtol(optarg, &end, 10);
			if (errno || *end || cpu < -1 || cpu >= CPU_SETSIZE) {
				fprintf(stderr, "bench_answer: bad CPU %s\n", optarg);
				return 2;
			}
			break;
		case OPT_DO: do_bit = true; break;
		case OPT_COUNT:
			if (!parse_ulong(optarg, 1UL << 40, &count)) {
				fprintf(stderr, "bench_answer: bad --count %s\n", optarg);
				return 2;
			}
			count_mode = true;
			break;
		case OPT_SEED:
			if (!parse_ulong(optarg, ~0UL, &seed)) {
				fprintf(stderr, "bench_answer: bad --seed %s\n", optarg);
				return 2;
			}
			break;
		case OPT_WRITE: write_prefix = optarg; break;
		case OPT_HUGE: huge = true; break;
		case OPT_EDNS_ALL: edns_all = true; break;
		case OPT_KIND:
			for (int k = 0; k < K_COUNT; k++)
				if (strcmp(optarg, kind_names[k]) == 0)
					only_kind = k;
			if (only_kind < 0) {
				fprintf(stderr, "bench_answer: bad --kind %s\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (!parse_ulong(optarg, ZW_BURST_MAX, &burst) || burst == 0) {
				fprintf(stderr, "bench_answer: --burst must be 1..%d\n",
					ZW_BURST_MAX);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	if (bench_pin(cpu, "bench_answer") != 0)
		return 1;

	/* the sets of images, "vs" between two */
	struct set sets[MAX_SETS];
	int first[MAX_SETS], end[MAX_SETS];
	unsigned nsets = 0;
	for (int a = optind, b; a <= argc; a = b + 1) {
		for (b = a; b < argc && strcmp(argv[b], "vs") != 0; b++)
			;
		if (b == a || nsets == MAX_SETS) {
			fprintf(stderr, "bench_answer: %s\n",
				b == a ? "an empty set of images (\"vs\" at an end, or twice)"
				       : "too many sets");
			return 2;
		}
		first[nsets] = a;
		end[nsets++] = b;
	}
	if (nsets > 1 && (count_mode || write_prefix != NULL)) {
		fprintf(stderr, "bench_answer: --count and --write-queries take one set\n");
		return 2;
	}
	for (unsigned i = 0; i < nsets; i++)
		if (load_set(&sets[i], argv + first[i], (unsigned)(end[i] - first[i]), huge, nq,
			     do_bit, seed) != 0)
			return 1;
	if (write_prefix != NULL)
		return write_queries(&sets[0].mix, write_prefix) == 0 ? 0 : 1;

	struct zw_answer_cfg cfg = { .edns_size = EDNS_SIZE };
	uint8_t *out = aligned_alloc(
		64, OUT_SIZE > ZW_BURST_MAX * OUT_SLOT ? OUT_SIZE : ZW_BURST_MAX * OUT_SLOT);
	uint64_t sum = 0;
	if (out == NULL) {
		perror("aligned_alloc");
		return 1;
	}

	if (count_mode) {
		const struct zw_zoneset *zs = sets[0].zs;
		const struct mix *m = &sets[0].mix;
		/* Nothing but the answers after the set-up: the difference with
		 * a --count 0 run is the cost of count answers. */
		size_t i = 0;
		for (unsigned long k = 0; k < count;) {
			unsigned n = (unsigned)burst;
			if (n > count - k)
				n = (unsigned)(count - k);
			if (n > m->n - i)
				n = (unsigned)(m->n - i);
			sum += answer_span(&cfg, zs, m, i, n, (unsigned)burst, out);
			k += n;
			i += n;
			if (i == m->n)
				i = 0;
		}
		printf("count: %lu\n", count);
		printf("queries: %zu\n", m->n);
		printf("checksum: %" PRIu64 "\n", sum);
		return 0;
	}

	if (nsets > 1) {
		sum = compare_sets(&cfg, sets, nsets, cpu, do_bit, (unsigned)burst, seconds, huge,
				   out);
	} else {
		struct set *st = &sets[0];
		struct tally t;
		print_set("", st);
		print_run(cpu, do_bit, (unsigned)burst, huge);
		tally_pass(&cfg, st->zs, &st->mix, out, &t);
		print_tally("", &t, &st->mix);
		fflush(stdout);
		sum = timed_passes(&cfg, st, (unsigned)burst, seconds, out);
	}
	printf("checksum: %" PRIu64 "\n", sum);

	free(out);
	for (unsigned i = 0; i < nsets; i++)
		free_set(&sets[i]);
	return 0;
}
