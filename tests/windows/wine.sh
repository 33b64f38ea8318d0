# SPDX-License-Identifier: MIT
# wine.sh - the Windows side under wine, for the windows/*.test tests: a private wine prefix
# per test, the MSI that "make msi" built, its service and helper, and the policy in the
# registry.
#
# Usage (bash):
#   . "$srcdir/windows/wine.sh"     # SKIPs (77) without wine, the MSI or winplay.exe; with
#                                    # CI=true it FAILs instead
#   wine_start                       # a fresh prefix (wineboot); wine_stop removes it
#   wine_install "$WINDOWS_MSI"      # msiexec /i /qn; returns msiexec's exit code (8 bits)
#   wait_until 60 service_is RUNNING
#   policy_set GuestPort REG_DWORD 9339
#
# Every wine process of a test runs in its own prefix (WINEPREFIX, about 700 MB, removed at
# the end unless KEEP_WINE=1) with no display: wine's services then run in session 1 like the
# helper, so these tests cannot catch a service that looks for input in session 0 (README.md,
# "Windows desktops", says what a site checks on real Windows).

WINDOWS_BUILD=${top_builddir:-../..}
WINDOWS_VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$WINDOWS_BUILD/config.h")
WINDOWS_MSI=$WINDOWS_BUILD/idleacc-$WINDOWS_VERSION-x64.msi
WINPLAY=$WINDOWS_BUILD/tests/windows/winplay.exe
WIN_INSTALL='C:\Program Files\idle-accelerator'
WIN_POLICY='HKLM\Software\Policies\IdleAccelerator'

# Skip outside CI, fail in CI (as cluster.sh does for Slurm).
_windows_cannot_run()
{
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 (CI=true: the Windows tests may not be skipped)" >&2
		exit 1
	fi
	echo "SKIP: $1" >&2
	exit 77
}

for _b in wine wineboot wineserver msiinfo xmllint x86_64-w64-mingw32-ar; do
	command -v "$_b" >/dev/null 2>&1 ||
		_windows_cannot_run "$_b not found: tests/deps.sh installs wine, msitools, wixl"
done
[ -s "$WINDOWS_MSI" ] && [ -s "$WINPLAY" ] ||
	_windows_cannot_run "no $WINDOWS_MSI or $WINPLAY: configure found no mingw-w64 or wixl" \
		"(tests/deps.sh, then configure again)"
unset _b

# Wine needs no display here, and must not find one halfway through (one wineserver per
# prefix keeps its mode).
unset DISPLAY WAYLAND_DISPLAY
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

if ! declare -F fail >/dev/null; then
	fail()
	{
		echo "FAIL: $*" >&2
		windows_logs
		exit 1
	}
fi
if ! declare -F wait_until >/dev/null; then
	# wait_until TIMEOUT_S CMD...: as in cluster.sh.
	wait_until()
	{
		local end=$((SECONDS + $1))
		shift
		until "$@"; do
			[ "$SECONDS" -lt "$end" ] || return 1
			sleep 0.2
		done
	}
fi

# The Unix path of a C:\ path of the prefix.
win_unix()
{
	local p=${1#C:}

	echo "$WINEPREFIX/drive_c${p//\\//}"
}

WINDOWS_LOG_DIR='C:\ProgramData\IdleAccelerator'

# Prints the tails of the Windows side's logs (what a failing test shows).
windows_logs()
{
	local f

	[ -n "${WINEPREFIX:-}" ] && [ -d "$WINEPREFIX" ] || return 0
	for f in "$(win_unix "$WINDOWS_LOG_DIR")"/*.log; do
		[ -e "$f" ] || continue
		echo "==> $f <==" >&2
		tail -n 25 "$f" >&2
	done
	if declare -F cluster_logs >/dev/null; then
		cluster_logs 30
	fi
}

# wine_start: creates the prefix and keeps its wineserver running for the test.
wine_start()
{
	local t0=$SECONDS

	WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/idleacc-wine-windows-XXXXXX") || return 1
	export WINEPREFIX
	wineboot -i >/dev/null 2>&1 && wineserver -w || fail "wineboot failed in $WINEPREFIX"
	wineserver -p 600
	echo "wine prefix $WINEPREFIX ready in $((SECONDS - t0)) s"
}

# wine_stop: ends every process of the prefix (all of them this test's) and removes it.
wine_stop()
{
	local -
	set +e
	[ -n "${WINEPREFIX:-}" ] && [ -d "$WINEPREFIX" ] || return 0
	wineserver -k 2>/dev/null
	wineserver -w 2>/dev/null
	[ "${KEEP_WINE:-0}" = 1 ] && echo "wine prefix kept: $WINEPREFIX" >&2 && return 0
	rm -rf "$WINEPREFIX"
}

# wine_install MSI: installs (or upgrades to) MSI silently; returns msiexec's exit code.
wine_install()
{
	local name

	name=$(basename "$1")
	cp "$1" "$WINEPREFIX/drive_c/$name"
	wine msiexec /i "C:\\$name" /qn /l*v "C:\\install-$name.log" >/dev/null 2>&1
}

# wine_uninstall MSI: removes the product of MSI silently; returns msiexec's exit code.
wine_uninstall()
{
	local name

	name=$(basename "$1")
	cp "$1" "$WINEPREFIX/drive_c/$name"
	wine msiexec /x "C:\\$name" /qn /l*v "C:\\uninstall-$name.log" >/dev/null 2>&1
}

# The service's state as sc query says it (RUNNING, STOPPED ...), "" if not installed.
service_state()
{
	wine sc query idleacc 2>/dev/null | tr -d '\r' | awk '$1 == "STATE" { print $4 }'
}

service_is()
{
	[ "$(service_state)" = "$1" ]
}

service_stop()
{
	wine sc stop idleacc >/dev/null 2>&1
	wait_until 60 service_is STOPPED
}

service_start()
{
	wine sc start idleacc >/dev/null 2>&1
	wait_until 60 service_is RUNNING
}

# service_log_has PATTERN: a line of the service's log matches (grep -E; the log's lines end
# in CR LF, as Windows files do).
service_log_has()
{
	tr -d '\r' <"$(win_unix "$WINDOWS_LOG_DIR")/service.log" 2>/dev/null | grep -qE -- "$1"
}

# service_log_count PATTERN: how many lines of the service's log match.
service_log_count()
{
	tr -d '\r' <"$(win_unix "$WINDOWS_LOG_DIR")/service.log" 2>/dev/null | grep -cE -- "$1"
}

# policy_set NAME TYPE VALUE: a Group Policy value (wine reg add).
policy_set()
{
	local out

	out=$(wine reg add "$WIN_POLICY" /v "$1" /t "$2" /d "$3" /f 2>&1) ||
		fail "reg add $1 $2 $3 failed: $out"
}

policy_clear()
{
	wine reg delete "$WIN_POLICY" /v "$1" /f >/dev/null 2>&1
}

# helper_start: the session helper, as the Run key starts it at logon; sets HELPER_PID.
helper_start()
{
	wine "$WIN_INSTALL\\idleacc-helper.exe" >/dev/null 2>&1 &
	HELPER_PID=$!
}

# The Linux pids of the prefix's processes running EXE (a Windows file name).
wine_pids()
{
	local d

	# Wine writes the Windows command line over argv, program first, padded with NULs.
	# pgrep only narrows the candidates (a /proc walk forks too often on a loaded machine).
	for d in $(pgrep -f -- "${1##*\\}" | sed 's|^|/proc/|'); do
		[ "$(head -z -n 1 2>/dev/null <"$d/cmdline" | tr -d '\0')" = "$1" ] || continue
		tr '\0' '\n' 2>/dev/null <"$d/environ" | grep -qx "WINEPREFIX=$WINEPREFIX" &&
			echo "${d#/proc/}"
	done
}

# ---------------------------------------------------------------- a Windows desktop

# windows_desktop_start NODE [POLICY_LINE...]: after agent_cluster_start (agent.sh), makes
# NODE a Windows PC: idleaccd with the windows source alone (listening on a free port of
# the loopback, the secret the service made), the MSI installed in a fresh prefix, the
# policy pointing the service at that port with a 1 s heartbeat, and the helper running as
# at logon. Returns when idleaccd reads the helper's session. Sets WINDOWS_PORT.
windows_desktop_start()
{
	local node=$1 dir=$CLUSTER_DIR/agent-$1 line
	shift
	mkdir -p "$dir/run" "$dir/state"
	{
		echo "policy:"
		echo "  idle_after: 3s"
		echo "  locked_idle_after: 3s"
		echo "  resume_after: 2s"
		echo "  max_suspend: 10m"
		for line in "$@"; do
			echo "  $line"
		done
		echo "sources:"
		echo "  windows:"
		echo "    listen: 127.0.0.1:0"
		echo "    secret: $dir/windows.secret"
		echo "    max_silence: 10s"
		echo "agent:"
		echo "  interval: 1s"
		echo "  reconcile: 5s"
		echo "  max_hold: 1h"
		echo "  run_dir: $dir/run"
		echo "  state_dir: $dir/state"
	} >"$dir/idleacc.yaml"
	chmod 644 "$dir/idleacc.yaml"

	wine_start
	wine_install "$WINDOWS_MSI" || fail "msiexec /i failed: exit $?"
	wait_until 60 service_is RUNNING || fail "service not running: $(service_state)"
	local secret
	secret=$(win_unix "$WINDOWS_LOG_DIR\\secret")
	wait_until 60 test -s "$secret" || fail "no secret made"
	install -m 600 "$secret" "$dir/windows.secret"

	agent_start "$node"
	WINDOWS_PORT=$(agent_status "$node" |
		sed -n 's/.*(listening on 127\.0\.0\.1:\([0-9]*\)).*/\1/p' | head -n 1)
	[ -n "$WINDOWS_PORT" ] || fail "idleaccd does not say where it listens: $(agent_status "$node")"
	policy_set GuestPort REG_DWORD "$WINDOWS_PORT"
	policy_set HeartbeatSeconds REG_DWORD 1
	policy_set BusyPrograms REG_MULTI_SZ busyprog.exe
	service_stop || fail "service did not stop"
	service_start || fail "service did not start"
	helper_start
	wait_until 60 windows_sessions "$node" 1 || fail "idleaccd sees no helper: $(agent_status "$node")"
}

# windows_sessions NODE N: idleaccd reads N sessions from Windows.
windows_sessions()
{
	agent_status "$1" | grep -q "^  windows    ok: service at 127\.0\.0\.1:[0-9]*, $2 sessions"
}

# windows_type: the owner presses a key (SendInput); prints the wall-clock ms it happened.
windows_type()
{
	wine "$WINPLAY" type 2>/dev/null | tr -d '\r' | sed -n 's/^sendinput //p'
}

# log_ms NODE PATTERN: the time (wall-clock ms) of the first line of NODE's idleaccd log
# matching PATTERN (grep -E) after line FROM (default 0).
log_ms()
{
	local line

	line=$(tail -n +"$((${3:-0} + 1))" "$CLUSTER_DIR/log/idleaccd-$1.out" | grep -E -m1 -- "$2") ||
		return 1
	date -d "${line%% *}" +%s%3N
}

# log_lines NODE: lines in NODE's idleaccd log so far.
log_lines()
{
	wc -l <"$CLUSTER_DIR/log/idleaccd-$1.out"
}
