#!/bin/bash
# The bash completion asks a running monitor for the VM's channels: the
# channels of its -info (con2 added, ssl0 null), not the con0 con1 it
# offers without a monitor; a VM without a monitor gets con0 con1. The
# rest of the completion is the unit test completion.
. "$(dirname "$0")/lib.sh"

setup "con2 = pty" "ssl0 = null"
add_vm vm2
# shellcheck source=/dev/null
. "$S/dist/completion/umlwatch" || fail "cannot source the completion"

# The completions of the last word of WORDS..., sorted, on one line.
complete_words() {
	COMP_WORDS=("$UMLWATCH" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_umlwatch || fail "_umlwatch $*: status $?"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

start_monitor vm1
chans=$(watch vm1 -info | awk '$1 ~ /^(con|ssl)[0-9]+$/ && $2 != "null" { print $1 }' |
	sort | tr '\n' ' ')
[ "$chans" = "con0 con1 con2 " ] || fail "vm1 -info shows the channels '$chans'"
got=$(complete_words vm1 -connect '')
[ "$got" = "$chans" ] || fail "vm1 -connect: completed '$got', want '$chans'"
got=$(complete_words -c "$CONF" vm1 -info -log c)
[ "$got" = "$chans" ] || fail "vm1 -log: completed '$got', want '$chans'"
got=$(complete_words vm1 -screen con2)
[ "$got" = "con2 " ] || fail "vm1 -screen con2: completed '$got'"
# no monitor: the defaults
got=$(complete_words vm2 -connect '')
[ "$got" = "con0 con1 " ] || fail "vm2 (no monitor) -connect: completed '$got'"
# the monitor gone: the defaults again
stop_monitor vm1
got=$(complete_words vm1 -connect '')
[ "$got" = "con0 con1 " ] || fail "vm1 after its monitor ended: completed '$got'"
log "PASS: channels of a running monitor completed ($chans), con0 con1 without one"
