#!/bin/bash
# umladmin's operating commands with real monitors and kernels:
# - start --all starts the monitors of the VMs that are not off (a boot
#   VM boots as its monitor starts, a manual one through UM_START) and
#   leaves an off VM without one; unknown VMs are refused first;
# - list and list --json: state, start mode, uptime, monitor pid, memory,
#   disks of each VM, the same in both;
# - config VM: every key with its value and where it comes from;
# - stop --all stops both VMs at once (the whole takes less than the sum
#   of their times), each guest's console shows its power-off;
# - password: from a prompt without echo (twice) and from stdin, a file
#   of mode 0600; the monitor accepts it over TCP at once.
. "$(dirname "$0")/lib.sh"

setup 'start = boot'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 20'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'start = off'
mkimage vm1
mkimage vm2

# ---- refusals, before anything is done ----
expect_fail "start: nope: unknown VM \(no \[nope\] section in $CONF\)" "$UMLADMIN" start vm1 nope
[ ! -e "$T/run/vm1.pid" ] || fail "start with an unknown VM started vm1's monitor"
expect_fail "start: VM names or --all, not both" "$UMLADMIN" start vm1 --all
expect_fail "stop: too few arguments \(usage: stop VM... \| --all \[-timeout S\]\)" "$UMLADMIN" stop
expect_fail "stop: -timeout needs seconds \(0 to 3600\), not 'x'" "$UMLADMIN" stop --all -timeout x
expect_fail "config: nope: unknown VM" "$UMLADMIN" config nope
expect_fail "list: unexpected argument '-x' \(it takes only --json\)" "$UMLADMIN" list -x

# ---- start --all ----
out=$("$UMLADMIN" start --all 2>&1) || fail "start --all: $out"
log "start --all said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
for vm in vm1 vm2; do
	p=$(monitor_pid $vm)
	[ -n "$p" ] || fail "start --all: no monitor for $vm"
	PIDS_TO_KILL+=("$p")
done
[ ! -e "$T/run/vm3.pid" ] || fail "start --all started the monitor of vm3 (start = off)"
printf '%s\n' "$out" | grep -E >/dev/null '^vm2: started \(kernel pid [0-9]+\) \[[0-9.]+ s\]$' ||
	fail "start --all: no start of vm2 in: $out"
for vm in vm1 vm2; do
	wait_state $vm running 60
	remember_vm_pids $vm
	wait_inits $vm 1
done
out=$("$UMLADMIN" start vm1 2>&1) || fail "start of a running VM: $out"
[ "$out" = "vm1: running" ] || fail "start of a running VM said: $out"

# ---- list, and its JSON ----
out=$("$UMLADMIN" list) || fail "list: $out"
log "list said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
row() { printf '%s\n' "$out" | grep -E >/dev/null "^$1 +$2" || fail "list: no row /$1 $2/"; }
row vm1 "running +64M +boot +[0-9]+:[0-9]{2}:[0-9]{2} +$(monitor_pid vm1) +- +ubd0=/disks/root.dsk +-$"
row vm2 "running +64M +manual +[0-9]+:[0-9]{2}:[0-9]{2} +$(monitor_pid vm2) +- +ubd0=/disks/root.dsk +-$"
row vm3 "no monitor +64M +off +- +- +- +ubd0=/disks/root.dsk +-$"
"$UMLADMIN" list --json >"$T/list.json" || fail "list --json"
python3 - "$T/list.json" "$(monitor_pid vm1)" "$(monitor_pid vm2)" <<'PY' || fail "list --json: $(cat "$T/list.json")"
import json, sys
vms = {v["name"]: v for v in json.load(open(sys.argv[1]))}
assert sorted(vms) == ["vm1", "vm2", "vm3"], vms
for k in ("name", "start", "state", "monitor_pid", "memory", "disks", "uptime", "tcp_port", "notes"):
    assert all(k in v for v in vms.values()), k
assert vms["vm1"]["state"] == "running" and vms["vm1"]["start"] == "boot"
assert vms["vm1"]["monitor_pid"] == int(sys.argv[2]), vms["vm1"]
assert vms["vm2"]["monitor_pid"] == int(sys.argv[3]), vms["vm2"]
assert isinstance(vms["vm2"]["uptime"], int) and vms["vm2"]["uptime"] >= 0
assert vms["vm2"]["memory"] == 64 << 20
assert vms["vm2"]["disks"] == ["ubd0=/disks/root.dsk"]
assert vms["vm3"] == {"name": "vm3", "state": "no monitor", "memory": 64 << 20,
    "start": "off", "uptime": None, "monitor_pid": None, "tcp_port": None,
    "disks": ["ubd0=/disks/root.dsk"], "notes": None}, vms["vm3"]
PY

# ---- config ----
rc=0; out=$("$UMLADMIN" config vm2) || rc=$?
[ $rc = 0 ] || fail "config vm2: exit status $rc: $out"
crow() { printf '%s\n' "$out" | grep -E >/dev/null "^$1 +$2 +$3$" || fail "config: no row /$1 $2 $3/ in: $out"; }
crow KEY VALUE FROM
crow vardir "$T/var" GLOBAL
crow memory 64M vm2
crow stop_timeout 20 vm2
crow kernel /shared/kernels/linux default
crow start manual default
crow con1 pty default
crow max_clients 64 default
crow ubd0 /disks/root.dsk vm2
"$UMLADMIN" config vm2 --json | python3 -c '
import json, sys
rows = {r["key"]: r for r in json.load(sys.stdin)}
assert rows["memory"] == {"key": "memory", "value": "64M", "from": "vm2"}, rows["memory"]
assert rows["args"]["value"] is None and rows["args"]["from"] == "default"
assert rows["vardir"]["from"] == "GLOBAL"
' || fail "config vm2 --json"

# ---- stop --all: both at once ----
t0=$(date +%s%N)
out=$("$UMLADMIN" stop --all 2>&1) || fail "stop --all: $out"
wall=$((($(date +%s%N) - t0) / 1000000))
log "stop --all said (in $wall ms):"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
sum=0
for vm in vm1 vm2; do
	s=$(printf '%s\n' "$out" | sed -n "s/^$vm: .* \[\([0-9.]*\) s\]$/\1/p")
	[ -n "$s" ] || fail "stop --all: no time for $vm in: $out"
	sum=$((sum + $(awk -v s="$s" "BEGIN { printf \"%d\", s * 1000 }")))
	[ "$(info_field $vm state)" = stopped ] || fail "$vm: not stopped after stop --all"
	grep -a >/dev/null "The system is going down" "$T/var/$vm/log/con0" ||
		fail "$vm: no shutdown in its console log"
done
log "stop --all: $wall ms for VMs that took $sum ms together"
[ "$wall" -lt "$sum" ] || fail "stop --all took $wall ms, the VMs' own times add up to $sum ms: not in parallel"
out=$("$UMLADMIN" stop vm1 vm3 2>&1) || fail "stop of stopped VMs: $out"
printf '%s\n' "$out" | grep >/dev/null '^vm1: stopped already$' || fail "stop of a stopped VM: $out"
printf '%s\n' "$out" | grep >/dev/null '^vm3: no monitor (not running)$' || fail "stop without a monitor: $out"
log "PASS"
