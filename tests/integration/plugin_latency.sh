#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plugin_latency.sh - the owner's experience beside a job, with and without the idleacc plugin:
# cyclictest (SCHED_OTHER, like the owner's programs) measures wake-up latency while a Slurm job
# runs stress-ng on every core (CPU and memory), then the owner's own CPU-bound work (hashing
# 512 MiB on every core, like a parallel build) is timed. Prints p50/p99/max in microseconds and the work's wall time.
# A measurement for the README, not a test: nothing is asserted. Needs rt-tests and stress-ng.
#
# Usage: top_builddir=BUILD srcdir=SRC/tests bash plugin_latency.sh [SECONDS per case [ROUNDS]]
# Cases run in interleaved rounds (default 3 of 20 s) and the summary gives the median of each
# figure over the rounds: on a shared machine, one round is noise.
srcdir=${srcdir:-$(dirname "$0")/..}
. "$srcdir/integration/cluster.sh"
. "$srcdir/integration/plugin_lib.sh"

secs=${1:-20}
rounds=${2:-3}
ncpu=$(nproc)
for b in cyclictest stress-ng; do
	command -v "$b" >/dev/null || { echo "$b not found: apt-get install rt-tests stress-ng" >&2; exit 1; }
done

plugin_setup
fake_agent d1 yes
plugin_start 1 SlurmdParameters=config_overrides

# measure NAME: cyclictest for $secs s; prints "NAME p50 p99 max" (µs) from its histogram.
measure()
{
	local hist="$PLUGIN_DIR/$1.hist"

	cyclictest -q -m -t 1 --policy=other -i 1000 -D "$secs" -h 20000 --histfile="$hist" >/dev/null
	awk -v name="$1" '
		/^#/ { if ($2 == "Max" && $3 == "Latencies:") max = $4 + 0; next }
		NF >= 2 { c[$1 + 0] = $2; n += $2 }
		END {
			for (i = 0; i <= 20000; i++) {
				s += c[i]
				if (!p50 && s >= n * 0.50) p50 = i
				if (!p99 && s >= n * 0.99) p99 = i
			}
			printf "%s|%d|%d|%d", name, p50, p99, max
		}' "$hist" | tee -a "$PLUGIN_DIR/results"
	# The owner's CPU-bound work: wall seconds to hash 512 MiB on each core at once.
	TIMEFORMAT='|%2R'
	{ time (for ((i = 0; i < ncpu; i++)); do
		head -c 512M /dev/zero | md5sum >/dev/null &
	done; wait); } 2>&1 | tee -a "$PLUGIN_DIR/results"
}

# with_job NAME PLUGSTACK_ARGS|none: one job loading every core, measured beside it.
with_job()
{
	local name=$1 args=$2 id

	if [ "$args" = none ]; then
		: >"$PLUGIN_DIR/plugstack.conf"
	else
		echo "required $PLUGIN_SO socket_dir=$PLUGIN_DIR/run $args" >"$PLUGIN_DIR/plugstack.conf"
	fi
	id=$(submit --wrap="exec stress-ng --cpu $ncpu --vm $ncpu --vm-bytes 512M --timeout $((secs + 10))s") ||
		fail "sbatch failed"
	wait_until 30 job_is "$id" RUNNING || fail "job $id: $(job_state "$id")"
	sleep 3 # stress-ng's workers up
	measure "$name"
	# What the job really got meanwhile: its processes' policy, nice and CPU share.
	echo "   job: $(ps -e -o comm=,cls=,ni= | grep "^stress-ng-" | sort | uniq -c | awk '{ printf "%s ", $0 }')"
	scancel "$id"
	wait_until 30 job_is "$id" CANCELLED || true
	sleep 2
}

for ((r = 1; r <= rounds; r++)); do
	measure "idle desktop (no job)"
	with_job "job, no plugin" none
	with_job "job, plugin nice=19 only" "nice=19 sched=none autogroup=none"
	with_job "job, plugin defaults (SCHED_IDLE)" ""
done
echo
echo "median of $rounds rounds of ${secs} s; wake-up latency of a SCHED_OTHER thread (cyclictest,"
echo "1 ms interval), and wall time of the owner's md5sum of 512 MiB on each of $ncpu cores:"
awk -F'|' '
	{ k = $1; if (!(k in n)) order[++m] = k; i = ++n[k]
	  p50[k, i] = $2; p99[k, i] = $3; mx[k, i] = $4; w[k, i] = $5 }
	function med(a, k, c,   i, j, t, v) {
		for (i = 1; i <= c; i++) v[i] = a[k, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((c + 1) / 2)]
	}
	END {
		printf "%-34s %8s %8s %8s %10s\n", "case", "p50 us", "p99 us", "max us", "owner s"
		for (o = 1; o <= m; o++) { k = order[o]
			printf "%-34s %8d %8d %8d %10.2f\n", k, med(p50, k, n[k]), med(p99, k, n[k]),
				med(mx, k, n[k]), med(w, k, n[k]) }
	}' "$PLUGIN_DIR/results"
