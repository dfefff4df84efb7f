#!/bin/bash
# A VM of another host in the web console (tests/e2e/web/remote.js): the
# VM's monitor and umldir in one network namespace ("srv"), umlweb and
# the browser in another ("cli") with no VM of its own; umlweb lists
# vm1@SRV from umldir and reaches its monitor with the master password;
# vm1's own password does not log in to it.
. "$(dirname "$0")/remote_lib.sh"
. "$(dirname "$0")/web_lib.sh"

web_prereqs
remote_setup
pw1=$(pwfile vm1 "$VM1_PW")
printf 'tcp = yes\npassword_file = %s\n' "$pw1" >>"$CONF"
global_conf "master_password = $MASTER_PW"
mkimage vm1
start_umldir
start_monitor vm1
wait_listed vm1 stopped

# umlweb's own host: no VM, the other host's umldir
WEB_PORT=$(in_ns "$CLI" python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WCONF=$T/web.conf
printf '%s\n' "[GLOBAL]" "vardir = $T/webvar" "shared = $T/webshared" \
	"rundir = $T/webrun" "master_password = $MASTER_PW" "web_user = nobody" \
	"web_port = $WEB_PORT" "web_remote = $SRV_ADDR" >"$WCONF"
mkdir -p "$WEB_SHOTS"
# nsenter executes umlweb itself (ip netns exec forks): $! is umlweb's
nsenter --net="/run/netns/$CLI" -- "$UMLWEB" -fg -c "$WCONF" -root "$WEB_ROOT" \
	2>"$T/umlweb.log" &
WEB_PID=$!
PIDS_TO_KILL+=("$WEB_PID")
wait_file "$T/umlweb.log" "umlweb running" 20
in_ns "$CLI" env WEB_URL="http://127.0.0.1:$WEB_PORT" WEB_VM="vm1@$SRV_ADDR" \
	MASTER_PW="$MASTER_PW" VM1_PW="$VM1_PW" WEB_SHOTS="$WEB_SHOTS" NODE_PATH="$S/web/node_modules" \
	node "$S/tests/e2e/web/remote.js" ||
	fail "the remote VM in the browser (umlweb's log: $(tail -n 20 "$T/umlweb.log"))"
remember_vm_pids vm1
[ "$(readlink "/proc/$WEB_PID/exe")" = "$UMLWEB" ] || fail "umlweb died (or pid $WEB_PID is not umlweb)"
log "ok"
