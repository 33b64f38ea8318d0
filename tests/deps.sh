#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh - installs, on Debian 12, every package needed to build idle-accelerator, run its
# test suite (real munged, slurmctld and slurmd included) and its demo; with BENCH=1 also what
# the benchmark needs (tests/bench/deps). Idempotent; needs root to install.
set -euo pipefail

PACKAGES=(
	# build
	gcc make autoconf automake libtool pkg-config
	libc6-dev libyaml-dev libslurm-dev libsystemd-dev libx11-dev libxext-dev libxss-dev
	# tests
	check slurm-wlm munge dbus xvfb xdotool xauth iproute2 procps desktop-file-utils systemd
	faketime # agent_clock_step.test: idleaccd alone under a stepped wall clock
	# check_metrics (promtool) and agent_metrics.test: a real Prometheus and node_exporter
	prometheus prometheus-node-exporter
	# packages.test and rpm.test: the Debian packages and the RPM spec
	dpkg-dev debhelper lintian fakeroot bash-completion rpm cpio
	python3 # bench/test_traces.py: the benchmark's trace readers
	perl # dashboard.test (JSON::PP) and integration tests' parsers: named, not left to debhelper
	# run.sh's passes: the fuzzers (clang's libFuzzer and sanitizer runtimes), memcheck
	clang libclang-rt-14-dev valgrind
	clang-format # format.test: the C files as .clang-format says
	# the Windows side: cross-build, MSI, templates, and the tests under wine
	gcc-mingw-w64-x86-64 wine64 wine msitools wixl libxml2-utils
)

if [ "${BENCH:-0}" = 1 ]; then
	while read -r p; do
		case $p in "" | "#"*) ;; *) PACKAGES+=("$p") ;; esac
	done <"$(dirname "$0")/bench/deps"
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
