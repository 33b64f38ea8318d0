#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# x11_reaction.sh - how fast idleaccd reacts to the owner through the X11 source alone, beside
# the evdev source: a real cluster (munged, slurmctld, two slurmd) with one idleaccd per desktop,
# d1 configured with `sources: {x11: {display: :N}}` against a private Xvfb (input: xdotool),
# d2 with `sources: {evdev: {dir: DIR}}` whose event0 is a FIFO fed struct input_event records
# (the stand-in check_evdev uses). Each desktop runs a job; every round the owner comes back
# after an absence and the script measures owner input -> node drained (slurmctld's log, its
# own millisecond timestamps) and owner input -> job stopped (the job's process in state T,
# watched every millisecond), both from the moment the input is handed to an xdotool or evdev
# writer that is already running, then waits for the job to resume. agent.interval stays at its
# default (5 s), so a polled source would show seconds. Prints medians and p99 per source.
# A measurement for the README, not a test: nothing is asserted. Not part of make check.
#
# Usage (root): tests/integration/x11_reaction.sh [ROUNDS]          (default 10 rounds each)
#   From a clone: installs the packages (tests/deps.sh) and builds into ./build (BUILD_DIR=).
#   From a build: top_builddir=BUILD tests/integration/x11_reaction.sh [ROUNDS]
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rounds=${1:-10}
. "$here/figures.sh"
figures_rounds x11_reaction.sh "$rounds"
figures_build x11_reaction.sh x11-reaction
for b in Xvfb xdotool perl; do
	command -v "$b" >/dev/null || {
		echo "x11_reaction.sh: $b not found (tests/deps.sh installs xvfb xdotool)" >&2
		exit 1
	}
done
grep -q '^#define HAVE_X11 1' "$top_builddir/config.h" || {
	echo "x11_reaction.sh: $top_builddir was built without the X11 source" >&2
	exit 1
}

srcdir=$top/tests
. "$srcdir/integration/cluster.sh"
. "$srcdir/integration/agent.sh"

xvfb_pid=
evdev_fd=
# The X server goes after the agents and the cluster: it must outlive the agent that watches it.
_reaction_exit()
{
	local p

	# The hands first: their FIFOs live in the cluster's directory, whose stray processes
	# cluster_stop kills.
	[ -z "${xdotool_fd:-}" ] || exec {xdotool_fd}>&-
	[ -z "${evdev_in_fd:-}" ] || exec {evdev_in_fd}>&-
	[ -z "$evdev_fd" ] || exec {evdev_fd}>&-
	for p in $hand_pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_agent_exit
	if [ -n "$xvfb_pid" ]; then
		kill "$xvfb_pid" 2>/dev/null
		wait "$xvfb_pid" 2>/dev/null
	fi
}

# A private Xvfb on the first free display from :120 up; sets DISPLAY_N and xvfb_pid.
start_xvfb()
{
	local n=120 ready

	ready=$(mktemp "${TMPDIR:-/tmp}/idleacc-x11-reaction.XXXXXX") || return 1
	while [ "$n" -lt 220 ]; do
		if [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; then
			n=$((n + 1))
			continue
		fi
		: >"$ready"
		Xvfb ":$n" -nolisten tcp -noreset -displayfd 3 3>"$ready" >/dev/null 2>&1 &
		xvfb_pid=$!
		wait_until 30 test -s "$ready"
		if [ -s "$ready" ] && [ -S "/tmp/.X11-unix/X$n" ]; then
			rm -f "$ready"
			DISPLAY_N=$n
			return 0
		fi
		kill "$xvfb_pid" 2>/dev/null
		wait "$xvfb_pid" 2>/dev/null
		xvfb_pid=
		n=$((n + 1))
	done
	rm -f "$ready"
	return 1
}

# reaction_conf NODE SOURCES_YAML: idleacc.yaml for NODE with only the given sources, the
# default interval, and a long max_suspend so that no job is requeued between rounds.
reaction_conf()
{
	local dir=$CLUSTER_DIR/agent-$1

	mkdir -p "$dir/run" "$dir/state"
	cat >"$dir/idleacc.yaml" <<-EOF
		policy:
		  idle_after: 3s
		  resume_after: 2s
		  on_owner_return: suspend
		  max_suspend: 1h
		sources:
		$2
		agent:
		  reconcile: 1m
		  run_dir: $dir/run
		  state_dir: $dir/state
	EOF
	chmod 644 "$dir/idleacc.yaml"
}

# Milliseconds since the epoch.
now_ms()
{
	local t=${EPOCHREALTIME/,/.}
	echo $((${t%.*} * 1000 + 10#${t#*.} / 1000))
}

# The owner's hands, ready before any round so that no program start-up is measured: one
# "xdotool -" reading commands from a FIFO (it runs each line as it arrives) for d1's X server,
# and one perl writing struct input_event records into d2's evdev FIFO for each line it reads.
start_hands()
{
	mkfifo "$out/xdotool.in" "$out/evdev.in" || return 1
	DISPLAY=:$DISPLAY_N xdotool - <"$out/xdotool.in" >/dev/null 2>&1 &
	hand_pids="$!"
	# struct input_event on 64-bit Linux: timeval (two 64-bit), type, code (16-bit), value
	# (32-bit). KEY_A down, then the end of the packet, stamped when written.
	perl -MTime::HiRes=gettimeofday -e '
		open(my $ev, "+<", $ARGV[0]) or die "$ARGV[0]: $!\n";
		while (<STDIN>) {
			my ($s, $us) = gettimeofday();
			syswrite($ev, pack("q q S S l", $s, $us, 1, 30, 1) .
				      pack("q q S S l", $s, $us, 0, 0, 0)) == 48 or die "write: $!\n";
		}' "$CLUSTER_DIR/agent-d2/input/event0" <"$out/evdev.in" &
	hand_pids="$hand_pids $!"
	exec {xdotool_fd}>"$out/xdotool.in" {evdev_in_fd}>"$out/evdev.in"
}
hand_pids=

# The owner's input on NODE: the mouse on d1's X server, a key press on d2's evdev device.
owner_touches()
{
	case $1 in
	d1)
		xdotool_pos=$((xdotool_pos % 200 + 10))
		echo "mousemove $xdotool_pos $xdotool_pos" >&"$xdotool_fd"
		;;
	d2)
		echo key >&"$evdev_in_fd"
		;;
	esac
}
xdotool_pos=0

# stop_watch PID OUT: waits (up to 30 s) for PID to be stopped (state T); writes the epoch ms.
stop_watch()
{
	perl -MTime::HiRes=time,sleep -e '
		my ($pid, $out) = @ARGV;
		my $end = time + 30;
		while (time < $end) {
			open(my $f, "<", "/proc/$pid/stat") or exit 1;
			my $st = <$f>;
			close $f;
			if ($st =~ /\) (\S)/ && $1 eq "T") {
				open(my $o, ">", $out) or die;
				printf $o "%d\n", time * 1000;
				exit 0;
			}
			sleep 0.001;
		}
		exit 1;' "$1" "$2"
}

# drain_ms NODE SINCE_MS: the first time (epoch ms) at or after SINCE_MS that slurmctld set NODE
# to a DRAIN state, from its log; empty if not found.
drain_ms()
{
	perl -MTime::Local=timelocal -ne '
		BEGIN { ($node, $since) = splice(@ARGV, 0, 2) }
		next unless /^\[(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)\] update_node: node (\S+) state set to DRAIN/;
		next unless $8 eq $node;
		my $t = timelocal($6, $5, $4, $3, $2 - 1, $1) * 1000 + $7;
		if ($t >= $since) { print "$t\n"; exit }
		' "$1" "$2" "$CLUSTER_DIR/log/slurmctld.log"
}

# drain_logged NODE SINCE_MS: slurmctld has logged NODE's drain (for wait_until).
drain_logged()
{
	[ -n "$(drain_ms "$1" "$2")" ]
}

# offered NODE JOBID: the job runs and the node takes new work again (no DRAIN flag).
offered()
{
	job_is "$2" RUNNING && ! drained "$1"
}

# summary LABEL FILE: "LABEL: median M ms, p99 P ms (N rounds)" over the numbers in FILE.
summary()
{
	sort -n "$2" | awk -v label="$1" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { printf "%-58s no rounds measured\n", label; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			k = int(NR * 0.99 + 0.999999); if (k < 1) k = 1
			printf "%-58s median %6.0f ms   p99 %6.0f ms   (%d rounds)\n", label, m, v[k], NR
		}'
}

start_xvfb || { echo "x11_reaction.sh: could not start Xvfb" >&2; exit 1; }
agent_cluster_start 2 || { kill "$xvfb_pid"; exit 1; }
trap _reaction_exit EXIT
out=$CLUSTER_DIR/reaction
mkdir -p "$out"

reaction_conf d1 "  x11: {display: \":$DISPLAY_N\"}"
mkdir -p "$CLUSTER_DIR/agent-d2/input"
mkfifo "$CLUSTER_DIR/agent-d2/input/event0" || fail "mkfifo"
# Read-write: never blocks, and the agent's reads never see the end of the file.
exec {evdev_fd}<>"$CLUSTER_DIR/agent-d2/input/event0"
reaction_conf d2 "  evdev: {dir: $CLUSTER_DIR/agent-d2/input}"
agent_start d1
agent_start d2
start_hands || fail "cannot start xdotool and the evdev writer"

declare -A job pid
for node in d1 d2; do
	job[$node]=$(submit -p desktop -w "$node" \
		--wrap="echo \$\$ >$CLUSTER_DIR/jobs/$node.pid; exec sleep 100000") ||
		fail "sbatch on $node failed"
done
for node in d1 d2; do
	wait_until 60 offered "$node" "${job[$node]}" ||
		fail "$node: job ${job[$node]} not running on an offered node: $(node_state "$node")"
	wait_until 10 test -s "$CLUSTER_DIR/jobs/$node.pid" || fail "$node: no job pid"
	pid[$node]=$(cat "$CLUSTER_DIR/jobs/$node.pid")
done
status=$(agent_status d1)
echo "$status" | grep -q 'x11.*ok: last input' ||
	fail "d1's agent does not read the X server: $status"

echo "x11_reaction: $rounds rounds per source, agent.interval 5s (default), idle_after 3s"
for ((r = 1; r <= rounds; r++)); do
	for node in d1 d2; do
		# The owner has been away long enough for the job to run on an offered node.
		wait_until 60 offered "$node" "${job[$node]}" ||
			fail "$node: job ${job[$node]} not resumed: $(job_state "${job[$node]}")"
		sleep 1
		rm -f "$out/stopped"
		stop_watch "${pid[$node]}" "$out/stopped" &
		watcher=$!
		sleep 0.2 # the watcher is polling
		# From the moment the command goes to the running xdotool or evdev writer: one pipe
		# hop, then the input, is counted; no program start-up is.
		t0=$(now_ms)
		owner_touches "$node"
		wait "$watcher" || fail "$node: job ${job[$node]} never stopped (round $r)"
		wait_until 30 drained "$node" || fail "$node not drained (round $r)"
		wait_until 10 drain_logged "$node" "$t0" ||
			fail "$node: no drain after $t0 in slurmctld's log (round $r)"
		echo $(($(drain_ms "$node" "$t0") - t0)) >>"$out/$node.drain"
		echo $(($(cat "$out/stopped") - t0)) >>"$out/$node.stop"
		printf '  round %d %s: drained %d ms, stopped %d ms\n' "$r" "$node" \
			"$(tail -n 1 "$out/$node.drain")" "$(tail -n 1 "$out/$node.stop")"
	done
done

echo
echo "owner input -> idleaccd's reaction, $rounds rounds per source, from the moment the input" \
	"was handed to the running xdotool or evdev writer"
summary "x11   (xdotool under Xvfb): owner input -> node drained" "$out/d1.drain"
summary "x11   (xdotool under Xvfb): owner input -> job stopped" "$out/d1.stop"
summary "evdev (FIFO stand-in):      owner input -> node drained" "$out/d2.drain"
summary "evdev (FIFO stand-in):      owner input -> job stopped" "$out/d2.stop"
