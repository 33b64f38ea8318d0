# SPDX-License-Identifier: MIT
# figures.sh - the start the README's measurement scripts share (x11_reaction.sh,
# outage_reaction.sh): their ROUNDS argument checked, and the project built when they run from
# a clone. Sourced after "set -u", with $top the source tree.

# figures_rounds NAME VALUE: VALUE is a positive number, or NAME says so and exits 2.
figures_rounds()
{
	case $2 in
	'' | *[!0-9]* | 0)
		echo "$1: ROUNDS must be a positive number, not \"$2\"" >&2
		exit 2
		;;
	esac
}

# figures_build NAME LOG: without $top_builddir (run from a clone), installs the packages
# (tests/deps.sh) and builds into ./build (BUILD_DIR=), its log BUILD/LOG-build.log; exports
# top_builddir, absolute, either way. Exits 1 if the build fails.
figures_build()
{
	local build

	if [ -z "${top_builddir:-}" ]; then
		"$top/tests/deps.sh" || exit 1
		build=${BUILD_DIR:-$top/build}
		mkdir -p "$build" || exit 1
		build=$(cd "$build" && pwd)
		echo "${1%.sh}: building in $build (log: $build/$2-build.log)"
		(
			cd "$top" || exit 1
			[ -x configure ] || autoreconf -fi
			cd "$build" || exit 1
			[ -f Makefile ] || "$top/configure" -q
			make -j"$(nproc)"
		) >"$build/$2-build.log" 2>&1 || {
			tail -30 "$build/$2-build.log" >&2
			echo "$1: the build failed" >&2
			exit 1
		}
		top_builddir=$build
	fi
	top_builddir=$(cd "$top_builddir" && pwd)
	export top_builddir
}
