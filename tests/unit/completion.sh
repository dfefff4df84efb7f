#!/bin/bash
# The bash completion of umlwatch and umladmin (dist/completion/), as bash
# runs it: the file sourced, COMP_WORDS and COMP_CWORD set, the function
# called, COMPREPLY checked. Against the programs of the build and a test
# configuration: VM names (-c, $UMLMON_CONFIG), the commands (exactly
# those of --help), their options, channels (no monitor: con0 con1), disk
# operations and disk paths, VM@HOST left alone. A running monitor's
# channels are checked by the e2e suite ops (ops_completion).
# usage: completion.sh (UMLMON_BUILD, UMLMON_SRC set)
set -u -o pipefail
export LC_ALL=C
B=${UMLMON_BUILD:?}/src
S=${UMLMON_SRC:?}
W=$B/umlwatch
A=$B/umladmin

fail() {
	echo "completion: FAIL: $*" >&2
	exit 1
}

for f in "$S/dist/completion/umlwatch" "$S/dist/completion/umladmin"; do
	bash -n "$f" || fail "$f: syntax"
done
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# a configuration whose state directory holds a jail's disks and shared
# disks, and another one
mkdir -p "$tmp/var/alpha/jail/disks" "$tmp/shared/disks"
: >"$tmp/var/alpha/jail/disks/root.dsk"
: >"$tmp/var/alpha/jail/disks/data.cow"
: >"$tmp/shared/disks/base.dsk"
cat >"$tmp/umlmon.conf" <<EOF
[GLOBAL]
vardir = $tmp/var ; where the VMs live
shared = $tmp/shared
[alpha]
memory = 64M
[beta-2]   ; a comment
[gamma.x]
EOF
printf '[GLOBAL]\n[other]\n' >"$tmp/other.conf"

# shellcheck source=/dev/null
. "$S/dist/completion/umladmin" || fail "cannot source the umladmin completion"
declare -F _umlwatch >/dev/null || fail "umladmin's completion did not bring umlwatch's"
[ "$(complete -p umlwatch)" = "complete -F _umlwatch umlwatch" ] ||
	fail "umlwatch: $(complete -p umlwatch)"
[ "$(complete -p umladmin)" = "complete -F _umladmin umladmin" ] ||
	fail "umladmin: $(complete -p umladmin)"

n=0
# expect 'WANT...' -- WORD...: completing the last WORD (as bash splits a
# line) gives exactly WANT, in any order.
expect() {
	local want=() got wanted
	while [ "$1" != -- ]; do
		want+=("$1")
		shift
	done
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"_$(basename "$1")" || fail "_$(basename "$1") $*: status $?"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
	wanted=$(printf '%s\n' "${want[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
	[ "$got" = "$wanted" ] ||
		fail "$(basename "$1")$(printf " '%s'" "${@:2}"): got '$got', want '$wanted'"
	n=$((n + 1))
}

export UMLMON_CONFIG=$tmp/umlmon.conf
cd "$tmp" || fail "cd $tmp"

# VM names: the sections but GLOBAL; -c wins over $UMLMON_CONFIG
expect alpha beta-2 gamma.x -- "$W" ''
expect beta-2 -- "$W" b
expect other -- "$W" -c "$tmp/other.conf" ''
expect other -- "$W" -escape ^X -c "$tmp/other.conf" ''
UMLMON_CONFIG=$tmp/none expect -- "$W" ''
expect alpha beta-2 gamma.x -- "$A" mkimage -size 1G ''
expect other -- "$A" -c "$tmp/other.conf" mkimage ''
# VM@HOST is left alone (bash splits it at the @)
expect -- "$W" alpha @
expect -- "$W" alpha @ ho
expect -- "$W" -list @

# the options before the VM: those of --help
opts=$("$W" --help | awk '/^options:/ { on = 1; next } /^$/ { on = 0 }
	on && /^  -/ { l = substr($0, 3); sub(/  .*/, "", l); gsub(/,/, "", l)
		       for (i = 1; i <= split(l, t, " "); i++) if (t[i] ~ /^-/) print t[i] }')
[ "$(wc -l <<<"$opts")" -ge 6 ] || fail "umlwatch --help: options not found: $opts"
# shellcheck disable=SC2086
expect $opts -- "$W" -
expect -escape -- "$W" -es
expect other.conf -- "$W" -c oth

# the commands: exactly those of --help
cmds=$("$W" --help | awk '/^commands/ { on = 1; next } on && /^  -/ { print $1 }')
[ "$(wc -l <<<"$cmds")" -ge 15 ] || fail "umlwatch --help: commands not found: $cmds"
# shellcheck disable=SC2086
expect $cmds -- "$W" alpha -
# shellcheck disable=SC2086
expect $cmds -- "$W" alpha ''
# shellcheck disable=SC2086
expect $cmds -- "$W" -c "$tmp/umlmon.conf" alpha -info -stop 10 ''
expect -connect -- "$W" alpha -con
# shellcheck disable=SC2086
expect -readonly $cmds -- "$W" alpha -connect con1 -
expect -readonly -reboot -remove-disk -remove-eth -restore -resume -- "$W" alpha -connect con1 -re
expect -follow -f -- "$W" alpha -log con0 -f
acmds=$("$A" --help | awk '/^commands/ { on = 1; next } /^[a-z]/ { on = 0 }
	on && /^  [a-z]/ { print $1 }' | sort -u)
[ "$(wc -l <<<"$acmds")" -ge 4 ] || fail "umladmin --help: commands not found: $acmds"
# shellcheck disable=SC2086
expect $acmds -- "$A" ''
# shellcheck disable=SC2086
expect $acmds -- "$A" -c "$tmp/umlmon.conf" ''
expect -c -h --help -version --version -- "$A" -
expect -kernel -- "$A" setup -
expect -size -hostname -password -f -o -ssh-key -mirror -suite -cache -- "$A" mkimage -

# channels: without a monitor con0 con1; not asked of a remote VM
expect con0 con1 -- "$W" alpha -connect ''
expect con1 -- "$W" alpha -info -screen con1
expect con0 con1 -- "$W" alpha -log ''
expect con0 con1 -- "$W" alpha @ far -connect ''

# disk operations (the table's words), then paths: the VM's /disks and
# /shared/disks with what is there
ops=$("$W" --commands | awk -F'\t' '$1 == "-disk" { print $3 }')
[ -n "$ops" ] || fail "umlwatch --commands: no operations of -disk"
# shellcheck disable=SC2086
expect $ops -- "$W" alpha -disk ''
expect /disks/ /disks/root.dsk /disks/data.cow /shared/disks/ /shared/disks/base.dsk \
	-- "$W" alpha -disk info ''
expect /shared/disks/ /shared/disks/base.dsk -- "$W" alpha -disk copy /disks/root.dsk /sh
expect /disks/data.cow -- "$W" alpha -disk merge /disks/d
# shellcheck disable=SC2086
expect $ops -- "$A" disk ''
expect alpha beta-2 gamma.x -- "$A" disk -vm ''
# umladmin disk without -vm: only /shared/disks
expect /shared/disks/ /shared/disks/base.dsk -- "$A" disk info ''
expect /disks/ /disks/root.dsk /disks/data.cow /shared/disks/ /shared/disks/base.dsk \
	-- "$A" disk -vm alpha check ''
expect version help proc stack config remove log -- "$W" alpha -mconsole ''

# the usages other commands may have: a repeated VM, a choice of words
declare -A _umlmon_opts=()
declare -a _umlmon_pos=()
_umlmon_grammar "VM...|--all [-timeout S]" "VM [busybox|debian]"
[ "${_umlmon_pos[*]}" = "VM... busybox|debian" ] || fail "positional: ${_umlmon_pos[*]}"
[ "${!_umlmon_opts[*]}" = "--all -timeout" ] || [ "${!_umlmon_opts[*]}" = "-timeout --all" ] ||
	fail "options: ${!_umlmon_opts[*]}"
[ "${_umlmon_opts[-timeout]}" = S ] || fail "-timeout takes '${_umlmon_opts[-timeout]}'"
COMPREPLY=()
_umlmon_complete "busybox|debian" d
[ "${COMPREPLY[*]}" = debian ] || fail "busybox|debian: got ${COMPREPLY[*]}"

echo "completion: $n completions of umlwatch and umladmin right"
