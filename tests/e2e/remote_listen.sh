#!/bin/bash
# The TCP port of a monitor (tcp = yes) before a client authenticates:
# it listens where the configuration says and logs it; a call before
# the handshake is closed unanswered; connections beyond
# max_unauthenticated are closed at once, the others after auth_timeout;
# the Unix socket answers another RPC version with RPC_MISMATCH and decodes
# arguments to the IDL's bounds. The monitor serves on, and a monitor
# whose TCP address cannot be bound does not start.
. "$(dirname "$0")/lib.sh"

RPCABUSE=$B/tests/e2e/rpcabuse
[ -x "$RPCABUSE" ] || need "$RPCABUSE (build first)"

# (setup's lines go to vm1's section)
setup 'tcp = yes' 'tcp_bind = 127.0.0.1' 'password = vm1-password' \
	'max_unauthenticated = 8' 'auth_timeout = 3'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'tcp = yes' 'tcp_bind = 192.0.2.1' 'password = vm2-password'

start_monitor vm1
mon=$(monitor_pid vm1)
log=$T/var/vm1/log/monitor.log
port=$(tcp_port_of vm1 127.0.0.1) || exit 1
log "vm1 listens on 127.0.0.1 port $port"
ss -ltn | grep -F "127.0.0.1:$port " >/dev/null || fail "nothing listens on 127.0.0.1:$port"

"$RPCABUSE" "$T/var/vm1/ctrl" tcp "$port" 20 8 >"$T/abuse.out" 2>&1 || {
	cat "$T/abuse.out" >&2
	fail "rpcabuse tcp"
}
sed 's/^/  /' "$T/abuse.out" >&2
kill -0 "$mon" 2>/dev/null || fail "the monitor died"
[ "$(info_field vm1 state)" = stopped ] || fail "the monitor does not answer on its Unix socket"
grep -F 'not authenticated within 3000 ms' "$log" >/dev/null ||
	fail "the handshake timeout is not logged"

# an address the host does not have: the monitor does not start
out=$("$UMLMON" vm2 2>&1) && fail "umlmon vm2 started on an address the host does not have"
echo "$out" | grep -F 'vm2: tcp: cannot listen on 192.0.2.1 port 0' >/dev/null ||
	fail "umlmon vm2: $out"
log "vm2: $out"
[ -e "$T/var/vm2/ctrl" ] && fail "vm2's control socket is left behind"

stop_monitor vm1
log "ok"
