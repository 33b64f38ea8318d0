#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# outage_reaction.sh - how fast idleaccd protects the owner when Slurm cannot be reached: a
# real cluster (munged, slurmctld, one slurmd) with one idleaccd whose only source is evdev
# (`sources: {evdev: {dir: DIR}}`, event0 a FIFO fed struct input_event records: the stand-in
# check_evdev and x11_reaction.sh use). A job of four processes runs on the desktop; every round
# the owner comes back after an absence, in one of three settings:
#   up       slurmctld and munged running (the reference);
#   ctld     slurmctld stopped (SIGTERM) before the input, started again after the stop;
#   munged   munged stopped (SIGSTOP: every Slurm call hangs in authentication) before the
#            input, continued after the stop.
# Two figures per round, from the moment the input is handed to an evdev writer that already
# runs: "input -> every job process stopped" (each process's state read from /proc/PID/stat
# every millisecond until all are T), and "-> DRAIN in slurmctld" (slurmctld's log, its own
# millisecond timestamps): from the input when slurmctld is up, from the moment slurmctld or
# munged is back otherwise (the drain cannot happen before). Then the owner leaves and the
# job runs again on an offered node before the next round. Prints median and max per setting.
# A measurement for the README, not a test: nothing is asserted. Not part of make check.
#
# Usage (root): tests/integration/outage_reaction.sh [ROUNDS]       (default 10 per setting)
#   From a clone: installs the packages (tests/deps.sh) and builds into ./build (BUILD_DIR=).
#   From a build: top_builddir=BUILD tests/integration/outage_reaction.sh [ROUNDS]
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rounds=${1:-10}
. "$here/figures.sh"
figures_rounds outage_reaction.sh "$rounds"
figures_build outage_reaction.sh outage-reaction
command -v perl >/dev/null || {
	echo "outage_reaction.sh: perl not found" >&2
	exit 1
}

srcdir=$top/tests
. "$srcdir/integration/cluster.sh"
. "$srcdir/integration/agent.sh"

hand_pid=
evdev_fd=
_outage_exit()
{
	# Daemons left frozen by an interrupted round would hang the clean-up.
	[ -z "${_cluster_munged_pid:-}" ] || kill -CONT "$_cluster_munged_pid" 2>/dev/null
	[ -z "${evdev_in_fd:-}" ] || exec {evdev_in_fd}>&-
	[ -z "$evdev_fd" ] || exec {evdev_fd}>&-
	if [ -n "$hand_pid" ]; then
		kill "$hand_pid" 2>/dev/null
		wait "$hand_pid" 2>/dev/null
	fi
	_agent_exit
}

agent_cluster_start 1 || exit 1
trap _outage_exit EXIT
out=$CLUSTER_DIR/reaction
dir=$CLUSTER_DIR/agent-d1
mkdir -p "$out" "$dir/input" "$dir/run" "$dir/state"
mkfifo "$dir/input/event0" || fail "mkfifo"
# Read-write: never blocks, and the agent's reads never see the end of the file.
exec {evdev_fd}<>"$dir/input/event0"
# The shipped interval (5 s) and a long max_suspend: no job is requeued between rounds.
cat >"$dir/idleacc.yaml" <<EOF
policy:
  idle_after: 3s
  resume_after: 2s
  on_owner_return: suspend
  max_suspend: 1h
sources:
  evdev: {dir: $dir/input}
agent:
  reconcile: 1m
  run_dir: $dir/run
  state_dir: $dir/state
EOF
chmod 644 "$dir/idleacc.yaml"
agent_start d1

# The owner's hand, ready before any round so that no program start-up is measured: a perl that
# writes one struct input_event packet (KEY_A down, then the end of the packet) into the FIFO
# for each line it reads. On 64-bit Linux: timeval (two 64-bit), type, code (16-bit), value.
mkfifo "$out/evdev.in" || fail "mkfifo"
perl -MTime::HiRes=gettimeofday -e '
	open(my $ev, "+<", $ARGV[0]) or die "$ARGV[0]: $!\n";
	while (<STDIN>) {
		my ($s, $us) = gettimeofday();
		syswrite($ev, pack("q q S S l", $s, $us, 1, 30, 1) .
			      pack("q q S S l", $s, $us, 0, 0, 0)) == 48 or die "write: $!\n";
	}' "$dir/input/event0" <"$out/evdev.in" &
hand_pid=$!
exec {evdev_in_fd}>"$out/evdev.in"

now_ms()
{
	local t=${EPOCHREALTIME/,/.}
	echo $((${t%.*} * 1000 + 10#${t#*.} / 1000))
}

# stop_watch OUT PID...: waits (up to 60 s) until every PID is stopped (state T), reading each
# one's /proc/PID/stat every millisecond; writes the epoch ms when the last one was seen T.
stop_watch()
{
	perl -MTime::HiRes=time,sleep -e '
		my ($out, @pids) = @ARGV;
		my $end = time + 60;
		while (time < $end) {
			my $all = 1;
			for my $pid (@pids) {
				open(my $f, "<", "/proc/$pid/stat") or exit 1;
				my $st = <$f>;
				close $f;
				$all = 0 unless $st =~ /\) (\S)/ && $1 eq "T";
			}
			if ($all) {
				open(my $o, ">", $out) or die;
				printf $o "%d\n", time * 1000;
				exit 0;
			}
			sleep 0.001;
		}
		exit 1;' "$@"
}

# drain_ms SINCE_MS: the first time (epoch ms) at or after SINCE_MS that slurmctld set d1 to a
# DRAIN state, from its log; empty if not found.
drain_ms()
{
	perl -MTime::Local=timelocal -ne '
		BEGIN { $since = shift @ARGV }
		next unless /^\[(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)\] update_node: node d1 state set to DRAIN/;
		my $t = timelocal($6, $5, $4, $3, $2 - 1, $1) * 1000 + $7;
		if ($t >= $since) { print "$t\n"; exit }
		' "$1" "$CLUSTER_DIR/log/slurmctld.log"
}

drain_logged()
{
	[ -n "$(drain_ms "$1")" ]
}

# offered JOBID: the job runs and the node takes new work again (no DRAIN flag).
offered()
{
	job_is "$1" RUNNING && ! drained d1
}

# summary LABEL FILE: "LABEL: median M ms, max X ms (N rounds)" over the numbers in FILE.
summary()
{
	sort -n "$2" | awk -v label="$1" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { printf "%-52s no rounds measured\n", label; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%-52s median %6.0f ms   max %6.0f ms   (%d rounds)\n", label, m, v[NR], NR
		}'
}

# Four processes: the batch shell and three children, each its own pid in the file.
id=$(submit -p desktop -w d1 --wrap="for i in 1 2 3; do sleep 100000 & echo \$! >>$CLUSTER_DIR/jobs/pids; done; echo \$\$ >>$CLUSTER_DIR/jobs/pids; wait") ||
	fail "sbatch failed"
wait_until 60 offered "$id" || fail "job $id not running on an offered node: $(node_state d1)"
wait_until 10 eval '[ "$(wc -l <"$CLUSTER_DIR/jobs/pids")" -eq 4 ]' || fail "no job pids"
pids=$(cat "$CLUSTER_DIR/jobs/pids")

echo "outage_reaction: $rounds rounds per setting, evdev stand-in, agent.interval 5s" \
	"(default), idle_after 3s, a job of 4 processes; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for setting in up ctld munged; do
	for ((r = 1; r <= rounds; r++)); do
		# The owner has been away long enough for the job to run on an offered node.
		wait_until 90 offered "$id" || fail "job $id not resumed: $(job_state "$id")"
		sleep 1
		case $setting in
		ctld) cluster_stop_ctld ;;
		munged) kill -STOP "$_cluster_munged_pid" ;;
		esac
		rm -f "$out/stopped"
		# shellcheck disable=SC2086
		stop_watch "$out/stopped" $pids &
		watcher=$!
		sleep 0.2 # the watcher is polling
		t0=$(now_ms)
		echo key >&"$evdev_in_fd"
		wait "$watcher" || fail "$setting: job $id never stopped (round $r)"
		back=$t0
		case $setting in
		ctld)
			back=$(now_ms)
			cluster_start_ctld || fail "slurmctld did not restart"
			;;
		munged)
			back=$(now_ms)
			kill -CONT "$_cluster_munged_pid"
			;;
		esac
		wait_until 60 drain_logged "$back" ||
			fail "$setting: no drain after $back in slurmctld's log (round $r)"
		echo $(($(drain_ms "$back") - back)) >>"$out/$setting.drain"
		echo $(($(cat "$out/stopped") - t0)) >>"$out/$setting.stop"
		printf '  round %2d %-6s: every process stopped %5d ms, DRAIN %5d ms\n' "$r" \
			"$setting" "$(tail -n 1 "$out/$setting.stop")" "$(tail -n 1 "$out/$setting.drain")"
	done
done

echo
echo "owner input (evdev) -> idleaccd's reaction, $rounds rounds per setting, from the moment" \
	"the input was handed to the running evdev writer"
summary "slurmctld up:      input -> every job process stopped" "$out/up.stop"
summary "slurmctld up:      input -> DRAIN in slurmctld" "$out/up.drain"
summary "slurmctld stopped: input -> every job process stopped" "$out/ctld.stop"
summary "slurmctld stopped: slurmctld started -> DRAIN" "$out/ctld.drain"
summary "munged stopped:    input -> every job process stopped" "$out/munged.stop"
summary "munged stopped:    munged continued -> DRAIN" "$out/munged.drain"
