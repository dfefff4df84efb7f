#!/bin/bash
# umlmon -upgrade while a -connect client is attached and the guest prints
# a counter every 100 ms: the monitor executes itself again (same pid) and
# re-attaches: the same checks as after kill -9 (reattach_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reattach_lib.sh"

setup
reattach_case upgrade
log "PASS"
