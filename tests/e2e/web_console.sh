#!/bin/bash
# The web console end to end (tests/e2e/web/console.js in headless
# chromium): umlweb gives up root, the browser logs in, starts vm1, logs
# in on its console, sees a reload open on the same screen, two browsers
# share the console, the log, stop. Screenshots in build/meson-logs/web/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web_lib.sh"

web_setup
mkimage vm1
start_monitor vm1
start_umlweb

# ---- root given up once the port is bound ----
grep -Eq '^Uid:\s+65534\s+65534\s+65534\s+65534$' "/proc/$WEB_PID/status" ||
	fail "umlweb uids: $(grep ^Uid "/proc/$WEB_PID/status")"
grep -Eq '^Gid:\s+65534\s' "/proc/$WEB_PID/status" ||
	fail "umlweb gids: $(grep ^Gid "/proc/$WEB_PID/status")"
grep -Eq '^CapEff:\s+0+$' "/proc/$WEB_PID/status" || fail "umlweb has capabilities"
ss -ltnp | grep "127.0.0.1:$WEB_PORT " | grep >/dev/null "pid=$WEB_PID," ||
	fail "umlweb does not listen on 127.0.0.1:$WEB_PORT: $(ss -ltnp | grep ":$WEB_PORT ")"

fds() { find "/proc/$WEB_PID/fd" -mindepth 1 | wc -l; }
fds_before=$(fds)
web_node console || fail "the browser test failed (umlweb's log: $(tail -n 20 "$T/umlweb.log"))"
remember_vm_pids vm1
kill -0 "$WEB_PID" || fail "umlweb died"
# the browsers gone, umlweb holds what it held before them: no socket of
# a browser or of a monitor's connection left behind
for _ in $(seq 100); do
	[ "$(fds)" -le "$fds_before" ] && break
	sleep 0.1
done
[ "$(fds)" -le "$fds_before" ] ||
	fail "umlweb holds $(fds) descriptors after the browsers left, $fds_before before: $(ls -l "/proc/$WEB_PID/fd")"
log "umlweb: $fds_before descriptors before the browsers, $(fds) after"
log "ok"
