#!/bin/bash
# A user of its own for every VM (umlmon(5) vmuser, vm_uid_range,
# vmuser_shared). Two VMs without a vmuser get two uids of the range that
# no user or group of the host names; they stay theirs across a reboot
# and a monitor's restart (VARDIR/uids); each kernel runs as its VM's
# uid; VM A's uid may read neither VM B's memory file (through B's
# kernel) nor B's disk, while B's uid reads its disk (so the test can
# tell). Refused, naming who shares the user: vmuser = nobody (allowed
# with vmuser_shared = yes), two VMs with one vmuser, a process on the
# host running as a VM's uid at its start; and a range with no free uid.
. "$(dirname "$0")/lib.sh"

setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk'
mkimage vm1
mkimage vm2
ua=$(vm_uid vm1)
ub=$(vm_uid vm2)
table=$(cat "$T/var/uids")

# ---- two uids of the range, nobody's on the host ----
[ "$ua" != "$ub" ] || fail "vm1 and vm2 both got uid $ua"
for u in "$ua" "$ub"; do
	[ "$u" -ge "$UID_FIRST" ] && [ "$u" -le "$UID_LAST" ] ||
		fail "uid $u is not in vm_uid_range $UID_FIRST-$UID_LAST"
	! getent passwd "$u" >/dev/null || fail "uid $u is a user: $(getent passwd "$u")"
	! getent group "$u" >/dev/null || fail "gid $u is a group: $(getent group "$u")"
done
[ "$(stat -c '%u:%g:%a' "$T/var/uids")" = 0:0:644 ] ||
	fail "$T/var/uids: $(stat -c '%u:%g:%a' "$T/var/uids"), not root's 0644"
[ "$(stat -c '%u:%g' "$(jail_of vm1)/disks/root.dsk")" = "$ua:$ua" ] ||
	fail "vm1's disk: $(stat -c '%u:%g' "$(jail_of vm1)/disks/root.dsk"), not $ua's"
"$UMLADMIN" config vm1 | grep -E "^vmuser +auto \(uid $ua\) +default$" >/dev/null ||
	fail "umladmin config vm1: $("$UMLADMIN" config vm1 | grep vmuser)"

start_monitor vm1
start_monitor vm2
boot vm1
boot vm2
[ "$(info_field vm1 vmuser)" = "auto (uid $ua)" ] ||
	fail "vm1 -info vmuser: '$(info_field vm1 vmuser)'"

# ---- each kernel runs as its uid ----
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
ka=$(info_field vm1 'kernel pid')
kb=$(info_field vm2 'kernel pid')
[ "$(field "$ka" Uid)" = "$ua	$ua	$ua	$ua" ] || fail "vm1's kernel: Uid $(field "$ka" Uid)"
[ "$(field "$ka" Gid)" = "$ua	$ua	$ua	$ua" ] || fail "vm1's kernel: Gid $(field "$ka" Gid)"
[ "$(field "$kb" Uid)" = "$ub	$ub	$ub	$ub" ] || fail "vm2's kernel: Uid $(field "$kb" Uid)"
[ "$(field "$ka" Groups)" = "" ] || fail "vm1's kernel: Groups $(field "$ka" Groups)"

# ---- vm1's uid reads neither vm2's memory nor its disk ----
as() { # UID CMD...: as that uid and gid, no other group
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}
# the memory file: the kernel's open file at least as big as its memory
mem=
for fd in /proc/"$kb"/fd/*; do
	s=$(stat -L -c %s "$fd" 2>/dev/null) || continue
	[ "$s" -ge $((64 << 20)) ] && mem=$fd && break
done
[ -n "$mem" ] || fail "no memory file among vm2's kernel's files: $(ls -l /proc/"$kb"/fd)"
head -c 4096 "$mem" | wc -c | grep -qx 4096 || fail "root cannot read $mem"
expect_fail "Permission denied" as "$ua" head -c 1 "$mem"
expect_fail "Permission denied" as "$ua" head -c 1 "/proc/$kb/mem"
disk=$(jail_of vm2)/disks/root.dsk
expect_fail "Permission denied" as "$ua" head -c 1 "$disk"
[ "$(as "$ub" head -c 512 "$disk" | wc -c)" = 512 ] || fail "vm2's uid cannot read its disk"
log "vm1 (uid $ua) reads neither vm2's memory nor its disk; vm2 (uid $ub) reads its disk"

# ---- stable: a reboot of the kernel, a restart of the monitor ----
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30
boot vm1
ka=$(info_field vm1 'kernel pid')
[ "$(field "$ka" Uid)" = "$ua	$ua	$ua	$ua" ] || fail "vm1's kernel after a boot: Uid $(field "$ka" Uid)"
for vm in vm1 vm2; do
	out=$(watch $vm -halt 2>&1) || fail "$vm -halt: $out"
	wait_state $vm stopped 30
	stop_monitor $vm
done
start_monitor vm1
boot vm1
ka=$(info_field vm1 'kernel pid')
[ "$(field "$ka" Uid)" = "$ua	$ua	$ua	$ua" ] || fail "vm1's kernel after the monitor's restart: Uid $(field "$ka" Uid)"
[ "$(cat "$T/var/uids")" = "$table" ] || fail "$T/var/uids changed: $(cat "$T/var/uids")"
log "uids $ua and $ub stable across a boot and a monitor's restart"

# ---- a process of the host with vm2's uid: vm2 is refused at its start ----
start_monitor vm2
# (setpriv executes sleep: $! is its pid; no pipe of the test kept open)
setpriv --reuid="$ub" --regid="$ub" --clear-groups sleep 600 </dev/null >/dev/null 2>&1 &
squatter=$!
VM_PIDS+=("$squatter")
for _ in $(seq 1 100); do
	[ "$(field "$squatter" Uid 2>/dev/null)" = "$ub	$ub	$ub	$ub" ] && break
	sleep 0.1
done
expect_fail "vm2: vmuser auto \(uid $ub\) is shared with a process on the host, pid $squatter \(sleep\)" \
	watch vm2 -start
kill "$squatter"
wait "$squatter" 2>/dev/null
boot vm2
log "a process as vm2's uid refused its start; gone, vm2 boots"

# ---- nobody: refused, unless vmuser_shared = yes ----
add_vm vm3 'vmuser = nobody' 'ubd0 = /disks/root.dsk'
expect_fail "vm3: vmuser nobody \(uid 65534\) is shared with nobody \(uid 65534\)" "$UMLMON" vm3
sed -i '/^\[vm3\]$/a vmuser_shared = yes' "$CONF"
start_monitor vm3
[ "$(info_field vm3 vmuser)" = "nobody (uid 65534)" ] ||
	fail "vm3 -info vmuser: '$(info_field vm3 vmuser)'"
stop_monitor vm3

# ---- two VMs with one vmuser: refused, naming the other ----
add_vm vm4 'vmuser = daemon' 'ubd0 = /disks/root.dsk'
add_vm vm5 'vmuser = daemon' 'ubd0 = /disks/root.dsk'
expect_fail "vm4: vmuser daemon \(uid 1\) is shared with VM vm5" "$UMLMON" vm4
expect_fail "vm5: vmuser daemon \(uid 1\) is shared with VM vm4" "$UMLMON" vm5

# ---- no free uid in the range ----
sed "s/^vm_uid_range = .*/vm_uid_range = $ua-$ua/" "$CONF" >"$T/full.conf"
printf '\n[vm6]\nubd0 = /disks/root.dsk\n' >>"$T/full.conf"
expect_fail "vm6: no free uid in vm_uid_range $ua-$ua \(1 held by VMs" \
	"$UMLMON" -c "$T/full.conf" vm6
grep -q '^vm6 ' "$T/var/uids" && fail "vm6 got a line in $T/var/uids"

# ---- umladmin uid: the lines; -free only for a VM gone, its uid unused ----
"$UMLADMIN" uid | grep -E "^vm1 +$ua +auto$" >/dev/null || fail "umladmin uid: $("$UMLADMIN" uid)"
expect_fail "uid: vm2: still in $CONF with vmuser = auto" "$UMLADMIN" uid -free vm2
python3 - "$CONF" "$T/less.conf" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"\n\[vm2\]\n[^\[]*", "\n", s))
PY
"$UMLADMIN" -c "$T/less.conf" uid | grep -E "^vm2 +$ub +\(not in the configuration\)$" >/dev/null ||
	fail "umladmin uid: $("$UMLADMIN" -c "$T/less.conf" uid)"
expect_fail "uid: vm2: uid $ub is in use by pid [0-9]+" "$UMLADMIN" -c "$T/less.conf" uid -free vm2
out=$(watch vm2 -halt 2>&1) || fail "vm2 -halt: $out"
wait_state vm2 stopped 30
for _ in $(seq 1 100); do # the watcher's end may follow the state's
	pgrep -U "$ub" >/dev/null || break
	sleep 0.1
done
out=$("$UMLADMIN" -c "$T/less.conf" uid -free vm2 2>&1) || fail "uid -free vm2: $out"
grep -q '^vm2 ' "$T/var/uids" && fail "vm2's line is still in $T/var/uids"
grep -q "^vm1 $ua$" "$T/var/uids" || fail "vm1's line went: $(cat "$T/var/uids")"
log "ok"
