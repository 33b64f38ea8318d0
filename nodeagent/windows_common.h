/* SPDX-License-Identifier: MIT */
/*
 * windows_common.h - what the two Windows programs share: the service `idleacc` (session 0) and the
 * helper in each user session. Their policy in the registry (set by Group Policy, see
 * conf/windows/idleacc.admx), the named pipe between them, and their log files. Built only
 * with mingw-w64 (`make windows`).
 */
#ifndef IDLEACC_WINDOWS_COMMON_H
#define IDLEACC_WINDOWS_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <windows.h>

/* Where Group Policy writes the settings (HKLM), and the names of the values. */
#define WIN_POLICY_KEY	 L"Software\\Policies\\IdleAccelerator"
#define WIN_SERVICE_NAME L"idleacc"
/* The helper's pipe to the service. Its DACL lets every interactive user write reports. */
#define WIN_PIPE_NAME L"\\\\.\\pipe\\idleacc"

#define WIN_MAX_BUSY	    32	/* busy programs in the policy */
#define WIN_MAX_GUEST_PROCS 8	/* guest processes kept at idle priority */
#define WIN_NAME_LEN	    64	/* a program name, NUL included */
#define WIN_ADDR_LEN	    256 /* a host name or address, NUL included */

/*
 * The policy, from HKLM\Software\Policies\IdleAccelerator; each value not set keeps the
 * default given here. The guest's own thresholds stay in its idleacc.yaml: Windows sends
 * readings, the guest decides.
 */
struct win_policy {
	wchar_t guest_address[WIN_ADDR_LEN]; /* GuestAddress: the guest's address [127.0.0.1] */
	unsigned guest_port;		     /* GuestPort: TCP port or vsock port [9339] */
	wchar_t guest_vm_id[64]; /* GuestVmId: a Hyper-V VM's GUID: connect by hvsocket; "" TCP */
	wchar_t secret_file[MAX_PATH]; /* SecretFile [%ProgramData%\IdleAccelerator\secret] */
	unsigned heartbeat_s;	       /* HeartbeatSeconds: between readings [5], 1-60 */
	unsigned nbusy;		       /* entries in busy */
	wchar_t busy[WIN_MAX_BUSY][WIN_NAME_LEN]; /* BusyPrograms: exe names ("blender.exe") */
	unsigned guest_idle_priority;		  /* GuestIdlePriority: 1 = lower the guest [1] */
	unsigned nguest_procs;			  /* entries in guest_procs */
	wchar_t guest_procs[WIN_MAX_GUEST_PROCS][WIN_NAME_LEN]; /* GuestProcesses [vmmemWSL,
								 * vmmem] */
	unsigned hold_hours; /* HoldHours: the button's hold [2], 1-24 */
	unsigned show_tray;  /* ShowTrayIcon: 1 = the helper's icon [1] */
	char problems[256];  /* values set but ignored, for the log ("HoldHours = 99 ..."), "" */
};

/* Reads the policy: the defaults, then every value that is set and valid; the others are
 * listed in problems. Never logs (it runs every 30 s): the caller says what changed. */
void win_policy_read(struct win_policy *p);

/* ---------------------------------------------------------------- the pipe */

#define WIN_PIPE_MAGIC 0x49414850u /* "IAHP" */
#define WIN_PIPE_TEXT  200	   /* bytes of a reply's text, NUL included */

/* What a helper sends. */
enum win_pipe_type {
	WIN_MSG_REPORT = 1, /* its session's state, at every heartbeat and when input resumes */
	WIN_MSG_HOLD = 2,   /* the owner's button (on a connection of its own, answered) */
	WIN_MSG_BYE = 3,    /* the session ends (logoff): not a silent helper */
};

/* One message from a helper: fixed size, message-mode pipe. */
struct win_pipe_msg {
	uint32_t magic;		 /* WIN_PIPE_MAGIC */
	uint32_t type;		 /* enum win_pipe_type */
	uint32_t session;	 /* the helper's session id */
	uint32_t remote;	 /* 1: a remote desktop session */
	int32_t locked;		 /* 1 locked, 0 not, -1 unknown */
	uint32_t idle_ms;	 /* ms since the session's last input, when sent */
	uint32_t input_seq;	 /* moves each time the last input moves */
	uint32_t hold_secs;	 /* with HOLD: seconds, 0 = give the PC back */
	char user[WIN_NAME_LEN]; /* with HOLD: the user, UTF-8 */
};

/* The service's answer to a HOLD. */
struct win_pipe_reply {
	uint32_t magic;		  /* WIN_PIPE_MAGIC */
	int32_t ok;		  /* 1 passed on to the guest, 0 not */
	char text[WIN_PIPE_TEXT]; /* for the owner, UTF-8 */
};

/* ---------------------------------------------------------------- logs and text */

/* Opens the log %ProgramData%\IdleAccelerator\[name].log; [console]: also to stderr. */
void win_log_open(const wchar_t *name, int console);
/* One line with a time stamp; a log over 1 MiB is moved to .old first. */
void win_log(const char *fmt, ...) __attribute__((format(__MINGW_PRINTF_FORMAT, 1, 2)));

/* UTF-16 to UTF-8 into [out] (truncated, always terminated); returns [out]. */
char *win_utf8(const wchar_t *w, char *out, size_t len);

/* Logs and the generated secret: %ProgramData%\IdleAccelerator into [out], created if
 * missing. Returns 0 or -1. */
int win_data_dir(wchar_t *out, size_t len);

#endif /* IDLEACC_WINDOWS_COMMON_H */
