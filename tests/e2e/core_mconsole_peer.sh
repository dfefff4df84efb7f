#!/bin/bash
# uml_mconsole from uml-utilities talks to the mconsole of a VM that umlmon
# runs in its jail, and gets the same answers as umlwatch -mconsole. The
# VM has no interface, so its kernel has a network namespace of its own:
# the kernel answers at the sender's abstract address, which belongs to the
# sender's network namespace, so uml_mconsole runs in the kernel's
# (nsenter, as umlmon(8) says); from the host's it gets no answer.
. "$(dirname "$0")/lib.sh"

command -v uml_mconsole >/dev/null || need "uml_mconsole (uml-utilities)"
setup
mkimage vm1
start_monitor vm1
boot vm1
sock=$(jail_of vm1)/tmp/vm1/mconsole
[ -S "$sock" ] || fail "no mconsole socket at $sock"
k=$(info_field vm1 'kernel pid')
[ -n "$k" ] || fail "no kernel pid for vm1"
[ "$(readlink "/proc/$k/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
	fail "vm1's kernel is in the host's network namespace"
peer() { nsenter --net="/proc/$k/ns/net" timeout 10 uml_mconsole "$sock" "$@"; }

# from the host's namespace the request arrives but the answer cannot
# (uml_mconsole waits for it for ever: bounded here)
if out=$(timeout 3 uml_mconsole "$sock" version 2>/dev/null); then
	fail "uml_mconsole from the host's network namespace was answered: $out"
fi

# (uml_mconsole first looks for the name under ~/.uml and warns on stderr)
peer=$(peer version 2>/dev/null) || fail "uml_mconsole version"
log "uml_mconsole: $peer"
echo "$peer" | grep >/dev/null '^OK Linux [^ ]* 6\.1\.' || fail "uml_mconsole said: $peer"
ours=$(watch vm1 -mconsole version) || fail "-mconsole version"
# the same kernel version string (the guest may set its host name meanwhile)
[ "$(echo "OK $ours" | cut -d' ' -f1,2,4-)" = "$(echo "$peer" | cut -d' ' -f1,2,4-)" ] ||
	fail "umlwatch said '$ours', uml_mconsole '$peer'"

# a multi-chunk answer (more than 512 bytes) arrives whole through both
peer=$(peer proc meminfo 2>/dev/null) || fail "uml_mconsole proc"
ours=$(watch vm1 -mconsole proc meminfo) || fail "-mconsole proc meminfo"
[ "$(echo "$ours" | wc -c)" -gt 600 ] || fail "proc meminfo is short: $ours"
[ "$(echo "$ours" | grep -c '^MemTotal:')" = 1 ] || fail "no MemTotal in: $ours"
[ "$(echo "$peer" | grep -c 'MemTotal:')" = 1 ] || fail "uml_mconsole: no MemTotal"

# the peer may control the VM too: stop/go through uml_mconsole
peer stop >/dev/null || fail "uml_mconsole stop"
peer go >/dev/null || fail "uml_mconsole go"
[ "$(info_field vm1 state)" = running ] || fail "state after the peer's stop/go"

watch vm1 -stop >/dev/null || fail "-stop"
log "PASS"
