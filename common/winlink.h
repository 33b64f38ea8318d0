/* SPDX-License-Identifier: MIT */
/*
 * winlink.h - the link from the Windows side (the idleacc service) to idleaccd's windows
 * source in the Linux guest: framing, the handshake, and HMAC-SHA256 on every message.
 * Pure: no sockets, no clocks, no randomness (the caller passes its nonce); compiled into
 * libcommon on Linux and into the service with mingw-w64.
 *
 * What crosses: readings (per Windows session: the age of its last input, console or
 * remote, locked or not, whether its helper reports; AC or battery; a busy program's name;
 * GPU use) and hold requests ("keep this PC for me"). Never key codes, window titles or
 * anything typed.
 *
 * A frame is a 4-byte big-endian length of what follows, then "IAW1", a type byte and the
 * body. The guest listens; on each connection:
 *
 *   guest -> windows  HELLO   nonce_g (16 random bytes)
 *   windows -> guest  AUTH    nonce_w (16 random bytes), HMAC(secret, "IAW1 windows" nonce_g
 * nonce_w) guest -> windows  ACCEPT  HMAC(secret, "IAW1 guest" nonce_g nonce_w) or REFUSE  a short
 * text ("wrong secret"), then the guest closes windows -> guest  READING or HOLD, each: counter (8
 * bytes), payload, HMAC(session key, "IAW1", type, counter, payload)
 *
 * The session key is HMAC(secret, "IAW1 session" nonce_g nonce_w): fresh for every
 * connection, so a message recorded on one connection means nothing on another, and within
 * one connection the counter must grow, so a message replayed or reordered is refused. The
 * guest's ACCEPT proves to the Windows side that it talks to a guest that knows the secret
 * (a local program that took the port first learns nothing). No clock is shared: readings
 * carry ages, which the guest turns into times when it receives them.
 */
#ifndef COMMON_WINLINK_H
#define COMMON_WINLINK_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define WINLINK_MAGIC	     "IAW1"
#define WINLINK_NONCE_LEN    16
#define WINLINK_MAC_LEN	     SHA256_LEN
#define WINLINK_SECRET_MIN   16	  /* bytes: shorter secrets can be guessed */
#define WINLINK_SECRET_MAX   256  /* bytes: more adds nothing to HMAC-SHA256 */
#define WINLINK_FRAME_MAX    1024 /* bytes of a whole frame, length prefix included */
#define WINLINK_MAX_SESSIONS 16	  /* Windows sessions in one reading */
#define WINLINK_NAME_LEN     64	  /* a program or user name, NUL included */
#define WINLINK_ERR_LEN	     160  /* an error message, NUL included */
#define WINLINK_DEFAULT_PORT 9339

/* Frame types. */
enum winlink_type {
	WINLINK_HELLO = 1,
	WINLINK_AUTH = 2,
	WINLINK_ACCEPT = 3,
	WINLINK_REFUSE = 4,
	WINLINK_READING = 5,
	WINLINK_HOLD = 6,
};

/* One Windows session as its helper (or the service, when the helper is silent) sees it. */
struct winlink_session {
	uint32_t id;	      /* Windows session id */
	uint8_t remote;	      /* 1: a remote (RDP) session; 0: the console */
	int8_t locked;	      /* 1 locked, 0 not, -1 unknown */
	uint8_t reporting;    /* 1: its helper reports; 0: the helper is silent or missing */
	uint32_t input_seq;   /* changes each time the session's last input time moves: the
			       * guest takes a new input time only then, so the jitter of two
			       * clocks never looks like input */
	int64_t input_age_ms; /* ms from its last input to the sending of the reading; -1 unknown */
};

/* What the service sends at every heartbeat and the moment input resumes. */
struct winlink_reading {
	uint32_t heartbeat_ms; /* the next reading comes within this, unless input comes first */
	int8_t on_ac;	       /* 1 on mains, 0 on battery, -1 unknown */
	int8_t battery_pct;    /* charge 0-100, -1 if no battery */
	int8_t gpu_util_pct;   /* busiest GPU engine 0-100, -1 if not measured */
	uint8_t gpu_count;     /* GPUs seen */
	char busy_program[WINLINK_NAME_LEN]; /* a configured busy program that runs, "" if none */
	unsigned nsessions;		     /* entries used in sessions */
	struct winlink_session sessions[WINLINK_MAX_SESSIONS];
};

/* A request from the owner's button: hold the desktop for [secs]; 0 gives it back. */
struct winlink_hold {
	uint32_t secs;		     /* seconds to keep the PC out, 0 = release */
	char user[WINLINK_NAME_LEN]; /* the Windows user who asked */
};

/* A message the guest accepted. */
struct winlink_msg {
	enum winlink_type type;		/* WINLINK_READING or WINLINK_HOLD */
	uint64_t counter;		/* its counter */
	struct winlink_reading reading; /* with WINLINK_READING */
	struct winlink_hold hold;	/* with WINLINK_HOLD */
};

/* Where one end of a link stands. */
enum winlink_state {
	WINLINK_ST_NEW = 0,   /* nothing sent or received */
	WINLINK_ST_WAIT_AUTH, /* guest: HELLO sent, waiting for AUTH */
	WINLINK_ST_WAIT_ACK,  /* windows: AUTH sent, waiting for ACCEPT or REFUSE */
	WINLINK_ST_READY,     /* authenticated: messages flow */
	WINLINK_ST_FAILED,    /* refused or broken: close the connection */
};

/* One end of one connection. */
struct winlink {
	enum winlink_state state;
	uint8_t secret[WINLINK_SECRET_MAX];	  /* the shared secret */
	size_t secret_len;			  /* its length in bytes */
	uint8_t nonce_guest[WINLINK_NONCE_LEN];	  /* the guest's nonce of this connection */
	uint8_t nonce_windows[WINLINK_NONCE_LEN]; /* the Windows side's nonce */
	uint8_t session_key[WINLINK_MAC_LEN];	  /* derived from both nonces */
	uint64_t sent;				  /* counter of the last message sent */
	uint64_t received;			  /* counter of the last message accepted */
};

/*
 * Starts [l] with [secret] (the file's content, trailing white space already removed).
 * Returns 0, or -1 with [err] filled when the secret is too short or too long.
 */
int winlink_init(struct winlink *l, const void *secret, size_t len, char *err, size_t errlen);

/* Wipes the secret and keys of [l]. */
void winlink_wipe(struct winlink *l);

/*
 * The size of the frame at the start of [buf] ([have] bytes read so far): the whole frame's
 * length when complete, 0 if more bytes are needed, -1 if its length field is impossible
 * (then close the connection).
 */
long winlink_frame_size(const uint8_t *buf, size_t have);

/* Guest: writes the HELLO with [nonce] into [out]; returns its length, 0 if [cap] is short. */
size_t winlink_hello(struct winlink *l, const uint8_t nonce[WINLINK_NONCE_LEN], uint8_t *out,
		     size_t cap);

/*
 * Windows: reads the guest's HELLO [frame] and writes the AUTH with [nonce] into [out].
 * Returns the AUTH's length, or 0 with [err] filled if [frame] is not a HELLO.
 */
size_t winlink_answer_hello(struct winlink *l, const uint8_t *frame, size_t len,
			    const uint8_t nonce[WINLINK_NONCE_LEN], uint8_t *out, size_t cap,
			    char *err, size_t errlen);

/*
 * Guest: checks the AUTH [frame]. Returns 0 when the Windows side knows the secret, -1 with
 * [err] filled ("wrong secret", "expected AUTH, got ...") when not. Either way writes the
 * answer to send into [out] (ACCEPT, or REFUSE with the reason) and its length into *outlen.
 */
int winlink_check_auth(struct winlink *l, const uint8_t *frame, size_t len, uint8_t *out,
		       size_t cap, size_t *outlen, char *err, size_t errlen);

/* Windows: checks the guest's answer. Returns 0 when accepted, -1 with [err] filled. */
int winlink_check_accept(struct winlink *l, const uint8_t *frame, size_t len, char *err,
			 size_t errlen);

/* Windows: writes [r] as the next READING. Returns its length, 0 if not ready or [cap] short. */
size_t winlink_put_reading(struct winlink *l, const struct winlink_reading *r, uint8_t *out,
			   size_t cap);

/* Windows: writes [h] as the next HOLD. Returns its length, 0 if not ready or [cap] short. */
size_t winlink_put_hold(struct winlink *l, const struct winlink_hold *h, uint8_t *out, size_t cap);

/*
 * Guest: authenticates and decodes a message [frame] into [m]. Returns 0, or -1 with [err]
 * filled (a bad MAC, a replayed or reordered counter, a malformed payload); after -1 the
 * link is FAILED and the connection must be closed.
 */
int winlink_open(struct winlink *l, const uint8_t *frame, size_t len, struct winlink_msg *m,
		 char *err, size_t errlen);

/* The name of a frame type ("HELLO", ...), "?" if unknown. */
const char *winlink_type_name(int type);

#endif /* COMMON_WINLINK_H */
