/* SPDX-License-Identifier: MIT */
/*
 * windows_service.c - the Windows service `idleacc`: gathers what the per-session helpers see
 * of the owner, adds power, busy programs and GPU use, and reports it all to idleaccd's
 * windows source in the Linux guest (common/winlink.h), where the decision is made.
 */
#include "config.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <bcrypt.h>
#include <pdh.h>
#include <pdhmsg.h>
#include <sddl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <tlhelp32.h>
#include <wchar.h>
#include <wtsapi32.h>

#include "idle.h"
#include "windows_common.h"
#include "winlink.h"

/*
 * Threads. The service's main thread runs the loop below; a pipe thread accepts helpers, and
 * each helper gets a thread that reads its reports into the session table (under [lock]) and
 * sets the [update] event when input resumed, so the loop sends a reading at once instead of
 * at the next heartbeat. The control handler only sets [stop]; every wait of the loop is
 * sliced or bounded so that it notices within a fraction of a second: wine's msiexec does
 * not wait for a service to stop, and Windows gives a stopping service little time.
 *
 * The loop: connect to the guest (TCP, or hvsocket to a Hyper-V VM) and prove the secret;
 * then, at every heartbeat and on [update], send a reading: per session whether its helper
 * reports (it did within HELPER_SILENCE_MS), the age of its last input and an input_seq that
 * moves only when that input moved; AC or battery; the first busy program of the policy that
 * runs; GPU use. Holds from the owner's button go out as they come. A broken connection is
 * retried with a backoff up to 10 s.
 *
 * Sessions: those helpers report, and (where WTSEnumerateSessions lists anything: under wine
 * it lists nothing) every active user session, which gets HELPER_GRACE_MS to start its helper
 * before it counts as a session whose helper is silent. A helper that said BYE is gone with
 * its session; one whose pipe broke without it is silent until WTS says the session ended.
 */

#define WS_MAX		     16	   /* sessions tracked */
#define HELPER_SILENCE_MS    10000 /* a helper reports every 2 s: five missed is silence */
#define HELPER_GRACE_MS	     60000 /* a new logon's helper starts within this */
#define CONNECT_TIMEOUT_MS   3000  /* TCP or hvsocket connect */
#define HANDSHAKE_TIMEOUT_MS 5000  /* HELLO and ACCEPT */
#define BACKOFF_MAX_MS	     10000 /* between connection attempts */
#define POLICY_REREAD_MS     30000 /* Group Policy refreshes land within this */
#define SLICE_MS	     100   /* how often a blocking wait looks at [stop] */

/* hvsocket (Windows 10 1709 and later): mingw-w64 10 lacks hvsocket.h. */
#ifndef AF_HYPERV
#define AF_HYPERV 34
#endif
#define HV_PROTOCOL_RAW 1
struct sockaddr_hv {
	ADDRESS_FAMILY family; /* AF_HYPERV */
	USHORT reserved;       /* 0 */
	GUID vm_id;	       /* the VM */
	GUID service_id;       /* {PORT-facb-11e6-bd58-64006a7986d3} for vsock port PORT */
};

/* A session as the service knows it. */
struct wsession {
	bool used;	       /* the slot is taken */
	uint32_t id;	       /* Windows session id */
	bool remote;	       /* a remote desktop session */
	int locked;	       /* 1, 0, -1 unknown */
	uint32_t helper_seq;   /* the helper's input_seq last seen */
	uint32_t seq;	       /* ours, sent to the guest: moves when helper_seq does */
	uint32_t idle_ms;      /* its idle time at the last report */
	ULONGLONG report_tick; /* GetTickCount64() of the last report, 0 never */
	ULONGLONG first_tick;  /* when the service first saw the session */
	LONG conn;	       /* the pipe connection reporting it, 0 none */
};

static struct {
	CRITICAL_SECTION lock; /* guards sessions, hold, connected, guest_err */
	struct wsession sessions[WS_MAX];
	bool hold_pending;		     /* a hold to send */
	struct winlink_hold hold;	     /* the latest one */
	bool connected;			     /* the guest accepted us */
	char guest_err[160];		     /* why not, for the owner's button */
	HANDLE update;			     /* auto-reset: send a reading now */
	HANDLE stop;			     /* manual-reset: the service stops */
	LONG next_conn;			     /* ids of pipe connections */
	SERVICE_STATUS_HANDLE status_handle; /* NULL in --foreground */
	SERVICE_STATUS status;		     /* what we last told the SCM */
} g;

/* What the loop owns (only its thread touches these). */
struct loop {
	struct win_policy pol;		    /* the policy in force */
	SOCKET sock;			    /* the guest connection, INVALID_SOCKET if none */
	struct winlink link;		    /* its handshake and counters */
	uint8_t secret[WINLINK_SECRET_MAX]; /* the shared secret */
	size_t secret_len;		    /* 0 until read */
	char last_err[160];		    /* the last connection error logged (no repeats) */
	PDH_HQUERY gpu_query;		    /* GPU counters, NULL if unavailable */
	PDH_HCOUNTER gpu_counter;	    /* "\GPU Engine(*engtype_3D)\Utilization Percentage" */
	bool gpu_failed;		    /* do not try again */
	DWORD lowered[64];		    /* guest processes already set to idle priority */
	unsigned nlowered;		    /* entries in lowered */
};

static bool stopping(void)
{
	return WaitForSingleObject(g.stop, 0) == WAIT_OBJECT_0;
}

/* ---------------------------------------------------------------- helpers' pipe */

static struct wsession *session_find(uint32_t id, bool create)
{
	struct wsession *free_slot = NULL;
	int i;

	for (i = 0; i < WS_MAX; i++) {
		if (g.sessions[i].used && g.sessions[i].id == id)
			return &g.sessions[i];
		if (!g.sessions[i].used && !free_slot)
			free_slot = &g.sessions[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->id = id;
	free_slot->locked = -1;
	free_slot->first_tick = GetTickCount64();
	return free_slot;
}

/* The answer to the owner's button. */
static void hold_request(const struct win_pipe_msg *m, struct win_pipe_reply *r)
{
	char d[32];

	r->ok = 0;
	idle_format_duration(m->hold_secs, d, sizeof(d));
	if (m->remote) {
		snprintf(r->text, sizeof(r->text),
			 "refused: only the person at this PC can keep it (this is a remote "
			 "session)");
		return;
	}
	EnterCriticalSection(&g.lock);
	g.hold.secs = m->hold_secs;
	memcpy(g.hold.user, m->user, sizeof(g.hold.user));
	g.hold.user[sizeof(g.hold.user) - 1] = '\0';
	if (!g.hold.user[0])
		strcpy(g.hold.user, "unknown");
	g.hold_pending = true;
	if (g.connected) {
		r->ok = 1;
		if (m->hold_secs)
			snprintf(r->text, sizeof(r->text),
				 "ok: asked to keep this PC for you for %s", d);
		else
			snprintf(r->text, sizeof(r->text), "ok: asked to give this PC back");
	} else {
		snprintf(r->text, sizeof(r->text),
			 "not now: the Linux guest is not connected (%s); asked again once it is",
			 g.guest_err[0] ? g.guest_err : "starting");
	}
	LeaveCriticalSection(&g.lock);
	SetEvent(g.update);
	win_log("hold request from %s (session %u): %u s: %s", m->user, (unsigned)m->session,
		(unsigned)m->hold_secs, r->text);
}

/* One helper's connection: reads its messages until it goes. */
static DWORD WINAPI pipe_client(void *arg)
{
	HANDLE h = arg;
	LONG conn = InterlockedIncrement(&g.next_conn);
	ULONG real = 0xffffffffu;
	struct win_pipe_msg m;
	struct wsession *s;
	uint32_t owned = 0;
	bool owns = false;
	DWORD n;

	/* Windows tells which session the client runs in (wine does not: it leaves the value). */
	if (!GetNamedPipeClientSessionId(h, &real))
		real = 0xffffffffu;
	while (ReadFile(h, &m, sizeof(m), &n, NULL) && n == sizeof(m)) {
		if (m.magic != WIN_PIPE_MAGIC)
			break;
		if (real != 0xffffffffu && m.session != real) {
			win_log("a helper in session %lu claimed session %u: dropped",
				(unsigned long)real, (unsigned)m.session);
			break;
		}
		if (m.type == WIN_MSG_HOLD) {
			struct win_pipe_reply r;

			memset(&r, 0, sizeof(r));
			r.magic = WIN_PIPE_MAGIC;
			hold_request(&m, &r);
			WriteFile(h, &r, sizeof(r), &n, NULL);
			continue;
		}
		EnterCriticalSection(&g.lock);
		s = session_find(m.session, m.type == WIN_MSG_REPORT);
		if (s && m.type == WIN_MSG_BYE) {
			s->used = false;
			owns = false;
		} else if (s) {
			bool moved = s->report_tick == 0 || m.input_seq != s->helper_seq;

			if (moved)
				s->seq++;
			s->helper_seq = m.input_seq;
			s->remote = m.remote != 0;
			s->locked = m.locked < 0 ? -1 : m.locked != 0;
			s->idle_ms = m.idle_ms;
			s->report_tick = GetTickCount64();
			s->conn = conn;
			owned = m.session;
			owns = true;
			if (moved)
				SetEvent(g.update);
		}
		LeaveCriticalSection(&g.lock);
	}
	/* Gone without BYE: the session's helper is silent from now on. */
	if (owns) {
		EnterCriticalSection(&g.lock);
		s = session_find(owned, false);
		if (s && s->conn == conn) {
			s->conn = 0;
			win_log("the helper of session %u is gone", (unsigned)owned);
		}
		LeaveCriticalSection(&g.lock);
		SetEvent(g.update);
	}
	DisconnectNamedPipe(h);
	CloseHandle(h);
	return 0;
}

/* Accepts helpers for as long as the service runs. */
static DWORD WINAPI pipe_server(void *arg)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};
	PSECURITY_DESCRIPTOR sd = NULL;

	(void)arg;
	/* SYSTEM and Administrators fully; every signed-in user may report and ask. */
	if (ConvertStringSecurityDescriptorToSecurityDescriptorW(
		L"D:(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;AU)", SDDL_REVISION_1, &sd, NULL))
		sa.lpSecurityDescriptor = sd;
	while (!stopping()) {
		HANDLE h = CreateNamedPipeW(WIN_PIPE_NAME, PIPE_ACCESS_DUPLEX,
					    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
						PIPE_REJECT_REMOTE_CLIENTS,
					    PIPE_UNLIMITED_INSTANCES, sizeof(struct win_pipe_reply),
					    sizeof(struct win_pipe_msg), 0, &sa);
		HANDLE t;

		if (h == INVALID_HANDLE_VALUE) {
			win_log("cannot create the helpers' pipe: error %lu", GetLastError());
			Sleep(1000);
			continue;
		}
		if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
			CloseHandle(h);
			continue;
		}
		t = CreateThread(NULL, 64 * 1024, pipe_client, h, 0, NULL);
		if (t)
			CloseHandle(t);
		else
			CloseHandle(h);
	}
	if (sd)
		LocalFree(sd);
	return 0;
}

/* ---------------------------------------------------------------- the secret */

/*
 * Reads the secret; creates one (32 random bytes as hex) readable by SYSTEM and
 * Administrators only if the file does not exist. Returns 0, or -1 after logging why.
 */
static int load_secret(struct loop *L)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};
	PSECURITY_DESCRIPTOR sd = NULL;
	uint8_t buf[WINLINK_SECRET_MAX + 2], raw[32];
	char path[MAX_PATH * 3];
	DWORD n = 0;
	HANDLE f;
	int i;

	win_utf8(L->pol.secret_file, path, sizeof(path));
	f = CreateFileW(L->pol.secret_file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE && GetLastError() == ERROR_FILE_NOT_FOUND) {
		wchar_t dir[MAX_PATH];

		win_data_dir(dir, MAX_PATH);
		if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
			L"D:P(A;;FA;;;SY)(A;;FA;;;BA)", SDDL_REVISION_1, &sd, NULL) ||
		    BCryptGenRandom(NULL, raw, sizeof(raw), BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
			win_log("cannot make a secret in %s: error %lu", path, GetLastError());
			if (sd)
				LocalFree(sd);
			return -1;
		}
		sa.lpSecurityDescriptor = sd;
		f = CreateFileW(L->pol.secret_file, GENERIC_WRITE, 0, &sa, CREATE_NEW,
				FILE_ATTRIBUTE_NORMAL, NULL);
		LocalFree(sd);
		if (f == INVALID_HANDLE_VALUE) {
			win_log("cannot create the secret %s: error %lu", path, GetLastError());
			return -1;
		}
		for (i = 0; i < 32; i++)
			snprintf((char *)buf + 2 * i, 3, "%02x", raw[i]);
		buf[64] = '\n';
		WriteFile(f, buf, 65, &n, NULL);
		CloseHandle(f);
		SecureZeroMemory(raw, sizeof(raw));
		win_log("made a new secret in %s: copy it to the guest (conf/windows/"
			"idleacc-wsl.ps1 does)",
			path);
		f = CreateFileW(L->pol.secret_file, GENERIC_READ, FILE_SHARE_READ, NULL,
				OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	}
	if (f == INVALID_HANDLE_VALUE) {
		win_log("cannot read the secret %s: error %lu", path, GetLastError());
		return -1;
	}
	if (!ReadFile(f, buf, sizeof(buf), &n, NULL))
		n = 0;
	CloseHandle(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if (n < WINLINK_SECRET_MIN || n > WINLINK_SECRET_MAX) {
		win_log("the secret %s has %lu bytes: it needs %d to %d", path, (unsigned long)n,
			WINLINK_SECRET_MIN, WINLINK_SECRET_MAX);
		return -1;
	}
	memcpy(L->secret, buf, n);
	L->secret_len = n;
	SecureZeroMemory(buf, sizeof(buf));
	return 0;
}

/* ---------------------------------------------------------------- the guest connection */

/* Logs [msg] unless it repeats the last connection error. */
static void conn_error(struct loop *L, const char *msg)
{
	if (strcmp(L->last_err, msg))
		win_log("guest: %s", msg);
	snprintf(L->last_err, sizeof(L->last_err), "%s", msg);
	EnterCriticalSection(&g.lock);
	snprintf(g.guest_err, sizeof(g.guest_err), "%s", msg);
	LeaveCriticalSection(&g.lock);
}

static void disconnect(struct loop *L, const char *why)
{
	if (L->sock != INVALID_SOCKET) {
		closesocket(L->sock);
		L->sock = INVALID_SOCKET;
	}
	winlink_wipe(&L->link);
	EnterCriticalSection(&g.lock);
	g.connected = false;
	LeaveCriticalSection(&g.lock);
	if (why)
		conn_error(L, why);
}

/* Waits until [s] is readable (or writable), looking at [stop] every slice. 0, or -1. */
static int wait_sock(SOCKET s, bool write, int timeout_ms)
{
	ULONGLONG end = GetTickCount64() + (ULONGLONG)timeout_ms;

	while (!stopping() && GetTickCount64() < end) {
		fd_set rs, ws, es;
		struct timeval tv = {0, SLICE_MS * 1000};
		int r;

		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		FD_SET(s, write ? &ws : &rs);
		FD_SET(s, &es);
		r = select(0, &rs, &ws, &es, &tv);
		if (r < 0)
			return -1;
		if (r > 0)
			return FD_ISSET(s, &es) ? -1 : 0;
	}
	return -1;
}

/* Reads one frame into [buf] within [timeout_ms]. Returns its length, or 0. */
static size_t read_frame(SOCKET s, uint8_t *buf, size_t cap, int timeout_ms)
{
	size_t have = 0;
	long size = 0;

	while (size == 0) {
		int r;

		if (wait_sock(s, false, timeout_ms) < 0)
			return 0;
		r = recv(s, (char *)buf + have, (int)(cap - have), 0);
		if (r <= 0)
			return 0;
		have += (size_t)r;
		size = winlink_frame_size(buf, have);
		if (size < 0)
			return 0;
	}
	return (size_t)size == have ? have : 0; /* the guest sends nothing after ACCEPT */
}

static int send_all(SOCKET s, const uint8_t *buf, size_t len)
{
	while (len) {
		int w = send(s, (const char *)buf, (int)len, 0);

		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Parses "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (braces optional). 0, or -1. */
static int parse_guid(const wchar_t *s, GUID *g_)
{
	unsigned d[11];
	int i;

	if (*s == L'{')
		s++;
	if (swscanf(s, L"%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &d[0], &d[1], &d[2], &d[3], &d[4],
		    &d[5], &d[6], &d[7], &d[8], &d[9], &d[10]) != 11)
		return -1;
	g_->Data1 = d[0];
	g_->Data2 = (unsigned short)d[1];
	g_->Data3 = (unsigned short)d[2];
	for (i = 0; i < 8; i++)
		g_->Data4[i] = (unsigned char)d[3 + i];
	return 0;
}

/* Opens the socket to the guest and connects, without blocking past the timeout. */
static SOCKET open_socket(struct loop *L, char *err, size_t errlen)
{
	u_long nb = 1;
	SOCKET s;
	int r, e = 0, elen = sizeof(e);

	if (L->pol.guest_vm_id[0]) {
		struct sockaddr_hv a;
		static const GUID vsock_template = {
		    0, 0xfacb, 0x11e6, {0xbd, 0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3}};

		memset(&a, 0, sizeof(a));
		a.family = AF_HYPERV;
		if (parse_guid(L->pol.guest_vm_id, &a.vm_id) < 0) {
			snprintf(err, errlen, "GuestVmId is not a GUID");
			return INVALID_SOCKET;
		}
		a.service_id = vsock_template;
		a.service_id.Data1 = L->pol.guest_port;
		s = socket(AF_HYPERV, SOCK_STREAM, HV_PROTOCOL_RAW);
		if (s == INVALID_SOCKET) {
			snprintf(err, errlen, "no hvsocket here (error %d)", WSAGetLastError());
			return INVALID_SOCKET;
		}
		ioctlsocket(s, FIONBIO, &nb);
		r = connect(s, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct addrinfo hints, *ai = NULL;
		wchar_t wport[8];
		char host[WIN_ADDR_LEN * 3], port[8];

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		win_utf8(L->pol.guest_address, host, sizeof(host));
		_snwprintf(wport, 8, L"%u", L->pol.guest_port);
		win_utf8(wport, port, sizeof(port));
		if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
			snprintf(err, errlen, "cannot resolve %s", host);
			return INVALID_SOCKET;
		}
		s = socket(ai->ai_family, SOCK_STREAM, IPPROTO_TCP);
		if (s == INVALID_SOCKET) {
			freeaddrinfo(ai);
			snprintf(err, errlen, "socket: error %d", WSAGetLastError());
			return INVALID_SOCKET;
		}
		ioctlsocket(s, FIONBIO, &nb);
		r = connect(s, ai->ai_addr, (int)ai->ai_addrlen);
		freeaddrinfo(ai);
	}
	if (r != 0 && WSAGetLastError() != WSAEWOULDBLOCK) {
		snprintf(err, errlen, "cannot connect to the guest: error %d", WSAGetLastError());
		closesocket(s);
		return INVALID_SOCKET;
	}
	r = wait_sock(s, true, CONNECT_TIMEOUT_MS);
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&e, &elen) != 0)
		e = WSAGetLastError();
	if (r < 0 || e != 0) {
		snprintf(err, errlen, "cannot connect to the guest%s (error %d)",
			 L->pol.guest_vm_id[0] ? " by hvsocket" : "", e);
		closesocket(s);
		return INVALID_SOCKET;
	}
	nb = 0;
	ioctlsocket(s, FIONBIO, &nb);
	{
		DWORD t = 3000;

		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&t, sizeof(t));
	}
	return s;
}

/* Connects and proves the secret. Returns 0 when the guest accepted us. */
static int guest_connect(struct loop *L)
{
	uint8_t f[WINLINK_FRAME_MAX], out[WINLINK_FRAME_MAX], nonce[WINLINK_NONCE_LEN];
	char err[WINLINK_ERR_LEN], msg[200];
	size_t n, m;

	if (!L->secret_len && load_secret(L) < 0) {
		conn_error(L, "no secret");
		return -1;
	}
	L->sock = open_socket(L, err, sizeof(err));
	if (L->sock == INVALID_SOCKET) {
		conn_error(L, err);
		return -1;
	}
	winlink_init(&L->link, L->secret, L->secret_len, NULL, 0);
	n = read_frame(L->sock, f, sizeof(f), HANDSHAKE_TIMEOUT_MS);
	if (!n) {
		disconnect(L, "no HELLO from the guest");
		return -1;
	}
	if (BCryptGenRandom(NULL, nonce, sizeof(nonce), BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
		disconnect(L, "no random numbers");
		return -1;
	}
	m = winlink_answer_hello(&L->link, f, n, nonce, out, sizeof(out), err, sizeof(err));
	if (!m || send_all(L->sock, out, m) < 0) {
		snprintf(msg, sizeof(msg), "handshake: %s", m ? "send failed" : err);
		disconnect(L, msg);
		return -1;
	}
	n = read_frame(L->sock, f, sizeof(f), HANDSHAKE_TIMEOUT_MS);
	if (!n) {
		disconnect(L, "no answer from the guest to our AUTH");
		return -1;
	}
	if (winlink_check_accept(&L->link, f, n, err, sizeof(err)) < 0) {
		disconnect(L, err);
		return -1;
	}
	{
		char addr[WIN_ADDR_LEN * 3];

		win_utf8(L->pol.guest_vm_id[0] ? L->pol.guest_vm_id : L->pol.guest_address, addr,
			 sizeof(addr));
		win_log("guest: connected to %s port %u%s", addr, L->pol.guest_port,
			L->last_err[0] ? " again" : "");
	}
	L->last_err[0] = '\0';
	EnterCriticalSection(&g.lock);
	g.connected = true;
	g.guest_err[0] = '\0';
	LeaveCriticalSection(&g.lock);
	return 0;
}

/* True if the guest closed the connection (it sends nothing after ACCEPT). */
static bool guest_closed(struct loop *L)
{
	fd_set rs;
	struct timeval tv = {0, 0};
	char c;

	FD_ZERO(&rs);
	FD_SET(L->sock, &rs);
	if (select(0, &rs, NULL, NULL, &tv) <= 0)
		return false;
	return recv(L->sock, &c, 1, 0) <= 0;
}

/* ---------------------------------------------------------------- readings */

/* GPU use from the performance counters of Windows 10 1709 and later; -1 if unavailable. */
static int gpu_util(struct loop *L, uint8_t *count)
{
	PDH_FMT_COUNTERVALUE_ITEM_W *items = NULL;
	DWORD size = 0, n = 0, i, j;
	double sum = 0;
	wchar_t luids[8][40];
	unsigned nluid = 0;

	*count = 0;
	if (L->gpu_failed)
		return -1;
	if (!L->gpu_query) {
		if (PdhOpenQueryW(NULL, 0, &L->gpu_query) != ERROR_SUCCESS ||
		    PdhAddEnglishCounterW(L->gpu_query,
					  L"\\GPU Engine(*engtype_3D)\\Utilization Percentage", 0,
					  &L->gpu_counter) != ERROR_SUCCESS) {
			win_log("no GPU counters here: GPU use is not reported");
			L->gpu_failed = true;
			return -1;
		}
		PdhCollectQueryData(L->gpu_query); /* rates need two samples */
		return -1;
	}
	if (PdhCollectQueryData(L->gpu_query) != ERROR_SUCCESS ||
	    PdhGetFormattedCounterArrayW(L->gpu_counter, PDH_FMT_DOUBLE, &size, &n, NULL) !=
		(PDH_STATUS)PDH_MORE_DATA ||
	    !(items = malloc(size)) ||
	    PdhGetFormattedCounterArrayW(L->gpu_counter, PDH_FMT_DOUBLE, &size, &n, items) !=
		ERROR_SUCCESS) {
		free(items);
		return -1;
	}
	/* Instances are "pid_N_luid_0x..._0x..._phys_0_eng_0_engtype_3D": one 3-D engine per
	 * GPU (luid), shared by processes whose shares add up. */
	for (i = 0; i < n; i++) {
		const wchar_t *l = wcsstr(items[i].szName, L"luid_");

		sum += items[i].FmtValue.doubleValue;
		if (!l)
			continue;
		for (j = 0; j < nluid && wcsncmp(luids[j], l, 28); j++)
			;
		if (j == nluid && nluid < 8) {
			wcsncpy(luids[nluid], l, 39);
			luids[nluid++][39] = L'\0';
		}
	}
	free(items);
	*count = (uint8_t)nluid;
	if (nluid > 1)
		sum /= nluid; /* an average is not right for two GPUs, but never too low */
	return sum > 100 ? 100 : (int)sum;
}

/*
 * One pass over the processes: the first busy program of the policy that runs, and the
 * guest's processes lowered to idle priority (once each) when the policy asks.
 */
static void scan_processes(struct loop *L, char *busy, size_t len)
{
	PROCESSENTRY32W pe = {.dwSize = sizeof(pe)};
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	unsigned i, k;

	busy[0] = '\0';
	if (snap == INVALID_HANDLE_VALUE)
		return;
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
		for (i = 0; i < L->pol.nbusy && !busy[0]; i++)
			if (!_wcsicmp(pe.szExeFile, L->pol.busy[i]))
				win_utf8(pe.szExeFile, busy, len);
		if (!L->pol.guest_idle_priority)
			continue;
		for (i = 0; i < L->pol.nguest_procs; i++) {
			HANDLE p;

			if (_wcsicmp(pe.szExeFile, L->pol.guest_procs[i]))
				continue;
			for (k = 0; k < L->nlowered && L->lowered[k] != pe.th32ProcessID; k++)
				;
			if (k < L->nlowered)
				break;
			p = OpenProcess(PROCESS_SET_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION,
					FALSE, pe.th32ProcessID);
			if (p && SetPriorityClass(p, IDLE_PRIORITY_CLASS))
				win_log("guest process %ls (pid %lu) set to idle priority",
					pe.szExeFile, (unsigned long)pe.th32ProcessID);
			if (p)
				CloseHandle(p);
			if (L->nlowered < sizeof(L->lowered) / sizeof(L->lowered[0]))
				L->lowered[L->nlowered++] = pe.th32ProcessID;
			break;
		}
	}
	CloseHandle(snap);
}

/* Adds the active user sessions WTS knows and drops the ones it no longer lists. */
static void wts_sessions(void)
{
	WTS_SESSION_INFOW *list = NULL;
	DWORD n = 0, i;
	int k;

	SetLastError(0);
	if (!WTSEnumerateSessionsW(WTS_CURRENT_SERVER_HANDLE, 0, 1, &list, &n))
		return;
	/* Real Windows always lists session 0; an empty list is wine's stub: no information. */
	if (n == 0) {
		WTSFreeMemory(list);
		return;
	}
	EnterCriticalSection(&g.lock);
	for (k = 0; k < WS_MAX; k++) {
		bool listed = false;

		for (i = 0; i < n && g.sessions[k].used; i++)
			listed = listed || list[i].SessionId == g.sessions[k].id;
		if (g.sessions[k].used && !listed)
			g.sessions[k].used = false; /* logged off */
	}
	for (i = 0; i < n; i++) {
		wchar_t *user = NULL;
		DWORD bytes = 0;

		if (list[i].SessionId == 0 || list[i].State != WTSActive)
			continue;
		SetLastError(0);
		if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, list[i].SessionId,
						WTSUserName, &user, &bytes) &&
		    user && user[0])
			session_find(list[i].SessionId, true);
		if (user)
			WTSFreeMemory(user);
	}
	LeaveCriticalSection(&g.lock);
	WTSFreeMemory(list);
}

static void build_reading(struct loop *L, struct winlink_reading *r)
{
	SYSTEM_POWER_STATUS ps;
	ULONGLONG now;
	int k;

	memset(r, 0, sizeof(*r));
	r->heartbeat_ms = L->pol.heartbeat_s * 1000;
	r->on_ac = -1;
	r->battery_pct = -1;
	if (GetSystemPowerStatus(&ps)) {
		r->on_ac = ps.ACLineStatus == 1 ? 1 : ps.ACLineStatus == 0 ? 0 : -1;
		if (!(ps.BatteryFlag & 128) && ps.BatteryFlag != 255 &&
		    ps.BatteryLifePercent <= 100)
			r->battery_pct = (int8_t)ps.BatteryLifePercent;
	}
	r->gpu_util_pct = (int8_t)gpu_util(L, &r->gpu_count);
	scan_processes(L, r->busy_program, sizeof(r->busy_program));
	wts_sessions();
	EnterCriticalSection(&g.lock);
	/* Under the lock: no report can be newer than this (ages never go negative). */
	now = GetTickCount64();
	for (k = 0; k < WS_MAX && r->nsessions < WINLINK_MAX_SESSIONS; k++) {
		const struct wsession *s = &g.sessions[k];
		struct winlink_session *o = &r->sessions[r->nsessions];
		bool reporting =
		    s->conn && s->report_tick && now - s->report_tick <= HELPER_SILENCE_MS;

		if (!s->used)
			continue;
		/* A new logon's helper has a while to start before its silence counts. */
		if (!s->report_tick && now - s->first_tick < HELPER_GRACE_MS)
			continue;
		o->id = s->id;
		o->remote = s->remote;
		o->locked = (int8_t)s->locked;
		o->reporting = reporting;
		o->input_seq = s->seq;
		o->input_age_ms =
		    reporting ? (int64_t)s->idle_ms + (int64_t)(now - s->report_tick) : -1;
		r->nsessions++;
	}
	LeaveCriticalSection(&g.lock);
}

/* ---------------------------------------------------------------- the loop */

/* Says which policy is in force, once at start and whenever Group Policy changed it. */
static void log_policy(const struct win_policy *p)
{
	char addr[WIN_ADDR_LEN * 3], vm[64 * 3], secret[MAX_PATH * 3], busy[512], procs[256];
	size_t off = 0;
	unsigned i;

	win_utf8(p->guest_address, addr, sizeof(addr));
	win_utf8(p->guest_vm_id, vm, sizeof(vm));
	win_utf8(p->secret_file, secret, sizeof(secret));
	busy[0] = procs[0] = '\0';
	for (i = 0; i < p->nbusy && off < sizeof(busy) - 1; i++) {
		char n[WIN_NAME_LEN * 3];

		off += (size_t)snprintf(busy + off, sizeof(busy) - off, "%s%s", i ? ", " : "",
					win_utf8(p->busy[i], n, sizeof(n)));
	}
	for (i = 0, off = 0; i < p->nguest_procs && off < sizeof(procs) - 1; i++) {
		char n[WIN_NAME_LEN * 3];

		off += (size_t)snprintf(procs + off, sizeof(procs) - off, "%s%s", i ? ", " : "",
					win_utf8(p->guest_procs[i], n, sizeof(n)));
	}
	if (p->problems[0])
		win_log("policy: ignored %s", p->problems);
	if (vm[0])
		win_log("policy: guest VM %s by hvsocket, port %u; heartbeat %us; secret %s; busy "
			"programs: %s; guest at idle priority: %s",
			vm, p->guest_port, p->heartbeat_s, secret, busy[0] ? busy : "none",
			p->guest_idle_priority ? procs : "no");
	else
		win_log("policy: guest %s port %u; heartbeat %us; secret %s; busy programs: %s; "
			"guest at idle priority: %s",
			addr, p->guest_port, p->heartbeat_s, secret, busy[0] ? busy : "none",
			p->guest_idle_priority ? procs : "no");
}

/*
 * Reads the policy again and logs it when it changed. Another guest or secret drops the
 * connection and the secret: returns 1 then (connect again at once), else 0.
 */
static int policy_reread(struct loop *L)
{
	struct win_policy p;
	bool moved;

	win_policy_read(&p);
	if (!memcmp(&p, &L->pol, sizeof(p)))
		return 0;
	moved = wcscmp(p.guest_address, L->pol.guest_address) ||
		p.guest_port != L->pol.guest_port || wcscmp(p.guest_vm_id, L->pol.guest_vm_id) ||
		wcscmp(p.secret_file, L->pol.secret_file);
	L->pol = p;
	log_policy(&L->pol);
	if (!moved)
		return 0;
	/* Another guest or secret: start again with it. */
	if (L->sock != INVALID_SOCKET)
		disconnect(L, "the policy names another guest or secret");
	L->secret_len = 0;
	return 1;
}

static void run(void)
{
	struct loop L;
	uint8_t f[WINLINK_FRAME_MAX];
	ULONGLONG next_try = 0, next_beat = 0, next_policy = 0, backoff = 1000;
	struct winlink_reading r;

	memset(&L, 0, sizeof(L));
	L.sock = INVALID_SOCKET;
	while (!stopping()) {
		ULONGLONG now = GetTickCount64(), wake;
		HANDLE ev[2] = {g.stop, g.update};
		bool send_now = false;
		size_t n;

		if (now >= next_policy) {
			if (policy_reread(&L))
				next_try = 0;
			next_policy = now + POLICY_REREAD_MS;
		}
		if (L.sock == INVALID_SOCKET && now >= next_try) {
			if (guest_connect(&L) == 0) {
				backoff = 1000;
				send_now = true;
			} else {
				next_try = GetTickCount64() + backoff;
				backoff =
				    backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			}
		}
		if (L.sock != INVALID_SOCKET && guest_closed(&L)) {
			disconnect(&L, "the guest closed the connection");
			next_try = 0;
			continue;
		}
		if (L.sock != INVALID_SOCKET && (send_now || GetTickCount64() >= next_beat)) {
			build_reading(&L, &r);
			n = winlink_put_reading(&L.link, &r, f, sizeof(f));
			if (!n || send_all(L.sock, f, n) < 0) {
				disconnect(&L, "sending a reading failed");
				continue;
			}
			next_beat = GetTickCount64() + L.pol.heartbeat_s * 1000;
		}
		EnterCriticalSection(&g.lock);
		if (L.sock != INVALID_SOCKET && g.hold_pending) {
			n = winlink_put_hold(&L.link, &g.hold, f, sizeof(f));
			g.hold_pending = false;
			LeaveCriticalSection(&g.lock);
			if (!n || send_all(L.sock, f, n) < 0)
				disconnect(&L, "sending a hold failed");
		} else {
			LeaveCriticalSection(&g.lock);
		}
		now = GetTickCount64();
		wake = L.sock != INVALID_SOCKET ? next_beat : next_try;
		/* While connected, look at the socket now and then: a closed guest is news. */
		if (wake > now + 1000)
			wake = now + 1000;
		if (WaitForMultipleObjects(2, ev, FALSE, wake > now ? (DWORD)(wake - now) : 0) ==
		    WAIT_OBJECT_0 + 1)
			next_beat = 0; /* input resumed: a reading now */
	}
	disconnect(&L, NULL);
	SecureZeroMemory(L.secret, sizeof(L.secret));
}

/* ---------------------------------------------------------------- service plumbing */

static void report_status(DWORD state, DWORD exit_code)
{
	if (!g.status_handle)
		return;
	g.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	g.status.dwCurrentState = state;
	g.status.dwControlsAccepted =
	    state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
	g.status.dwWin32ExitCode = exit_code;
	g.status.dwWaitHint = state == SERVICE_RUNNING ? 0 : 2000;
	SetServiceStatus(g.status_handle, &g.status);
}

static DWORD WINAPI control(DWORD code, DWORD type, void *data, void *ctx)
{
	(void)type, (void)data, (void)ctx;
	if (code == SERVICE_CONTROL_STOP || code == SERVICE_CONTROL_SHUTDOWN) {
		report_status(SERVICE_STOP_PENDING, NO_ERROR);
		SetEvent(g.stop);
		return NO_ERROR;
	}
	return code == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

/* Restart on failure, whoever installed the service: 5 s, 10 s, then every 60 s. */
static void set_failure_actions(void)
{
	SC_ACTION acts[3] = {
	    {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 10000}, {SC_ACTION_RESTART, 60000}};
	SERVICE_FAILURE_ACTIONSW fa = {86400, NULL, NULL, 3, acts};
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT), svc = NULL;

	if (scm)
		svc = OpenServiceW(scm, WIN_SERVICE_NAME, SERVICE_CHANGE_CONFIG | SERVICE_START);
	if (!svc || !ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa))
		win_log("cannot set the service's restart on failure: error %lu", GetLastError());
	if (svc)
		CloseServiceHandle(svc);
	if (scm)
		CloseServiceHandle(scm);
}

static void start(void)
{
	WSADATA wsa;
	HANDLE t;

	InitializeCriticalSection(&g.lock);
	g.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
	g.update = CreateEventW(NULL, FALSE, FALSE, NULL);
	WSAStartup(MAKEWORD(2, 2), &wsa);
	t = CreateThread(NULL, 64 * 1024, pipe_server, NULL, 0, NULL);
	if (t)
		CloseHandle(t);
	win_log("idleacc %s started", PACKAGE_VERSION);
}

static void WINAPI service_main(DWORD argc, wchar_t **argv)
{
	(void)argc, (void)argv;
	g.status_handle = RegisterServiceCtrlHandlerExW(WIN_SERVICE_NAME, control, NULL);
	if (!g.status_handle)
		return;
	win_log_open(L"service", 0);
	report_status(SERVICE_START_PENDING, NO_ERROR);
	start();
	set_failure_actions();
	report_status(SERVICE_RUNNING, NO_ERROR);
	run();
	win_log("idleacc stopped");
	report_status(SERVICE_STOPPED, NO_ERROR);
}

static BOOL WINAPI console_ctrl(DWORD type)
{
	(void)type;
	SetEvent(g.stop);
	return TRUE;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: idleacc-service [--foreground] | --help | --version\n"
		   "  Runs as the Windows service \"idleacc\" (installed by the MSI);\n"
		   "  --foreground runs it in this console, logging to stderr too.\n"
		   "  Settings: HKLM\\Software\\Policies\\IdleAccelerator (Group Policy).\n");
}

int main(int argc, char **argv)
{
	SERVICE_TABLE_ENTRYW table[] = {{(wchar_t *)WIN_SERVICE_NAME, service_main}, {NULL, NULL}};

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("idleacc-service %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--foreground")) {
		win_log_open(L"service", 1);
		start();
		SetConsoleCtrlHandler(console_ctrl, TRUE);
		run();
		win_log("idleacc stopped");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "idleacc-service: unknown argument \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (!StartServiceCtrlDispatcherW(table)) {
		fprintf(stderr,
			"idleacc-service: not started by the service manager (error %lu); "
			"use --foreground to run it here\n",
			GetLastError());
		return 1;
	}
	return 0;
}
