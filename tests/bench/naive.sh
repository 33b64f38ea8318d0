#!/bin/bash
# SPDX-License-Identifier: MIT
# naive.sh - the baseline admins write today: every PERIOD seconds, drain the desktop's node
# with scontrol while its console was used within IDLE_AFTER seconds, else resume it. Nothing
# is done to running jobs. Every scontrol call is logged ("rpc update") so that bench.py can
# tell its RPCs from idleaccd's in sdiag's counts.
# Usage: naive.sh NODE TTY_FILE IDLE_AFTER PERIOD
node=$1
tty=$2
idle_after=$3
period=$4
while :; do
	now=${EPOCHREALTIME%.*}
	idle=$((now - $(stat -c %X "$tty")))
	if [ "$idle" -lt "$idle_after" ]; then
		scontrol update nodename="$node" state=drain reason="naive: console idle ${idle}s" \
			2>/dev/null
	else
		scontrol update nodename="$node" state=resume 2>/dev/null
	fi
	echo "$EPOCHREALTIME rpc update idle=$idle"
	sleep "$period"
done
