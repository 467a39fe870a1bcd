/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "name.h"
#include "zw_err.h"

int zw_name_len(const uint8_t *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		uint8_t l = buf[pos];
		if (l == 0)
			return pos + 1 > ZW_NAME_MAX ? ZW_ENAME : (int)(pos + 1);
		if (l > ZW_LABEL_MAX)
			return ZW_ENAME;
		pos += 1u + l;
		if (pos >= ZW_NAME_MAX)
			return ZW_ENAME;
	}
	return ZW_ENAME;
}

unsigned zw_name_labels(const uint8_t *name)
{
	unsigned n = 0;

	while (*name != 0) {
		n++;
		name += 1u + *name;
	}
	return n;
}

unsigned zw_name_lower(uint8_t *dst, const uint8_t *src)
{
	unsigned len = 0;

	while (src[len] != 0)
		len += 1u + src[len];
	len++;
	/* label lengths (0-63) are never letters, so the whole name can be
	 * lowered as bytes, eight at a time: a byte's high bit in m is set when
	 * it is in 'A'..'Z' (and below 0x80), and 0x80 >> 2 is the case bit */
	unsigned i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w, lo;
		memcpy(&w, src + i, 8);
		lo = w & 0x7f7f7f7f7f7f7f7full;
		uint64_t ge_a = lo + 0x3f3f3f3f3f3f3f3full; /* 0x80 - 'A' */
		uint64_t gt_z = lo + 0x2525252525252525ull; /* 0x80 - 'Z' - 1 */
		uint64_t m = ge_a & ~gt_z & ~w & 0x8080808080808080ull;
		w |= m >> 2;
		memcpy(dst + i, &w, 8);
	}
	for (; i < len; i++)
		dst[i] = zw_lower(src[i]);
	return len;
}

bool zw_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		uint8_t l = *a;
		if (l != *b)
			return false;
		if (l == 0)
			return true;
		for (unsigned i = 1; i <= l; i++)
			if (zw_lower(a[i]) != zw_lower(b[i]))
				return false;
		a += 1u + l;
		b += 1u + l;
	}
}

bool zw_name_is_sub(const uint8_t *name, unsigned name_len, const uint8_t *parent,
		    unsigned parent_len)
{
	return zw_labels_end_with_len(name, name_len, parent_len) &&
	       zw_name_equal(name + name_len - parent_len, parent);
}

static unsigned label_offsets(const uint8_t *name, uint8_t off[128])
{
	unsigned n = 0, pos = 0;

	while (name[pos] != 0 && n < 128) {
		off[n++] = (uint8_t)pos;
		pos += 1u + name[pos];
	}
	return n;
}

int zw_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t ao[128], bo[128];
	unsigned an = label_offsets(a, ao), bn = label_offsets(b, bo);

	while (an > 0 && bn > 0) {
		const uint8_t *la = a + ao[--an], *lb = b + bo[--bn];
		unsigned ll = la[0] < lb[0] ? la[0] : lb[0];
		for (unsigned i = 1; i <= ll; i++) {
			uint8_t ca = zw_lower(la[i]), cb = zw_lower(lb[i]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

uint32_t zw_name_hash(const uint8_t *lname, unsigned len)
{
	unsigned off[ZW_NAME_MAX / 2 + 1], n = 0;
	uint64_t h = ZW_HASH_SEED;

	for (unsigned p = 0; p < len && lname[p] != 0; p += 1u + lname[p])
		off[n++] = p;
	while (n > 0)
		h = zw_hash_fold(h, zw_label_hash(lname + off[--n], false));
	return zw_hash_final(h);
}

size_t zw_name_to_str(const uint8_t *name, char *dst, size_t dstlen)
{
	size_t o = 0;

	if (dstlen == 0)
		return 0;
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (o + 1 < dstlen)                                                                \
			dst[o++] = (c);                                                            \
	} while (0)
	if (*name == 0)
		PUT('.');
	while (*name != 0) {
		uint8_t l = *name++;
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = name[i];
			if (c <= 0x20 || c >= 0x7f) {
				char esc[5];
				snprintf(esc, sizeof(esc), "\\%03u", c);
				for (int k = 0; k < 4; k++)
					PUT(esc[k]);
			} else if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' ||
				   c == ')' || c == '@' || c == '$') {
				PUT('\\');
				PUT((char)c);
			} else {
				PUT((char)c);
			}
		}
		name += l;
		PUT('.');
	}
#undef PUT
	dst[o] = '\0';
	return o;
}

static bool is_ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

bool zw_name_is_hostname(const uint8_t *name)
{
	if (*name == 0)
		return false;
	while (*name != 0) {
		uint8_t l = *name++;
		if (name[0] == '-' || name[l - 1] == '-')
			return false;
		for (unsigned i = 0; i < l; i++)
			if (!is_ldh(name[i]))
				return false;
		name += l;
	}
	return true;
}
