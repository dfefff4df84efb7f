#!/bin/bash
# COW files with the real kernel and the real tools:
# - a COW that umlmon creates boots, keeps the guest's writes, and leaves
#   its backing file unchanged;
# - a COW that the kernel creates (ubd0=cow,backing) is read right by
#   -disk info and -disk merge;
# - uml_moo on a COW written by a booted guest gives the same file as
#   umlmon's merge; two VMs share one backing file read-only.
. "$(dirname "$0")/lib.sh"

command -v uml_moo >/dev/null || need "uml_moo (uml-utilities)"
command -v debugfs >/dev/null || need "debugfs (e2fsprogs)"
setup
# vm1 boots a COW that umlmon makes; vm2 one that the kernel makes
sed -i 's|^ubd0 = /disks/root.dsk$|ubd0 = /disks/root.cow|' "$CONF"
add_vm vm2 'memory = 64M' 'ubd0 = /disks/k.cow,/shared/disks/base.dsk'
base=$T/shared/disks/base.dsk
"$UMLADMIN" mkimage -o "$base" >/dev/null || fail "mkimage -o $base"
chmod 0644 "$base" # the VMs read it, each as its own uid
sum0=$(sha256sum <"$base")
start_monitor vm1
start_monitor vm2

# ---- umlmon's COW ----
out=$(watch vm1 -disk create /disks/root.cow /shared/disks/base.dsk 2>&1) ||
	fail "create the COW: $out"
log "$out"
jail1=$(jail_of vm1)
watch vm1 -disk info /disks/root.cow >"$T/info0" || fail "-disk info"
grep -q '^kind *COW file' "$T/info0" || fail "info: $(cat "$T/info0")"
grep -q '^backing *\/shared\/disks\/base.dsk' "$T/info0" || fail "info: no backing"
grep -q '^written *0 of' "$T/info0" || fail "a new COW has written sectors"

boot vm1
# vm2 boots over the same backing file while vm1 runs: both read it
boot vm2
watch vm2 -disk info /shared/disks/base.dsk >"$T/info-base" || fail "info base"
grep -q 'vm1 (read-only' "$T/info-base" || fail "base not held by vm1: $(cat "$T/info-base")"
grep -q 'vm2 (read-only' "$T/info-base" || fail "base not held by vm2: $(cat "$T/info-base")"

# the guest writes a file
tm_new term
tm_login term vm1
tm_send term 'echo umlmon-cow-$((40 + 2)) >/root/mark; sync; echo WROTE' Enter
tm_wait term '^WROTE' 10
tm_send term C-] q
out=$(watch vm1 -stop 2>&1) || fail "stop vm1: $out"
out=$(watch vm2 -stop 2>&1) || fail "stop vm2: $out"

[ "$(sha256sum <"$base")" = "$sum0" ] || fail "the backing file changed"
watch vm1 -disk info /disks/root.cow >"$T/info1" || fail "-disk info after boot"
log "$(grep -E '^(written|backing ok)' "$T/info1")"
grep -q '^backing ok *yes' "$T/info1" || fail "info: $(cat "$T/info1")"
grep -q '^used by *no VM (no kernel holds it)$' "$T/info1" || fail "info after the stop: $(cat "$T/info1")"
grep -q '^written *0 of' "$T/info1" && fail "the guest's writes are not in the COW"
out=$(watch vm1 -disk check /disks/root.cow 2>&1) || fail "check: $out"

# umlmon's merge and uml_moo's agree, and hold the guest's file
out=$(watch vm1 -disk merge /disks/root.cow /disks/merged.dsk 2>&1) || fail "merge: $out"
uml_moo -b "$base" "$jail1/disks/root.cow" "$T/moo.dsk" >/dev/null 2>&1 ||
	fail "uml_moo failed"
cmp "$jail1/disks/merged.dsk" "$T/moo.dsk" || fail "merge differs from uml_moo's"
mark=$(debugfs -R "cat /root/mark" "$jail1/disks/merged.dsk" 2>/dev/null)
[ "$mark" = umlmon-cow-42 ] || fail "the merged image lacks the guest's file: '$mark'"
[ "$(sha256sum <"$base")" = "$sum0" ] || fail "the merge changed the backing file"
# umladmin does the same without a monitor
"$UMLADMIN" disk info /shared/disks/base.dsk >"$T/info-base2" || fail "umladmin disk info"
grep -q '^cow files .*vm1:/disks/root.cow' "$T/info-base2" ||
	fail "umladmin disk info: $(cat "$T/info-base2")"
"$UMLADMIN" disk -vm vm1 merge /disks/root.cow /disks/merged2.dsk >/dev/null ||
	fail "umladmin disk merge"
cmp "$jail1/disks/merged.dsk" "$jail1/disks/merged2.dsk" || fail "umladmin's merge differs"

# ---- the kernel's COW ----
jail2=$(jail_of vm2)
[ -f "$jail2/disks/k.cow" ] || fail "the kernel made no COW"
watch vm2 -disk info /disks/k.cow >"$T/info2" || fail "info of the kernel's COW"
grep -q '^cow version *3' "$T/info2" || fail "info: $(cat "$T/info2")"
grep -q '^backing *\/shared\/disks\/base.dsk' "$T/info2" || fail "info: $(cat "$T/info2")"
grep -q '^backing ok *yes' "$T/info2" || fail "info: $(cat "$T/info2")"
out=$(watch vm2 -disk merge /disks/k.cow /disks/k-merged.dsk 2>&1) || fail "merge: $out"
uml_moo -b "$base" "$jail2/disks/k.cow" "$T/moo2.dsk" >/dev/null 2>&1 || fail "uml_moo 2"
cmp "$jail2/disks/k-merged.dsk" "$T/moo2.dsk" || fail "merge of the kernel's COW differs"
log "ok"
