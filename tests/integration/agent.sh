# SPDX-License-Identifier: MIT
# agent.sh - runs idleaccd on the emulated desktops of a cluster.sh cluster, for the
# agent_*.test integration tests.
#
# Usage (bash, after cluster.sh):
#   . "$srcdir/integration/agent.sh"
#   agent_cluster_start 2 || exit 1        # cluster_start, and agents stopped at exit
#   agent_start d1 [YAML_POLICY_LINE...]   # "on_owner_return: requeue" ...
#   owner_input d1                         # the owner types on d1
#   wait_until 20 reason_is d1 'IDLEACC: *' || fail "..."
#
# Every desktop gets its own directory $CLUSTER_DIR/agent-NODE with its config (only the tty
# source, watching tty/ in there: the machine's real input and load never count), run_dir and
# state_dir, and its daemon logs to $CLUSTER_DIR/log/idleaccd-NODE.out (shown by cluster_logs).
# AGENT_IDLE_AFTER replaces the 3 s idle_after; AGENT_YAML_EXTRA is appended to the file as it
# is (a section of its own: "emergency:" ...). Durations are short: the owner counts as absent
# 3 s after the last input, jobs resume 2 s after it, a job suspended 8 s is requeued.

AGENT_BIN=${top_builddir:-../..}/nodeagent
IDLEACCD=$AGENT_BIN/idleaccd
IDLEACC=$AGENT_BIN/idleacc

fail()
{
	echo "FAIL: $*" >&2
	cluster_logs 40
	exit 1
}

# agent_conf NODE [POLICY_LINE...]: writes $CLUSTER_DIR/agent-NODE/idleacc.yaml.
agent_conf()
{
	local node=$1 dir=$CLUSTER_DIR/agent-$1 line
	shift
	mkdir -p "$dir/tty" "$dir/run" "$dir/state"
	[ -e "$dir/tty/console" ] || touch -d '1 hour ago' "$dir/tty/console"
	{
		echo "policy:"
		echo "  idle_after: ${AGENT_IDLE_AFTER:-3s}"
		echo "  locked_idle_after: 3s"
		echo "  resume_after: 2s"
		echo "  max_suspend: 8s"
		echo "  warn_grace: 2s"
		for line in "$@"; do
			echo "  $line"
		done
		echo "sources:"
		echo "  tty:"
		echo "    dirs: [$dir/tty]"
		echo "    utmp: $dir/utmp"
		echo "agent:"
		echo "  interval: 1s"
		echo "  reconcile: 5s"
		echo "  max_hold: 1h"
		echo "  run_dir: $dir/run"
		echo "  state_dir: $dir/state"
		[ -z "${AGENT_YAML_EXTRA:-}" ] || printf '%s\n' "$AGENT_YAML_EXTRA"
	} >"$dir/idleacc.yaml"
	chmod 644 "$dir/idleacc.yaml"
}

agent_sock()
{
	echo "$CLUSTER_DIR/agent-$1/run/$1.sock"
}

# _agent_argv NODE: sets _cluster_argv to the command that runs NODE's idleaccd: with -c its
# file, in the desktops' network namespace if the cluster has one (CLUSTER_SLURMD_NETNS). On a
# configless cluster (CLUSTER_CONFIGLESS=1) it runs as on the desktop instead (cluster.sh
# cluster_in_node: its own /run and /etc/slurm, no SLURM_CONF) and without -c, its file copied
# to that /etc/slurm/idleacc.yaml: it then watches /run/slurm/conf, where slurmd puts what
# slurmctld pushes, and reconciles when fresh configuration arrives (confsrc.c).
_agent_argv()
{
	local node=$1 yaml=$CLUSTER_DIR/agent-$1/idleacc.yaml
	if [ "${CLUSTER_CONFIGLESS:-0}" = 1 ]; then
		_cluster_in_node "$node"
		cp "$yaml" "$(cluster_node_run "$node").etc-slurm/idleacc.yaml"
		_cluster_argv=(${CLUSTER_SLURMD_NETNS:+nsenter --net="$CLUSTER_SLURMD_NETNS"}
			"${_cluster_argv[@]}" "$IDLEACCD" -D -v -N "$node")
	else
		_cluster_argv=(${CLUSTER_SLURMD_NETNS:+nsenter --net="$CLUSTER_SLURMD_NETNS"}
			"$IDLEACCD" -D -v -N "$node" -c "$yaml")
	fi
}

# agent_start NODE [POLICY_LINE...]: writes the config (unless it exists and no lines are
# given) and starts idleaccd -D for NODE (_agent_argv: how); waits for its socket. Sets
# AGENT_PID_<NODE>.
agent_start()
{
	local node=$1 pid sock
	shift
	if [ $# -gt 0 ] || ! [ -e "$CLUSTER_DIR/agent-$node/idleacc.yaml" ]; then
		agent_conf "$node" "$@"
	fi
	sock=$(agent_sock "$node")
	rm -f "$sock"
	_agent_argv "$node"
	pid=$(_cluster_spawn "idleaccd-$node" "${_cluster_argv[@]}") ||
		fail "idleaccd $node did not start"
	eval "AGENT_PID_$node=$pid"
	wait_until 10 test -S "$sock" || fail "idleaccd $node: no socket"
	_agent_pids="${_agent_pids:-} $pid"
}

agent_pid()
{
	eval "echo \${AGENT_PID_$1:-}"
}

# agent_stop NODE [SIGNAL]: stops the node's idleaccd (SIGTERM, or SIGNAL) and reaps it.
agent_stop()
{
	local pid
	pid=$(agent_pid "$1")
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	wait_until 10 _cluster_all_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	eval "AGENT_PID_$1="
}

agent_stop_all()
{
	local p
	for p in ${_agent_pids:-}; do
		_cluster_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	[ -z "${_agent_pids:-}" ] || wait_until 10 _cluster_all_gone $_agent_pids
	_agent_pids=
}

# The agents go before the cluster: they must not outlive it.
_agent_exit()
{
	agent_stop_all
	cluster_stop
}

# agent_cluster_start N [LINE...]: cluster_start, with the agents stopped at exit first.
agent_cluster_start()
{
	cluster_start "$@" || return 1
	trap _agent_exit EXIT
}

# owner_input NODE: the owner types on NODE (a tty of its tty directory is accessed now).
owner_input()
{
	touch "$CLUSTER_DIR/agent-$1/tty/console"
}

# busy_loop NODE: the owner types on NODE every 0.5 s until the loop is killed; echoes its pid.
busy_loop()
{
	# Ends by itself with the test (or its cluster directory), even when a test fails.
	(while kill -0 $$ && [ -d "$CLUSTER_DIR/agent-$1/tty" ]; do
		owner_input "$1"
		sleep 0.5
	done) >/dev/null 2>&1 &
	echo $!
}

# job_procs JOBID: "PID STATE" of each process of the job here (the descendants of its
# slurmstepd, which is left out), read at once; this cluster's slurmstepd is told from other
# clusters' (job ids repeat) by the slurm.conf in its environment.
job_procs()
{
	local s stepds=

	for s in $(ps -eo pid=,args= | awk -v id="$1" \
		'$2 == "slurmstepd:" && index($3, "[" id ".") == 1 { print $1 }'); do
		tr '\0' '\n' 2>/dev/null <"/proc/$s/environ" | grep -qx "SLURM_CONF=$SLURM_CONF" &&
			stepds="$stepds $s"
	done
	[ -n "$stepds" ] || return 0
	ps -eo pid=,ppid=,stat= | awk -v roots="$stepds" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) top[r[i]] = 1 }
		{ par[$1] = $2; st[$1] = substr($3, 1, 1) }
		END {
			for (p in par) {
				q = par[p]
				for (d = 0; d < 64 && q > 1; d++) {
					if (q in top) { print p, st[p]; break }
					q = par[q]
				}
			}
		}'
}

# all_stopped JOBID: the job has processes here and every one is stopped (T).
all_stopped()
{
	local out

	out=$(job_procs "$1")
	[ -n "$out" ] && ! echo "$out" | grep -qv ' T$'
}

# none_stopped JOBID: the job has processes here and none is stopped.
none_stopped()
{
	local out

	out=$(job_procs "$1")
	[ -n "$out" ] && ! echo "$out" | grep -q ' T$'
}

# reason_is NODE PATTERN: the node's reason matches the shell PATTERN.
reason_is()
{
	# shellcheck disable=SC2053
	[[ "$(node_reason "$1")" == $2 ]]
}

# idle_again NODE: exactly IDLE, no flag.
idle_again()
{
	node_is "$1" IDLE
}

drained()
{
	[[ "$(node_state "$1")" == *DRAIN* ]]
}

# agent_status NODE: what "idleacc status" says.
agent_status()
{
	"$IDLEACC" -s "$(agent_sock "$1")" status
}

agent_log_has()
{
	grep -q -- "$2" "$CLUSTER_DIR/log/idleaccd-$1.out"
}

# raw_request SOCKET LENGTH BODY: sends the 4-byte big-endian LENGTH and BODY as they are
# (a lying length, garbage), then prints the daemon's answer. As user $RAW_REQUEST_AS if set.
raw_request()
{
	${RAW_REQUEST_AS:+setpriv --reuid=$RAW_REQUEST_AS --regid=nogroup --clear-groups} \
		perl -MIO::Socket::UNIX -e '
		my ($path, $len, $body) = @ARGV;
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
			or die "connect $path: $!\n";
		$s->autoflush(1);
		print $s pack("N", $len) . $body;
		my $h = "";
		read($s, $h, 4) == 4 or die "no answer\n";
		my $n = unpack("N", $h);
		read($s, my $b, $n) == $n or die "short answer\n";
		print "$b\n";' "$@"
}

# agent_start_faulty NODE FAULT: starts the node's idleaccd under libfaultinject, which kills it
# with SIGKILL at FAULT ("slurm_suspend:after": right after slurmctld answered the suspend);
# agent_wait_killed NODE then waits until it died there.
agent_start_faulty()
{
	local lib
	lib=$(realpath "${top_builddir:-../..}/tests/integration/.libs/libfaultinject.so") ||
		fail "libfaultinject.so not built"
	rm -f "$CLUSTER_DIR/agent-$1/fault.mark"
	IDLEACC_FAULT=$2 IDLEACC_FAULT_MARK=$CLUSTER_DIR/agent-$1/fault.mark LD_PRELOAD=$lib \
		agent_start "$1"
}

_agent_dead()
{
	! _cluster_alive "$(agent_pid "$1")"
}

# agent_wait_killed NODE: the agent started by agent_start_faulty died at its fault (reaped).
agent_wait_killed()
{
	wait_until 60 _agent_dead "$1" || fail "idleaccd $1 still runs: never reached its fault"
	grep -q . "$CLUSTER_DIR/agent-$1/fault.mark" 2>/dev/null ||
		fail "idleaccd $1 died, but not at its fault"
	agent_stop "$1"
}

# flood_socket SOCKET N OUT: an ordinary user (nobody) keeps N idle connections to SOCKET open,
# each a non-blocking connect that sends nothing, reopened as soon as idleaccd closes it, until
# killed; the first refusal it reads goes to OUT. Echoes its pid.
flood_socket()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups perl -MSocket -MIO::Handle -e '
		my ($path, $n) = @ARGV;
		$| = 1;
		my (@s, $said);
		my $addr = pack_sockaddr_un($path);
		for (;;) {
			for my $i (0 .. $n - 1) {
				if (defined $s[$i]) {
					my $rin = "";
					vec($rin, fileno($s[$i]), 1) = 1;
					next unless select(my $r = $rin, undef, undef, 0) > 0;
					my $got = sysread($s[$i], my $b, 512);
					if ($got && $got > 4 && !$said) {
						print substr($b, 4), "\n";
						$said = 1;
					}
					close($s[$i]);
					undef $s[$i];
				}
				socket(my $fd, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
				$fd->blocking(0);
				connect($fd, $addr);
				$s[$i] = $fd;
			}
			select(undef, undef, undef, 0.01);
		}' "$1" "$2" >"$3" 2>&1 &
	echo $!
}
