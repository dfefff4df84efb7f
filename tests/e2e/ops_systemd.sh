#!/bin/bash
# The systemd units and generator as `meson install` puts them (into a
# DESTDIR of the test's; this machine has no systemd as PID 1, so they
# are checked, not run):
# - systemd-analyze verify says nothing about umldir.service, umlweb.service,
#   umlmon.target and an instance umlmon@vm1.service (their programs
#   pointed at the DESTDIR's);
# - the generator, run by hand against a test configuration, makes
#   umlmon.target want a monitor for each boot and manual VM and none for
#   the off one, with a stop timeout beyond the longest stop_timeout; the
#   target with those wants verifies too;
# - umlmon-vms reads the VMs alike from umladmin's JSON and its table.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || need "systemd-analyze (package systemd)"
setup 'start = boot'
add_vm vm2 'start = manual' 'stop_timeout = 95'
add_vm vm3 'start = off'
add_vm vm4 # start: manual by default
D=$T/destdir
meson install -C "$B" --no-rebuild --quiet --destdir "$D" >"$T/install.log" 2>&1 ||
	fail "meson install: $(cat "$T/install.log")"
prefix=$(sed -n 's/^UMLMON=\(.*\)\/sbin\/umlmon$/\1/p' "$D/etc/init.d/umlmon")
[ -n "$prefix" ] || fail "no prefix in $D/etc/init.d/umlmon"
U=$D$prefix/lib/systemd/system
GEN=$D$prefix/lib/systemd/system-generators/umlmon-generator
[ -x "$GEN" ] || fail "no generator at $GEN"

# the units as installed, with the programs of the DESTDIR
W=$T/units
mkdir -p "$W"
for f in "$U"/*; do
	sed "s|$prefix/sbin/|$D$prefix/sbin/|g" "$f" >"$W/${f##*/}"
done
verify() { # UNIT...: no word from systemd-analyze
	local out
	out=$(SYSTEMD_UNIT_PATH=$W:$T/gen: systemd-analyze verify --man=no "$@" 2>&1) ||
		fail "systemd-analyze verify $*: $out"
	[ -z "$out" ] || fail "systemd-analyze verify $*: $out"
}
verify umldir.service umlweb.service umlmon.target umlmon@vm1.service
# a broken unit is noticed (the check can fail)
cp "$W/umldir.service" "$T/umldir.good"
echo 'Typo = 1' >>"$W/umldir.service"
(verify umldir.service) 2>/dev/null && fail "verify passed a unit with an unknown key"
cp "$T/umldir.good" "$W/umldir.service"

# ---- the generator against the test configuration ----
cat >"$T/default" <<EOF2
CONFIG=$CONF
UMLADMIN=$D$prefix/sbin/umladmin
UMLMON_VMS=$D$prefix/libexec/umlmon/umlmon-vms
EOF2
mkdir -p "$T/gen" "$T/early" "$T/late"
env -u UMLMON_CONFIG UMLMON_DEFAULTS=$T/default "$GEN" "$T/gen" "$T/early" "$T/late" ||
	fail "the generator failed"
wants=$(cd "$T/gen/umlmon.target.wants" && ls)
[ "$(echo $wants)" = "umlmon@vm1.service umlmon@vm2.service umlmon@vm4.service" ] ||
	fail "the generator made the target want: $(echo $wants)"
for w in $wants; do
	[ "$(readlink "$T/gen/umlmon.target.wants/$w")" = "$prefix/lib/systemd/system/umlmon@.service" ] ||
		fail "$w links to $(readlink "$T/gen/umlmon.target.wants/$w")"
done
grep -x 'TimeoutStopSec=155' "$T/gen/umlmon@.service.d/timeout.conf" >/dev/null ||
	fail "stop timeout: $(cat "$T/gen/umlmon@.service.d/timeout.conf")"
[ -z "$(ls -A "$T/early")$(ls -A "$T/late")" ] || fail "the generator wrote outside its normal directory"
verify umlmon.target umlmon@vm2.service

# ---- without a configuration the generator makes nothing, and succeeds ----
rm -rf "$T/gen2" && mkdir "$T/gen2"
echo "CONFIG=$T/none" >"$T/default2"
UMLMON_DEFAULTS=$T/default2 "$GEN" "$T/gen2" || fail "the generator failed without a configuration"
[ -z "$(ls "$T/gen2")" ] || fail "the generator made $(ls "$T/gen2") without a configuration"

# ---- umlmon-vms: JSON and table alike ----
vms=$B/dist/umlmon-vms
export UMLADMIN
want=$(printf '%s\n' 'vm1 boot no monitor' 'vm2 manual no monitor' 'vm3 off no monitor' \
	'vm4 manual no monitor')
got=$(UMLMON_VMS_TABLE=1 "$vms" -c "$CONF" vms) || fail "umlmon-vms (table) failed"
[ "$got" = "$want" ] || fail "umlmon-vms from the table: $got"
if "$UMLADMIN" list --json >/dev/null 2>&1 || [ $? != 2 ]; then
	got=$("$vms" -c "$CONF" vms) || fail "umlmon-vms (JSON) failed"
	[ "$got" = "$want" ] || fail "umlmon-vms from JSON: $got"
else
	log "umladmin list has no --json yet: the table is read"
fi
got=$("$vms" -c "$CONF" globals)
[ "$got" = "$(printf 'rundir %s\nstop_timeout 95' "$T/run")" ] || fail "umlmon-vms globals: $got"
log "ok"
