/* SPDX-License-Identifier: MIT */
/*
 * windows_helper.c - idleacc-helper, started in every user session at logon: tells the
 * service when this session's owner uses the PC, and offers "Keep this PC for me".
 */
#include "config.h"

#include <windows.h>
#include <shellapi.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <tlhelp32.h>
#include <wtsapi32.h>

#include "idle.h"
#include "windows_common.h"

/*
 * A service runs in session 0 and cannot see the input of user sessions, so this helper does,
 * as HTCondor's condor_kbdd and BOINC's boinctray do, and reports over the service's pipe.
 * Faster than they: raw input registered with RIDEV_INPUTSINK on a hidden window delivers a
 * WM_INPUT for every key or mouse event of this session, in the background too; the helper
 * never reads what the event was (no GetRawInputData: no key codes, no positions), only that
 * it happened, and reports the moment input resumes after a pause. GetLastInputInfo, every
 * BEAT_MS, is the heartbeat and the fallback. Each report carries an input_seq that moves when
 * the last input moved.
 *
 * Console or remote: the session at the console is WTSGetActiveConsoleSessionId(); a remote
 * desktop session says so through SM_REMOTESESSION. Locked: WTSSessionInfoEx at start, then
 * the session-change notifications.
 *
 * The tray icon's menu asks the service for a hold ("Keep this PC for me", HoldHours) or its
 * end ("Give this PC back"); `idleacc-helper --hold [DURATION]` and `--release` do the same
 * from a shortcut or a script and print the answer (a message box without a console).
 */

#define BEAT_MS	     2000 /* reports at least this often (the service waits 10 s) */
#define INPUT_GAP_MS 500  /* input after this long without counts as resuming */
#define TRAY_MSG     (WM_APP + 1)
#define ID_HOLD	     1001
#define ID_RELEASE   1002

/* mingw-w64 10 lacks these (WTSSessionInfoEx is information class 25). */
#define WTS_INFO_SESSION_EX	((WTS_INFO_CLASS)25)
#define WTS_SESSIONSTATE_LOCK	0
#define WTS_SESSIONSTATE_UNLOCK 1
struct wts_info_ex_level1 {
	ULONG session_id;
	WTS_CONNECTSTATE_CLASS state;
	LONG flags; /* WTS_SESSIONSTATE_LOCK, _UNLOCK, or -1 unknown */
	wchar_t station[33], user[21], domain[18];
	LARGE_INTEGER logon, connect, disconnect, last_input, current;
	DWORD in_bytes, out_bytes, in_frames, out_frames, in_comp, out_comp;
};
struct wts_info_ex {
	DWORD level; /* 1 */
	struct wts_info_ex_level1 l1;
};

static struct {
	HWND hwnd;	       /* the hidden window */
	HANDLE pipe;	       /* to the service, INVALID_HANDLE_VALUE when not connected */
	DWORD session;	       /* ours */
	int locked;	       /* 1, 0, -1 unknown */
	uint32_t seq;	       /* input_seq */
	DWORD last_seen;       /* the GetLastInputInfo tick last reported */
	ULONGLONG last_raw;    /* GetTickCount64() of the last WM_INPUT, 0 none */
	struct win_policy pol; /* HoldHours, ShowTrayIcon */
	bool tray;	       /* the icon is shown */
	UINT taskbar_created;  /* Explorer restarted: show the icon again */
	NOTIFYICONDATAW nid;   /* the icon */
} h = {.pipe = INVALID_HANDLE_VALUE, .locked = -1};

static bool is_remote(void)
{
	return WTSGetActiveConsoleSessionId() != h.session && GetSystemMetrics(SM_REMOTESESSION);
}

static int query_locked(void)
{
	struct wts_info_ex *info = NULL;
	DWORD bytes = 0;
	int locked = -1;

	SetLastError(0);
	if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, h.session, WTS_INFO_SESSION_EX,
					(wchar_t **)&info, &bytes) &&
	    info && bytes >= sizeof(*info) && info->level == 1)
		locked = info->l1.flags == WTS_SESSIONSTATE_LOCK     ? 1
			 : info->l1.flags == WTS_SESSIONSTATE_UNLOCK ? 0
								     : -1;
	if (info)
		WTSFreeMemory(info);
	return locked;
}

static void fill(struct win_pipe_msg *m, enum win_pipe_type type)
{
	memset(m, 0, sizeof(*m));
	m->magic = WIN_PIPE_MAGIC;
	m->type = type;
	m->session = h.session;
	m->remote = is_remote();
	m->locked = h.locked;
}

/* Sends [m] on the helper's connection, opening it if needed. 0, or -1 (retried later). */
static int pipe_send(const struct win_pipe_msg *m)
{
	DWORD n, mode = PIPE_READMODE_MESSAGE;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (h.pipe == INVALID_HANDLE_VALUE) {
			h.pipe = CreateFileW(WIN_PIPE_NAME, GENERIC_READ | GENERIC_WRITE, 0, NULL,
					     OPEN_EXISTING, 0, NULL);
			if (h.pipe == INVALID_HANDLE_VALUE) {
				if (GetLastError() == ERROR_PIPE_BUSY &&
				    WaitNamedPipeW(WIN_PIPE_NAME, 200))
					continue;
				return -1;
			}
			SetNamedPipeHandleState(h.pipe, &mode, NULL, NULL);
		}
		if (WriteFile(h.pipe, m, sizeof(*m), &n, NULL) && n == sizeof(*m))
			return 0;
		CloseHandle(h.pipe);
		h.pipe = INVALID_HANDLE_VALUE;
	}
	return -1;
}

/*
 * Reports this session. [input_now]: a WM_INPUT after a pause. The idle time comes from
 * GetLastInputInfo, or from raw input where that fails; input_seq moves once per new last
 * input time.
 */
static void report(bool input_now)
{
	LASTINPUTINFO li = {sizeof(li), 0};
	struct win_pipe_msg m;
	DWORD now = GetTickCount();
	bool moved = input_now;

	fill(&m, WIN_MSG_REPORT);
	if (GetLastInputInfo(&li)) {
		if (li.dwTime != h.last_seen) {
			h.last_seen = li.dwTime;
			moved = true;
		}
		m.idle_ms = input_now ? 0 : now - li.dwTime;
	} else {
		m.idle_ms = h.last_raw ? (DWORD)(GetTickCount64() - h.last_raw) : now;
	}
	if (moved)
		h.seq++;
	m.input_seq = h.seq;
	pipe_send(&m);
}

/* Asks the service for a hold of [secs] (0: release); writes its answer. 1 if passed on. */
static int ask_hold(uint32_t secs, char *answer, size_t len)
{
	struct win_pipe_msg m;
	struct win_pipe_reply r;
	wchar_t user[WIN_NAME_LEN];
	DWORD ulen = WIN_NAME_LEN, n = 0;

	fill(&m, WIN_MSG_HOLD);
	m.hold_secs = secs;
	if (!GetUserNameW(user, &ulen))
		wcscpy(user, L"unknown");
	win_utf8(user, m.user, sizeof(m.user));
	memset(&r, 0, sizeof(r));
	if (!CallNamedPipeW(WIN_PIPE_NAME, &m, sizeof(m), &r, sizeof(r), &n, 5000) ||
	    n != sizeof(r) || r.magic != WIN_PIPE_MAGIC) {
		snprintf(answer, len, "error: the idleacc service does not answer (error %lu)",
			 GetLastError());
		return 0;
	}
	r.text[sizeof(r.text) - 1] = '\0';
	snprintf(answer, len, "%s", r.text);
	return r.ok;
}

static void balloon(const char *text)
{
	if (!h.tray)
		return;
	h.nid.uFlags = NIF_INFO;
	MultiByteToWideChar(CP_UTF8, 0, text, -1, h.nid.szInfo, 256);
	wcscpy(h.nid.szInfoTitle, L"idle-accelerator");
	h.nid.dwInfoFlags = NIIF_INFO;
	Shell_NotifyIconW(NIM_MODIFY, &h.nid);
}

static void tray_add(void)
{
	if (!h.pol.show_tray)
		return;
	memset(&h.nid, 0, sizeof(h.nid));
	h.nid.cbSize = sizeof(h.nid);
	h.nid.hWnd = h.hwnd;
	h.nid.uID = 1;
	h.nid.uFlags = NIF_ICON | NIF_TIP | NIF_MESSAGE;
	h.nid.uCallbackMessage = TRAY_MSG;
	h.nid.hIcon = LoadIconW(NULL, (LPCWSTR)IDI_APPLICATION);
	wcscpy(h.nid.szTip, L"This PC runs research jobs while you are away");
	h.tray = Shell_NotifyIconW(NIM_ADD, &h.nid) != FALSE;
}

static void tray_menu(void)
{
	HMENU menu = CreatePopupMenu();
	wchar_t label[80];
	POINT pt;
	int cmd;

	_snwprintf(label, 80, L"Keep this PC for me (%u hours)", h.pol.hold_hours);
	label[79] = L'\0';
	AppendMenuW(menu, MF_STRING, ID_HOLD, label);
	AppendMenuW(menu, MF_STRING, ID_RELEASE, L"Give this PC back");
	GetCursorPos(&pt);
	SetForegroundWindow(h.hwnd);
	cmd = TrackPopupMenu(menu, TPM_RETURNCMD | TPM_NONOTIFY, pt.x, pt.y, 0, h.hwnd, NULL);
	DestroyMenu(menu);
	if (cmd == ID_HOLD || cmd == ID_RELEASE) {
		char answer[WIN_PIPE_TEXT];

		ask_hold(cmd == ID_HOLD ? h.pol.hold_hours * 3600 : 0, answer, sizeof(answer));
		balloon(answer);
	}
}

static LRESULT CALLBACK wndproc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	switch (msg) {
	case WM_INPUT: {
		ULONGLONG now = GetTickCount64();
		bool resumed = !h.last_raw || now - h.last_raw >= INPUT_GAP_MS;

		h.last_raw = now;
		if (resumed)
			report(true);
		/* The system frees the input's data here: needed, and we never look at it. */
		return DefWindowProcW(w, msg, wp, lp);
	}
	case WM_TIMER:
		report(false);
		return 0;
	case WM_WTSSESSION_CHANGE:
		if (wp == WTS_SESSION_LOCK || wp == WTS_SESSION_UNLOCK) {
			h.locked = wp == WTS_SESSION_LOCK;
			report(false);
		}
		return 0;
	case WM_QUERYENDSESSION:
		return TRUE;
	case WM_ENDSESSION:
		if (wp) {
			struct win_pipe_msg m;

			fill(&m, WIN_MSG_BYE);
			pipe_send(&m);
		}
		return 0;
	case TRAY_MSG:
		if (LOWORD(lp) == WM_RBUTTONUP || LOWORD(lp) == WM_LBUTTONUP ||
		    LOWORD(lp) == WM_CONTEXTMENU)
			tray_menu();
		return 0;
	case WM_DESTROY:
		if (h.tray)
			Shell_NotifyIconW(NIM_DELETE, &h.nid);
		PostQuitMessage(0);
		return 0;
	default:
		if (msg == h.taskbar_created && h.taskbar_created) {
			tray_add();
			return 0;
		}
		return DefWindowProcW(w, msg, wp, lp);
	}
}

/* Says [text]: on stdout when there is one (a script), else in a message box. */
static void say(const char *text)
{
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	wchar_t w[WIN_PIPE_TEXT];
	DWORD n;

	if (out && out != INVALID_HANDLE_VALUE &&
	    WriteFile(out, text, (DWORD)strlen(text), &n, NULL)) {
		WriteFile(out, "\r\n", 2, &n, NULL);
		return;
	}
	MultiByteToWideChar(CP_UTF8, 0, text, -1, w, WIN_PIPE_TEXT);
	MessageBoxW(NULL, w, L"idle-accelerator", MB_OK | MB_ICONINFORMATION);
}

static int run(HINSTANCE inst)
{
	WNDCLASSW wc = {0};
	RAWINPUTDEVICE rid[2];
	HANDLE mutex;
	MSG msg;

	/* One helper per session (Local\ is per session). */
	mutex = CreateMutexW(NULL, TRUE, L"Local\\idleacc-helper");
	if (mutex && GetLastError() == ERROR_ALREADY_EXISTS)
		return 0;
	win_log_open(L"helper", 0);
	wc.lpfnWndProc = wndproc;
	wc.hInstance = inst;
	wc.lpszClassName = L"idleacc-helper";
	RegisterClassW(&wc);
	/* A top-level window that is never shown: it alone gets WM_ENDSESSION at logoff. */
	h.hwnd = CreateWindowExW(WS_EX_TOOLWINDOW, wc.lpszClassName, L"idleacc-helper",
				 WS_OVERLAPPED, 0, 0, 0, 0, NULL, NULL, inst, NULL);
	if (!h.hwnd)
		h.hwnd = CreateWindowExW(0, wc.lpszClassName, L"idleacc-helper", 0, 0, 0, 0, 0,
					 HWND_MESSAGE, NULL, inst, NULL);
	if (!h.hwnd) {
		win_log("helper of session %lu: no window (error %lu)", (unsigned long)h.session,
			GetLastError());
		return 1;
	}
	rid[0] = (RAWINPUTDEVICE){1, 6, RIDEV_INPUTSINK, h.hwnd}; /* keyboards */
	rid[1] = (RAWINPUTDEVICE){1, 2, RIDEV_INPUTSINK, h.hwnd}; /* mice */
	if (!RegisterRawInputDevices(rid, 2, sizeof(rid[0])))
		win_log("helper of session %lu: no raw input (error %lu): reporting every %d ms "
			"only",
			(unsigned long)h.session, GetLastError(), BEAT_MS);
	WTSRegisterSessionNotification(h.hwnd, NOTIFY_FOR_THIS_SESSION);
	h.locked = query_locked();
	h.taskbar_created = RegisterWindowMessageW(L"TaskbarCreated");
	tray_add();
	SetTimer(h.hwnd, 1, BEAT_MS, NULL);
	win_log("helper %s started in session %lu (%s)", PACKAGE_VERSION, (unsigned long)h.session,
		is_remote() ? "remote" : "console");
	report(false);
	while (GetMessageW(&msg, NULL, 0, 0) > 0) {
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
	return 0;
}

/*
 * Ends the helpers of every session but this one (the MSI runs this as SYSTEM before it
 * removes the program's files). Returns 0, or 1 if one could not be ended.
 */
static int quit_all(void)
{
	PROCESSENTRY32W pe = {.dwSize = sizeof(pe)};
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	DWORD self = GetCurrentProcessId();
	int rc = 0;

	if (snap == INVALID_HANDLE_VALUE)
		return 1;
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
		HANDLE p;

		if (pe.th32ProcessID == self || _wcsicmp(pe.szExeFile, L"idleacc-helper.exe"))
			continue;
		p = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pe.th32ProcessID);
		if (!p || !TerminateProcess(p, 0)) {
			rc = 1;
		} else {
			WaitForSingleObject(p, 5000);
		}
		if (p)
			CloseHandle(p);
	}
	CloseHandle(snap);
	return rc;
}

static int usage(int rc)
{
	say("usage: idleacc-helper [--hold [DURATION] | --release | --quit-all | --help |"
	    " --version]\r\n"
	    "  Started at every logon: tells the idleacc service when you use this PC.\r\n"
	    "  --hold [DURATION]  keep this PC for me (default HoldHours of the policy; 2h, "
	    "90m)\r\n"
	    "  --release          give this PC back to research jobs\r\n"
	    "  --quit-all         end the helpers of every session (the MSI, before removal)");
	return rc;
}

int WINAPI WinMain(HINSTANCE inst, HINSTANCE prev, LPSTR cmd, int show)
{
	char answer[WIN_PIPE_TEXT + 64];
	int64_t secs;
	int argc = __argc;
	char **argv = __argv;

	(void)prev, (void)cmd, (void)show;
	if (!ProcessIdToSessionId(GetCurrentProcessId(), &h.session))
		h.session = 0;
	win_policy_read(&h.pol);
	if (argc == 1)
		return run(inst);
	if (!strcmp(argv[1], "--version")) {
		snprintf(answer, sizeof(answer), "idleacc-helper %s", PACKAGE_VERSION);
		say(answer);
		return 0;
	}
	if (!strcmp(argv[1], "--help"))
		return usage(0);
	if (!strcmp(argv[1], "--hold") && argc <= 3) {
		secs = (int64_t)h.pol.hold_hours * 3600;
		if (argc == 3 &&
		    (idle_parse_duration(argv[2], &secs) < 0 || secs <= 0 || secs > 0xffffffffLL)) {
			snprintf(answer, sizeof(answer), "idleacc-helper: bad duration \"%s\"",
				 argv[2]);
			say(answer);
			return 2;
		}
		return ask_hold((uint32_t)secs, answer, sizeof(answer)) ? (say(answer), 0)
									: (say(answer), 1);
	}
	if (!strcmp(argv[1], "--quit-all") && argc == 2)
		return quit_all();
	if (!strcmp(argv[1], "--release") && argc == 2)
		return ask_hold(0, answer, sizeof(answer)) ? (say(answer), 0) : (say(answer), 1);
	return usage(2);
}
