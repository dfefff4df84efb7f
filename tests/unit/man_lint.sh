#!/bin/bash
# Every man page is clean: mandoc -T lint (every message from style up)
# and groff -ww (all warnings) as man(1) formats it for an 80-column
# terminal say nothing. First both must find the faults of a broken page,
# so that a linter that checks nothing cannot pass.
# usage: man_lint.sh DIR (every page in it: NAME.1 to NAME.9; mandoc:
# scripts/install-deps installs it)
set -u -o pipefail
export LC_ALL=C.UTF-8

fail() {
	echo "man_lint: FAIL: $*" >&2
	exit 1
}

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	fail "usage: man_lint.sh DIR"
fi
shopt -s nullglob
pages=("$1"/*.[1-9])
[ ${#pages[@]} -ge 5 ] || fail "$1: only ${#pages[@]} pages (umlwatch.1, umlmon.5, umlmon.8 ...)"
for t in mandoc groff; do
	command -v "$t" >/dev/null ||
		fail "$t is not installed (scripts/install-deps installs it)"
done

# The messages of both linters on a page; nothing for a clean one.
lint() { # PAGE
	mandoc -T lint -W style "$1" 2>&1
	groff -ww -z -man -t -Tutf8 -rLL=78n "$1" 2>&1
}

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
printf '.TH BROKEN 1\n.SH NAME\nbroken \\- a page\n.xx unknown\n' >"$tmp/broken.1"
out=$(lint "$tmp/broken.1")
if ! grep -q '^mandoc:.*unknown macro' <<<"$out" ||
   ! grep -q "macro 'xx' not defined" <<<"$out"; then
	fail "the linters did not find the unknown macro of a broken page: $out"
fi

for page in "${pages[@]}"; do
	out=$(lint "$page")
	[ -z "$out" ] || fail "$(basename "$page") is not clean:
$out"
done
echo "man_lint: ${#pages[@]} pages clean (mandoc -T lint, groff -ww)"
