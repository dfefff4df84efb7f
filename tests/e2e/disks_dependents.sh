#!/bin/bash
# The refusals that protect a backing file hold whatever the age of a
# monitor: the COW files that depend on it are found when the operation
# runs, on disk and in the configuration file as it is then, never in the
# copy a monitor read at its start. Through vm1's monitor, started before
# each change:
# - VMs added to the configuration (vm3, vm4, COW files over base.dsk);
# - a VM removed from it, its jail and COW file still on disk;
# - a changed disk line that makes an existing COW file depend on base.dsk.
# Each refusal names the dependents; base.dsk does not change until the
# last of them is gone.
. "$(dirname "$0")/lib.sh"

setup
sed -i 's|^ubd0 = /disks/root.dsk$|ubd0 = /disks/root.cow|' "$CONF"
base=$T/shared/disks/base.dsk
"$UMLADMIN" disk create /shared/disks/base.dsk 64M >/dev/null || fail "create base.dsk"
printf 'base data' | dd of="$base" conv=notrunc status=none
chmod 0644 "$base"
sum=$(sha256sum <"$base")
unchanged() { [ "$(sha256sum <"$base")" = "$sum" ] || fail "base.dsk changed ($1)"; }

# the old monitor: its configuration names vm1 only
start_monitor vm1
out=$(watch vm1 -disk create /disks/root.cow /shared/disks/base.dsk 2>&1) ||
	fail "create vm1's COW: $out"

# ---- VMs added to the configuration ----
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.cow,/shared/disks/base.dsk'
add_vm vm4 'memory = 64M' 'ubd0 = /disks/root.cow,/shared/disks/base.dsk'
for v in vm3 vm4; do
	start_monitor $v
	out=$(watch $v -disk create /disks/root.cow /shared/disks/base.dsk 2>&1) ||
		fail "create $v's COW: $out"
done
deps='vm3:/disks/root.cow, vm4:/disks/root.cow'
expect_fail "^umlwatch: /shared/disks/base.dsk: cannot merge into it: it is the backing file of $deps\$" \
	watch vm1 -disk merge /disks/root.cow
expect_fail "/shared/disks/base.dsk: cannot merge into it: it is the backing file of $deps\$" \
	"$UMLADMIN" disk -vm vm1 merge /disks/root.cow
expect_fail "/shared/disks/base.dsk: cannot delete: it is the backing file of vm1:/disks/root.cow, $deps\$" \
	watch vm1 -disk delete /shared/disks/base.dsk
expect_fail "/shared/disks/base.dsk: cannot resize: it is the backing file of vm1:/disks/root.cow, $deps\$" \
	watch vm1 -disk resize /shared/disks/base.dsk 128M
unchanged "VMs added"

# ---- a VM removed from the configuration; its jail stays ----
out=$(watch vm3 -disk delete /disks/root.cow 2>&1) || fail "delete vm3's COW: $out"
stop_monitor vm4
sed -i '/^\[vm4\]$/,$d' "$CONF"
grep -q vm4 "$CONF" && fail "vm4 is still in $CONF"
[ -f "$(jail_of vm4)/disks/root.cow" ] || fail "vm4's COW is gone"
expect_fail "/shared/disks/base.dsk: cannot merge into it: it is the backing file of vm4:/disks/root.cow\$" \
	watch vm1 -disk merge /disks/root.cow
expect_fail "it is the backing file of vm4:/disks/root.cow\$" \
	"$UMLADMIN" disk -vm vm1 merge /disks/root.cow
unchanged "VM removed"
rm -f "$(jail_of vm4)/disks/root.cow"

# ---- a changed disk line ----
# vm3's data.cow was made over a copy of base.dsk; the line now gives it
# base.dsk itself (as after a move of the backing file)
out=$(watch vm3 -disk copy /shared/disks/base.dsk /shared/disks/other.dsk 2>&1) ||
	fail "copy: $out"
out=$(watch vm3 -disk create /disks/data.cow /shared/disks/other.dsk 2>&1) ||
	fail "create data.cow: $out"
echo 'ubd1 = /disks/data.cow' >>"$CONF"
watch vm1 -disk info /shared/disks/base.dsk >"$T/info0" || fail "info base.dsk"
grep '^cow files *vm1:/disks/root.cow$' "$T/info0" >/dev/null ||
	fail "dependents before the change: $(cat "$T/info0")"
sed -i 's|^ubd1 = /disks/data.cow$|ubd1 = /disks/data.cow,/shared/disks/base.dsk|' "$CONF"
watch vm1 -disk info /shared/disks/base.dsk >"$T/info1" || fail "info base.dsk"
grep '^cow files *vm1:/disks/root.cow, vm3:/disks/data.cow$' "$T/info1" >/dev/null ||
	fail "info after the change: $(cat "$T/info1")"
expect_fail "/shared/disks/base.dsk: cannot merge into it: it is the backing file of vm3:/disks/data.cow\$" \
	watch vm1 -disk merge /disks/root.cow
expect_fail "/shared/disks/base.dsk: cannot delete: it is the backing file of vm1:/disks/root.cow, vm3:/disks/data.cow\$" \
	"$UMLADMIN" disk delete /shared/disks/base.dsk
unchanged "disk line changed"

# ---- the last dependent gone, the old monitor merges ----
sed -i '/^ubd1 = /d' "$CONF"
out=$(watch vm1 -disk merge /disks/root.cow 2>&1) || fail "merge with no dependents: $out"
log "$out"
out=$(watch vm1 -disk check /disks/root.cow 2>&1) || fail "check after the merge: $out"
log "ok"
