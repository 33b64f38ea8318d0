#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the main job: installs what it needs, builds, and shows libidle's live verdict on
# this machine (each source, its reading, the owner verdict with its reasons).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"

build=${BUILD_DIR:-$top/build}
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q
make -j"$(nproc)" >/dev/null
exec ./nodeagent/idleacc probe -c "$top/conf/idleacc.yaml" "$@"
