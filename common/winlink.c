/* SPDX-License-Identifier: MIT */
/* winlink.c - frames, handshake and message authentication of the Windows link (winlink.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "winlink.h"

#define HDR_LEN	   9   /* length (4), magic (4), type (1) */
#define CTR_LEN	   8   /* the counter of READING and HOLD */
#define REFUSE_MAX 200 /* bytes of a REFUSE text */

/* Fixed sizes of the payload parts, in bytes on the wire. */
#define READING_FIXED 9	 /* heartbeat (4), on_ac, battery, gpu, gpu_count, name length */
#define SESSION_WIRE  19 /* id (4), remote, locked, reporting, input seq (4), age (8) */

/* mingw-w64 checks formats as Microsoft's unless its C99 stdio is on (the Windows build
 * defines __USE_MINGW_ANSI_STDIO, whose vsnprintf also always terminates). */
#ifdef __MINGW32__
#define WL_FORMAT __MINGW_PRINTF_FORMAT
#else
#define WL_FORMAT printf
#endif

static void put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(WL_FORMAT, 3, 4)));

static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void wipe(void *p, size_t len)
{
	volatile uint8_t *v = p;

	while (len--)
		*v++ = 0;
}

const char *winlink_type_name(int type)
{
	static const char *const names[] = {"?",      "HELLO",	 "AUTH", "ACCEPT",
					    "REFUSE", "READING", "HOLD"};

	return type > 0 && type <= WINLINK_HOLD ? names[type] : "?";
}

int winlink_init(struct winlink *l, const void *secret, size_t len, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (len < WINLINK_SECRET_MIN) {
		put_err(err, errlen, "the secret is too short (%zu bytes; at least %d)", len,
			WINLINK_SECRET_MIN);
		return -1;
	}
	if (len > WINLINK_SECRET_MAX) {
		put_err(err, errlen, "the secret is too long (%zu bytes; at most %d)", len,
			WINLINK_SECRET_MAX);
		return -1;
	}
	memcpy(l->secret, secret, len);
	l->secret_len = len;
	return 0;
}

void winlink_wipe(struct winlink *l)
{
	wipe(l, sizeof(*l));
}

long winlink_frame_size(const uint8_t *buf, size_t have)
{
	uint32_t n;

	if (have < 4)
		return 0;
	n = get32(buf);
	if (n < HDR_LEN - 4 || n > WINLINK_FRAME_MAX - 4)
		return -1;
	return have >= n + 4 ? (long)n + 4 : 0;
}

/* Writes the header of a frame of [len] bytes in all; returns [len], or 0 if [cap] is short. */
static size_t put_header(uint8_t *out, size_t cap, size_t len, enum winlink_type type)
{
	if (len > cap || len > WINLINK_FRAME_MAX)
		return 0;
	put32(out, (uint32_t)(len - 4));
	memcpy(out + 4, WINLINK_MAGIC, 4);
	out[8] = (uint8_t)type;
	return len;
}

/* Checks the magic and type of a complete frame; 0, or -1 with [err] filled. */
static int check_header(const uint8_t *frame, size_t len, enum winlink_type want, char *err,
			size_t errlen)
{
	if (len < HDR_LEN || winlink_frame_size(frame, len) != (long)len) {
		put_err(err, errlen, "malformed frame (%zu bytes)", len);
		return -1;
	}
	if (memcmp(frame + 4, WINLINK_MAGIC, 4)) {
		put_err(err, errlen, "not an idleacc Windows link (bad magic)");
		return -1;
	}
	if (frame[8] != want) {
		put_err(err, errlen, "expected %s, got %s (type %u)", winlink_type_name(want),
			winlink_type_name(frame[8]), frame[8]);
		return -1;
	}
	return 0;
}

/* HMAC(secret, [label] nonce_g nonce_w) into [out]. */
static void handshake_mac(const struct winlink *l, const char *label, uint8_t out[SHA256_LEN])
{
	struct hmac_sha256 m;

	hmac_sha256_init(&m, l->secret, l->secret_len);
	hmac_sha256_update(&m, label, strlen(label));
	hmac_sha256_update(&m, l->nonce_guest, WINLINK_NONCE_LEN);
	hmac_sha256_update(&m, l->nonce_windows, WINLINK_NONCE_LEN);
	hmac_sha256_final(&m, out);
}

static void derive_session(struct winlink *l)
{
	handshake_mac(l, "IAW1 session", l->session_key);
	l->sent = l->received = 0;
	l->state = WINLINK_ST_READY;
}

size_t winlink_hello(struct winlink *l, const uint8_t nonce[WINLINK_NONCE_LEN], uint8_t *out,
		     size_t cap)
{
	size_t n = put_header(out, cap, HDR_LEN + WINLINK_NONCE_LEN, WINLINK_HELLO);

	if (!n)
		return 0;
	memcpy(l->nonce_guest, nonce, WINLINK_NONCE_LEN);
	memcpy(out + HDR_LEN, nonce, WINLINK_NONCE_LEN);
	l->state = WINLINK_ST_WAIT_AUTH;
	return n;
}

size_t winlink_answer_hello(struct winlink *l, const uint8_t *frame, size_t len,
			    const uint8_t nonce[WINLINK_NONCE_LEN], uint8_t *out, size_t cap,
			    char *err, size_t errlen)
{
	size_t n;

	l->state = WINLINK_ST_FAILED;
	if (check_header(frame, len, WINLINK_HELLO, err, errlen) < 0)
		return 0;
	if (len != HDR_LEN + WINLINK_NONCE_LEN) {
		put_err(err, errlen, "malformed HELLO (%zu bytes)", len);
		return 0;
	}
	n = put_header(out, cap, HDR_LEN + WINLINK_NONCE_LEN + WINLINK_MAC_LEN, WINLINK_AUTH);
	if (!n) {
		put_err(err, errlen, "no room for the AUTH");
		return 0;
	}
	memcpy(l->nonce_guest, frame + HDR_LEN, WINLINK_NONCE_LEN);
	memcpy(l->nonce_windows, nonce, WINLINK_NONCE_LEN);
	memcpy(out + HDR_LEN, nonce, WINLINK_NONCE_LEN);
	handshake_mac(l, "IAW1 windows", out + HDR_LEN + WINLINK_NONCE_LEN);
	l->state = WINLINK_ST_WAIT_ACK;
	return n;
}

/* A REFUSE frame with [text]; returns its length. */
static size_t put_refuse(uint8_t *out, size_t cap, const char *text)
{
	size_t tl = strlen(text), n;

	if (tl > REFUSE_MAX)
		tl = REFUSE_MAX;
	n = put_header(out, cap, HDR_LEN + tl, WINLINK_REFUSE);
	if (n)
		memcpy(out + HDR_LEN, text, tl);
	return n;
}

int winlink_check_auth(struct winlink *l, const uint8_t *frame, size_t len, uint8_t *out,
		       size_t cap, size_t *outlen, char *err, size_t errlen)
{
	uint8_t mac[WINLINK_MAC_LEN];

	*outlen = 0;
	if (l->state != WINLINK_ST_WAIT_AUTH) {
		put_err(err, errlen, "AUTH before HELLO");
	} else if (check_header(frame, len, WINLINK_AUTH, err, errlen) < 0) {
		/* err says why */
	} else if (len != HDR_LEN + WINLINK_NONCE_LEN + WINLINK_MAC_LEN) {
		put_err(err, errlen, "malformed AUTH (%zu bytes)", len);
	} else {
		memcpy(l->nonce_windows, frame + HDR_LEN, WINLINK_NONCE_LEN);
		handshake_mac(l, "IAW1 windows", mac);
		if (sha256_equal(mac, frame + HDR_LEN + WINLINK_NONCE_LEN, WINLINK_MAC_LEN)) {
			*outlen = put_header(out, cap, HDR_LEN + WINLINK_MAC_LEN, WINLINK_ACCEPT);
			handshake_mac(l, "IAW1 guest", out + HDR_LEN);
			derive_session(l);
			return 0;
		}
		put_err(err, errlen, "wrong secret");
	}
	l->state = WINLINK_ST_FAILED;
	*outlen = put_refuse(out, cap, err);
	return -1;
}

/* Copies a REFUSE's text into [err] with anything unprintable as '?'. */
static void refuse_text(const uint8_t *frame, size_t len, char *err, size_t errlen)
{
	char text[REFUSE_MAX + 1];
	size_t i, n = len - HDR_LEN;

	if (n > REFUSE_MAX)
		n = REFUSE_MAX;
	for (i = 0; i < n; i++)
		text[i] = frame[HDR_LEN + i] < 0x20 || frame[HDR_LEN + i] == 0x7f
			      ? '?'
			      : (char)frame[HDR_LEN + i];
	text[n] = '\0';
	put_err(err, errlen, "the guest refused: %s", text);
}

int winlink_check_accept(struct winlink *l, const uint8_t *frame, size_t len, char *err,
			 size_t errlen)
{
	uint8_t mac[WINLINK_MAC_LEN];

	if (l->state != WINLINK_ST_WAIT_ACK) {
		put_err(err, errlen, "ACCEPT before AUTH");
	} else if (len >= HDR_LEN && winlink_frame_size(frame, len) == (long)len &&
		   !memcmp(frame + 4, WINLINK_MAGIC, 4) && frame[8] == WINLINK_REFUSE) {
		refuse_text(frame, len, err, errlen);
	} else if (check_header(frame, len, WINLINK_ACCEPT, err, errlen) < 0) {
		/* err says why */
	} else if (len != HDR_LEN + WINLINK_MAC_LEN) {
		put_err(err, errlen, "malformed ACCEPT (%zu bytes)", len);
	} else {
		handshake_mac(l, "IAW1 guest", mac);
		if (sha256_equal(mac, frame + HDR_LEN, WINLINK_MAC_LEN)) {
			derive_session(l);
			return 0;
		}
		put_err(err, errlen, "the guest does not know the secret");
	}
	l->state = WINLINK_ST_FAILED;
	return -1;
}

/* Frames [payload] of [plen] bytes as the next message of [type]: counter, payload, MAC. */
static size_t seal(struct winlink *l, enum winlink_type type, const uint8_t *payload, size_t plen,
		   uint8_t *out, size_t cap)
{
	size_t n;

	if (l->state != WINLINK_ST_READY)
		return 0;
	n = put_header(out, cap, HDR_LEN + CTR_LEN + plen + WINLINK_MAC_LEN, type);
	if (!n)
		return 0;
	put64(out + HDR_LEN, ++l->sent);
	memcpy(out + HDR_LEN + CTR_LEN, payload, plen);
	hmac_sha256(l->session_key, sizeof(l->session_key), out + 4, n - 4 - WINLINK_MAC_LEN,
		    out + n - WINLINK_MAC_LEN);
	return n;
}

/* Copies at most WINLINK_NAME_LEN - 1 bytes of [s]; returns the length. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	return n < WINLINK_NAME_LEN ? n : WINLINK_NAME_LEN - 1;
}

size_t winlink_put_reading(struct winlink *l, const struct winlink_reading *r, uint8_t *out,
			   size_t cap)
{
	uint8_t p[READING_FIXED + WINLINK_NAME_LEN + 1 + WINLINK_MAX_SESSIONS * SESSION_WIRE];
	size_t n = 0, bl = name_len(r->busy_program);
	unsigned i, ns = r->nsessions < WINLINK_MAX_SESSIONS ? r->nsessions : WINLINK_MAX_SESSIONS;

	put32(p, r->heartbeat_ms);
	p[4] = (uint8_t)r->on_ac;
	p[5] = (uint8_t)r->battery_pct;
	p[6] = (uint8_t)r->gpu_util_pct;
	p[7] = r->gpu_count;
	p[8] = (uint8_t)bl;
	n = READING_FIXED;
	memcpy(p + n, r->busy_program, bl);
	n += bl;
	p[n++] = (uint8_t)ns;
	for (i = 0; i < ns; i++) {
		const struct winlink_session *s = &r->sessions[i];

		put32(p + n, s->id);
		p[n + 4] = s->remote ? 1 : 0;
		p[n + 5] = (uint8_t)s->locked;
		p[n + 6] = s->reporting ? 1 : 0;
		put32(p + n + 7, s->input_seq);
		put64(p + n + 11, (uint64_t)s->input_age_ms);
		n += SESSION_WIRE;
	}
	return seal(l, WINLINK_READING, p, n, out, cap);
}

size_t winlink_put_hold(struct winlink *l, const struct winlink_hold *h, uint8_t *out, size_t cap)
{
	uint8_t p[4 + 1 + WINLINK_NAME_LEN];
	size_t ul = name_len(h->user);

	put32(p, h->secs);
	p[4] = (uint8_t)ul;
	memcpy(p + 5, h->user, ul);
	return seal(l, WINLINK_HOLD, p, 5 + ul, out, cap);
}

/* Copies a name of [n] bytes at [p] into [dst]; -1 if it holds a control character. */
static int get_name(char dst[WINLINK_NAME_LEN], const uint8_t *p, size_t n)
{
	size_t i;

	if (n >= WINLINK_NAME_LEN)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int decode_reading(const uint8_t *p, size_t n, struct winlink_reading *r, char *err,
			  size_t errlen)
{
	size_t off, bl;
	unsigned i, ns;

	memset(r, 0, sizeof(*r));
	if (n < READING_FIXED + 1)
		goto short_;
	r->heartbeat_ms = get32(p);
	r->on_ac = (int8_t)p[4];
	r->battery_pct = (int8_t)p[5];
	r->gpu_util_pct = (int8_t)p[6];
	r->gpu_count = p[7];
	bl = p[8];
	if (n < READING_FIXED + bl + 1)
		goto short_;
	if (get_name(r->busy_program, p + READING_FIXED, bl) < 0) {
		put_err(err, errlen, "malformed READING: bad busy program name");
		return -1;
	}
	off = READING_FIXED + bl;
	ns = p[off++];
	if (ns > WINLINK_MAX_SESSIONS) {
		put_err(err, errlen, "malformed READING: %u sessions (at most %d)", ns,
			WINLINK_MAX_SESSIONS);
		return -1;
	}
	if (n != off + ns * SESSION_WIRE)
		goto short_;
	if (r->heartbeat_ms == 0 || r->on_ac < -1 || r->on_ac > 1 || r->battery_pct < -1 ||
	    r->battery_pct > 100 || r->gpu_util_pct < -1 || r->gpu_util_pct > 100) {
		put_err(err, errlen, "malformed READING: a value out of range");
		return -1;
	}
	r->nsessions = ns;
	for (i = 0; i < ns; i++, off += SESSION_WIRE) {
		struct winlink_session *s = &r->sessions[i];

		s->id = get32(p + off);
		s->remote = p[off + 4];
		s->locked = (int8_t)p[off + 5];
		s->reporting = p[off + 6];
		s->input_seq = get32(p + off + 7);
		s->input_age_ms = (int64_t)get64(p + off + 11);
		if (s->remote > 1 || s->locked < -1 || s->locked > 1 || s->reporting > 1 ||
		    s->input_age_ms < -1) {
			put_err(err, errlen, "malformed READING: session %u out of range", s->id);
			return -1;
		}
	}
	return 0;
short_:
	put_err(err, errlen, "malformed READING (%zu bytes of payload)", n);
	return -1;
}

static int decode_hold(const uint8_t *p, size_t n, struct winlink_hold *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (n < 5 || n != 5 + (size_t)p[4] || get_name(h->user, p + 5, p[4]) < 0 || !p[4]) {
		put_err(err, errlen, "malformed HOLD");
		return -1;
	}
	h->secs = get32(p);
	return 0;
}

int winlink_open(struct winlink *l, const uint8_t *frame, size_t len, struct winlink_msg *m,
		 char *err, size_t errlen)
{
	uint8_t mac[WINLINK_MAC_LEN];
	const uint8_t *payload;
	size_t plen;
	uint64_t ctr;
	int type;

	memset(m, 0, sizeof(*m));
	if (l->state != WINLINK_ST_READY) {
		put_err(err, errlen, "a message before the handshake");
		goto fail;
	}
	type = len > 8 ? frame[8] : 0;
	if (check_header(frame, len, type == WINLINK_HOLD ? WINLINK_HOLD : WINLINK_READING, err,
			 errlen) < 0)
		goto fail;
	if (len < HDR_LEN + CTR_LEN + WINLINK_MAC_LEN) {
		put_err(err, errlen, "malformed %s (%zu bytes)", winlink_type_name(type), len);
		goto fail;
	}
	hmac_sha256(l->session_key, sizeof(l->session_key), frame + 4, len - 4 - WINLINK_MAC_LEN,
		    mac);
	if (!sha256_equal(mac, frame + len - WINLINK_MAC_LEN, WINLINK_MAC_LEN)) {
		put_err(err, errlen, "bad MAC on a %s", winlink_type_name(type));
		goto fail;
	}
	ctr = get64(frame + HDR_LEN);
	if (ctr <= l->received) {
		put_err(err, errlen, "replayed or reordered %s (counter %llu after %llu)",
			winlink_type_name(type), (unsigned long long)ctr,
			(unsigned long long)l->received);
		goto fail;
	}
	payload = frame + HDR_LEN + CTR_LEN;
	plen = len - HDR_LEN - CTR_LEN - WINLINK_MAC_LEN;
	if (type == WINLINK_READING ? decode_reading(payload, plen, &m->reading, err, errlen) < 0
				    : decode_hold(payload, plen, &m->hold, err, errlen) < 0)
		goto fail;
	l->received = ctr;
	m->type = (enum winlink_type)type;
	m->counter = ctr;
	return 0;
fail:
	l->state = WINLINK_ST_FAILED;
	return -1;
}
