/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "chunk.h"
#include "image.h"
#include "name.h"
#include "rdata.h"
#include "zw_err.h"

/* Pointers can reach only the first 16 KiB of a message. */
#define PTR_LIMIT 0x3fff

static void dict_add(struct zw_chunk_builder *cb, const uint8_t *lname, unsigned len, unsigned kind,
		     unsigned val)
{
	if (cb->ndict >= ZW_CB_MAX_DICT || len <= 1 || val > PTR_LIMIT)
		return;
	struct zw_cb_entry *e = &cb->dict[cb->ndict++];
	memcpy(e->lname, lname, len);
	e->len = (uint8_t)len;
	e->kind = (uint8_t)kind;
	e->val = (uint16_t)val;
}

static const struct zw_cb_entry *dict_find(const struct zw_chunk_builder *cb, const uint8_t *lname,
					   unsigned len)
{
	for (unsigned i = 0; i < cb->ndict; i++) {
		const struct zw_cb_entry *e = &cb->dict[i];
		if (e->len == len && memcmp(e->lname, lname, len) == 0)
			return e;
	}
	return NULL;
}

void zw_cb_begin(struct zw_chunk_builder *cb, const uint8_t *ctx, bool ctx_lower, bool wildcard)
{
	uint8_t buf[ZW_NAME_MAX + 1];
	const uint8_t *lname = buf;
	unsigned len;

	if (ctx_lower) {
		lname = ctx;
		len = (unsigned)zw_name_len(ctx, ZW_NAME_MAX);
	} else {
		len = zw_name_lower(buf, ctx);
	}
	cb->len = cb->rrs = cb->nreloc = cb->ndict = 0;
	cb->owner_v = wildcard ? 0 : len;
	/* every suffix of the context is a suffix of the query name */
	for (unsigned pos = 0; lname[pos] != 0; pos += 1u + lname[pos])
		dict_add(cb, lname + pos, len - pos, ZW_RELOC_QEND, len - pos);
}

bool zw_cb_find_name(const struct zw_chunk_builder *cb, const uint8_t *name, unsigned *kind,
		     unsigned *val)
{
	uint8_t lname[ZW_NAME_MAX + 1];
	unsigned len = zw_name_lower(lname, name);
	const struct zw_cb_entry *e = dict_find(cb, lname, len);

	if (e == NULL)
		return false;
	*kind = e->kind == ZW_RELOC_SELF ? ZW_RELOC_ANCHOR : e->kind;
	*val = e->val;
	return true;
}

static int put(struct zw_chunk_builder *cb, const void *p, unsigned n)
{
	if (cb->len + n > ZW_CB_MAX_DATA)
		return ZW_ETOOBIG;
	memcpy(cb->data + cb->len, p, n);
	cb->len += n;
	return 0;
}

static int put_ptr(struct zw_chunk_builder *cb, const struct zw_cb_entry *e)
{
	uint8_t ptr[2] = { 0xc0, 0 };

	if (cb->nreloc >= ZW_CB_MAX_RELOC)
		return ZW_ETOOBIG;
	if (cb->len + 2 > ZW_CB_MAX_DATA)
		return ZW_ETOOBIG;
	cb->reloc[cb->nreloc++] = ZW_RELOC(cb->len, e->kind, e->val);
	return put(cb, ptr, 2);
}

/* Writes a name, compressed against the dictionary if allowed, and records
 * its literal suffixes for later names. */
static int put_name(struct zw_chunk_builder *cb, const uint8_t *name, bool compress)
{
	uint8_t lname[ZW_NAME_MAX + 1];
	unsigned len = zw_name_lower(lname, name);
	unsigned pos = 0;
	int rc;

	while (lname[pos] != 0) {
		if (compress) {
			const struct zw_cb_entry *e = dict_find(cb, lname + pos, len - pos);
			if (e != NULL)
				return put_ptr(cb, e);
		}
		dict_add(cb, lname + pos, len - pos, ZW_RELOC_SELF, cb->len);
		rc = put(cb, name + pos, 1u + name[pos]);
		if (rc != 0)
			return rc;
		pos += 1u + name[pos];
	}
	return put(cb, "", 1);
}

/* Records the suffixes of a name written literally at pos, for names
 * that must not be compressed themselves but may be pointed at. */
static void dict_add_literal(struct zw_chunk_builder *cb, const uint8_t *name, unsigned pos)
{
	uint8_t lname[ZW_NAME_MAX + 1];
	unsigned len = zw_name_lower(lname, name);

	for (unsigned i = 0; lname[i] != 0; i += 1u + lname[i])
		if (dict_find(cb, lname + i, len - i) == NULL)
			dict_add(cb, lname + i, len - i, ZW_RELOC_SELF, pos + i);
}

int zw_cb_add_rr(struct zw_chunk_builder *cb, uint16_t type, uint32_t ttl, const uint8_t *rdata,
		 unsigned rdlen)
{
	static const uint8_t qptr[2] = { 0xc0, 0x0c };
	struct zw_rdata_names nm;
	uint8_t fixed[10];
	int rc;

	if (zw_rdata_names(type, rdata, rdlen, &nm) != 0)
		return -EINVAL;
	if (cb->rrs >= 0xffff)
		return ZW_ETOOBIG;
	/* the owner: the query name itself, or its suffix (patched when used) */
	if ((rc = put(cb, qptr, 2)) != 0)
		return rc;
	fixed[0] = (uint8_t)(type >> 8);
	fixed[1] = (uint8_t)type;
	fixed[2] = 0;
	fixed[3] = 1; /* IN */
	fixed[4] = (uint8_t)(ttl >> 24);
	fixed[5] = (uint8_t)(ttl >> 16);
	fixed[6] = (uint8_t)(ttl >> 8);
	fixed[7] = (uint8_t)ttl;
	if ((rc = put(cb, fixed, 10)) != 0)
		return rc;
	unsigned rdlen_pos = cb->len - 2, start = cb->len, done = 0;

	if (nm.compress) {
		for (unsigned i = 0; i < nm.n; i++) {
			if ((rc = put(cb, rdata + done, nm.off[i] - done)) != 0)
				return rc;
			if ((rc = put_name(cb, rdata + nm.off[i], true)) != 0)
				return rc;
			done = nm.off[i] + nm.len[i];
		}
	} else {
		for (unsigned i = 0; i < nm.n; i++)
			dict_add_literal(cb, rdata + nm.off[i], start + nm.off[i]);
	}
	if ((rc = put(cb, rdata + done, rdlen - done)) != 0)
		return rc;
	unsigned wlen = cb->len - start;
	cb->data[rdlen_pos] = (uint8_t)(wlen >> 8);
	cb->data[rdlen_pos + 1] = (uint8_t)wlen;
	cb->rrs++;
	return 0;
}

static unsigned trailer_words(unsigned flags)
{
	return ((flags & ZW_RRSET_EXTRA) ? 1u : 0u) + ((flags & ZW_RRSET_SIGS) ? 1u : 0u);
}

size_t zw_cb_size(const struct zw_chunk_builder *cb, unsigned flags)
{
	return sizeof(struct zw_img_chunk) + ((cb->len + 3u) & ~3u) +
	       4u * ((size_t)cb->nreloc + trailer_words(flags));
}

void zw_cb_emit(const struct zw_chunk_builder *cb, uint8_t *dst, unsigned flags, uint32_t extra,
		uint32_t sigs)
{
	struct zw_img_chunk h = {
		.len = (uint16_t)cb->len,
		.rrs = (uint16_t)cb->rrs,
		.nreloc = (uint16_t)cb->nreloc,
		.owner_v = (uint8_t)cb->owner_v,
		.flags = (uint8_t)flags,
	};
	size_t padded = (cb->len + 3u) & ~3u;

	memcpy(dst, &h, sizeof(h));
	dst += sizeof(h);
	memcpy(dst, cb->data, cb->len);
	memset(dst + cb->len, 0, padded - cb->len);
	dst += padded;
	memcpy(dst, cb->reloc, 4u * cb->nreloc);
	dst += 4u * cb->nreloc;
	if (flags & ZW_RRSET_EXTRA) {
		memcpy(dst, &extra, 4);
		dst += 4;
	}
	if (flags & ZW_RRSET_SIGS)
		memcpy(dst, &sigs, 4);
}
