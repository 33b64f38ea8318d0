/* SPDX-License-Identifier: MIT */
/* windows_common.c - the Windows programs' policy (registry), log files and text helpers. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include <shlobj.h>

#include "windows_common.h"

#define LOG_MAX_BYTES (1024 * 1024) /* a log is moved to .old beyond this */

static wchar_t log_path[MAX_PATH];
static int log_console;
static CRITICAL_SECTION log_lock;

char *win_utf8(const wchar_t *w, char *out, size_t len)
{
	if (!len)
		return out;
	if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL)) {
		/* Too long: cut at a character, as much as fits. */
		size_t n = wcslen(w);

		out[0] = '\0';
		while (n > 0 &&
		       !WideCharToMultiByte(CP_UTF8, 0, w, (int)n, out, (int)len - 1, NULL, NULL))
			n--;
		if (n)
			out[WideCharToMultiByte(CP_UTF8, 0, w, (int)n, out, (int)len - 1, NULL,
						NULL)] = '\0';
	}
	out[len - 1] = '\0';
	return out;
}

int win_data_dir(wchar_t *out, size_t len)
{
	wchar_t base[MAX_PATH];

	/* The shell's answer, not %ProgramData%: a service's environment may lack it (wine's
	 * services have none). */
	if (SHGetFolderPathW(NULL, CSIDL_COMMON_APPDATA, NULL, SHGFP_TYPE_CURRENT, base) != S_OK ||
	    (size_t)_snwprintf(out, len, L"%ls\\IdleAccelerator", base) >= len)
		return -1;
	out[len - 1] = L'\0';
	if (!CreateDirectoryW(out, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return -1;
	return 0;
}

void win_log_open(const wchar_t *name, int console)
{
	wchar_t dir[MAX_PATH];

	InitializeCriticalSection(&log_lock);
	log_console = console;
	if (win_data_dir(dir, MAX_PATH) == 0)
		_snwprintf(log_path, MAX_PATH, L"%ls\\%ls.log", dir, name);
	log_path[MAX_PATH - 1] = L'\0';
}

void win_log(const char *fmt, ...)
{
	char line[1024], stamp[32];
	SYSTEMTIME t;
	va_list ap;
	HANDLE f;
	DWORD w;
	int n;

	GetLocalTime(&t);
	snprintf(stamp, sizeof(stamp), "%04u-%02u-%02uT%02u:%02u:%02u.%03u ", t.wYear, t.wMonth,
		 t.wDay, t.wHour, t.wMinute, t.wSecond, t.wMilliseconds);
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	line[n] = '\0';
	EnterCriticalSection(&log_lock);
	if (log_console) {
		fputs(stamp, stderr);
		fputs(line, stderr);
		fflush(stderr);
	}
	if (log_path[0]) {
		WIN32_FILE_ATTRIBUTE_DATA a;

		if (GetFileAttributesExW(log_path, GetFileExInfoStandard, &a) &&
		    a.nFileSizeLow > LOG_MAX_BYTES) {
			wchar_t old[MAX_PATH + 8];

			_snwprintf(old, MAX_PATH + 8, L"%ls.old", log_path);
			MoveFileExW(log_path, old, MOVEFILE_REPLACE_EXISTING);
		}
		f = CreateFileW(log_path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE,
				NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
		if (f != INVALID_HANDLE_VALUE) {
			WriteFile(f, stamp, (DWORD)strlen(stamp), &w, NULL);
			WriteFile(f, line, (DWORD)n, &w, NULL);
			CloseHandle(f);
		}
	}
	LeaveCriticalSection(&log_lock);
}

/* ---------------------------------------------------------------- the policy */

/* Notes a value that is set but not used. */
static void problem(struct win_policy *p, const wchar_t *name, const char *fmt, ...)
    __attribute__((format(__MINGW_PRINTF_FORMAT, 3, 4)));

static void problem(struct win_policy *p, const wchar_t *name, const char *fmt, ...)
{
	size_t off = strlen(p->problems);
	char n[WIN_NAME_LEN * 3];
	va_list ap;
	int r;

	if (off >= sizeof(p->problems) - 1)
		return;
	r = snprintf(p->problems + off, sizeof(p->problems) - off, "%s%s ", off ? "; " : "",
		     win_utf8(name, n, sizeof(n)));
	if (r < 0 || (size_t)r >= sizeof(p->problems) - off)
		return;
	off += (size_t)r;
	va_start(ap, fmt);
	vsnprintf(p->problems + off, sizeof(p->problems) - off, fmt, ap);
	va_end(ap);
}

static void get_dword(struct win_policy *p, const wchar_t *name, unsigned min, unsigned max,
		      unsigned *out)
{
	DWORD v, size = sizeof(v);

	if (RegGetValueW(HKEY_LOCAL_MACHINE, WIN_POLICY_KEY, name, RRF_RT_REG_DWORD, NULL, &v,
			 &size) != ERROR_SUCCESS)
		return;
	if (v < min || v > max)
		problem(p, name, "= %lu (out of range %u-%u)", (unsigned long)v, min, max);
	else
		*out = v;
}

/* A REG_SZ or REG_EXPAND_SZ (expanded), if set and not empty. */
static void get_string(struct win_policy *p, const wchar_t *name, wchar_t *out, size_t len)
{
	wchar_t buf[1024];
	DWORD size = sizeof(buf);

	if (RegGetValueW(HKEY_LOCAL_MACHINE, WIN_POLICY_KEY, name, RRF_RT_REG_SZ, NULL, buf,
			 &size) != ERROR_SUCCESS ||
	    !buf[0])
		return;
	if (wcslen(buf) >= len)
		problem(p, name, "(longer than %u characters)", (unsigned)len - 1);
	else
		wcscpy(out, buf);
}

/* A REG_MULTI_SZ of names, if set: replaces the default list. Returns the count. */
static unsigned get_names(struct win_policy *p, const wchar_t *name, wchar_t (*out)[WIN_NAME_LEN],
			  unsigned max, unsigned deflt)
{
	wchar_t buf[4096];
	DWORD size = sizeof(buf) - 2 * sizeof(wchar_t);
	const wchar_t *s;
	unsigned n = 0;

	memset(buf, 0, sizeof(buf));
	if (RegGetValueW(HKEY_LOCAL_MACHINE, WIN_POLICY_KEY, name, RRF_RT_REG_MULTI_SZ, NULL, buf,
			 &size) != ERROR_SUCCESS)
		return deflt;
	for (s = buf; *s && n < max; s += wcslen(s) + 1) {
		if (wcslen(s) >= WIN_NAME_LEN)
			problem(p, name, "(a name longer than %d characters)", WIN_NAME_LEN - 1);
		else
			wcscpy(out[n++], s);
	}
	return n;
}

void win_policy_read(struct win_policy *p)
{
	memset(p, 0, sizeof(*p));
	wcscpy(p->guest_address, L"127.0.0.1");
	p->guest_port = 9339;
	if (win_data_dir(p->secret_file, MAX_PATH - 8) == 0)
		wcscat(p->secret_file, L"\\secret");
	p->heartbeat_s = 5;
	p->guest_idle_priority = 1;
	wcscpy(p->guest_procs[0], L"vmmemWSL");
	wcscpy(p->guest_procs[1], L"vmmem");
	p->nguest_procs = 2;
	p->hold_hours = 2;
	p->show_tray = 1;

	get_string(p, L"GuestAddress", p->guest_address, WIN_ADDR_LEN);
	get_dword(p, L"GuestPort", 1, 65535, &p->guest_port);
	get_string(p, L"GuestVmId", p->guest_vm_id, 64);
	get_string(p, L"SecretFile", p->secret_file, MAX_PATH);
	get_dword(p, L"HeartbeatSeconds", 1, 60, &p->heartbeat_s);
	p->nbusy = get_names(p, L"BusyPrograms", p->busy, WIN_MAX_BUSY, 0);
	get_dword(p, L"GuestIdlePriority", 0, 1, &p->guest_idle_priority);
	p->nguest_procs =
	    get_names(p, L"GuestProcesses", p->guest_procs, WIN_MAX_GUEST_PROCS, p->nguest_procs);
	get_dword(p, L"HoldHours", 1, 24, &p->hold_hours);
	get_dword(p, L"ShowTrayIcon", 0, 1, &p->show_tray);
}
