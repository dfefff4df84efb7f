#!/bin/bash
# Console logs: every channel is logged, the log rotates at its cap and
# keeps log_keep old files, logs survive VM restarts, and -log prints them.
. "$(dirname "$0")/lib.sh"

setup 'log_max = 4K' 'log_keep = 1'
mkimage vm1
start_monitor vm1
boot vm1
log=$T/var/vm1/log

# con0 (the kernel's console) has over 4K after a boot: rotated
[ -f "$log/con0.1" ] || fail "con0 did not rotate at 4K ($(stat -c %s "$log/con0") bytes)"
[ "$(stat -c %s "$log/con0.1")" = 4096 ] || fail "con0.1 is not 4096 bytes"
[ "$(stat -c %s "$log/con0")" -le 4096 ] || fail "con0 is over its cap"
[ ! -e "$log/con0.2" ] || fail "more rotated files than log_keep"

# lots of output on con1: still one rotated file, each at most the cap
# (getty flushes what is typed before its prompt: wait for each prompt)
wait_file "$log/con1" "login:" 30
printf 'root\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1
wait_file "$log/con1" "root@vm1:~# " 30
printf 'seq 1 20000; echo "END-$((1 + 1))"\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1
wait_file "$log/con1" "END-2" 30
[ "$(stat -c %s "$log/con1.1")" = 4096 ] || fail "con1.1: $(stat -c %s "$log/con1.1")"
[ ! -e "$log/con1.2" ] || fail "con1.2 exists with log_keep = 1"
grep -q '^1999[0-9]' "$log/con1" "$log/con1.1" || fail "recent output is not in the logs"

# -log prints the current file as it is on disk
watch vm1 -log con1 >"$T/con1.out" || fail "-log con1"
cmp "$T/con1.out" "$log/con1" || fail "-log con1 differs from the file"
expect_fail "vm1: no channel 'con7'" watch vm1 -log con7

# the log survives a restart: appended to, not replaced
watch vm1 -stop >/dev/null || fail "-stop"
before=$(stat -c %s "$log/ssl0")
boot vm1
wait_file "$log/ssl0" "login:" 30
sleep 1
[ "$(stat -c %s "$log/ssl0")" -gt "$before" ] || fail "ssl0 was not appended to"
[ "$(grep -c 'login:' "$log/ssl0")" -ge 2 ] || fail "the first boot's ssl0 output is gone"
watch vm1 -halt >/dev/null
log "PASS"
