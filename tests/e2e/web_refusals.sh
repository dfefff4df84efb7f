#!/bin/bash
# What the web console refuses (tests/e2e/web/refusals.js): no session,
# wrong passwords, a VM's password for another VM, a foreign Origin, no
# CSRF token, too many failed logins. No VM boots: the monitor of vm1
# answers the calls.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web_lib.sh"

web_setup
mkimage vm1
start_monitor vm1
start_umlweb
web_node refusals || fail "refusals (umlweb's log: $(tail -n 20 "$T/umlweb.log"))"
# each refused login left a line that names the address
grep -c 'refused: wrong password' "$T/umlweb.log" | grep >/dev/null '^5$' ||
	fail "umlweb logged $(grep -c 'refused: wrong password' "$T/umlweb.log") refused logins, not 5"
kill -0 "$WEB_PID" || fail "umlweb died"
log "ok"
