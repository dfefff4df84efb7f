#!/bin/bash
# uml_mconsole from uml-utilities talks to the mconsole of a VM that umlmon
# runs in its jail, and gets the same answers as umlwatch -mconsole.
. "$(dirname "$0")/lib.sh"

command -v uml_mconsole >/dev/null || need "uml_mconsole (uml-utilities)"
setup
mkimage vm1
start_monitor vm1
boot vm1
sock=$(jail_of vm1)/tmp/vm1/mconsole
[ -S "$sock" ] || fail "no mconsole socket at $sock"

# (uml_mconsole first looks for the name under ~/.uml and warns on stderr)
peer=$(timeout 10 uml_mconsole "$sock" version 2>/dev/null) || fail "uml_mconsole version"
log "uml_mconsole: $peer"
echo "$peer" | grep >/dev/null '^OK Linux [^ ]* 6\.1\.' || fail "uml_mconsole said: $peer"
ours=$(watch vm1 -mconsole version) || fail "-mconsole version"
# the same kernel version string (the guest may set its host name meanwhile)
[ "$(echo "OK $ours" | cut -d' ' -f1,2,4-)" = "$(echo "$peer" | cut -d' ' -f1,2,4-)" ] ||
	fail "umlwatch said '$ours', uml_mconsole '$peer'"

# a multi-chunk answer (more than 512 bytes) arrives whole through both
peer=$(timeout 10 uml_mconsole "$sock" proc meminfo 2>/dev/null) || fail "uml_mconsole proc"
ours=$(watch vm1 -mconsole proc meminfo) || fail "-mconsole proc meminfo"
[ "$(echo "$ours" | wc -c)" -gt 600 ] || fail "proc meminfo is short: $ours"
[ "$(echo "$ours" | grep -c '^MemTotal:')" = 1 ] || fail "no MemTotal in: $ours"
[ "$(echo "$peer" | grep -c 'MemTotal:')" = 1 ] || fail "uml_mconsole: no MemTotal"

# the peer may control the VM too: stop/go through uml_mconsole
timeout 10 uml_mconsole "$sock" stop >/dev/null || fail "uml_mconsole stop"
timeout 10 uml_mconsole "$sock" go >/dev/null || fail "uml_mconsole go"
[ "$(info_field vm1 state)" = running ] || fail "state after the peer's stop/go"

watch vm1 -stop >/dev/null || fail "-stop"
log "PASS"
