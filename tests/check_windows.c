/* SPDX-License-Identifier: MIT */
/*
 * check_windows.c - the Windows link: SHA-256 and HMAC against the published vectors, the
 * winlink handshake and messages, the windows source fed over TCP by a peer written here (it
 * plays the idleacc service), its settings in idleacc.yaml, and what the decision makes of
 * its readings.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "idle_int.h"
#include "sha256.h"
#include "testutil.h"
#include "winlink.h"

#define SECRET	"0123456789abcdef0123456789abcdef"
#define WAIT_MS 10000 /* upper bound for a hung case, never a performance assertion */

/* ---------------------------------------------------------------- SHA-256 and HMAC */

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void unhex(const char *s, uint8_t *out, size_t *n)
{
	*n = 0;
	while (s[0] && s[1]) {
		unsigned v;

		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		out[(*n)++] = (uint8_t)v;
		s += 2;
	}
}

static const char *sha_hex(const char *msg)
{
	static char out[2 * SHA256_LEN + 1];
	uint8_t d[SHA256_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, msg, strlen(msg));
	sha256_final(&s, d);
	hex(d, sizeof(d), out);
	return out;
}

/* FIPS 180-4 examples, and a million 'a' fed in odd pieces across block edges. */
START_TEST(test_sha256_vectors)
{
	uint8_t d[SHA256_LEN];
	char out[2 * SHA256_LEN + 1], chunk[1001];
	struct sha256 s;
	int i;

	ck_assert_str_eq(sha_hex(""),
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_str_eq(sha_hex("abc"),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
			 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sha256_update(&s, chunk, i % 2 ? 999 : 1001);
	sha256_final(&s, d);
	hex(d, sizeof(d), out);
	ck_assert_str_eq(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* RFC 4231 test cases 1, 2, 4 and 6 (a key longer than a block). */
START_TEST(test_hmac_vectors)
{
	static const struct {
		const char *key, *data, *mac;
	} v[] = {
	    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	    {"0102030405060708090a0b0c0d0e0f10111213141516171819",
	     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdc"
	     "d"
	     "cdcdcdcdcdcdcd", /* 50 bytes */
	     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "a"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "a"
	     "aaaaaa" /* 131 bytes */,
	     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d204861"
	     "7368204b6579204669727374",
	     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	};
	uint8_t key[256], data[256], mac[SHA256_LEN];
	char out[2 * SHA256_LEN + 1];
	size_t i, kl, dl;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex(v[i].key, key, &kl);
		unhex(v[i].data, data, &dl);
		hmac_sha256(key, kl, data, dl, mac);
		hex(mac, sizeof(mac), out);
		ck_assert_msg(!strcmp(out, v[i].mac), "case %zu: %s", i, out);
	}
	ck_assert(sha256_equal("abc", "abc", 3));
	ck_assert(!sha256_equal("abc", "abd", 3));
}
END_TEST

/* ---------------------------------------------------------------- winlink, pure */

static const uint8_t nonce_g[WINLINK_NONCE_LEN] = "guest-nonce-0001";
static const uint8_t nonce_w[WINLINK_NONCE_LEN] = "windows-nonce-01";

/* Runs the handshake between [g] (secret [gs]) and [w] (secret [ws]); returns check_auth's. */
static int handshake(struct winlink *g, const char *gs, struct winlink *w, const char *ws,
		     char *err, size_t errlen)
{
	uint8_t a[WINLINK_FRAME_MAX], b[WINLINK_FRAME_MAX];
	size_t n, m;
	int r;

	ck_assert_int_eq(winlink_init(g, gs, strlen(gs), NULL, 0), 0);
	ck_assert_int_eq(winlink_init(w, ws, strlen(ws), NULL, 0), 0);
	n = winlink_hello(g, nonce_g, a, sizeof(a));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(winlink_frame_size(a, n), (long)n);
	m = winlink_answer_hello(w, a, n, nonce_w, b, sizeof(b), err, errlen);
	ck_assert_int_gt(m, 0);
	r = winlink_check_auth(g, b, m, a, sizeof(a), &n, err, errlen);
	ck_assert_int_gt(n, 0);
	if (r == 0)
		ck_assert_int_eq(winlink_check_accept(w, a, n, err, errlen), 0);
	else
		ck_assert_int_eq(winlink_check_accept(w, a, n, err + 80, errlen - 80), -1);
	return r;
}

static struct winlink_reading one_session(uint32_t id, int remote, int locked, uint32_t seq,
					  int64_t age_ms)
{
	struct winlink_reading r;

	memset(&r, 0, sizeof(r));
	r.heartbeat_ms = 5000;
	r.on_ac = 1;
	r.battery_pct = -1;
	r.gpu_util_pct = -1;
	r.nsessions = 1;
	r.sessions[0].id = id;
	r.sessions[0].remote = (uint8_t)remote;
	r.sessions[0].locked = (int8_t)locked;
	r.sessions[0].reporting = 1;
	r.sessions[0].input_seq = seq;
	r.sessions[0].input_age_ms = age_ms;
	return r;
}

START_TEST(test_link_roundtrip)
{
	struct winlink g, w;
	struct winlink_reading r = one_session(3, 1, 1, 42, 123456789012LL), *got;
	struct winlink_hold h = {7200, "alice"};
	struct winlink_msg m;
	uint8_t f[WINLINK_FRAME_MAX];
	char err[WINLINK_ERR_LEN] = "";
	size_t n;

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	ck_assert_int_eq(g.state, WINLINK_ST_READY);
	ck_assert_int_eq(w.state, WINLINK_ST_READY);
	ck_assert_mem_eq(g.session_key, w.session_key, sizeof(g.session_key));
	r.on_ac = 0;
	r.battery_pct = 40;
	r.gpu_util_pct = 55;
	r.gpu_count = 2;
	strcpy(r.busy_program, "blender.exe");
	n = winlink_put_reading(&w, &r, f, sizeof(f));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(winlink_open(&g, f, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, WINLINK_READING);
	ck_assert_int_eq(m.counter, 1);
	got = &m.reading;
	ck_assert_int_eq(got->heartbeat_ms, 5000);
	ck_assert_int_eq(got->on_ac, 0);
	ck_assert_int_eq(got->battery_pct, 40);
	ck_assert_int_eq(got->gpu_util_pct, 55);
	ck_assert_int_eq(got->gpu_count, 2);
	ck_assert_str_eq(got->busy_program, "blender.exe");
	ck_assert_int_eq(got->nsessions, 1);
	ck_assert_int_eq(got->sessions[0].id, 3);
	ck_assert_int_eq(got->sessions[0].remote, 1);
	ck_assert_int_eq(got->sessions[0].locked, 1);
	ck_assert_int_eq(got->sessions[0].reporting, 1);
	ck_assert_int_eq(got->sessions[0].input_seq, 42);
	ck_assert_int_eq(got->sessions[0].input_age_ms, 123456789012LL);

	n = winlink_put_hold(&w, &h, f, sizeof(f));
	ck_assert_int_eq(winlink_open(&g, f, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, WINLINK_HOLD);
	ck_assert_int_eq(m.counter, 2);
	ck_assert_int_eq(m.hold.secs, 7200);
	ck_assert_str_eq(m.hold.user, "alice");
}
END_TEST

START_TEST(test_link_wrong_secret)
{
	struct winlink g, w;
	char err[WINLINK_ERR_LEN] = "";
	uint8_t f[WINLINK_FRAME_MAX];
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);

	ck_assert_int_eq(handshake(&g, SECRET, &w, "not-the-secret-at-all", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "wrong secret");
	ck_assert_str_eq(err + 80, "the guest refused: wrong secret");
	ck_assert_int_eq(g.state, WINLINK_ST_FAILED);
	ck_assert_int_eq(w.state, WINLINK_ST_FAILED);
	/* Nothing can be sent on a link that failed. */
	ck_assert_int_eq(winlink_put_reading(&w, &r, f, sizeof(f)), 0);
	ck_assert_int_eq(winlink_init(&g, "short", 5, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the secret is too short (5 bytes; at least 16)");
}
END_TEST

/* A replayed message, a reordered one, a changed byte, and a message of another connection. */
START_TEST(test_link_replay)
{
	struct winlink g, w, g2, w2;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	uint8_t f1[WINLINK_FRAME_MAX], f2[WINLINK_FRAME_MAX];
	char err[WINLINK_ERR_LEN];
	struct winlink_msg m;
	size_t n1, n2;

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	n1 = winlink_put_reading(&w, &r, f1, sizeof(f1));
	ck_assert_int_eq(winlink_open(&g, f1, n1, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(winlink_open(&g, f1, n1, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "replayed or reordered READING (counter 1 after 1)");
	ck_assert_int_eq(g.state, WINLINK_ST_FAILED);

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	n1 = winlink_put_reading(&w, &r, f1, sizeof(f1));
	n2 = winlink_put_reading(&w, &r, f2, sizeof(f2));
	ck_assert_int_eq(winlink_open(&g, f2, n2, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(winlink_open(&g, f1, n1, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "replayed or reordered READING (counter 1 after 2)");

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	n1 = winlink_put_reading(&w, &r, f1, sizeof(f1));
	f1[20] ^= 1;
	ck_assert_int_eq(winlink_open(&g, f1, n1, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad MAC on a READING");

	/* Same secret, same counter, another connection's nonces: refused. */
	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	ck_assert_int_eq(winlink_init(&g2, SECRET, strlen(SECRET), NULL, 0), 0);
	ck_assert_int_eq(winlink_init(&w2, SECRET, strlen(SECRET), NULL, 0), 0);
	n1 = winlink_hello(&g2, (const uint8_t *)"another-nonce-02", f1, sizeof(f1));
	n2 = winlink_answer_hello(&w2, f1, n1, nonce_w, f2, sizeof(f2), err, sizeof(err));
	ck_assert_int_eq(winlink_check_auth(&g2, f2, n2, f1, sizeof(f1), &n1, err, sizeof(err)), 0);
	ck_assert_int_eq(winlink_check_accept(&w2, f1, n1, err, sizeof(err)), 0);
	n1 = winlink_put_reading(&w2, &r, f1, sizeof(f1));
	ck_assert_int_eq(winlink_open(&g, f1, n1, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad MAC on a READING");
}
END_TEST

START_TEST(test_link_malformed)
{
	uint8_t f[16] = {0, 0, 0, 4, 'I', 'A', 'W', '1'};
	uint8_t big[4] = {0, 0, 4, 0};
	struct winlink g, w;
	char err[WINLINK_ERR_LEN];
	struct winlink_msg m;

	ck_assert_int_eq(winlink_frame_size(f, 3), 0);
	ck_assert_int_eq(winlink_frame_size(f, 8), -1); /* shorter than magic and type */
	ck_assert_int_eq(winlink_frame_size(big, 4), -1);
	f[3] = 5;
	ck_assert_int_eq(winlink_frame_size(f, 8), 0);
	ck_assert_int_eq(winlink_frame_size(f, 9), 9);

	/* Garbage in place of an AUTH: refused with the reason, a REFUSE frame to send back. */
	ck_assert_int_eq(winlink_init(&g, SECRET, strlen(SECRET), NULL, 0), 0);
	{
		uint8_t hello[64], out[256];
		size_t n;

		winlink_hello(&g, nonce_g, hello, sizeof(hello));
		memcpy(f + 4, "GET ", 4);
		f[8] = '/';
		ck_assert_int_eq(
		    winlink_check_auth(&g, f, 9, out, sizeof(out), &n, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "not an idleacc Windows link (bad magic)");
		ck_assert_int_eq(out[8], WINLINK_REFUSE);
	}
	/* A reading is opened only after the handshake. */
	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	winlink_init(&g, SECRET, strlen(SECRET), NULL, 0);
	ck_assert_int_eq(winlink_open(&g, f, 9, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "a message before the handshake");
}
END_TEST

/* Values out of range are refused even with a good MAC: the Windows side may be buggy. */
START_TEST(test_link_ranges)
{
	struct winlink g, w;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	uint8_t f[WINLINK_FRAME_MAX];
	char err[WINLINK_ERR_LEN];
	struct winlink_msg m;
	size_t n;

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	r.battery_pct = 101;
	n = winlink_put_reading(&w, &r, f, sizeof(f));
	ck_assert_int_eq(winlink_open(&g, f, n, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "malformed READING: a value out of range");

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	r = one_session(1, 0, 0, 1, 0);
	strcpy(r.busy_program, "bad\nname");
	n = winlink_put_reading(&w, &r, f, sizeof(f));
	ck_assert_int_eq(winlink_open(&g, f, n, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "malformed READING: bad busy program name");

	ck_assert_int_eq(handshake(&g, SECRET, &w, SECRET, err, sizeof(err)), 0);
	r = one_session(1, 0, 0, 1, -2);
	n = winlink_put_reading(&w, &r, f, sizeof(f));
	ck_assert_int_eq(winlink_open(&g, f, n, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "malformed READING: session 1 out of range");
}
END_TEST

/* ---------------------------------------------------------------- the source over TCP */

static char root[64];
static struct idle_sources conf;
static void *st;

static void write_secret(const char *text, mode_t mode)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/secret", root);
	unlink(p);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(p, mode), 0);
}

static void src_setup(void)
{
	strcpy(root, "/tmp/check_windows.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	memset(&conf, 0, sizeof(conf));
	strcpy(conf.windows_listen, "127.0.0.1:0");
	strcpy(conf.windows_secret, "/secret");
	conf.windows_sessions = IDLE_WIN_CONSOLE | IDLE_WIN_REMOTE;
	conf.windows_max_silence = 60;
	write_secret(SECRET "\n", 0600);
	st = NULL;
}

static void src_teardown(void)
{
	char p[128];

	if (st)
		idle_src_windows.close(st);
	snprintf(p, sizeof(p), "%s/secret", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/idleacc.yaml", root);
	unlink(p);
	rmdir(root);
}

static void src_open(void)
{
	char err[IDLE_ERR_LEN];

	/* Opened an hour ago: no input time the tests send is clamped to the opening. */
	ck_assert_int_eq(
	    idle_src_windows.open(&st, &conf, root, idle_now_ms() - 3600 * 1000, err, sizeof(err)),
	    0);
}

static void sample(struct idle_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	idle_src_windows.sample(st, idle_now_ms(), NULL, snap);
}

/* Waits until one of the source's descriptors is readable; returns what input() says. */
static int wait_input(void)
{
	int fds[8], n, i, r;
	struct pollfd p[8];

	n = idle_src_windows.fds(st, fds, 8);
	ck_assert_int_gt(n, 0);
	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	r = poll(p, (nfds_t)n, WAIT_MS);
	ck_assert_msg(r > 0, "no descriptor of the source became readable");
	return idle_src_windows.input(st);
}

/* Connects to where the source listens; the source accepts and greets at the next input(). */
static int peer_connect(void)
{
	struct idle_snapshot snap;
	struct sockaddr_in a;
	char host[64];
	unsigned port;
	int fd;

	sample(&snap);
	ck_assert_int_eq(sscanf(snap.windows_listen, "%63[^:]:%u", host, &port), 2);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Reads one frame; returns its length, 0 at end of file. Pumps the source while waiting. */
static size_t read_frame(int fd, uint8_t *buf, size_t cap)
{
	int64_t end = clock_mono_ms() + WAIT_MS;
	size_t have = 0;
	long size;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		idle_src_windows.input(st);
		if (poll(&p, 1, 20) > 0) {
			r = read(fd, buf + have, cap - have);
			if (r == 0 && have == 0)
				return 0;
			ck_assert_int_gt(r, 0);
			have += (size_t)r;
			size = winlink_frame_size(buf, have);
			ck_assert_int_ge(size, 0);
			if (size > 0) {
				ck_assert_int_eq(size, (long)have);
				return have;
			}
		}
		ck_assert_msg(clock_mono_ms() < end, "no frame from the source");
	}
}

static void send_all(int fd, const uint8_t *buf, size_t n)
{
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
}

/* Plays the service's handshake with [secret]; returns 0 if accepted, else -1 with [err]. */
static int peer_handshake(int fd, struct winlink *l, const char *secret, char *err, size_t len)
{
	uint8_t f[WINLINK_FRAME_MAX], out[WINLINK_FRAME_MAX];
	size_t n, m;

	ck_assert_int_eq(winlink_init(l, secret, strlen(secret), NULL, 0), 0);
	n = read_frame(fd, f, sizeof(f));
	ck_assert_int_gt(n, 0);
	m = winlink_answer_hello(l, f, n, nonce_w, out, sizeof(out), err, len);
	ck_assert_int_gt(m, 0);
	send_all(fd, out, m);
	n = read_frame(fd, f, sizeof(f));
	ck_assert_int_gt(n, 0);
	return winlink_check_accept(l, f, n, err, len);
}

static int peer_ready(struct winlink *l)
{
	char err[WINLINK_ERR_LEN];
	int fd = peer_connect();

	ck_assert_msg(peer_handshake(fd, l, SECRET, err, sizeof(err)) == 0, "%s", err);
	return fd;
}

static void peer_reading(int fd, struct winlink *l, const struct winlink_reading *r)
{
	uint8_t f[WINLINK_FRAME_MAX];
	size_t n = winlink_put_reading(l, r, f, sizeof(f));

	ck_assert_int_gt(n, 0);
	send_all(fd, f, n);
}

/* True when the peer's connection was closed by the source (after any frames it sent). */
static bool peer_closed(int fd)
{
	uint8_t f[WINLINK_FRAME_MAX];

	return read_frame(fd, f, sizeof(f)) == 0;
}

/* Samples until the source is UNKNOWN (or WAIT_MS passed). */
static void sample_until_unknown(struct idle_snapshot *snap)
{
	int64_t end = clock_mono_ms() + WAIT_MS;

	for (;;) {
		sample(snap);
		if (snap->status[IDLE_SRC_WINDOWS] == IDLE_ST_UNKNOWN || clock_mono_ms() > end)
			return;
		usleep(20 * 1000);
	}
}

START_TEST(test_source_reading)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 1, 2000);
	int64_t before, after;
	int fd;

	src_open();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_msg(
	    !strncmp(snap.error[IDLE_SRC_WINDOWS],
		     "no reading from the Windows service yet (listening on 127.0.0.1:", 64),
	    "%s", snap.error[IDLE_SRC_WINDOWS]);
	fd = peer_ready(&l);
	/* Authenticated but no reading yet: still in doubt. */
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);

	before = idle_now_ms();
	peer_reading(fd, &l, &r);
	/* The reading wakes a caller that polls, and its input counts. */
	ck_assert_int_eq(wait_input(), 1);
	after = idle_now_ms();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	ck_assert_str_eq(snap.error[IDLE_SRC_WINDOWS], "");
	ck_assert_int_ge(snap.windows_last_ms, before - 2000);
	ck_assert_int_le(snap.windows_last_ms, after - 2000);
	ck_assert_int_eq(snap.windows_remote_last_ms, 0);
	ck_assert_int_eq(snap.windows_sessions, 1);
	ck_assert_int_eq(snap.windows_locked, 0);
	ck_assert_int_eq(snap.windows_on_ac, 1);
	ck_assert_int_eq(snap.windows_battery_pct, -1);
	ck_assert_int_eq(snap.windows_gpu_util_pct, -1);
	ck_assert_str_eq(snap.windows_busy_program, "");
	ck_assert_int_eq(snap.windows_refused, 0);
	ck_assert_msg(!strncmp(snap.windows_peer, "127.0.0.1:", 10), "%s", snap.windows_peer);
	close(fd);
}
END_TEST

/*
 * A heartbeat that repeats an old input (same input_seq, a larger age, the clocks' jitter)
 * is not new input; a new input_seq is.
 */
START_TEST(test_source_seq)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 7, 60000);
	int64_t first;
	int fd;

	src_open();
	fd = peer_ready(&l);
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 1);
	sample(&snap);
	first = snap.windows_last_ms;

	r.sessions[0].input_age_ms = 59000; /* would move the input 1 s later */
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 0);
	sample(&snap);
	ck_assert_int_eq(snap.windows_last_ms, first);

	r.sessions[0].input_seq = 8;
	r.sessions[0].input_age_ms = 0;
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 1);
	sample(&snap);
	ck_assert_int_gt(snap.windows_last_ms, first + 30000);
	close(fd);
}
END_TEST

START_TEST(test_source_wrong_secret)
{
	struct winlink l;
	struct idle_snapshot snap;
	char err[WINLINK_ERR_LEN], want[IDLE_ERR_LEN];
	int fd;

	src_open();
	fd = peer_connect();
	ck_assert_int_eq(peer_handshake(fd, &l, "this is not the secret", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the guest refused: wrong secret");
	ck_assert(peer_closed(fd));
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_int_eq(snap.windows_refused, 1);
	{
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
		snprintf(want, sizeof(want), "127.0.0.1:%u: wrong secret", ntohs(a.sin_port));
	}
	ck_assert_str_eq(snap.windows_refused_why, want);
	close(fd);

	/* The right secret is still welcome afterwards. */
	fd = peer_ready(&l);
	close(fd);
}
END_TEST

/* A replayed reading ends the connection: refused, and the source is in doubt at once. */
START_TEST(test_source_replay)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	uint8_t f[WINLINK_FRAME_MAX];
	size_t n;
	int fd;

	src_open();
	fd = peer_ready(&l);
	n = winlink_put_reading(&l, &r, f, sizeof(f));
	send_all(fd, f, n);
	ck_assert_int_eq(wait_input(), 1);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	send_all(fd, f, n);
	ck_assert(peer_closed(fd));
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_int_eq(snap.windows_refused, 1);
	ck_assert_msg(strstr(snap.windows_refused_why,
			     ": replayed or reordered READING (counter 1 after 1)") != NULL,
		      "%s", snap.windows_refused_why);
	ck_assert_msg(
	    !strncmp(snap.error[IDLE_SRC_WINDOWS], "the connection from 127.0.0.1:", 30) &&
		strstr(snap.error[IDLE_SRC_WINDOWS], " was refused: replayed or reordered"),
	    "%s", snap.error[IDLE_SRC_WINDOWS]);
	close(fd);
}
END_TEST

START_TEST(test_source_silence)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	int fd;

	src_open();
	fd = peer_ready(&l);
	r.heartbeat_ms = 100; /* silence beyond 0.3 s is doubt */
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 1);
	sample_until_unknown(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_msg(strstr(snap.error[IDLE_SRC_WINDOWS], "no reading from the Windows service at "
							   "127.0.0.1:") &&
			  strstr(snap.error[IDLE_SRC_WINDOWS], "(limit 0.3s)"),
		      "%s", snap.error[IDLE_SRC_WINDOWS]);
	/* It speaks again: trusted again. */
	r.heartbeat_ms = 60000;
	peer_reading(fd, &l, &r);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	close(fd);
}
END_TEST

START_TEST(test_source_max_silence)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	int fd;

	conf.windows_max_silence = 1; /* a heartbeat of an hour is not believed */
	src_open();
	fd = peer_ready(&l);
	r.heartbeat_ms = 3600 * 1000;
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 1);
	sample_until_unknown(&snap);
	ck_assert_msg(strstr(snap.error[IDLE_SRC_WINDOWS], "(limit 1.0s)"), "%s",
		      snap.error[IDLE_SRC_WINDOWS]);
	close(fd);
}
END_TEST

START_TEST(test_source_closed)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	char want[IDLE_ERR_LEN];
	int fd;

	src_open();
	fd = peer_ready(&l);
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 1);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	snprintf(want, sizeof(want), "the Windows service at %s closed the connection",
		 snap.windows_peer);
	close(fd);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_WINDOWS], want);
	ck_assert_str_eq(snap.windows_peer, "");
	ck_assert_int_eq(snap.windows_refused, 0);
}
END_TEST

START_TEST(test_source_silent_helper)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(2, 0, 0, 1, 0);
	int fd;

	src_open();
	fd = peer_ready(&l);
	r.sessions[0].reporting = 0;
	r.sessions[0].input_age_ms = -1;
	peer_reading(fd, &l, &r);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_WINDOWS],
			 "Windows session 2 (console): its helper does not report");
	close(fd);
}
END_TEST

/* Remote sessions give remote input; only console sessions say whether the screen is locked;
 * a kind left out of sessions is not read at all, silent helper or not. */
START_TEST(test_source_kinds)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 1, 1, 90000);
	int fd;

	src_open();
	fd = peer_ready(&l);
	r.nsessions = 2;
	r.sessions[1] = r.sessions[0];
	r.sessions[1].id = 5;
	r.sessions[1].remote = 1;
	r.sessions[1].locked = 0;
	r.sessions[1].input_age_ms = 1000;
	peer_reading(fd, &l, &r);
	ck_assert_int_eq(wait_input(), 1);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	ck_assert_int_eq(snap.windows_sessions, 2);
	ck_assert_int_eq(snap.windows_locked, 1);
	ck_assert_int_gt(snap.windows_remote_last_ms, snap.windows_last_ms + 60000);
	close(fd);
	idle_src_windows.close(st);
	st = NULL;

	conf.windows_sessions = IDLE_WIN_CONSOLE;
	src_open();
	fd = peer_ready(&l);
	r.sessions[1].reporting = 0;
	r.sessions[1].input_age_ms = -1;
	peer_reading(fd, &l, &r);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	ck_assert_int_eq(snap.windows_sessions, 1);
	ck_assert_int_eq(snap.windows_remote_last_ms, 0);
	close(fd);
}
END_TEST

START_TEST(test_source_hold)
{
	struct winlink l;
	struct idle_snapshot snap;
	struct winlink_hold h = {7200, "alice"};
	uint8_t f[WINLINK_FRAME_MAX];
	size_t n;
	int fd;

	src_open();
	fd = peer_ready(&l);
	n = winlink_put_hold(&l, &h, f, sizeof(f));
	send_all(fd, f, n);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.windows_holds, 1);
	ck_assert_int_eq(snap.windows_hold_secs, 7200);
	ck_assert_str_eq(snap.windows_hold_user, "alice");
	h.secs = 0;
	n = winlink_put_hold(&l, &h, f, sizeof(f));
	send_all(fd, f, n);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.windows_holds, 2);
	ck_assert_int_eq(snap.windows_hold_secs, 0);
	close(fd);
}
END_TEST

/* The service reconnects: the new connection replaces the old one. */
START_TEST(test_source_replaced)
{
	struct winlink l1, l2;
	struct idle_snapshot snap;
	struct winlink_reading r = one_session(1, 0, 0, 1, 0);
	int fd1, fd2;

	src_open();
	fd1 = peer_ready(&l1);
	peer_reading(fd1, &l1, &r);
	wait_input();
	fd2 = peer_ready(&l2);
	ck_assert(peer_closed(fd1));
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN); /* no reading on it yet */
	peer_reading(fd2, &l2, &r);
	wait_input();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_OK);
	ck_assert_int_eq(snap.windows_refused, 0);
	close(fd1);
	close(fd2);
}
END_TEST

START_TEST(test_source_secret_checks)
{
	struct idle_snapshot snap;

	write_secret(SECRET, 0644);
	src_open();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(
	    snap.error[IDLE_SRC_WINDOWS],
	    "the secret /secret is open to others; refusing it (chown root, chmod 600)");
	ck_assert_str_eq(snap.windows_listen, "");

	/* Fixed while running: read again at the next sample, and the source listens. */
	write_secret("short\n", 0600);
	sample(&snap);
	ck_assert_str_eq(snap.error[IDLE_SRC_WINDOWS],
			 "/secret: the secret is too short (5 bytes; at least 16)");
	write_secret(SECRET, 0600);
	sample(&snap);
	ck_assert_msg(!strncmp(snap.windows_listen, "127.0.0.1:", 10), "%s", snap.windows_listen);
	idle_src_windows.close(st);
	st = NULL;

	strcpy(conf.windows_secret, "/missing");
	src_open();
	sample(&snap);
	ck_assert_str_eq(snap.error[IDLE_SRC_WINDOWS],
			 "cannot read the secret /missing: No such file or directory");
}
END_TEST

START_TEST(test_source_listen_fails)
{
	struct idle_snapshot snap;
	char spec[64];
	void *first;

	src_open();
	sample(&snap);
	snprintf(spec, sizeof(spec), "%s", snap.windows_listen);
	first = st;
	snprintf(conf.windows_listen, sizeof(conf.windows_listen), "%s", spec);
	src_open();
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_WINDOWS], IDLE_ST_UNKNOWN);
	{
		char want[IDLE_ERR_LEN];

		snprintf(want, sizeof(want), "cannot listen on %s: Address already in use", spec);
		ck_assert_str_eq(snap.error[IDLE_SRC_WINDOWS], want);
	}
	/* The port comes free (a reload closes the old sources after opening the new): taken. */
	idle_src_windows.close(first);
	sample(&snap);
	ck_assert_str_eq(snap.windows_listen, spec);
}
END_TEST

/* ---------------------------------------------------------------- the settings */

static char conffile[128];

static struct idle_config *load(const char *text, char *err, size_t len)
{
	FILE *f;

	snprintf(conffile, sizeof(conffile), "%s/idleacc.yaml", root);
	f = fopen(conffile, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	chmod(conffile, 0644);
	return idle_config_load(conffile, NULL, 0, err, len);
}

START_TEST(test_conf_windows)
{
	char err[4096];
	struct idle_config *c;
	const struct idle_sources *s;
	struct idle_sources d;

	/* Never implied: a Linux desktop without the section does not listen. */
	idle_sources_default(&d);
	ck_assert(!d.enabled[IDLE_SRC_WINDOWS]);
	ck_assert_str_eq(d.windows_listen, "127.0.0.1:9339");
	ck_assert_str_eq(d.windows_secret, "/etc/idleacc/windows.secret");
	ck_assert_int_eq(d.windows_sessions, IDLE_WIN_CONSOLE | IDLE_WIN_REMOTE);
	ck_assert_int_eq(d.windows_max_silence, 60);

	c = load("sources:\n  windows:\n    listen: vsock:9339\n    secret: /etc/x/s\n"
		 "    sessions: [console]\n    max_silence: 2m\n",
		 err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	s = idle_config_sources(c);
	ck_assert(s->enabled[IDLE_SRC_WINDOWS]);
	ck_assert(!s->enabled[IDLE_SRC_EVDEV]);
	ck_assert_str_eq(s->windows_listen, "vsock:9339");
	ck_assert_str_eq(s->windows_secret, "/etc/x/s");
	ck_assert_int_eq(s->windows_sessions, IDLE_WIN_CONSOLE);
	ck_assert_int_eq(s->windows_max_silence, 120);
	idle_config_free(c);

	c = load("sources:\n  windows: {listen: \"[::1]:1\"}\n", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(idle_config_sources(c)->windows_listen, "[::1]:1");
	idle_config_free(c);
}
END_TEST

START_TEST(test_conf_windows_errors)
{
	char err[4096], want[4096];
	struct idle_config *c;

	c = load("sources:\n"
		 "  windows:\n"
		 "    listen: localhost:9339\n"
		 "    secret: windows.secret\n"
		 "    sessions: [console, mouse]\n"
		 "    max_silence: 0\n"
		 "    port: 9339\n",
		 err, sizeof(err));
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want),
		 "%1$s:3:13: sources.windows.listen: \"localhost\" is not a numeric IPv4 address\n"
		 "%1$s:4:13: sources.windows.secret: \"windows.secret\" is not an absolute path\n"
		 "%1$s:5:25: sources.windows.sessions[1]: \"mouse\" is not one of console, remote\n"
		 "%1$s:6:18: sources.windows.max_silence: must be at least 1s\n"
		 "%1$s:7:5: unknown key \"port\" in sources.windows",
		 conffile);
	ck_assert_str_eq(err, want);

	c = load("sources:\n  windows:\n    sessions: []\n    listen: \"1.2.3.4:70000\"\n", err,
		 sizeof(err));
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want),
		 "%1$s:3:15: sources.windows.sessions: name console, remote or both\n"
		 "%1$s:4:13: sources.windows.listen: bad port \"70000\" in \"1.2.3.4:70000\"",
		 conffile);
	ck_assert_str_eq(err, want);
}
END_TEST

/* ---------------------------------------------------------------- the decision */

static struct idle_snapshot win_snap(int64_t now)
{
	struct idle_snapshot s;

	memset(&s, 0, sizeof(s));
	s.now_ms = now;
	s.status[IDLE_SRC_WINDOWS] = IDLE_ST_OK;
	s.windows_last_ms = now - 3600 * 1000;
	s.windows_locked = 0;
	s.windows_on_ac = 1;
	s.windows_battery_pct = -1;
	s.windows_gpu_util_pct = -1;
	s.logind_locked = -1;
	s.battery_pct = -1;
	s.on_ac = true;
	return s;
}

static void decide(const struct idle_snapshot *s, const struct idle_policy *p,
		   struct idle_verdict *v, char *reasons, size_t len)
{
	struct idle_memo memo;

	memset(&memo, 0, sizeof(memo));
	idle_decide(s, p, s->now_ms, &memo, v);
	idle_verdict_reasons(v, reasons, len);
}

START_TEST(test_decide_windows)
{
	int64_t now = 1700000000000LL;
	struct idle_snapshot s = win_snap(now);
	struct idle_verdict v;
	struct idle_policy p;
	char r[1024];

	idle_policy_default(&p);
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(v.offer);
	ck_assert_str_eq(r, "console input 1h ago >= 15m");

	/* The Windows console is console input. */
	s.windows_last_ms = now - 4000;
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_str_eq(r, "console input 4s ago < 15m");

	/* The screen locked on Windows: locked_idle_after is the limit. */
	s.windows_last_ms = now - 400 * 1000;
	s.windows_locked = 1;
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert(v.offer);
	ck_assert_str_eq(r, "console input 6m40s ago >= 5m (screen locked)");

	/* An RDP session is remote input, which remote_sessions may ignore. */
	s = win_snap(now);
	s.windows_remote_last_ms = now - 2000;
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_str_eq(r, "remote session input 2s ago < 15m");
	p.remote_sessions = false;
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert(v.offer);

	/* The PC's battery, busy program and GPU are Windows's to see. */
	idle_policy_default(&p);
	s = win_snap(now);
	s.windows_on_ac = 0;
	s.windows_battery_pct = 40;
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert(!v.run);
	ck_assert_str_eq(r, "console input 1h ago >= 15m; on battery (40%)");
	s = win_snap(now);
	strcpy(s.windows_busy_program, "blender.exe");
	s.windows_gpu_util_pct = 55;
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_str_eq(r, "busy program blender.exe running on Windows; GPU 55% busy > 20%");

	/* Doubt is presence. */
	s = win_snap(now);
	s.status[IDLE_SRC_WINDOWS] = IDLE_ST_UNKNOWN;
	strcpy(s.error[IDLE_SRC_WINDOWS],
	       "the Windows service at 127.0.0.1:5 closed the connection");
	decide(&s, &p, &v, r, sizeof(r));
	ck_assert_int_eq(v.owner, IDLE_OWNER_UNKNOWN);
	ck_assert(!v.run);
	ck_assert_str_eq(r, "windows unknown: the Windows service at 127.0.0.1:5 closed the "
			    "connection");
}
END_TEST

static Suite *windows_suite(void)
{
	Suite *s = suite_create("windows");
	TCase *tc;

	tc = tcase_create("crypto");
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_hmac_vectors);
	suite_add_tcase(s, tc);

	tc = tcase_create("winlink");
	tcase_add_test(tc, test_link_roundtrip);
	tcase_add_test(tc, test_link_wrong_secret);
	tcase_add_test(tc, test_link_replay);
	tcase_add_test(tc, test_link_malformed);
	tcase_add_test(tc, test_link_ranges);
	suite_add_tcase(s, tc);

	tc = tcase_create("source");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_source_reading);
	tcase_add_test(tc, test_source_seq);
	tcase_add_test(tc, test_source_wrong_secret);
	tcase_add_test(tc, test_source_replay);
	tcase_add_test(tc, test_source_silence);
	tcase_add_test(tc, test_source_max_silence);
	tcase_add_test(tc, test_source_closed);
	tcase_add_test(tc, test_source_silent_helper);
	tcase_add_test(tc, test_source_kinds);
	tcase_add_test(tc, test_source_hold);
	tcase_add_test(tc, test_source_replaced);
	tcase_add_test(tc, test_source_secret_checks);
	tcase_add_test(tc, test_source_listen_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("conf");
	tcase_add_checked_fixture(tc, src_setup, src_teardown);
	tcase_add_test(tc, test_conf_windows);
	tcase_add_test(tc, test_conf_windows_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_test(tc, test_decide_windows);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(windows_suite)
