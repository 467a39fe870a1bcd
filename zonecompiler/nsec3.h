/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NSEC3 hashing (RFC 5155 section 5): iterated SHA-1 over a lower-cased
 * wire name and a salt. SHA-1 is written here from FIPS 180-4 so that the
 * answer path can hash the next-closer name of a query with no allocation
 * and no library call that might allocate; it uses the x86 SHA extensions
 * when the CPU has them (about twenty times fewer instructions a block).
 */
#ifndef ZW_NSEC3_H
#define ZW_NSEC3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_SHA1_LEN 20

/* SHA-1 of len bytes, with the SHA extensions when the CPU has them. */
void zw_sha1(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN]);

/* The same in portable C, whatever the CPU. */
void zw_sha1_portable(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN]);

/* The same with the SHA extensions; false, writing nothing, when the CPU
 * does not have them (or is not x86). */
bool zw_sha1_ni(const void *data, size_t len, uint8_t out[ZW_SHA1_LEN]);

/* Whether the CPU has the SHA extensions (and SSSE3 and SSE4.1). */
bool zw_sha1_ni_available(void);

/* The NSEC3 hash of a wire name (lower-cased by the function), with the
 * zone's salt (may be NULL when salt_len is 0) and iteration count.
 * Returns 0, or -1 when the name is too long to hash with this salt. */
int zw_nsec3_hash(const uint8_t *name, unsigned name_len, const uint8_t *salt, unsigned salt_len,
		  unsigned iterations, uint8_t out[ZW_SHA1_LEN]);

/* The same for a name already in lower case (lname, as the answer path
 * has it), which is hashed where it lies when the salt is empty. */
int zw_nsec3_hash_lower(const uint8_t *lname, unsigned name_len, const uint8_t *salt,
			unsigned salt_len, unsigned iterations, uint8_t out[ZW_SHA1_LEN]);

/* Base32hex (RFC 4648 7) of a hash, lower case, as NSEC3 owner labels are
 * written; out needs 33 bytes. */
void zw_base32hex(const uint8_t *in, unsigned len, char *out);

/* Decodes a base32hex label into raw bytes; returns the byte count or -1. */
int zw_base32hex_decode(const uint8_t *in, unsigned len, uint8_t *out, unsigned cap);

#endif /* ZW_NSEC3_H */
