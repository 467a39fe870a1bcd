/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain names in wire form (RFC 1035 3.1): helpers shared by the compiler,
 * the image reader and the answer path. All functions take explicit lengths
 * and never read past them.
 */
#ifndef ZW_NAME_H
#define ZW_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_NAME_MAX  255
#define ZW_LABEL_MAX 63

static inline uint8_t zw_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

/* Length of the uncompressed wire name at buf (at most len bytes), or a
 * negative error (ZW_ENAME) when it is malformed, compressed or too long. */
int zw_name_len(const uint8_t *buf, size_t len);

/* Number of labels, not counting the root. name must be valid. */
unsigned zw_name_labels(const uint8_t *name);

/* Copies a valid wire name to dst in lower case; returns its length. */
unsigned zw_name_lower(uint8_t *dst, const uint8_t *src);

/* Case-insensitive equality of two valid wire names. */
bool zw_name_equal(const uint8_t *a, const uint8_t *b);

/* Whether the last tail octets of name (len octets of whole labels, the
 * root label or not) start at one of its labels: where a name of tail
 * octets would be its suffix. */
static inline bool zw_labels_end_with_len(const uint8_t *name, unsigned len, unsigned tail)
{
	unsigned pos = 0;

	if (len < tail)
		return false;
	while (len - pos > tail)
		pos += 1u + name[pos];
	return len - pos == tail;
}

/* True if name equals or is below (a subdomain of) parent. Both valid. */
bool zw_name_is_sub(const uint8_t *name, unsigned name_len, const uint8_t *parent,
		    unsigned parent_len);

/* RFC 4034 6.1 canonical order of two valid wire names; <0, 0, >0. */
int zw_name_cmp(const uint8_t *a, const uint8_t *b);

/*
 * Hash of a lower-cased wire name of length len (seeded, 32 bits): the
 * labels (up to a root label or len) are hashed one by one and the label
 * hashes folded from the rightmost label to the leftmost. So the hashes of
 * every suffix of a name come out of one pass over it (zw_name_hash_fold),
 * which is what a closest-encloser search needs.
 */
uint32_t zw_name_hash(const uint8_t *lname, unsigned len);

#define ZW_HASH_SEED 0x9e3779b97f4a7c15ull

/* The 8 bytes at p as a big-endian number (an NSEC3 hash's search key, a
 * canonical key's half). */
static inline uint64_t zw_load_be64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* a[0..n) == b[0..n), inline: the names a lookup compares are short, and
 * a call to memcmp() costs more than the comparison. */
static inline bool zw_bytes_eq(const uint8_t *a, const uint8_t *b, unsigned n)
{
	uint64_t x, y;
	uint32_t u, v;

	if (n >= 8) {
		/* whole words, the last one overlapping the one before */
		for (unsigned i = 0; i + 8 < n; i += 8) {
			__builtin_memcpy(&x, a + i, 8);
			__builtin_memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		__builtin_memcpy(&x, a + n - 8, 8);
		__builtin_memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		__builtin_memcpy(&u, a, 4);
		__builtin_memcpy(&v, b, 4);
		if (u != v)
			return false;
		__builtin_memcpy(&u, a + n - 4, 4);
		__builtin_memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	for (; n > 0; n--)
		if (*a++ != *b++)
			return false;
	return true;
}

/* Hash of the label at l ([len][bytes]). When padded, the 8 bytes after
 * the label may be read (they do not change the result). */
static inline __attribute__((always_inline)) uint64_t zw_label_hash(const uint8_t *l, bool padded)
{
	unsigned n = l[0], i = 0;
	uint64_t h = (uint64_t)(n + 1) * 0xff51afd7ed558ccdull, w;

	for (; i + 8 <= n; i += 8) {
		__builtin_memcpy(&w, l + 1 + i, 8);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
	}
	if (i < n) {
		/* the tail, as a little-endian load of the remaining bytes into
		 * a zeroed word */
		if (padded) {
			__builtin_memcpy(&w, l + 1 + i, 8);
			w &= ~0ull >> (8 * (8 - (n - i)));
		} else {
			w = 0;
			for (unsigned k = 0; i + k < n; k++)
				w |= (uint64_t)l[1 + i + k] << (8 * k);
		}
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	return h;
}

/* One fold step: the hash state of a name from the state of its parent and
 * the hash of its first label. */
static inline uint64_t zw_hash_fold(uint64_t parent, uint64_t label)
{
	uint64_t h = (parent ^ label) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

/* The 32-bit hash from a fold state. */
static inline uint32_t zw_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0x94d049bb133111ebull;
	return (uint32_t)(h >> 32);
}

/* Presentation form ("www.example.com.") into dst of size dstlen, with
 * RFC 1035 escapes; returns the length written (truncated if too small). */
size_t zw_name_to_str(const uint8_t *name, char *dst, size_t dstlen);

/* True if the name is a valid host name (RFC 952/1123: letters, digits,
 * hyphens; labels neither start nor end with a hyphen). A leading '*' label
 * or '_' are not host names. */
bool zw_name_is_hostname(const uint8_t *name);

#endif /* ZW_NAME_H */
