/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-1 (FIPS 180-4) twice over: with the x86 SHA extensions when the CPU
 * has them (checked once, with CPUID), and in portable C otherwise. The
 * answer path hashes the next closer name of an NXDOMAIN with it, so both
 * are free of allocation and of calls that might allocate.
 */
#include <stdbool.h>
#include <string.h>

#include "name.h"
#include "nsec3.h"

static inline uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/*
 * One block, portable: the 80 rounds unrolled five at a time, the
 * variables rotating their roles (so no moves between rounds), and the
 * message schedule kept in 16 words.
 */
#define SHA_W(i)                                                                                   \
	(w[(i)&15] = rol(w[((i)-3) & 15] ^ w[((i)-8) & 15] ^ w[((i)-14) & 15] ^ w[(i)&15], 1))
#define SHA_F1(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define SHA_F2(x, y, z) ((x) ^ (y) ^ (z))
#define SHA_F3(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define SHA_R(v, x, y, z, u, f, k, m)                                                              \
	do {                                                                                       \
		u += f(x, y, z) + (k) + (m) + rol(v, 5);                                           \
		x = rol(x, 30);                                                                    \
	} while (0)
#define SHA_5(f, k, m0, m1, m2, m3, m4)                                                            \
	do {                                                                                       \
		SHA_R(a, b, c, d, e, f, k, m0);                                                    \
		SHA_R(e, a, b, c, d, f, k, m1);                                                    \
		SHA_R(d, e, a, b, c, f, k, m2);                                                    \
		SHA_R(c, d, e, a, b, f, k, m3);                                                    \
		SHA_R(b, c, d, e, a, f, k, m4);                                                    \
	} while (0)

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	const uint32_t k1 = 0x5a827999, k2 = 0x6ed9eba1, k3 = 0x8f1bbcdc, k4 = 0xca62c1d6;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 0; i < 15; i += 5)
		SHA_5(SHA_F1, k1, w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 4]);
	SHA_5(SHA_F1, k1, w[15], SHA_W(16), SHA_W(17), SHA_W(18), SHA_W(19));
	for (int i = 20; i < 40; i += 5)
		SHA_5(SHA_F2, k2, SHA_W(i), SHA_W(i + 1), SHA_W(i + 2), SHA_W(i + 3), SHA_W(i + 4));
	for (int i = 40; i < 60; i += 5)
		SHA_5(SHA_F3, k3, SHA_W(i), SHA_W(i + 1), SHA_W(i + 2), SHA_W(i + 3), SHA_W(i + 4));
	for (int i = 60; i < 80; i += 5)
		SHA_5(SHA_F2, k4, SHA_W(i), SHA_W(i + 1), SHA_W(i + 2), SHA_W(i + 3), SHA_W(i + 4));
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* ---- with the SHA extensions ---- */

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#define HAVE_SHA_NI 1

/*
 * Four rounds of the middle part (rounds 16 to 63): the rounds take the
 * message words of group a while the schedule completes group b, adds
 * group a into group c and starts group d (Intel, "New Instructions
 * Supporting the Secure Hash Algorithm on Intel Architecture Processors").
 */
#define NI_STEP(ecur, eoth, a, b, c, d, fn)                                                        \
	do {                                                                                       \
		ecur = _mm_sha1nexte_epu32(ecur, a);                                               \
		eoth = abcd;                                                                       \
		b = _mm_sha1msg2_epu32(b, a);                                                      \
		abcd = _mm_sha1rnds4_epu32(abcd, ecur, fn);                                        \
		d = _mm_sha1msg1_epu32(d, a);                                                      \
		c = _mm_xor_si128(c, a);                                                           \
	} while (0)

__attribute__((target("sha,ssse3,sse4.1"))) static void
sha1_blocks_ni(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const void *)h), 0x1b);
	__m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0), e1;

	for (; nblocks > 0; nblocks--, p += 64) {
		__m128i abcd0 = abcd, e00 = e0;
		__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const void *)p), bswap);
		__m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const void *)(p + 16)), bswap);
		__m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const void *)(p + 32)), bswap);
		__m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const void *)(p + 48)), bswap);

		/* rounds 0-15: the message words as read */
		e0 = _mm_add_epi32(e0, m0);
		e1 = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
		e1 = _mm_sha1nexte_epu32(e1, m1);
		e0 = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
		m0 = _mm_sha1msg1_epu32(m0, m1);
		e0 = _mm_sha1nexte_epu32(e0, m2);
		e1 = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
		m1 = _mm_sha1msg1_epu32(m1, m2);
		m0 = _mm_xor_si128(m0, m2);
		e1 = _mm_sha1nexte_epu32(e1, m3);
		e0 = abcd;
		m0 = _mm_sha1msg2_epu32(m0, m3);
		abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
		m2 = _mm_sha1msg1_epu32(m2, m3);
		m1 = _mm_xor_si128(m1, m3);
		/* rounds 16-63 */
		NI_STEP(e0, e1, m0, m1, m2, m3, 0);
		NI_STEP(e1, e0, m1, m2, m3, m0, 1);
		NI_STEP(e0, e1, m2, m3, m0, m1, 1);
		NI_STEP(e1, e0, m3, m0, m1, m2, 1);
		NI_STEP(e0, e1, m0, m1, m2, m3, 1);
		NI_STEP(e1, e0, m1, m2, m3, m0, 1);
		NI_STEP(e0, e1, m2, m3, m0, m1, 2);
		NI_STEP(e1, e0, m3, m0, m1, m2, 2);
		NI_STEP(e0, e1, m0, m1, m2, m3, 2);
		NI_STEP(e1, e0, m1, m2, m3, m0, 2);
		NI_STEP(e0, e1, m2, m3, m0, m1, 2);
		NI_STEP(e1, e0, m3, m0, m1, m2, 3);
		/* rounds 64-79: the schedule winds down */
		NI_STEP(e0, e1, m0, m1, m2, m3, 3);
		e1 = _mm_sha1nexte_epu32(e1, m1);
		e0 = abcd;
		m2 = _mm_sha1msg2_epu32(m2, m1);
		abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
		m3 = _mm_xor_si128(m3, m1);
		e0 = _mm_sha1nexte_epu32(e0, m2);
		e1 = abcd;
		m3 = _mm_sha1msg2_epu32(m3, m2);
		abcd = _mm_sha1rnds4_epu32(abcd, e0, 3);
		e1 = _mm_sha1nexte_epu32(e1, m3);
		e0 = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
		/* add the block's result to the state */
		e0 = _mm_sha1nexte_epu32(e0, e00);
		abcd = _mm_add_epi32(abcd, abcd0);
	}
	_mm_storeu_si128((void *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

/* 0: not checked yet, 1: no, 2: yes. Checked on first use rather than at
 * every hash: CPUID is slow, and in a virtual machine it traps. */
static int ni_state;

bool zw_sha1_ni_available(void)
{
	int s = __atomic_load_n(&ni_state, __ATOMIC_RELAXED);

	if (s == 0) {
		unsigned a, b, c, d;
		bool ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
			  __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
		s = ok ? 2 : 1;
		__atomic_store_n(&ni_state, s, __ATOMIC_RELAXED);
	}
	return s == 2;
}
#else
bool zw_sha1_ni_available(void)
{
	return false;
}
#endif

/* ---- padding and output, common to both ---- */

typedef void (*sha1_blocks_fn)(uint32_t h[5], const uint8_t *p, size_t nblocks);

static void sha1_blocks_portable(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
	for (; nblocks > 0; nblocks--, p += 64)
		sha1_block(h, p);
}

static void sha1_with(sha1_blocks_fn blocks, const void *data, size_t len, uint8_t out[ZW_SHA1_LEN])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint64_t last[16]; /* the last one or two blocks, as words */
	size_t full = len / 64, rest = len - full * 64;

	if (full > 0)
		blocks(h, p, full);
	/* padding: 0x80, zeros, the bit length in 64 bits big-endian */
	size_t nlast = rest + 9 > 64 ? 2 : 1;
	for (size_t i = 0; i < 8 * nlast; i++)
		last[i] = 0;
	uint8_t *lb = (uint8_t *)last;
	memcpy(lb, p + full * 64, rest);
	lb[rest] = 0x80;
	uint64_t bits = (uint64_t)len * 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	last[8 * nlast - 1] = __builtin_bswap64(bits);
#else
	for (int i = 0; i < 8; i++)
		lb[nlast * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
#endif
	blocks(h, lb, nlast);
	for (int i = 0; i < 5; i++) {
		uint32_t be = h[i];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		be = __builtin_bswap32(be);
#endif
		memcpy(out + 4 * i, &be, 4);
	}
}

static sha1_blocks_fn sha1_best(void)
{
#ifdef HAVE_SHA_NI
	if (zw_sha1_ni_available())
		return sha1_blocks_ni;
#endif
	return sha1_blocks_portable;
}

void zw_sha1_portable(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN])
{
	sha1_with(sha1_blocks_portable, data, len, out);
}

bool zw_sha1_ni(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN])
{
#ifdef HAVE_SHA_NI
	if (zw_sha1_ni_available()) {
		sha1_with(sha1_blocks_ni, data, len, out);
		return true;
	}
#endif
	(void)data;
	(void)len;
	(void)out;
	return false;
}

void zw_sha1(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN])
{
	sha1_with(sha1_best(), data, len, out);
}

int zw_nsec3_hash(const uint8_t *name, unsigned name_len, const uint8_t *salt, unsigned salt_len,
		  unsigned iterations, uint8_t out[ZW_SHA1_LEN])
{
	uint8_t lname[ZW_NAME_MAX + 1];

	if (name_len > ZW_NAME_MAX)
		return -1;
	zw_name_lower(lname, name);
	return zw_nsec3_hash_lower(lname, name_len, salt, salt_len, iterations, out);
}

int zw_nsec3_hash_lower(const uint8_t *lname, unsigned name_len, const uint8_t *salt,
			unsigned salt_len, unsigned iterations, uint8_t out[ZW_SHA1_LEN])
{
	uint8_t buf[ZW_NAME_MAX + 1 + 255];
	const uint8_t *msg = lname;
	sha1_blocks_fn blocks = sha1_best();

	if (name_len > ZW_NAME_MAX || salt_len > 255)
		return -1;
	if (salt_len > 0) { /* the salt follows the name: a copy */
		memcpy(buf, lname, name_len);
		memcpy(buf + name_len, salt, salt_len);
		msg = buf;
	}
	/* RFC 5155 5: the hash of name and salt, then iterations times of the
	 * hash and the salt */
	sha1_with(blocks, msg, name_len + salt_len, out);
	for (unsigned i = 0; i < iterations; i++) {
		memcpy(buf, out, ZW_SHA1_LEN);
		if (salt_len > 0)
			memcpy(buf + ZW_SHA1_LEN, salt, salt_len);
		sha1_with(blocks, buf, ZW_SHA1_LEN + salt_len, out);
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
