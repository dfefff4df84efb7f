#!/bin/bash
# bridged, in a network namespace this test makes: two VMs on one host
# bridge ping each other and the bridge's address; a missing bridge is a
# clear error that leaves nothing behind; after the stops no tap is left.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || need "ip (iproute2)"
command -v ping >/dev/null || need "ping (iputils-ping)"
setup 'eth0 = bridged(bridge_if=br0, proxy_if=umb1, guest_addr=10.8.0.2/24)'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'eth0 = bridged(bridge_if=br0, proxy_if=umb2, guest_addr=10.8.0.3/24)'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'eth0 = bridged(bridge_if=nobridge, proxy_if=umb3, guest_addr=10.8.0.4/24)'
netns_new host
H=$NS
ip -n "$H" link add br0 type bridge || fail "bridge"
ip -n "$H" addr add 10.8.0.1/24 dev br0
ip -n "$H" link set br0 up
MON_NETNS=$H
mkimage vm1
mkimage vm2
mkimage vm3
start_monitor vm1
start_monitor vm2
start_monitor vm3

# ---- a bridge that does not exist ----
expect_fail "vm3: cannot start: eth0: nobridge: no such interface" watch vm3 -start
ip -n "$H" link show umb3 >/dev/null 2>&1 && fail "the refused start left its tap"
[ "$(info_field vm3 state)" = stopped ] || fail "vm3 is not stopped"

boot vm1
boot vm2
[ "$(in_ns "$H" readlink /sys/class/net/umb1/master | xargs basename)" = br0 ] ||
	fail "umb1 is not a port of br0"
out=$(in_ns "$H" ping -c 3 -W 2 10.8.0.2 2>&1) || fail "bridge -> vm1: $out"
out=$(in_ns "$H" ping -c 3 -W 2 10.8.0.3 2>&1) || fail "bridge -> vm2: $out"

tm_new term
tm_login term vm1
tm_send term 'ping -c 3 -W 2 10.8.0.3 >/dev/null; echo VM2-RC=$?' Enter
tm_wait term '^VM2-RC=' 20
tm_send term 'ping -c 3 -W 2 10.8.0.1 >/dev/null; echo BR-RC=$?' Enter
tm_wait term '^BR-RC=' 20
tm_capture term | grep >/dev/null '^VM2-RC=0' || fail "vm1 -> vm2 failed"
tm_capture term | grep >/dev/null '^BR-RC=0' || fail "vm1 -> bridge failed"
tm_send term C-] q

out=$(watch vm1 -stop 2>&1) || fail "stop vm1: $out"
out=$(watch vm2 -stop 2>&1) || fail "stop vm2: $out"
left=$(ip -n "$H" -o link show | grep -E 'umb[123]')
[ -z "$left" ] || fail "taps left: $left"
ip -n "$H" link show br0 >/dev/null 2>&1 || fail "the bridge itself was removed"
log "ok"
