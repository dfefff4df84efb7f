#!/bin/bash
# Network configuration errors and the MAC pool: a bad ethN line is named
# with file:line by umladmin check and stops the monitor; the pool hands
# out each address once across VMs and says so when it runs out; an
# explicit mac= that another VM holds is refused.
. "$(dirname "$0")/lib.sh"

setup
# a pool of two addresses
sed -i 's/^\[GLOBAL\]$/[GLOBAL]\nmac_pool = 02:55:4d:4c:01:00-02:55:4d:4c:01:01/' "$CONF"
echo 'eth0 = switched(switch=cfg1, guest_addr=10.6.0.2/24)' >>"$CONF"
add_vm vm2 'ubd0 = /disks/root.dsk' 'eth0 = switched(switch=cfg1)'
add_vm vm3 'ubd0 = /disks/root.dsk' 'eth0 = switched(switch=cfg1)'
netns_new host
MON_NETNS=$NS
for vm in vm1 vm2 vm3; do mkimage $vm; done
start_monitor vm1
start_monitor vm2
start_monitor vm3
out=$(watch vm1 -start 2>&1) || fail "vm1 -start: $out"
remember_vm_pids vm1
out=$(watch vm1 -halt 2>&1) || fail "vm1 -halt: $out"
out=$(watch vm2 -start 2>&1) || fail "vm2 -start: $out"
remember_vm_pids vm2
out=$(watch vm2 -halt 2>&1) || fail "vm2 -halt: $out"
m1=$(grep '^vm1 eth0 ' "$T/shared/macs" | cut -d' ' -f3)
m2=$(grep '^vm2 eth0 ' "$T/shared/macs" | cut -d' ' -f3)
[ -n "$m1" ] && [ -n "$m2" ] && [ "$m1" != "$m2" ] || fail "macs: $(cat "$T/shared/macs")"

# ---- the pool is exhausted ----
expect_fail "vm3: cannot start: eth0: the MAC pool 02:55:4d:4c:01:00-02:55:4d:4c:01:01 is exhausted \(2 addresses" \
	watch vm3 -start
[ "$(info_field vm3 state)" = stopped ] || fail "vm3 is not stopped"
# a restart keeps the address
out=$(watch vm1 -start 2>&1) || fail "vm1 -start again: $out"
remember_vm_pids vm1
info_field vm1 cmdline | grep >/dev/null "eth0=daemon,$m1," || fail "vm1's MAC changed: $(info_field vm1 cmdline)"
out=$(watch vm1 -halt 2>&1) || fail "vm1 -halt: $out"

# ---- an explicit address that another VM holds (a VM added later) ----
add_vm vm4 'ubd0 = /disks/root.dsk' "eth0 = switched(switch=cfg1, mac=$m1)"
mkimage vm4
start_monitor vm4
expect_fail "vm4: cannot start: eth0: mac $m1 is already vm1's eth0" \
	watch vm4 -start

# ---- bad lines ----
cp "$CONF" "$T/good.conf"
cat >>"$CONF" <<EOF
[bad1]
vmuser = nobody
ubd0 = /disks/root.dsk
eth0 = bridged(bridge_if=br0)
eth1 = wifi(ssid=home)
eth2 = host_to_host(proxy_if=p1, proxy_addr=10.0.0.300, guest_addr=10.0.0.2)
eth3 = switched(switch=lab1, mac=01:00:5e:00:00:01)
eth9 = switched(switch=lab1)
EOF
out=$("$UMLADMIN" check 2>&1) && fail "check passed a bad file"
log "$out"
n=$(grep -n '^eth0 = bridged(bridge_if=br0)$' "$CONF" | cut -d: -f1)
echo "$out" | grep >/dev/null "$CONF:$n: eth0: bridged: 'proxy_if' is missing" || fail "eth0 error: $out"
echo "$out" | grep >/dev/null "$CONF:$((n + 1)): eth1: 'wifi': unknown kind of network" || fail "eth1 error"
echo "$out" | grep >/dev/null "$CONF:$((n + 2)): eth2: host_to_host: proxy_addr '10.0.0.300': expected an IPv4 address" ||
	fail "eth2 error"
echo "$out" | grep >/dev/null "$CONF:$((n + 3)): eth3: switched: mac '01:00:5e:00:00:01': expected a unicast MAC" ||
	fail "eth3 error"
echo "$out" | grep >/dev/null "$CONF:$((n + 4)): eth9: at most 8 interfaces" || fail "eth9 error"
out=$(timeout 10 "$UMLMON" -fg bad1 2>&1) && fail "umlmon started with a bad section"
echo "$out" | grep >/dev/null "eth0: bridged: 'proxy_if' is missing" || fail "umlmon said: $out"
log "ok"
