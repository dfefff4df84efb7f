#!/bin/bash
# umladmin update after the configuration changed, while vm1 keeps
# running untouched (same kernel pid, same monitor, its uptime goes on):
# - a new VM gets a monitor, an off one none;
# - an idle monitor whose section changed is restarted (a new pid), an
#   idle unchanged one is left;
# - the idle monitor of a removed VM ends;
# - the running VM whose section changed is reloaded and listed as
#   needing a restart, and when removed it is left running and reported;
# - --json gives the same rows.
. "$(dirname "$0")/lib.sh"

# a process that runs (an ended one may wait a moment for its reaper)
alive() { grep -E >/dev/null '^State:\s+[^Z]' "/proc/$1/status" 2>/dev/null; }

setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk'
add_vm vm9 'memory = 64M' 'ubd0 = /disks/root.dsk'
mkimage vm1
out=$("$UMLADMIN" start vm1 2>&1) || fail "start vm1: $out"
PIDS_TO_KILL+=("$(monitor_pid vm1)")
wait_state vm1 running 60
remember_vm_pids vm1
wait_inits vm1 1

# ---- the first update starts the other monitors ----
out=$("$UMLADMIN" update 2>&1) || fail "update: $out"
log "update said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
urow() { printf '%s\n' "$out" | grep -E >/dev/null "^$1 +$2" || fail "update: no row /$1 $2/ in: $out"; }
urow VM 'ACTION +DETAIL$'
urow vm1 'unchanged +running$'
for vm in vm2 vm3 vm9; do
	urow $vm 'started +monitor started$'
	PIDS_TO_KILL+=("$(monitor_pid $vm)")
done
kpid=$(info_field vm1 'kernel pid')
mpid1=$(monitor_pid vm1) mpid2=$(monitor_pid vm2) mpid3=$(monitor_pid vm3) mpid9=$(monitor_pid vm9)
up0=$("$UMLADMIN" list --json | python3 -c 'import json,sys; print([v for v in json.load(sys.stdin) if v["name"] == "vm1"][0]["uptime"])')

# ---- change vm1 (running) and vm2 (idle), remove vm9, add vm4 and vm5 ----
python3 - "$CONF" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("[vm1]\nmemory = 64M", "[vm1]\nmemory = 96M")
s = s.replace("[vm2]\nmemory = 64M", "[vm2]\nmemory = 80M")
s = re.sub(r"\n\[vm9\]\n(?:[^\[]*)", "\n", s)
s += "\n[vm4]\nmemory = 64M\nubd0 = /disks/root.dsk\n"
s += "\n[vm5]\nmemory = 64M\nubd0 = /disks/root.dsk\nstart = off\n"
open(p, "w").write(s)
PY
grep -q '^\[vm9\]' "$CONF" && fail "vm9 still in $CONF"
"$UMLADMIN" update --json >"$T/update.json" 2>&1 || fail "update --json: $(cat "$T/update.json")"
PIDS_TO_KILL+=("$(monitor_pid vm2)" "$(monitor_pid vm4)")
python3 - "$T/update.json" <<'PY' || fail "update --json: $(cat "$T/update.json")"
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
assert set(rows) == {"vm1", "vm2", "vm3", "vm4", "vm5", "vm9"}, rows
assert all(set(r) == {"name", "action", "detail"} for r in rows.values())
assert rows["vm1"]["action"] == "needs restart", rows["vm1"]
assert "memory 64M -> 96M" in rows["vm1"]["detail"], rows["vm1"]
assert rows["vm2"]["action"] == "restarted", rows["vm2"]
assert rows["vm3"]["action"] == "unchanged", rows["vm3"]
assert rows["vm4"]["action"] == "started", rows["vm4"]
assert rows["vm5"]["action"] == "none", rows["vm5"]
assert rows["vm9"]["action"] == "ended", rows["vm9"]
PY
log "update said: $(cat "$T/update.json")"
# vm1 untouched: its monitor, its kernel, its uptime goes on
[ "$(monitor_pid vm1)" = "$mpid1" ] || fail "vm1's monitor changed"
[ "$(info_field vm1 'kernel pid')" = "$kpid" ] || fail "vm1's kernel changed"
[ "$(info_field vm1 state)" = running ] || fail "vm1 does not run any more"
kill -0 "$kpid" || fail "vm1's kernel (pid $kpid) is gone"
info_field vm1 memory | grep -x 64M >/dev/null || fail "vm1's memory changed while it runs"
info_field vm1 pending | grep -F >/dev/null "memory 64M -> 96M" || fail "vm1: no pending change"
up1=$("$UMLADMIN" list --json | python3 -c 'import json,sys; print([v for v in json.load(sys.stdin) if v["name"] == "vm1"][0]["uptime"])')
[ "$up1" -ge "$up0" ] || fail "vm1's uptime went from $up0 to $up1"
# vm2 restarted with its new section; vm3 as it was; vm9's monitor gone
[ "$(monitor_pid vm2)" != "$mpid2" ] || fail "vm2's monitor was not restarted"
alive "$mpid2" && fail "vm2's old monitor (pid $mpid2) still runs"
info_field vm2 memory | grep -x 80M >/dev/null || fail "vm2's monitor has not its new memory"
[ "$(monitor_pid vm3)" = "$mpid3" ] || fail "vm3's unchanged monitor was restarted"
alive "$mpid9" && fail "vm9's monitor (pid $mpid9) still runs after its removal"
[ -S "$T/var/vm4/ctrl" ] || fail "vm4 has no monitor"
[ ! -e "$T/run/vm5.pid" ] || fail "vm5 (off) got a monitor"

# ---- the running VM removed: left running and reported ----
python3 - "$CONF" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\n\[vm1\]\n(?:[^\[]*)", "\n", s)
open(p, "w").write(s)
PY
out=$("$UMLADMIN" update 2>&1) || fail "update: $out"
log "update said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
urow vm1 "left running +removed from the configuration, but the VM is running"
urow vm2 'unchanged +stopped$'
# (umlwatch knows vm1 no more by the configuration: by its socket)
k=$("$UMLWATCH" -s "$T/var/vm1/ctrl" vm1 -info | sed -n 's/^kernel pid  *//p')
[ "$k" = "$kpid" ] || fail "vm1's kernel changed ($kpid, now '$k')"
[ "$(monitor_pid vm1)" = "$mpid1" ] || fail "vm1's monitor changed"
log "PASS"
