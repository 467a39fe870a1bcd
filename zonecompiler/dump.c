/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Printing an image back as a master file, and its header.
 *
 * A chunk's RRs are decoded by placing them where a response would carry
 * them, right after a question for the node's own name, patching the
 * relocations for that position and letting ldns decompress the result.
 */
#include <errno.h>
#include <inttypes.h>
#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "name.h"
#include "nsec3.h"
#include "rdata.h"
#include "zw_err.h"

#define MSG_MAX (12 + 256 + 4 + 65536)

/* A name in master-file form: ldns does not escape '$', '"' or '@', which
 * would read back as a directive, a string or the origin. */
static int print_name(FILE *f, const ldns_rdf *d)
{
	char buf[ZW_NAME_MAX * 4 + 2];
	const uint8_t *w = ldns_rdf_data(d);
	size_t len = ldns_rdf_size(d);

	if (zw_name_len(w, len) != (int)len)
		return ZW_EIMGCORRUPT;
	zw_name_to_str(w, buf, sizeof(buf));
	return fputs(buf, f) == EOF ? -EIO : 0;
}

/* One RR per line: owner, TTL, class, type, rdata fields, names escaped. */
static int print_rr(FILE *f, const ldns_rr *rr)
{
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char *cls = ldns_rr_class2str(ldns_rr_get_class(rr));
	int rc = print_name(f, ldns_rr_owner(rr));

	if (type == NULL || cls == NULL) {
		free(type);
		free(cls);
		return -ENOMEM;
	}
	if (rc == 0 && fprintf(f, "\t%u\t%s\t%s", ldns_rr_ttl(rr), cls, type) < 0)
		rc = -EIO;
	bool generic = strncmp(type, "TYPE", 4) == 0;
	free(type);
	free(cls);
	if (rc == 0 && generic) {
		/* a type ldns does not know: RFC 3597 generic form */
		size_t total = 0;
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
			total += ldns_rdf_size(ldns_rr_rdf(rr, i));
		if (fprintf(f, "\t\\# %zu", total) < 0)
			return -EIO;
		if (total > 0 && fputc(' ', f) == EOF)
			return -EIO;
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			const ldns_rdf *d = ldns_rr_rdf(rr, i);
			for (size_t k = 0; k < ldns_rdf_size(d); k++)
				if (fprintf(f, "%02x", ldns_rdf_data(d)[k]) < 0)
					return -EIO;
		}
		return fputc('\n', f) == EOF ? -EIO : 0;
	}
	for (size_t i = 0; rc == 0 && i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *d = ldns_rr_rdf(rr, i);
		if (fputc(i == 0 ? '\t' : ' ', f) == EOF)
			return -EIO;
		if (ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME) {
			rc = print_name(f, d);
			continue;
		}
		char *s = ldns_rdf2str(d);
		if (s == NULL)
			return -ENOMEM;
		if (fputs(s, f) == EOF)
			rc = -EIO;
		free(s);
	}
	if (rc == 0 && fputc('\n', f) == EOF)
		rc = -EIO;
	return rc;
}

static int print_chunk(FILE *f, const struct zw_image *img, const uint8_t *owner, unsigned olen,
		       uint32_t off, uint8_t *msg)
{
	const struct zw_img_chunk *c = zw_image_chunk(img, off);
	const uint8_t *d = zw_chunk_data(c);
	const uint32_t *rel = zw_chunk_relocs(c);
	size_t base = 12 + olen + 4;
	int rc = 0;

	memset(msg, 0, 12);
	memcpy(msg + 12, owner, olen);
	memset(msg + 12 + olen, 0, 4);
	memcpy(msg + base, d, c->len);
	for (unsigned i = 0; i < c->nreloc; i++) {
		uint32_t r = rel[i];
		unsigned v = ZW_RELOC_VAL(r), ptr;
		switch (ZW_RELOC_KIND(r)) {
		case ZW_RELOC_QEND:
			if (v > olen)
				return ZW_EIMGCORRUPT;
			ptr = 12 + olen - v;
			break;
		case ZW_RELOC_SELF: ptr = (unsigned)base + v; break;
		default: return ZW_EIMGCORRUPT; /* anchors are only in additional lists */
		}
		if (ptr >= 0x4000)
			return ZW_EIMGCORRUPT;
		msg[base + ZW_RELOC_POS(r)] = (uint8_t)(0xc0 | ptr >> 8);
		msg[base + ZW_RELOC_POS(r) + 1] = (uint8_t)ptr;
	}
	size_t pos = base, end = base + c->len;
	for (unsigned i = 0; i < c->rrs && pos < end; i++) {
		ldns_rr *rr = NULL;
		if (ldns_wire2rr(&rr, msg, end, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			return ZW_EIMGCORRUPT;
		rc = print_rr(f, rr);
		ldns_rr_free(rr);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int zw_image_dump(const struct zw_image *img, void *file)
{
	FILE *f = file;
	uint8_t *msg = malloc(MSG_MAX);
	int rc = 0;

	if (msg == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < img->hdr->node_count && rc == 0; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		uint8_t name[ZW_NAME_MAX + 1];
		unsigned len = zw_image_node_name(img, n, name);
		for (unsigned k = 0; k < n->rrset_count && rc == 0; k++) {
			const struct zw_img_rrset *s = &img->rrsets[n->rrset_first + k];
			uint32_t sigs = zw_chunk_sigs(zw_image_chunk(img, s->chunk));
			rc = print_chunk(f, img, name, len, s->chunk, msg);
			if (rc == 0 && sigs != ZW_NONE)
				rc = print_chunk(f, img, name, len, sigs, msg);
		}
	}
	/* NSEC3 records are outside the tree: owner = base32hex(hash).origin */
	for (uint32_t i = 0; i < img->hdr->nsec3_count && rc == 0; i++) {
		uint8_t name[ZW_NAME_MAX + 1];
		char label[40];
		zw_base32hex(img->names + img->nsec3[i].hash_off + 1, 20, label);
		name[0] = 32;
		memcpy(name + 1, label, 32);
		unsigned olen = img->hdr->origin_len;
		if (33 + olen > ZW_NAME_MAX) {
			rc = ZW_EIMGCORRUPT;
			break;
		}
		memcpy(name + 33, img->hdr->origin, olen);
		const struct zw_img_rrset *s = &img->rrsets[img->nsec3[i].rrset];
		uint32_t sigs = zw_chunk_sigs(zw_image_chunk(img, s->chunk));
		rc = print_chunk(f, img, name, 33 + olen, s->chunk, msg);
		if (rc == 0 && sigs != ZW_NONE)
			rc = print_chunk(f, img, name, 33 + olen, sigs, msg);
	}
	free(msg);
	return rc;
}

int zw_image_info(const struct zw_image *img, void *file)
{
	FILE *f = file;
	const struct zw_img_header *h = img->hdr;
	static const char *const secnames[ZW_SEC_COUNT] = {
		"names",    "nodes", "hash",	  "rrsets",	"chunks",    "nsec3",
		"nsec3map", "canon", "wildcover", "nsec3proof", "nsec3keys", "nsecproof",
	};
	char zone[1024];
	char when[64] = "";
	time_t t = (time_t)h->compiled_at;
	struct tm tm;

	zw_name_to_str(h->origin, zone, sizeof(zone));
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "zone: %s\n", zone);
	fprintf(f, "format_version: %u\n", h->version);
	fprintf(f, "serial: %u\n", h->serial);
	fprintf(f, "compiled_at: %s\n", when);
	fprintf(f, "checksum: xxh3-64:%016" PRIx64 "\n", h->checksum);
	fprintf(f, "file_size: %" PRIu64 "\n", h->file_size);
	fprintf(f, "rr_wire_bytes: %" PRIu64 "\n", h->rr_wire_bytes);
	fprintf(f, "size_ratio: %.3f\n",
		h->rr_wire_bytes ? (double)h->file_size / (double)h->rr_wire_bytes : 0.0);
	fprintf(f, "records: %u\n", h->rr_count);
	fprintf(f, "rrsets: %u\n", h->rrset_count);
	fprintf(f, "nodes: %u\n", h->node_count);
	fprintf(f, "delegations: %u\n", h->deleg_count);
	fprintf(f, "glue_nodes: %u\n", h->glue_count);
	fprintf(f, "empty_non_terminals: %u\n", h->ent_count);
	fprintf(f, "wildcards: %u\n", h->wildcard_count);
	fprintf(f, "negative_ttl: %u\n", h->neg_ttl);
	fprintf(f, "hash_slots: %u\n", h->hash_size);
	if (h->flags & ZW_IMGF_SIGNED) {
		fprintf(f, "dnssec: signed, algorithm %u, %s\n", h->dnssec_alg,
			(h->flags & ZW_IMGF_NSEC3)  ? "nsec3"
			: (h->flags & ZW_IMGF_NSEC) ? "nsec"
						    : "no denial records");
		if (h->flags & ZW_IMGF_NSEC3) {
			fprintf(f, "nsec3: hash %u, iterations %u, salt ", h->nsec3_alg,
				h->nsec3_iterations);
			if (h->nsec3_salt_len == 0)
				fputc('-', f);
			for (unsigned i = 0; i < h->nsec3_salt_len; i++)
				fprintf(f, "%02x", h->nsec3_salt[i]);
			fprintf(f, ", records %u\n", h->nsec3_count);
		}
		time_t e = (time_t)h->sig_expire_min;
		char exp[64] = "";
		struct tm etm;
		if (gmtime_r(&e, &etm) != NULL)
			strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &etm);
		fprintf(f, "signatures_expire_first: %s\n", exp);
	} else {
		fprintf(f, "dnssec: unsigned\n");
	}
	for (int i = 0; i < ZW_SEC_COUNT; i++)
		if (h->sec[i].size > 0)
			fprintf(f, "section.%s: offset %" PRIu64 " size %" PRIu64 "\n", secnames[i],
				h->sec[i].off, h->sec[i].size);
	return ferror(f) ? -EIO : 0;
}
