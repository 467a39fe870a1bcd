/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "name.h"
#include "nsec3.h"

static inline uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		uint32_t t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void zw_sha1(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint8_t last[128];
	size_t full = len / 64 * 64, rest = len - full;

	for (size_t o = 0; o < full; o += 64)
		sha1_block(h, p + o);
	/* padding: 0x80, zeros, the bit length in 64 bits big-endian */
	memset(last, 0, sizeof(last));
	memcpy(last, p + full, rest);
	last[rest] = 0x80;
	size_t blocks = rest + 9 > 64 ? 2 : 1;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		last[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (size_t b = 0; b < blocks; b++)
		sha1_block(h, last + 64 * b);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

int zw_nsec3_hash(const uint8_t *name, unsigned name_len, const uint8_t *salt, unsigned salt_len,
		  unsigned iterations, uint8_t out[ZW_SHA1_LEN])
{
	uint8_t buf[ZW_NAME_MAX + 1 + 255];

	if (name_len > ZW_NAME_MAX || salt_len > 255)
		return -1;
	zw_name_lower(buf, name);
	memcpy(buf + name_len, salt, salt_len);
	zw_sha1(buf, name_len + salt_len, out);
	for (unsigned i = 0; i < iterations; i++) {
		memcpy(buf, out, ZW_SHA1_LEN);
		memcpy(buf + ZW_SHA1_LEN, salt, salt_len);
		zw_sha1(buf, ZW_SHA1_LEN + salt_len, out);
	}
	return 0;
}

static const char b32[] = "0123456789abcdefghijklmnopqrstuv";

void zw_base32hex(const uint8_t *in, unsigned len, char *out)
{
	unsigned bits = 0, o = 0;
	uint32_t acc = 0;

	for (unsigned i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int zw_base32hex_decode(const uint8_t *in, unsigned len, uint8_t *out, unsigned cap)
{
	uint32_t acc = 0;
	unsigned bits = 0, o = 0;

	for (unsigned i = 0; i < len; i++) {
		uint8_t c = zw_lower(in[i]);
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'v')
			v = c - 'a' + 10;
		else
			return -1;
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)o;
}
