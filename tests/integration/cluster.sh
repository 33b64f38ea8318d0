# SPDX-License-Identifier: MIT
# cluster.sh - a private, throw-away Slurm cluster (munged, slurmctld, one slurmd per node) for
# one integration test, plus the helpers the tests poll it with.
#
# Usage (bash):
#   . "$srcdir/integration/cluster.sh"   # exits 77 (SKIP) if not root or Slurm is missing;
#                                         # with CI=true it exits 1 instead: CI never skips
#   cluster_start 3 [extra slurm.conf lines...] || exit 1
#   id=$(submit -p desktop --wrap='sleep 1')
#   wait_until 30 job_is "$id" COMPLETED || exit 1
#   cluster_stop                          # also runs from the EXIT trap cluster_start sets
#
# Everything lives under one mktemp -d directory ($CLUSTER_DIR): the munge key and socket,
# slurm.conf ($SLURM_CONF, exported: scontrol, sbatch and slurm_init(NULL) all follow it), the
# state, spool and log directories, and the output of the jobs submit() sends. Nodes are
# d1..dN (multiple-slurmd: every slurmd runs on this host, 127.0.0.1, one port each).
#
# A test may move the desktops into a network namespace of its own (fault_network.test):
# CLUSTER_PART_OPTS adds options to the desktop partition's line (emergency_lib.sh: OverSubscribe).
# CLUSTER_SLURMD_NETNS=/run/netns/NAME starts every slurmd in it (nsenter, not ip netns exec:
# that remounts /sys and slurmd dies), CLUSTER_NODE_ADDR is then their NodeAddr and
# CLUSTER_CTLD_HOST the SlurmctldHost they reach the controller at ("HOST(ADDR)").
#
# Configless mode and dynamic nodes (configless_dynamic.test): CLUSTER_CONFIGLESS=1 before
# cluster_start sets SlurmctldParameters=enable_configless, and every slurmd then starts with
# no slurm.conf of its own (SLURM_CONF unset, --conf-server localhost:PORT); it keeps what
# slurmctld sends in SlurmdSpoolDir/conf-cache ($CLUSTER_DIR/spool/NODE/conf-cache, see
# cluster_conf_cache). CLUSTER_DYNAMIC=1 makes room for one dynamic node: MaxNodeCount, the
# static nodes get Features=desktop and the partition "desktop" takes its nodes from
# "NodeSet=desktops Feature=desktop", as conf/slurm.conf.desktop says; cluster_join_dynamic
# NAME then starts a "slurmd -Z" that slurm.conf does not list, cluster_leave_dynamic stops it.
# slurmd(8): --conf may not set Port, so a dynamic node listens on SlurmdPort: one per cluster.
#
# Ports: tests run in parallel (make -j check) next to other engineers' clusters, so each cluster
# takes a random block of free ports below the kernel's ephemeral range (where no outgoing
# connection can sit on them), checked with ss and registered in $CLUSTER_PORT_REGISTRY under a
# lock for as long as the cluster lives, so a concurrent cluster_start never takes the same block
# (not even while cluster_stop_ctld has the controller's port unbound).
#
# Timeouts below are upper bounds for a hung case, never performance assertions.

PATH=/usr/sbin:/sbin:$PATH

CLUSTER_LOCK=${CLUSTER_LOCK:-/tmp/idleacc-cluster.lock}
CLUSTER_PORT_REGISTRY=${CLUSTER_PORT_REGISTRY:-/tmp/idleacc-cluster-ports}

# Skip outside CI, fail in CI: a CI run must never report integration tests as skipped.
_cluster_cannot_run()
{
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 (CI=true: integration tests may not be skipped)" >&2
		exit 1
	fi
	echo "SKIP: $1" >&2
	exit 77
}

_cluster_check_prerequisites()
{
	local b

	[ "$(id -u)" = 0 ] ||
		_cluster_cannot_run "integration tests need root (slurmd, munged, node updates)"
	for b in slurmctld slurmd sbatch scontrol squeue sinfo munged mungekey munge unmunge \
		ss setsid flock hostname; do
		command -v "$b" >/dev/null 2>&1 ||
			_cluster_cannot_run \
				"$b not found: install slurm-wlm munge iproute2 util-linux"
	done
}
_cluster_check_prerequisites

# wait_until TIMEOUT_S CMD...: runs CMD every 0.2 s until it succeeds (0) or TIMEOUT_S passes (1).
wait_until()
{
	local timeout=$1 end
	shift
	end=$(awk -v n="${EPOCHREALTIME/,/.}" -v t="$timeout" 'BEGIN { printf "%.3f", n + t }')
	while ! "$@"; do
		if awk -v n="${EPOCHREALTIME/,/.}" -v e="$end" 'BEGIN { exit !(n >= e) }'; then
			return 1
		fi
		sleep 0.2
	done
	return 0
}

# Seconds since the epoch with microseconds, for the tests' own timing reports.
now()
{
	echo "${EPOCHREALTIME/,/.}"
}

# True while PID is a live process (an exited child is a zombie until reaped: not alive).
_cluster_alive()
{
	local st

	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# _cluster_spawn NAME CMD...: starts CMD in its own session (a test's Ctrl-C or make's signals
# do not reach it; the EXIT trap stops it), output to log/NAME.out; echoes its pid. The pid is
# written by the process itself before it execs CMD, so it is the daemon's even if setsid forks.
_cluster_spawn()
{
	local name=$1 pidf="$CLUSTER_DIR/run/$1.spawn.pid"
	shift
	rm -f "$pidf"
	# The lock fd is closed in the daemon: it must not hold the port lock for its lifetime.
	if [ -n "${_cluster_lockfd:-}" ]; then
		setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
			</dev/null >>"$CLUSTER_DIR/log/$name.out" 2>&1 {_cluster_lockfd}>&- &
	else
		setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
			</dev/null >>"$CLUSTER_DIR/log/$name.out" 2>&1 &
	fi
	wait_until 10 test -s "$pidf" || return 1
	cat "$pidf"
}

# True when none of the PIDs is alive.
_cluster_all_gone()
{
	local q

	for q in "$@"; do
		_cluster_alive "$q" && return 1
	done
	return 0
}

# _cluster_kill TIMEOUT_S PID...: SIGTERM, then SIGKILL whatever still runs after TIMEOUT_S.
_cluster_kill()
{
	local timeout=$1 p left
	shift
	for p in "$@"; do
		_cluster_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	if ! wait_until "$timeout" _cluster_all_gone "$@"; then
		left=
		for p in "$@"; do
			_cluster_alive "$p" && left="$left $p" && kill -KILL "$p" 2>/dev/null
		done
		echo "cluster: SIGKILL after ${timeout}s:$left" >&2
		wait_until 5 _cluster_all_gone "$@"
	fi
	for p in "$@"; do
		wait "$p" 2>/dev/null # reap our own children
	done
	return 0
}

# Prints the tail of every log of the cluster to stderr (what a failing test shows).
cluster_logs()
{
	local f

	[ -n "${CLUSTER_DIR:-}" ] || return 0
	if ! [ -d "$CLUSTER_DIR/log" ]; then
		echo "cluster: $CLUSTER_DIR is gone (removed by someone else?)" >&2
		return 0
	fi
	for f in ${_cluster_ctld_pid:-} ${_cluster_munged_pid:-} "${_cluster_slurmd_pids[@]}"; do
		_cluster_alive "$f" || echo "cluster: daemon $f is not running" >&2
	done
	for f in "$CLUSTER_DIR"/log/*; do
		[ -s "$f" ] || continue
		echo "==> $f <==" >&2
		tail -n "${1:-25}" "$f" >&2
	done
}

# _cluster_ports_free FIRST LAST: no socket of any state uses a local port in [FIRST, LAST], and
# no live cluster has registered an overlapping block. Called with the lock held.
_cluster_ports_free()
{
	local first=$1 last=$2 reg lo hi

	for reg in "$CLUSTER_PORT_REGISTRY"/*-*; do
		[ -e "$reg" ] || continue
		# A block whose cluster directory is gone was left by a killed test: reclaim it.
		if ! [ -d "$(cat "$reg" 2>/dev/null)" ]; then
			rm -f "$reg"
			continue
		fi
		lo=${reg##*/}
		hi=${lo#*-}
		lo=${lo%-*}
		[ "$last" -lt "$lo" ] || [ "$first" -gt "$hi" ] || return 1
	done
	ss -tanH | awk -v lo="$first" -v hi="$last" '
		{ n = split($4, a, ":"); p = a[n] + 0; if (p >= lo && p <= hi) busy = 1 }
		END { exit busy }'
}

# Picks and registers N+1 consecutive free ports; sets _cluster_ctld_port. Lock held.
_cluster_pick_ports()
{
	local n=$1 lo=20000 hi=60000 eph try base

	read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph=
	# Stay below the ephemeral range when there is room (usually 20000-32767).
	if [ -n "$eph" ] && [ "$eph" -gt $((lo + 1000)) ]; then
		hi=$((eph - 1))
	fi
	mkdir -p "$CLUSTER_PORT_REGISTRY"
	for try in $(seq 1 100); do
		base=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo - n)))
		if _cluster_ports_free "$base" $((base + n)); then
			echo "$CLUSTER_DIR" >"$CLUSTER_PORT_REGISTRY/$base-$((base + n))"
			_cluster_port_reg="$CLUSTER_PORT_REGISTRY/$base-$((base + n))"
			_cluster_ctld_port=$base
			return 0
		fi
	done
	echo "cluster: no free block of $((n + 1)) ports in $lo-$hi" >&2
	return 1
}

_cluster_write_conf()
{
	local n=$1 host line
	shift
	local features= partition="Nodes=d[1-$n]" slurmd_port=$((_cluster_ctld_port + 1))
	host=$(hostname)
	if [ "${CLUSTER_DYNAMIC:-0}" = 1 ]; then
		features=" Features=desktop"
		partition="Nodes=desktops"
		slurmd_port=$((_cluster_ctld_port + n + 1)) # the dynamic node's port
	fi
	cat >"$SLURM_CONF" <<EOF
# Written by tests/integration/cluster.sh for one test; removed with the cluster.
ClusterName=mini
SlurmctldHost=${CLUSTER_CTLD_HOST:-localhost}
SlurmctldPort=$_cluster_ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire=5 is the smallest value 22.05 accepts: a requeued job may start again only after it.
AuthInfo=socket=$CLUSTER_DIR/munge/munge.socket.2,cred_expire=5
StateSaveLocation=$CLUSTER_DIR/state
SlurmdSpoolDir=$CLUSTER_DIR/spool/%n
SlurmctldPidFile=$CLUSTER_DIR/run/slurmctld.pid
SlurmdPidFile=$CLUSTER_DIR/run/slurmd-%n.pid
SlurmctldLogFile=$CLUSTER_DIR/log/slurmctld.log
SlurmdLogFile=$CLUSTER_DIR/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
# A call to a stopped slurmctld then blocks about MessageTimeout-1 s instead of 9 s.
MessageTimeout=3
SlurmdTimeout=30
KillWait=5
# Finished jobs stay visible (state COMPLETED, CANCELLED ...) for the rest of a test.
MinJobAge=600
JobRequeue=1
# Schedule at once and often, so a requeued job restarts within seconds, not minutes.
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=1
NodeName=d[1-$n] NodeHostname=$host NodeAddr=${CLUSTER_NODE_ADDR:-127.0.0.1} Port=[$((_cluster_ctld_port + 1))-$((_cluster_ctld_port + n))] CPUs=1 RealMemory=500$features State=UNKNOWN
EOF
	if [ "${CLUSTER_DYNAMIC:-0}" = 1 ]; then
		cat >>"$SLURM_CONF" <<EOF
# Room for the dynamic node (slurm.conf(5): by default only the nodes listed here may exist).
MaxNodeCount=$((n + 1))
NodeSet=desktops Feature=desktop
EOF
	fi
	if [ "${CLUSTER_CONFIGLESS:-0}" = 1 ]; then
		echo "SlurmctldParameters=enable_configless" >>"$SLURM_CONF"
	fi
	echo "PartitionName=desktop $partition Default=YES MaxTime=INFINITE State=UP ${CLUSTER_PART_OPTS:-}" >>"$SLURM_CONF"
	for line in "$@"; do
		echo "$line" >>"$SLURM_CONF"
	done
}

# cluster_node_run NODE: the directory that is /run for NODE's daemons in configless mode.
cluster_node_run()
{
	echo "$CLUSTER_DIR/noderun/$1"
}

# _cluster_in_node NODE: sets _cluster_argv to the words that run a command as on the desktop
# NODE of a configless cluster: in a private mount namespace whose /run is cluster_node_run
# NODE, where /run/munge is this cluster's munge directory (a configless slurmd fetches its
# config through munge's default socket: it does not know AuthInfo yet) and where slurmd makes
# its /run/slurm/conf link without touching the machine's /run or another cluster's; its
# /etc/slurm is empty. Empty without CLUSTER_CONFIGLESS.
_cluster_in_node()
{
	local r

	_cluster_argv=()
	[ "${CLUSTER_CONFIGLESS:-0}" = 1 ] || return 0
	r=$(cluster_node_run "$1")
	mkdir -p "$r" "$r.etc-slurm"
	[ -e "$r/munge" ] || ln -s "$CLUSTER_DIR/munge" "$r/munge"
	# An empty /etc/slurm too, as on a configless desktop: whatever the machine has there
	# (packages.test installs an idleacc.yaml meanwhile) is not this desktop's.
	_cluster_argv=(unshare -m --propagation private
		sh -c 'mount --bind "$0" /run && mount --bind "$1" /etc/slurm && shift && exec "$@"'
		"$r" "$r.etc-slurm" env -u SLURM_CONF)
}

# _cluster_slurmd_argv NODE [SLURMD_ARG...]: sets _cluster_argv to the command that starts
# NODE's slurmd: with this cluster's slurm.conf, or configless from the controller.
_cluster_slurmd_argv()
{
	local node=$1
	shift
	_cluster_in_node "$node"
	_cluster_argv=(${CLUSTER_SLURMD_NETNS:+nsenter --net="$CLUSTER_SLURMD_NETNS"}
		"${_cluster_argv[@]}" slurmd -D -N "$node" "$@")
	if [ "${CLUSTER_CONFIGLESS:-0}" = 1 ]; then
		_cluster_argv+=(--conf-server "localhost:$_cluster_ctld_port")
	else
		_cluster_argv+=(-f "$SLURM_CONF")
	fi
}

# cluster_in_node NODE CMD...: runs CMD as on NODE's desktop (configless: its own /run, no
# SLURM_CONF), in the foreground; spawn daemons with: _cluster_in_node NODE; _cluster_spawn
# NAME "${_cluster_argv[@]}" CMD...
cluster_in_node()
{
	local node=$1
	shift
	_cluster_in_node "$node"
	"${_cluster_argv[@]}" "$@"
}

# cluster_conf_cache NODE: where NODE's slurmd keeps the files slurmctld sent it (configless).
cluster_conf_cache()
{
	echo "$CLUSTER_DIR/spool/$1/conf-cache"
}

_cluster_ctld_up()
{
	scontrol ping 2>/dev/null | grep -q 'is UP'
}

_cluster_ports_listening()
{
	local p out

	out=$(ss -ltnH)
	if [ -n "${CLUSTER_SLURMD_NETNS:-}" ]; then
		out="$out
$(nsenter --net="$CLUSTER_SLURMD_NETNS" ss -ltnH)"
	fi
	for p in "$@"; do
		echo "$out" | awk -v p="$p" '
			{ n = split($4, a, ":"); if (a[n] == p) f = 1 } END { exit !f }' || return 1
	done
}

# True when every node of the cluster is exactly IDLE (no flag, responding).
cluster_all_idle()
{
	local nd

	for nd in $CLUSTER_NODES; do
		[ "$(node_state "$nd")" = IDLE ] || return 1
	done
}

_cluster_start_fail()
{
	echo "cluster: $1" >&2
	cluster_logs
	if [ -n "${_cluster_lockfd:-}" ]; then
		exec {_cluster_lockfd}>&-
		_cluster_lockfd=
	fi
	cluster_stop
	return 1
}

# cluster_start N [LINE...]: starts munged, slurmctld and slurmd d1..dN, every extra LINE
# appended to slurm.conf, and waits (up to 60 s) until all N nodes are IDLE. Sets and exports
# CLUSTER_DIR, SLURM_CONF, CLUSTER_NODES ("d1 d2 ..."), CLUSTER_NODELIST (d[1-N]). Installs
# cluster_stop as the EXIT trap (and INT/TERM exit through it). Returns 1 with the logs' tails.
cluster_start()
{
	local n=${1:-1} i p ports
	shift

	if [ -n "${CLUSTER_DIR:-}" ]; then
		echo "cluster: already started in $CLUSTER_DIR" >&2
		return 1
	fi
	CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/idleacc-cluster.XXXXXX") || return 1
	# World-readable, so jobs and clients run as other users find slurm.conf and the socket.
	chmod 755 "$CLUSTER_DIR"
	mkdir -p "$CLUSTER_DIR"/{munge,state,spool,run,log,jobs}
	chmod 755 "$CLUSTER_DIR/munge" # munged refuses a socket directory without o+x
	chmod 1777 "$CLUSTER_DIR/jobs"
	SLURM_CONF=$CLUSTER_DIR/slurm.conf
	CLUSTER_NODES=$(for ((i = 1; i <= n; i++)); do printf 'd%d ' "$i"; done)
	CLUSTER_NODES=${CLUSTER_NODES% }
	CLUSTER_NODELIST="d[1-$n]"
	[ "$n" -gt 1 ] || CLUSTER_NODELIST=d1
	export CLUSTER_DIR SLURM_CONF CLUSTER_NODES CLUSTER_NODELIST
	trap cluster_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_cluster_slurmd_pids=()

	mungekey -c -k "$CLUSTER_DIR/munge/munge.key" >/dev/null 2>&1 ||
		{ _cluster_start_fail "mungekey failed"; return 1; }
	chmod 600 "$CLUSTER_DIR/munge/munge.key"
	_cluster_munged_pid=$(_cluster_spawn munged munged -F \
		--socket="$CLUSTER_DIR/munge/munge.socket.2" \
		--key-file="$CLUSTER_DIR/munge/munge.key" \
		--log-file="$CLUSTER_DIR/log/munged.log" --pid-file="$CLUSTER_DIR/run/munged.pid" \
		--seed-file="$CLUSTER_DIR/munge/munge.seed") ||
		{ _cluster_start_fail "munged did not start"; return 1; }
	_cluster_munge_ok()
	{
		munge -S "$CLUSTER_DIR/munge/munge.socket.2" -n 2>/dev/null |
			unmunge -S "$CLUSTER_DIR/munge/munge.socket.2" >/dev/null 2>&1
	}
	wait_until 20 _cluster_munge_ok || { _cluster_start_fail "munged not answering"; return 1; }

	# From picking the ports until the daemons listen on them, one cluster_start at a time.
	exec {_cluster_lockfd}>>"$CLUSTER_LOCK"
	flock -w 120 "$_cluster_lockfd" ||
		{ _cluster_start_fail "lock $CLUSTER_LOCK busy"; return 1; }
	_cluster_pick_ports $((n + ${CLUSTER_DYNAMIC:-0})) ||
		{ _cluster_start_fail "no ports"; return 1; }
	_cluster_write_conf "$n" "$@"

	_cluster_ctld_pid=$(_cluster_spawn slurmctld slurmctld -D -f "$SLURM_CONF") ||
		{ _cluster_start_fail "slurmctld did not start"; return 1; }
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$CLUSTER_DIR/spool/d$i" # slurmd logs an error when it has to create it
		_cluster_slurmd_argv "d$i"
		p=$(_cluster_spawn "slurmd-d$i" "${_cluster_argv[@]}") ||
			{ _cluster_start_fail "slurmd d$i did not start"; return 1; }
		_cluster_slurmd_pids+=("$p")
	done
	ports=$(seq "$_cluster_ctld_port" $((_cluster_ctld_port + n)))
	# shellcheck disable=SC2086
	wait_until 30 _cluster_ports_listening $ports ||
		{ _cluster_start_fail "not listening on ports $_cluster_ctld_port+$n"; return 1; }
	exec {_cluster_lockfd}>&-
	_cluster_lockfd=

	wait_until 30 _cluster_ctld_up ||
		{ _cluster_start_fail "slurmctld not answering"; return 1; }
	wait_until 60 cluster_all_idle || {
		scontrol show node -o >&2
		_cluster_start_fail "nodes not all IDLE after 60 s"
		return 1
	}
	return 0
}

# Kills what a daemon left behind and that runs out of this cluster's directory: slurmstepd
# outlives slurmd, and the jobs it runs write their output under $CLUSTER_DIR/jobs.
_cluster_kill_strays()
{
	local d p pids=()

	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		if [ "$(readlink "$d/cwd" 2>/dev/null)" = "$CLUSTER_DIR/jobs" ] ||
			ls -l "$d/fd" 2>/dev/null | grep -q -- "-> $CLUSTER_DIR/"; then
			pids+=("$p")
		fi
	done
	[ ${#pids[@]} -eq 0 ] && return 0
	# slurmstepd ignores SIGTERM, and nothing of a stopped cluster is worth a clean exit.
	kill -KILL "${pids[@]}" 2>/dev/null
	wait_until 5 _cluster_all_gone "${pids[@]}"
}

# cluster_reap_stale: removes the directories of clusters whose daemons are all gone (tests
# killed with SIGKILL leave them). Never `rm -rf /tmp/idleacc-cluster.*`: that destroys the
# clusters other tests are running at that moment.
cluster_reap_stale()
{
	local d f live

	for d in "${TMPDIR:-/tmp}"/idleacc-cluster.*; do
		[ -d "$d" ] && [ "$d" != "${CLUSTER_DIR:-}" ] || continue
		# Not yet started (no pid files yet) or too recent to judge: leave it.
		[ -n "$(find "$d" -maxdepth 0 -mmin +2 2>/dev/null)" ] || continue
		live=0
		for f in "$d"/run/*.spawn.pid; do
			[ -e "$f" ] && _cluster_alive "$(cat "$f" 2>/dev/null)" && live=1
		done
		[ "$live" = 1 ] || rm -rf "$d"
	done
}

# cluster_stop: stops every daemon of the cluster (SIGTERM, SIGKILL after 15 s), kills what
# its jobs left running, and removes $CLUSTER_DIR unless KEEP_CLUSTER=1. Safe to call twice.
cluster_stop()
{
	# It runs from EXIT traps: a caller's errexit must not cut the clean-up short.
	local -
	set +e
	local pids=()

	[ -n "${CLUSTER_DIR:-}" ] || return 0
	[ -n "${_cluster_ctld_pid:-}" ] && pids+=("$_cluster_ctld_pid")
	pids+=("${_cluster_slurmd_pids[@]}")
	[ -n "${_cluster_dynamic_pid:-}" ] && pids+=("$_cluster_dynamic_pid")
	[ ${#pids[@]} -eq 0 ] || _cluster_kill 15 "${pids[@]}"
	_cluster_kill_strays
	[ -z "${_cluster_munged_pid:-}" ] || _cluster_kill 10 "$_cluster_munged_pid"
	[ -z "${_cluster_port_reg:-}" ] || rm -f "$_cluster_port_reg"
	if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
		echo "cluster: kept $CLUSTER_DIR" >&2
	else
		rm -rf "$CLUSTER_DIR"
	fi
	unset CLUSTER_DIR _cluster_ctld_pid _cluster_munged_pid _cluster_port_reg _cluster_dynamic_pid
	_cluster_slurmd_pids=()
	trap - EXIT
	return 0
}

# cluster_stop_ctld: stops slurmctld only (state kept in $CLUSTER_DIR/state).
cluster_stop_ctld()
{
	[ -n "${_cluster_ctld_pid:-}" ] || return 0
	_cluster_kill 15 "$_cluster_ctld_pid"
	_cluster_ctld_pid=
}

# True when every node has registered again (its state is no longer UNKNOWN).
_cluster_all_known()
{
	local nd st

	for nd in $CLUSTER_NODES; do
		st=$(node_state "$nd")
		[ -n "$st" ] && [ "${st#UNKNOWN}" = "$st" ] || return 1
	done
}

# cluster_start_ctld: starts slurmctld again, recovering its state (nodes, jobs), and waits
# until it answers and every node has registered again.
cluster_start_ctld()
{
	[ -z "${_cluster_ctld_pid:-}" ] || return 0
	_cluster_ctld_pid=$(_cluster_spawn slurmctld slurmctld -D -f "$SLURM_CONF") || return 1
	if ! wait_until 30 _cluster_ctld_up || ! wait_until 30 _cluster_all_known; then
		echo "cluster: slurmctld not answering or nodes not registered after restart" >&2
		cluster_logs
		return 1
	fi
}

cluster_restart_ctld()
{
	cluster_stop_ctld && cluster_start_ctld
}

# cluster_stop_slurmd NODE: stops the slurmd of NODE (dN) only; the slurmstepd of its running
# jobs go on.
cluster_stop_slurmd()
{
	local i=$((${1#d} - 1))

	[ -n "${_cluster_slurmd_pids[$i]:-}" ] || return 0
	_cluster_kill 15 "${_cluster_slurmd_pids[$i]}"
	_cluster_slurmd_pids[$i]=
}

# cluster_start_slurmd NODE: starts the slurmd of NODE again and waits until it listens.
cluster_start_slurmd()
{
	local i=$((${1#d} - 1)) p

	[ -z "${_cluster_slurmd_pids[$i]:-}" ] || return 0
	_cluster_slurmd_argv "$1"
	p=$(_cluster_spawn "slurmd-$1" "${_cluster_argv[@]}") || return 1
	_cluster_slurmd_pids[$i]=$p
	wait_until 30 _cluster_ports_listening $((_cluster_ctld_port + i + 1)) || {
		echo "cluster: slurmd $1 not listening after restart" >&2
		cluster_logs
		return 1
	}
}

_cluster_node_known()
{
	scontrol -o show node "$1" >/dev/null 2>&1
}

# cluster_join_dynamic NAME [NODE_PARAMETER...]: starts a dynamic node NAME ("slurmd -Z", a node
# slurm.conf does not list) with Features=desktop and the static nodes' size, plus any
# NODE_PARAMETER (slurm.conf syntax); waits until it listens on SlurmdPort and slurmctld knows
# it. Needs CLUSTER_DYNAMIC=1. Its spool and conf-cache are $CLUSTER_DIR/spool/NAME.
cluster_join_dynamic()
{
	local name=$1 port p
	shift

	if [ "${CLUSTER_DYNAMIC:-0}" != 1 ] || [ -n "${_cluster_dynamic_pid:-}" ]; then
		echo "cluster: no room for a dynamic node (CLUSTER_DYNAMIC=1, one at a time)" >&2
		return 1
	fi
	port=$((_cluster_ctld_port + $(echo "$CLUSTER_NODES" | wc -w) + 1))
	mkdir -p "$CLUSTER_DIR/spool/$name"
	_cluster_slurmd_argv "$name" -Z --conf "CPUs=1 RealMemory=500 Features=desktop $*"
	p=$(_cluster_spawn "slurmd-$name" "${_cluster_argv[@]}") || return 1
	_cluster_dynamic_pid=$p
	if ! wait_until 30 _cluster_ports_listening "$port" ||
		! wait_until 30 _cluster_node_known "$name"; then
		echo "cluster: dynamic node $name did not register" >&2
		cluster_logs
		return 1
	fi
}

# cluster_leave_dynamic: stops the dynamic node's slurmd (the desktop switched off).
cluster_leave_dynamic()
{
	[ -n "${_cluster_dynamic_pid:-}" ] || return 0
	_cluster_kill 15 "$_cluster_dynamic_pid"
	_cluster_dynamic_pid=
}

# node_state NODE: the node's state as scontrol prints it: IDLE, IDLE+DRAIN, MIXED+DRAIN,
# ALLOCATED, IDLE* (not responding), DOWN* ...
node_state()
{
	scontrol -o show node "$1" 2>/dev/null | sed -n 's/.* State=\([^ ]*\).*/\1/p'
}

# node_reason NODE: the reason text alone (no [user@time] suffix), empty if none.
node_reason()
{
	sinfo -h -N -n "$1" -o '%E' 2>/dev/null | head -n 1 | sed 's/^none$//'
}

# node_is NODE STATE: true if node_state NODE is exactly STATE (for wait_until).
node_is()
{
	[ "$(node_state "$1")" = "$2" ]
}

# job_field JOBID FIELD: one field of scontrol show job (JobState, Reason, Restarts, NodeList...).
job_field()
{
	scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# job_state JOBID: PENDING, RUNNING, SUSPENDED, COMPLETED, CANCELLED ... (empty if unknown).
job_state()
{
	job_field "$1" JobState
}

# job_is JOBID STATE: true if job_state JOBID is exactly STATE (for wait_until).
job_is()
{
	[ "$(job_state "$1")" = "$2" ]
}

# job_ran JOBID: true once the job has started, running or already COMPLETED (a short job can
# end between two polls of a slow run, the sanitizers' pass for instance).
job_ran()
{
	case $(job_state "$1") in RUNNING | COMPLETED) return 0 ;; esac
	return 1
}

# job_pids JOBID: the pids of the job's processes on this machine (batch shell and steps), found
# by their environment, which also names this cluster's slurm.conf (job ids repeat across clusters).
job_pids()
{
	local d n

	for d in /proc/[0-9]*; do
		n=$(tr '\0' '\n' 2>/dev/null <"$d/environ" |
			grep -cx -e "SLURM_JOB_ID=$1" -e "SLURM_CONF=$SLURM_CONF")
		[ "$n" = 2 ] && echo "${d#/proc/}"
	done
	return 0
}

# job_shell_pid JOBID: the pid of the job's batch shell, for scripts that begin with
# 'echo $$ >$SLURM_JOB_ID.pid' (they run in $CLUSTER_DIR/jobs); empty until it is written.
job_shell_pid()
{
	cat "$CLUSTER_DIR/jobs/$1.pid" 2>/dev/null
}

# proc_state PID: the process's state letter (R, S, D; T when stopped), empty if it is gone.
proc_state()
{
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1
}

# submit SBATCH_ARGS...: sbatch --parsable, output and working directory in $CLUSTER_DIR/jobs
# (later arguments override those); echoes the job id.
submit()
{
	local out

	out=$(sbatch --parsable --chdir="$CLUSTER_DIR/jobs" \
		--output="$CLUSTER_DIR/jobs/slurm-%j.out" "$@") || return 1
	echo "${out%%;*}"
}
