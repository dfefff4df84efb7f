#!/bin/bash
# run.sh NAME [SECONDS] -- runs the harness fuzz_NAME (tests/fuzz) on a
# copy of its corpus: the seeds in tests/fuzz/corpus/NAME and those
# mkcorpus wrote into the build. Fails on any crash, leak, sanitizer
# report or timeout, and when nothing ran.
#   fuzz build (FUZZ_ENGINE=libfuzzer): fuzzes for SECONDS (default 30);
#     a crashing input is kept in BUILD/tests/fuzz/artifacts/NAME/ and
#     shown in hex; make it a regression: copy it into corpus/NAME/.
#   other builds (FUZZ_ENGINE=replay): runs every input once.
# By hand: UMLMON_BUILD=build-fuzz UMLMON_SRC=. FUZZ_ENGINE=libfuzzer \
#   tests/fuzz/run.sh rpc 600
set -euo pipefail

name=${1:?usage: run.sh NAME [SECONDS]}
secs=${2:-30}
build=${UMLMON_BUILD:?UMLMON_BUILD: the build directory}
src=${UMLMON_SRC:?UMLMON_SRC: the source directory}
engine=${FUZZ_ENGINE:-replay}
exe=$build/tests/fuzz/fuzz_$name

fail() {
	echo "fuzz_$name: $*" >&2
	exit 1
}

[ -x "$exe" ] || fail "$exe: not built"
# fuzz_rpc makes a real monitor, which mounts: root, as the e2e tests
if [ "$name" = rpc ] && [ "$(id -u)" != 0 ]; then
	echo "fuzz_$name: missing: root (it makes a real monitor)" >&2
	if [ "${UMLMON_ALLOW_SKIP:-0}" = 1 ]; then exit 77; fi
	exit 1
fi
work=$(mktemp -d "/tmp/umlmon-fuzz-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/tmp"
for d in "$src/tests/fuzz/corpus/$name" "$build/tests/fuzz/corpus-gen/$name"; do
	if [ -d "$d" ]; then
		cp -r "$d/." "$work/corpus/"
	fi
done
nseeds=$(find "$work/corpus" -type f | wc -l)
[ "$nseeds" -gt 0 ] || fail "no corpus (tests/fuzz/corpus/$name, corpus-gen/$name)"

# what a harness leaves (fuzz_rpc's monitor) goes into $work
export TMPDIR=$work/tmp
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1

if [ "$engine" = replay ]; then
	"$exe" "$work/corpus" >"$work/log" 2>&1 || { cat "$work/log"; fail "an input failed"; }
	cat "$work/log"
	grep -q "^replay: $nseeds inputs run" "$work/log" || fail "not every input ran"
	exit 0
fi

artifacts=$build/tests/fuzz/artifacts/$name
mkdir -p "$artifacts"
rc=0
"$exe" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
	-artifact_prefix="$artifacts/" -print_final_stats=1 \
	"$work/corpus" >"$work/log" 2>&1 || rc=$?
# the run's end: the stats and whatever went wrong
tail -n 60 "$work/log"
if [ "$rc" -ne 0 ]; then
	for f in "$artifacts"/*; do
		[ -f "$f" ] || continue
		echo "--- $f"
		od -A d -t x1z -v "$f" | head -n 64
	done
	fail "libFuzzer ended with status $rc (artifacts in $artifacts)"
fi
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log")
[ -n "$runs" ] && [ "$runs" -gt 0 ] || fail "no run finished"
echo "fuzz_$name: $runs runs in $secs s, corpus $nseeds -> $(find "$work/corpus" -type f | wc -l) inputs"
