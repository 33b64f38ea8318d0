#!/bin/bash
# SPDX-License-Identifier: MIT
# job.sh - one job of the benchmark's mix: WORK seconds of unsuspended run time, done as
# one-second steps so that a suspension (SIGSTOP) pauses the work and a requeue loses it.
# Each attempt records itself in DIR/att.JOB.RESTART.{start,ticks,done}: bench.py reads them
# for the job processes' state, the work thrown away by requeues, and the work completed.
# Usage (sbatch): job.sh WORK DIR
work=$1
dir=$2
f=$dir/att.$SLURM_JOB_ID.${SLURM_RESTART_COUNT:-0}
echo "$SLURM_JOB_ID ${SLURM_RESTART_COUNT:-0} $SLURMD_NODENAME $$ $EPOCHREALTIME" >"$f.start"
i=0
while [ "$i" -lt "$work" ]; do
	sleep 1
	i=$((i + 1))
	echo "$i $EPOCHREALTIME" >"$f.ticks"
done
echo "$EPOCHREALTIME" >"$f.done"
