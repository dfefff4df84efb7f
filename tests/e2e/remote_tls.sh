#!/bin/bash
# TLS on a monitor's TCP port (tls_cert, tls_key), in a network namespace
# with umldir: umlwatch VM@HOST (umldir says the port speaks TLS) and
# -redir (TLS end to end through the redirector) make TLS 1.3, the
# handshake bound to the TLS session, and a sealed -info; -list shows TLS;
# the client's code at the port itself (tlsclient: remote_open_port)
# verifies the certificate against a CA file when given one, and refuses
# one it does not verify before any password; a clear client is closed
# while the monitor serves on; a reload takes a renewed certificate for the
# next connections and keeps the one it has when the new files are bad; a
# key that is not the certificate's, or a file that is missing, refuses
# the start naming it.
. "$(dirname "$0")/lib.sh"

TLSCLIENT=$B/tests/e2e/tlsclient
UMLDIR=$B/src/umldir
[ -x "$TLSCLIENT" ] || need "$TLSCLIENT (build first)"
[ -x "$UMLDIR" ] || need "$UMLDIR (build first)"
command -v openssl >/dev/null || need "openssl (the command, to make certificates)"

# (setup's lines go to vm1's section)
setup 'tcp = yes' 'tcp_bind = 127.0.0.1' 'password = vm1-password' 'auth_timeout = 5'
mkdir -m 700 "$T/tls"
cert() { # NAME: a self-signed certificate for 127.0.0.1 and its key (0600)
	(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -days 2 -subj "/CN=$1" -addext 'subjectAltName=IP:127.0.0.1' \
		-keyout "$T/tls/$1.key" -out "$T/tls/$1.crt" 2>"$T/tls/$1.err") ||
		fail "openssl req: $(cat "$T/tls/$1.err")"
}
cert vm1
cert other
cert renewed
printf 'tls_cert = %s\ntls_key = %s\n' "$T/tls/vm1.crt" "$T/tls/vm1.key" >>"$CONF"
# vm2: a key that is not its certificate's; vm3: a certificate that is not there
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'tcp = yes' 'tcp_bind = 127.0.0.1' \
	'password = vm2-password' "tls_cert = $T/tls/vm1.crt" "tls_key = $T/tls/other.key"
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'tcp = yes' 'tcp_bind = 127.0.0.1' \
	'password = vm3-password' "tls_cert = $T/tls/missing.crt" "tls_key = $T/tls/vm1.key"

# umldir's ports are fixed: a namespace of its own, the monitor in it too
netns_new tls
MON_NETNS=$NS
in_ns "$NS" "$UMLDIR" || fail "umldir did not start"
dirpid=$(cat "$T/run/umldir.pid") || fail "umldir: no pid file"
PIDS_TO_KILL+=("$dirpid")
start_monitor vm1
mon=$(monitor_pid vm1)
log=$T/var/vm1/log/monitor.log
port=$(tcp_port_of vm1 127.0.0.1 ' (TLS)') || exit 1
log "vm1 listens with TLS on 127.0.0.1 port $port"

client() { UMLWATCH_PASSWORD=${PW:-vm1-password} in_ns "$NS" "$TLSCLIENT" "$@" 127.0.0.1 "$port" vm1; }
uw() { UMLWATCH_PASSWORD=${PW:-vm1-password} in_ns "$NS" "$UMLWATCH" "$@"; }
expect_ok() { # ARGS...: the client gets vm1's state over TLS
	local out
	out=$(client "$@" 2>&1) || fail "tlsclient $*: $out"
	[ "$out" = "vm1 stopped" ] || fail "tlsclient $*: '$out'"
	log "tlsclient $*: $out"
}

# umlwatch as users run it: umldir says TLS (registered as the monitor
# started; retried each second until umldir answers)
for _ in $(seq 1 100); do
	uw -list @127.0.0.1 2>/dev/null | grep -E "^vm1 +stopped +$port yes$" >/dev/null && break
	sleep 0.1
done
uw -list @127.0.0.1 | grep -E "^vm1 +stopped +$port yes$" >/dev/null ||
	fail "umldir's list: $(uw -list @127.0.0.1 2>&1)"
for via in '' -redir "-tls-ca $T/tls/vm1.crt" "-redir -tls-ca $T/tls/vm1.crt"; do
	# shellcheck disable=SC2086 # the options are words
	out=$(uw $via vm1@127.0.0.1 -info 2>&1) || fail "umlwatch $via vm1@127.0.0.1 -info: $out"
	echo "$out" | grep -E '^state +stopped$' >/dev/null || fail "umlwatch $via -info: $out"
	log "umlwatch $via vm1@127.0.0.1 -info: $(echo "$out" | grep -E '^state')"
done
grep -F "127.0.0.1: authenticated" "$log" >/dev/null || fail "no authentication logged"
expect_fail 'certificate does not verify' uw -redir -tls-ca "$T/tls/other.crt" vm1@127.0.0.1 -info
# the client's code at the port: TLS without verification (the binding
# does that job), then verified
expect_ok -tls
expect_ok -ca "$T/tls/vm1.crt"
# a wrong password inside TLS is still refused
PW=wrong expect_fail '^ERR_PERM: .*vm1: wrong password' client -tls
# a certificate the CA file does not verify: refused before any password
n=$(grep -c 'authenticated' "$log")
expect_fail '^ERR_PERM: .*certificate does not verify' client -ca "$T/tls/other.crt"
[ "$(grep -c 'authenticated' "$log")" = "$n" ] || fail "a handshake ran after a refused certificate"
# a clear client: nothing in clear, the connection ends; the monitor serves on
expect_fail '^ERR_' client
wait_file "$log" "TLS handshake failed" 10
log "monitor: $(grep -F 'TLS handshake failed' "$log" | tail -n 1)"
# a client that says nothing: closed at auth_timeout, TLS or not
in_ns "$NS" bash -c 'exec 7<>/dev/tcp/127.0.0.1/$1 && read -r -t 20 -u 7' _ "$port" &
silent=$!
wait_file "$log" "not authenticated within 5000 ms" 15
wait "$silent"
kill -0 "$mon" 2>/dev/null || fail "the monitor died"
expect_ok -tls

# a renewed certificate: the reload takes it for the next connections
cp "$T/tls/renewed.crt" "$T/tls/vm1.crt"
cp "$T/tls/renewed.key" "$T/tls/vm1.key"
out=$("$UMLMON" -reload vm1 2>&1) || fail "umlmon -reload: $out"
wait_file "$log" "vm1: reload: TLS certificate $T/tls/vm1.crt for the next connections" 10
expect_ok -ca "$T/tls/renewed.crt"
expect_fail '^ERR_PERM: .*certificate does not verify' client -ca "$T/tls/other.crt"
# a key that does not load: the reload says so and the port keeps its own
echo 'not a key' >"$T/tls/vm1.key"
out=$("$UMLMON" -reload vm1 2>&1)
echo "$out" | grep -F "vm1: reload: tls_key $T/tls/vm1.key: cannot use it" >/dev/null ||
	fail "the reload did not name the bad key: $out"
echo "$out" | grep -F "keeps the certificate it has" >/dev/null || fail "umlmon -reload: $out"
log "reload: $(echo "$out" | grep -F tls_key)"
expect_ok -ca "$T/tls/renewed.crt"

# files that do not make a certificate and its key: no start
expect_fail "vm2: tls_key $T/tls/other.key: not the key of tls_cert $T/tls/vm1.crt" "$UMLMON" vm2
[ -e "$T/var/vm2/ctrl" ] && fail "vm2's control socket is left behind"
expect_fail "vm3: tls_cert $T/tls/missing.crt: cannot use it" "$UMLMON" vm3
[ -e "$T/var/vm3/ctrl" ] && fail "vm3's control socket is left behind"

stop_monitor vm1
stop_pid "$dirpid" umldir 10
log "ok"
