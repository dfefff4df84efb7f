#!/bin/bash
# An interface added to a running VM (host_to_host, in a network namespace
# this test makes): the same host side as at boot (a tap of the vmuser
# with its point-to-point address, proxy ARP on host_if), -info shows it,
# the host pings the guest through it once the guest set its address;
# removed, the tap, its route and the proxy entry are gone. An interface
# already there, a tap of another VM's and a bad name are refused.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || need "ip (iproute2)"
# the kernel shares the monitor's network namespace only with an
# interface at boot
setup 'eth0 = host_to_host(proxy_if=lv0p, proxy_addr=10.9.4.1, guest_addr=10.9.4.2)'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'eth0 = host_to_host(proxy_if=lv9p, proxy_addr=10.9.9.1, guest_addr=10.9.9.2)'
host_and_lan 10.9.5.1/24 10.9.5.5/24
MON_NETNS=$H
vms_up vm1
eth1='eth1=host_to_host(proxy_if=lv1p, proxy_addr=10.9.5.1, guest_addr=10.9.5.2, host_if=uplink)'

expect_fail "vm1: eth0: already given" watch vm1 -add-eth "eth0=switched(lan)"
expect_fail "proxy_if lv9p is already vm2's eth0" \
	watch vm1 -add-eth 'eth2=host_to_host(proxy_if=lv9p, proxy_addr=10.9.6.1, guest_addr=10.9.6.2)'
expect_fail "'eth8' is not an interface" watch vm1 -add-eth "eth8=switched(lan)"
ip -n "$H" link show lv9p >/dev/null 2>&1 && fail "a refused interface made a tap"

out=$(watch vm1 -add-eth "$eth1" 2>&1) || fail "-add-eth: $out"
log "$out"
ip -n "$H" -o addr show dev lv1p | grep >/dev/null 'inet 10.9.5.1 peer 10.9.5.2/32' ||
	fail "lv1p: $(ip -n "$H" -o addr show dev lv1p)"
[ "$(in_ns "$H" cat /sys/class/net/lv1p/owner)" = "$(vm_uid vm1)" ] || fail "lv1p is not the vmuser's"
ip -n "$H" neigh show proxy | grep >/dev/null '^10.9.5.2 dev uplink' ||
	fail "no proxy ARP entry: $(ip -n "$H" neigh show proxy)"
info_field vm1 eth1 | grep >/dev/null 'tap lv1p 10.9.5.1 peer 10.9.5.2, proxy ARP on uplink; in the guest vec1, mac 02:55:4d:4c:' ||
	fail "-info eth1: $(info_field vm1 eth1)"

# the guest sets its address, as its boot does for eth0, and routes the
# LAN behind host_if through it (its default route is eth0's)
tm_new term
tm_login term vm1
tm_send term 'ip link set vec1 up && ip addr add 10.9.5.2 peer 10.9.5.1 dev vec1 && ip route add 10.9.5.0/24 via 10.9.5.1 dev vec1; echo IP-RC=$?' Enter
tm_wait term '^IP-RC=0' 20
out=$(in_ns "$H" ping -c 3 -W 2 10.9.5.2 2>&1) || fail "host -> guest on eth1: $out"
log "host -> guest: $(echo "$out" | tail -n 1)"
out=$(in_ns "$L" ping -c 3 -W 2 10.9.5.2 2>&1) || fail "LAN -> guest on eth1 (proxy ARP): $out"
tm_send term 'ip link set vec1 down; echo DOWN-RC=$?' Enter
tm_wait term '^DOWN-RC=0' 10
tm_send term C-] q

out=$(watch vm1 -remove-eth eth1 2>&1) || fail "-remove-eth: $out"
log "$out"
ip -n "$H" link show lv1p >/dev/null 2>&1 && fail "lv1p left after the remove"
ip -n "$H" neigh show proxy | grep >/dev/null 10.9.5.2 && fail "proxy ARP entry left"
ip -n "$H" route show | grep >/dev/null 10.9.5.2 && fail "route to the guest left"
[ -z "$(info_field vm1 eth1)" ] || fail "eth1 still in -info"
ip -n "$H" link show lv0p >/dev/null 2>&1 || fail "eth0's tap went too"
expect_fail "vm1: eth1: the VM has none" watch vm1 -remove-eth eth1
# kept: the line in the file, then out of it
out=$(watch vm1 -add-eth "$eth1" --keep 2>&1) || fail "-add-eth --keep: $out"
grep -xF "$(echo "$eth1" | sed 's/=/ = /')" "$CONF" >/dev/null || fail "eth1 not kept: $(cat "$CONF")"
out=$(watch vm1 -remove-eth eth1 --keep 2>&1) || fail "-remove-eth --keep: $out"
grep '^eth1' "$CONF" >/dev/null && fail "eth1 still in the file"
ip -n "$H" link show lv1p >/dev/null 2>&1 && fail "lv1p left after the second remove"
log "ok"
