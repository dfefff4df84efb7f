#!/bin/bash
# host_to_host, in network namespaces this test makes: the monitor makes a
# tap owned by the vmuser with a point-to-point address (host route to the
# guest); with host_if it announces the guest there by proxy ARP, so that
# another namespace on that link reaches the guest. The guest pings the
# proxy address, the host and the LAN ping the guest; the legacy tuntap
# driver works as well as the vector one. MAC addresses stay across a
# restart. After a stop, a crash or the monitor's exit nothing is left: no
# tap, route or proxy entry.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || need "ip (iproute2)"
setup 'eth0 = host_to_host(proxy_if=um0p, proxy_addr=10.9.0.1, guest_addr=10.9.0.2, host_if=uplink)'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'netdriver = tuntap' \
	'eth0 = host_to_host(proxy_if=um1p, proxy_addr=10.9.1.1, guest_addr=10.9.1.2)'
# the host, and a LAN behind its interface "uplink"
host_and_lan 10.9.0.1/24 10.9.0.5/24
MON_NETNS=$H
vms_up vm1 vm2

# ---- the host side ----
ip -n "$H" -o addr show dev um0p | grep >/dev/null 'inet 10.9.0.1 peer 10.9.0.2/32' ||
	fail "um0p: $(ip -n "$H" -o addr show dev um0p)"
[ "$(in_ns "$H" cat /sys/class/net/um0p/owner)" = "$(vm_uid vm1)" ] ||
	fail "um0p is not owned by the vmuser"
ip -n "$H" route show 10.9.0.2 | grep >/dev/null 'dev um0p' || fail "no host route to the guest"
ip -n "$H" neigh show proxy | grep >/dev/null '^10.9.0.2 dev uplink' ||
	fail "no proxy ARP entry: $(ip -n "$H" neigh show proxy)"
info_field vm1 cmdline | grep >/dev/null 'vec0:transport=tap,ifname=um0p,depth=128,gro=1,mac=02:55:4d:4c:' ||
	fail "vm1's command line: $(info_field vm1 cmdline)"
info_field vm2 cmdline | grep >/dev/null 'eth0=tuntap,um1p,02:55:4d:4c:' ||
	fail "vm2's command line: $(info_field vm2 cmdline)"

# ---- pings ----
out=$(in_ns "$H" ping -c 3 -W 2 10.9.0.2 2>&1) || fail "host -> guest: $out"
log "host -> guest: $(echo "$out" | tail -n 1)"
out=$(in_ns "$L" ping -c 3 -W 2 10.9.0.2 2>&1) || fail "LAN -> guest (proxy ARP): $out"
log "LAN -> guest: $(echo "$out" | tail -n 1)"
out=$(in_ns "$H" ping -c 3 -W 2 10.9.1.2 2>&1) || fail "host -> tuntap guest: $out"
tm_new term
tm_login term vm1
tm_send term 'ping -c 3 -W 2 10.9.0.1 >/dev/null; echo PING-RC=$?' Enter
tm_wait term '^PING-RC=' 20
tm_capture term | grep >/dev/null '^PING-RC=0' || fail "guest -> proxy address failed"
tm_send term 'cat /sys/class/net/vec0/address' Enter
mac1=$(info_field vm1 cmdline | sed -n 's/.*vec0:[^ ]*mac=\([0-9a-f:]*\).*/\1/p')
info_field vm1 eth0 | grep -F >/dev/null "host_to_host: tap um0p 10.9.0.1 peer 10.9.0.2, proxy ARP on uplink; in the guest vec0, mac $mac1" ||
	fail "-info eth0: $(info_field vm1 eth0)"
info_field vm2 eth0 | grep -F >/dev/null "in the guest eth0, mac" || fail "vm2 -info eth0: $(info_field vm2 eth0)"
tm_wait term "^$mac1" 10
tm_send term C-] q

# ---- stop: nothing left; a restart keeps the MAC addresses ----
mac2=$(info_field vm2 cmdline | sed -n 's/.*eth0=tuntap,um1p,\([0-9a-f:]*\).*/\1/p')
[ "$mac1" != "$mac2" ] || fail "vm1 and vm2 got the same MAC $mac1"
out=$(watch vm1 -stop 2>&1) || fail "stop vm1: $out"
ip -n "$H" link show um0p >/dev/null 2>&1 && fail "um0p left after the stop"
ip -n "$H" neigh show proxy | grep >/dev/null 10.9.0.2 && fail "proxy ARP entry left"
ip -n "$H" route show | grep >/dev/null 10.9.0.2 && fail "route to the guest left"
boot vm1
[ "$(info_field vm1 cmdline | sed -n 's/.*vec0:[^ ]*mac=\([0-9a-f:]*\).*/\1/p')" = "$mac1" ] ||
	fail "vm1's MAC changed across a restart"
out=$(in_ns "$H" ping -c 2 -W 2 10.9.0.2 2>&1) || fail "host -> guest after restart: $out"
# ---- a crash and a monitor's exit clean up too ----
kill -9 "$(info_field vm1 'kernel pid')"
wait_state vm1 crashed 20
ip -n "$H" link show um0p >/dev/null 2>&1 && fail "um0p left after a crash"
ip -n "$H" neigh show proxy | grep >/dev/null 10.9.0.2 && fail "proxy ARP entry left after a crash"
stop_monitor vm2
ip -n "$H" link show um1p >/dev/null 2>&1 && fail "um1p left after its monitor exited"
left=$(ip -n "$H" -o link show | grep -E 'um[01]p')
[ -z "$left" ] || fail "taps left: $left"
[ -z "$(ip -n "$H" neigh show proxy)" ] || fail "proxy entries left"
log "ok"
