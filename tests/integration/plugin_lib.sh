# SPDX-License-Identifier: MIT
# plugin_lib.sh - what the plugin*.test integration tests share: the built plugin, a
# plugstack.conf written before the daemons start, and stand-in idleaccd sockets per node.
#
# Usage (bash, after cluster.sh):
#   . "$srcdir/integration/plugin_lib.sh"
#   plugin_setup [plugstack arguments...]    # sets PLUGIN_DIR, PLUGSTACK_LINE
#   fake_agent d1 'no: IDLEACC: console input 2s ago < 5m'
#   cluster_start 2 "$PLUGSTACK_LINE" || exit 1
#   ... agent_log d1 ...

PLUGIN_SO=${PLUGIN_SO:-${top_builddir:-.}/plugin/.libs/idleacc.so}
FAKE_AGENT=${FAKE_AGENT:-${top_builddir:-.}/tests/integration/fake_idleaccd}

_plugin_fake_pids=()

fail()
{
	echo "FAIL: $*" >&2
	cluster_logs 40
	exit 1
}

# plugin_setup [ARG...]: a private directory with plugstack.conf ("required" so that a plugin
# that fails to load fails the test) and the agents' socket directory.
plugin_setup()
{
	local so

	for so in "$PLUGIN_SO" "$FAKE_AGENT"; do
		[ -e "$so" ] || { echo "FAIL: $so not built (make check builds it)" >&2; exit 1; }
	done
	PLUGIN_SO=$(cd "$(dirname "$PLUGIN_SO")" && pwd)/$(basename "$PLUGIN_SO")
	FAKE_AGENT=$(cd "$(dirname "$FAKE_AGENT")" && pwd)/$(basename "$FAKE_AGENT")
	PLUGIN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/idleacc-plugin.XXXXXX") || exit 1
	chmod 755 "$PLUGIN_DIR"
	mkdir -p "$PLUGIN_DIR/run"
	echo "required $PLUGIN_SO socket_dir=$PLUGIN_DIR/run $*" >"$PLUGIN_DIR/plugstack.conf"
	PLUGSTACK_LINE="PlugStackConfig=$PLUGIN_DIR/plugstack.conf"
	export PLUGIN_DIR
}

# fake_agent NODE VERDICT: a stand-in idleaccd for NODE; its requests go to agent_log NODE.
fake_agent()
{
	local sock="$PLUGIN_DIR/run/$1.sock"

	"$FAKE_AGENT" "$sock" "$PLUGIN_DIR/$1.requests" "$2" \
		>>"$PLUGIN_DIR/$1.agent.out" 2>&1 </dev/null &
	_plugin_fake_pids+=($!)
	wait_until 10 test -S "$sock" || fail "fake agent for $1 did not start"
}

# agent_log NODE: every request the stand-in for NODE received, one per line.
agent_log()
{
	cat "$PLUGIN_DIR/$1.requests" 2>/dev/null
}

# agent_got NODE LINE: true if the stand-in for NODE received exactly LINE.
agent_got()
{
	agent_log "$1" | grep -qxF -- "$2"
}

plugin_cleanup()
{
	local p

	cluster_stop
	for p in "${_plugin_fake_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -z "${PLUGIN_DIR:-}" ] || [ "${KEEP_CLUSTER:-0}" = 1 ] || rm -rf "$PLUGIN_DIR"
}

# plugin_start N [LINE...]: cluster_start with the plugstack line, then the cleanup trap.
plugin_start()
{
	local n=$1
	shift
	cluster_start "$n" "$PLUGSTACK_LINE" "$@" || { plugin_cleanup; exit 1; }
	trap plugin_cleanup EXIT
}
