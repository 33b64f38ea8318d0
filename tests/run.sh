#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - the whole test suite from a fresh clone: installs what it needs, builds out of
# tree with warnings as errors, then runs "make distcheck", which builds the release tarball
# and runs every test from it (unit tests, program tests, integration tests against real
# munged/slurmctld/slurmd started in temporary directories).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"

build=${BUILD_DIR:-$top/build}
cd "$top"
autoreconf -fi
mkdir -p "$build"
cd "$build"
"$top/configure" -q --enable-werror
make -j"$(nproc)"
make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror
