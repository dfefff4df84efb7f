#!/bin/bash
# Each program's --help and its man page agree: every option and command of
# the usage and of the left column of --help is in the page's SYNOPSIS,
# OPTIONS or COMMANDS, every command is an entry of its COMMANDS, every
# option the help's text names is somewhere in the page; -version and
# --version print the version the page carries; the commands of --help are
# those of --commands (the table shell completion reads). umljail, not
# for users, has no page: its --help says so.
# usage: help_vs_man.sh (UMLMON_BUILD, UMLMON_SRC set)
set -u -o pipefail
export LC_ALL=C
B=${UMLMON_BUILD:?}/src
S=${UMLMON_SRC:?}

fail() {
	echo "help_vs_man: FAIL: $*" >&2
	exit 1
}

# program and page; those with commands last column
progs=(
	"umlmon man/umlmon.8"
	"umldir man/umldir.8"
	"umlweb man/umlweb.8"
	"umlwatch man/umlwatch.1"
	"umladmin man/umladmin.8"
)

# The page's source as text, by section: "SECTION<TAB>line", the fonts,
# escapes and macros gone (.BR \-h ", " \-\-help gives -h, --help), and
# ".TP" kept, so that the heads of the entries are known.
man_text() { # PAGE
	awk '
	/^\.SH / { sec = $2; for (i = 3; i <= NF; i++) sec = sec " " $i
		   gsub(/"/, "", sec); next }
	/^\.TP/ { print sec "\t.TP"; next }
	/^\.(\\"|PP|RS|RE|IP|br|SS|TH)/ { next }
	{
		line = $0
		if (line ~ /^\.[A-Z]+ /) { sub(/^\.[A-Z]+ /, "", line); gsub(/"/, "", line) }
		gsub(/\\f[BIRP]/, "", line)
		gsub(/\\-/, "-", line)
		gsub(/\\&/, "", line)
		gsub(/\\e/, "\\", line)
		print sec "\t" line
	}' "$S/$1"
}

# Is WORD in TEXT as a word of its own ("-f" is not in "-follow")?
has_word() { # WORD TEXT
	local w=${1//./\\.}
	grep -qE -- "(^|[^A-Za-z0-9_-])$w([^A-Za-z0-9_-]|\$)" <<<"$2"
}

# The options in text: -x, --long, -password-file.
options_in() {
	grep -oE -- '(^|[][ (,|])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[][ (,|]//' | sort -u
}

# The parts of --help: the usage (its first lines, up to a blank or the
# first line that is neither "usage:" nor indented), the left column of the
# entries ("  -c CONFIG    the file" gives "-c CONFIG"), the entries' text,
# the commands (the first word of each entry of a part "commands...:").
help_usage() {
	awk 'NR == 1 || (go && /^ /) { go = 1; print; next } { exit }'
}
help_left() {
	awk '/^  [^ ]/ { l = substr($0, 3); sub(/  .*/, "", l); print l }'
}
help_right() {
	awk '/^  [^ ]/ { l = substr($0, 3); if (sub(/^[^ ]+( [^ ]+)*  +/, "", l)) print l; next }
	     /^    / { print }'
}
help_commands() {
	awk '/^[a-z].*:$/ { cmds = ($0 ~ /^commands/); next }
	     /^$/ { cmds = 0 }
	     cmds && /^  [^ ]/ { print $1 }' | sort -u
}

n_opts=0 n_cmds=0
for row in "${progs[@]}"; do
	read -r prog page <<<"$row"
	exe=$B/$prog
	[ -x "$exe" ] || fail "$exe: not built"
	[ -f "$S/$page" ] || fail "$page: no such page"
	help=$("$exe" --help) || fail "$prog --help: exit status $?"
	[ -n "$help" ] || fail "$prog --help prints nothing"
	[ "$("$exe" -h)" = "$help" ] || fail "$prog -h and --help differ"
	text=$(man_text "$page") || fail "$page: cannot read"
	# the sections that define the interface
	iface=$(awk -F'\t' '$1 == "SYNOPSIS" || $1 == "OPTIONS" || $1 == "COMMANDS" { print $2 }' <<<"$text")
	whole=$(cut -f2- <<<"$text")
	[ -n "$iface" ] || fail "$page: no SYNOPSIS, OPTIONS or COMMANDS"

	# the options of the usage and of the left column
	while read -r opt; do
		[ -n "$opt" ] || continue
		has_word "$opt" "$iface" ||
			fail "$prog: option $opt of --help is not in the SYNOPSIS, OPTIONS or COMMANDS of $page"
		n_opts=$((n_opts + 1))
	done < <({ help_usage <<<"$help"; help_left <<<"$help"; } | options_in)
	# options the help's text names: somewhere in the page
	while read -r opt; do
		[ -n "$opt" ] || continue
		has_word "$opt" "$whole" ||
			fail "$prog: option $opt (in the text of --help) is nowhere in $page"
	done < <(help_right <<<"$help" | options_in)

	# the commands: entries of COMMANDS, and those of the table
	cmds=$(help_commands <<<"$help")
	if [ -n "$cmds" ]; then
		heads=$(awk -F'\t' '$1 == "COMMANDS" && want { print $2; want = 0; next }
				   $1 == "COMMANDS" && $2 == ".TP" { want = 1 }' <<<"$text" |
			awk '{ print $1 }' | sort -u)
		while read -r c; do
			grep -qxF -- "$c" <<<"$heads" ||
				fail "$prog: command $c of --help is not an entry of COMMANDS in $page"
			n_cmds=$((n_cmds + 1))
		done <<<"$cmds"
		table=$("$exe" --commands | cut -f1 | sort -u) ||
			fail "$prog --commands: exit status $?"
		[ "$table" = "$cmds" ] ||
			fail "$prog: the commands of --help ($(tr '\n' ' ' <<<"$cmds")) are not those of --commands ($(tr '\n' ' ' <<<"$table"))"
	fi

	# the version, both ways of asking
	version=$("$exe" -version | sed -n "s/^$prog //p")
	[ -n "$version" ] || fail "$prog -version: no '$prog VERSION'"
	[ "$("$exe" --version)" = "$prog $version" ] ||
		fail "$prog --version does not say what -version says"
	man_version=$(sed -n 's/^\.TH .*"umlmon \([^"]*\)".*/\1/p' "$S/$page")
	[ "$version" = "$man_version" ] ||
		fail "$prog -version says '$version', $page '$man_version'"
done
[ "$n_opts" -ge 25 ] || fail "only $n_opts options found in the --help of the programs"
[ "$n_cmds" -ge 15 ] || fail "only $n_cmds commands found in the --help of the programs"

# umljail: no page; its help says it is internal, and where it is described
j=$("$B/umljail" --help) || fail "umljail --help: exit status $?"
if ! grep -q 'internal' <<<"$j" || ! grep -q 'umlmon(8)' <<<"$j"; then
	fail "umljail --help does not say that it is internal to umlmon(8)"
fi
grep -q 'umljail' "$S/man/umlmon.8" || fail "umlmon(8) does not name umljail"
[ "$("$B/umljail" -version)" = "umljail $version" ] || fail "umljail -version"
[ "$("$B/umljail" --version)" = "umljail $version" ] || fail "umljail --version"

echo "help_vs_man: $n_opts options and $n_cmds commands of ${#progs[@]} programs in their pages; versions $version"
