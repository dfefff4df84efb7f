#!/bin/bash
# umlwatch --help and umlwatch(1) list the same commands with the same
# arguments, the same options, and the man page carries the version of
# the program.
set -u -o pipefail
B=${UMLMON_BUILD:?}
S=${UMLMON_SRC:?}
W=$B/src/umlwatch
MAN=$S/man/umlwatch.1

fail() {
	echo "umlwatch_help: FAIL: $*" >&2
	exit 1
}

# The heads of the .TP entries of a section of the man page (not those of
# nested .RS lists), as text: "-stop [timeout]".
man_heads() { # SECTION
	awk -v sec="$1" '
	function text(line,   macro, rest, args, n, i, c, q, cur, out, sep) {
		macro = line; sub(/ .*/, "", macro)
		rest = line; sub(/^[^ ]* */, "", rest)
		n = 0; q = 0; cur = ""
		for (i = 1; i <= length(rest); i++) {
			c = substr(rest, i, 1)
			if (c == "\"") { q = !q; continue }
			if (c == " " && !q) { if (cur != "") args[++n] = cur; cur = ""; continue }
			cur = cur c
		}
		if (cur != "") args[++n] = cur
		# .B and .I join their words with blanks, the alternating
		# macros (.BR, .BI ...) without
		sep = (macro == ".B" || macro == ".I") ? " " : ""
		out = ""
		for (i = 1; i <= n; i++) out = out (i > 1 ? sep : "") args[i]
		gsub(/\\f[BIRP]/, "", out)
		gsub(/\\-/, "-", out)
		gsub(/\\&/, "", out)
		gsub(/  +/, " ", out)
		sub(/^ /, "", out); sub(/ $/, "", out)
		return tolower(out)
	}
	/^\.SH / { insec = ($2 == sec); next }
	!insec { next }
	/^\.RS/ { nested++; next }
	/^\.RE/ { nested--; next }
	/^\.TP/ { if (!nested) want = 1; next }
	want { print text($0); want = 0 }
	' "$MAN"
}

# The left column of a part of --help: "-stop [timeout]".
help_heads() { # FIRST-LINE-REGEX
	"$W" --help | awk -v start="$1" '
	$0 ~ start { on = 1; next }
	on && /^$/ { exit }
	on && /^  -/ { sub(/^  /, ""); sub(/  .*/, ""); print tolower($0) }
	'
}

diff <(man_heads COMMANDS | sort) <(help_heads '^commands' | sort) >&2 ||
	fail "the commands of umlwatch(1) (<) and of --help (>) differ"
diff <(man_heads OPTIONS | sort) <(help_heads '^options' | sort) >&2 ||
	fail "the options of umlwatch(1) (<) and of --help (>) differ"
n=$(man_heads COMMANDS | wc -l)
[ "$n" -ge 15 ] || fail "only $n commands found in umlwatch(1)"

version=$("$W" -version | sed -n 's/^umlwatch //p')
man_version=$(sed -n 's/^\.TH .*"umlmon \([^"]*\)".*/\1/p' "$MAN")
[ -n "$version" ] && [ "$version" = "$man_version" ] ||
	fail "umlwatch -version says '$version', umlwatch(1) '$man_version'"
echo "umlwatch_help: $n commands and the version ($version) agree"
