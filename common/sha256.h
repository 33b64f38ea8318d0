/* SPDX-License-Identifier: MIT */
/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), self-contained: the link between
 * the Windows side and idleaccd authenticates every message with them, and the Windows build
 * (mingw-w64) has no crypto library to link. Plain C99, no allocation, no global state.
 */
#ifndef COMMON_SHA256_H
#define COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	 32 /* bytes of a digest */
#define SHA256_BLOCK_LEN 64 /* bytes of one compression block */

/* A hash in progress. */
struct sha256 {
	uint32_t h[8];			 /* the chaining state */
	uint64_t bytes;			 /* bytes hashed so far */
	uint8_t block[SHA256_BLOCK_LEN]; /* the block being filled */
	size_t fill;			 /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest into [out] and wipes [s]. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);

/* An HMAC-SHA256 in progress: the inner hash, and the outer key pad kept for the end. */
struct hmac_sha256 {
	struct sha256 inner;		/* H((K ^ ipad) || message...) */
	uint8_t opad[SHA256_BLOCK_LEN]; /* K ^ opad */
};

/* Starts an HMAC with [key] of any length (longer than a block is hashed first, per RFC). */
void hmac_sha256_init(struct hmac_sha256 *m, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256 *m, const void *data, size_t len);
/* Writes the MAC into [out] and wipes [m]. */
void hmac_sha256_final(struct hmac_sha256 *m, uint8_t out[SHA256_LEN]);

/* One-shot HMAC of [data]. */
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		 uint8_t out[SHA256_LEN]);

/* Compares [len] bytes in time that does not depend on where they differ. 1 if equal. */
int sha256_equal(const void *a, const void *b, size_t len);

#endif /* COMMON_SHA256_H */
