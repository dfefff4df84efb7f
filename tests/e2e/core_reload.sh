#!/bin/bash
# SIGHUP and umlmon -reload: the monitor reads its configuration again. A
# changed section applies at once while the VM is down, at its next boot
# while it runs; an invalid section, a removed one or a changed vardir are
# reported, change nothing, and leave the running VM alone.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
mlog=$T/var/vm1/log/monitor.log

# ---- down: at once ----
sed -i 's/^memory = 64M$/memory = 96M/' "$CONF"
kill -HUP "$(monitor_pid vm1)"
wait_file "$mlog" "SIGHUP: vm1: reloaded $CONF: memory 64M -> 96M"
[ "$(info_field vm1 memory)" = 96M ] || fail "memory is $(info_field vm1 memory) after the reload"

# ---- running: at the next boot ----
boot vm1
kp=$(info_field vm1 'kernel pid')
sed -i 's/^memory = 96M$/memory = 80M/' "$CONF"
printf 'ssl1 = pty\n' >>"$CONF"
out=$("$UMLMON" -reload vm1 2>&1) || fail "umlmon -reload: $out"
log "$out"
printf '%s\n' "$out" | grep >/dev/null "applies at the next boot: memory 96M -> 80M; ssl1 = pty added" ||
	fail "umlmon -reload said '$out'"
[ "$(info_field vm1 memory)" = 96M ] || fail "the running VM's memory changed"
watch vm1 -info | grep >/dev/null '^ssl1 ' && fail "ssl1 appeared while the VM runs"

# ---- what changes nothing ----
cp "$CONF" "$T/good.conf"
printf 'memroy = 1G\n' >>"$CONF"
expect_fail "vm1: reload: 1 error in $CONF; nothing changed" "$UMLMON" -reload vm1
out=$("$UMLMON" -reload vm1 2>&1)
printf '%s\n' "$out" | grep >/dev/null "^umlmon: $CONF:[0-9]*: memroy: unknown key" ||
	fail "the reload did not name the bad line: $out"
sed 's/^\[vm1\]$/[vm9]/' "$T/good.conf" >"$CONF"
expect_fail "vm1: reload: no \[vm1\] section in $CONF any more; nothing changed" \
	"$UMLMON" -reload vm1
# (umlmon -reload would look for the monitor in the new vardir)
sed "s|^vardir = .*|vardir = $T/var2|" "$T/good.conf" >"$CONF"
kill -HUP "$(monitor_pid vm1)"
wait_file "$mlog" "SIGHUP: vm1: reload: vardir or rundir changed in $CONF"
printf '[vm1\n' >"$CONF"
kill -HUP "$(monitor_pid vm1)"
wait_file "$mlog" "SIGHUP: vm1: reload: 1 error in $CONF; nothing changed"
cp "$T/good.conf" "$CONF" # the client reads it too
[ "$(info_field vm1 'kernel pid')" = "$kp" ] || fail "the VM was touched by the bad reloads"
[ "$(info_field vm1 state)" = running ] || fail "vm1 is $(info_field vm1 state)"
# a non-root client may not reload
expect_fail "only root reloads" \
	runuser -u nobody -- "$UMLMON" -c "$T/good.conf" -reload vm1

# ---- the pending change of the good reload applies at the next boot ----
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
wait_file "$mlog" "configuration of the reload in place"
[ "$(info_field vm1 memory)" = 80M ] || fail "memory is $(info_field vm1 memory) after the stop"
boot vm1
info_field vm1 cmdline | grep >/dev/null ' mem=80M ' || fail "cmdline: $(info_field vm1 cmdline)"
watch vm1 -info | grep >/dev/null '^ssl1 *pty *open' || fail "no ssl1: $(watch vm1 -info)"
log "ok"
