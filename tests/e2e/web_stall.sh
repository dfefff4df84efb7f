#!/bin/bash
# A hung monitor does not stall umlweb (tests/e2e/web/stall.js): vm2's
# monitor stopped (SIGSTOP; the trap resumes it), a WebSocket client
# keeps typing into vm1's console and gets its echoes while the VM list
# waits for vm2 (and shows it not answering), while a console of vm2
# opens and is told why not, and while vm2's log is asked for. vm2
# resumed, the list shows it again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web_lib.sh"

web_setup
mkimage vm1
start_monitor vm1
start_monitor vm2
start_umlweb
boot vm1

stalled=$(monitor_pid vm2)
trap 'rc=$?; kill -CONT "$stalled" 2>/dev/null; (exit $rc); cleanup' EXIT
kill -STOP "$stalled"
web_node stall stalled || fail "the client at vm1 was stalled by vm2 (umlweb's log: $(tail -n 20 "$T/umlweb.log"))"
kill -CONT "$stalled"
web_node stall resumed || fail "vm2 resumed is not listed again"
kill -0 "$WEB_PID" || fail "umlweb died"
log "ok"
