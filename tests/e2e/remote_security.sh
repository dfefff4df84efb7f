#!/bin/bash
# The TCP port of a monitor, umldir and its redirector under attack, from
# another network namespace (tests/e2e/authabuse): calls before the
# handshake, a wrong password, vm1's password used for vm2, the master
# password for both, a replayed handshake, a record with a flipped bit
# after it (and one sent twice, one that skips a number), 2 GiB record
# marks, random bytes, 500 connections that never speak, slow-loris
# clients; the same through the redirector and against umldir's own
# ports. Each case ends that connection only: afterwards a correct client
# still authenticates and gets UM_INFO (TCP and the Unix socket), no
# descriptor is left behind, and the VM never started. A password file
# that group or others may read keeps a monitor from starting.
# The monitors run without starting their VMs.
. "$(dirname "$0")/remote_lib.sh"

remote_setup
tmo=8 # auth_timeout, in [GLOBAL]: the monitors' and the redirector's
pw1=$(pwfile vm1 'vm1-Secret-pw')
pw2=$(pwfile vm2 'vm2-Secret-pw')
pwm=$(pwfile master 'Master-Secret-pw')
bad=$(pwfile wrong 'not-the-password')
# the limits of every monitor and of the redirector
global_conf "master_password_file = $pwm" "auth_timeout = $tmo" "max_clients = 64" \
	"max_clients_per_peer = 16" "max_unauthenticated = 24"
# (vm1's section is the last one setup wrote)
printf 'tcp = yes\npassword_file = %s\n' "$pw1" >>"$CONF"
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'tcp = yes' "password_file = $pw2"
mkimage vm1
start_umldir
start_monitor vm1
start_monitor vm2
P1=$(tcp_port vm1)
P2=$(tcp_port vm2)
mon1=$(monitor_pid vm1)
mon2=$(monitor_pid vm2)
mlog1=$T/var/vm1/log/monitor.log
log "vm1 on port $P1, vm2 on port $P2"
fds() { ls "/proc/$1/fd" | wc -l; }

# what a correct client sees once a case is over
served() { # WHAT
	kill -0 "$mon1" 2>/dev/null || fail "the monitor of vm1 died ($1)"
	kill -0 "$mon2" 2>/dev/null || fail "the monitor of vm2 died ($1)"
	kill -0 "$UMLDIR_PID" 2>/dev/null || fail "umldir died ($1)"
	abuse "$SRV_ADDR" "$P1" login vm1 "$pw1"
	grep >/dev/null '^vm1: authenticated in [0-9]* ms, state stopped$' "$T/abuse.out" ||
		fail "after $1: vm1 over TCP: $(cat "$T/abuse.out")"
	[ "$(info_field vm1 state)" = stopped ] || fail "after $1: vm1 on the Unix socket"
}

# ---- a correct client, and the descriptors of an idle monitor ----
served "nothing"
abuse "$SRV_ADDR" "$P2" login vm2 "$pw2"
fd1=$(fds "$mon1")
fd2=$(fds "$mon2")

# ---- calls before the handshake: closed without a reply; nothing ran ----
abuse "$SRV_ADDR" "$P1" noauth
served "calls before the handshake"
grep >/dev/null "starting" "$mlog1" && fail "UM_START before the handshake started vm1"
grep -F >/dev/null "$CLI_ADDR" "$mlog1" ||
	fail "the monitor's log does not name the peer of the refused calls"

# ---- a wrong password: UM_EPERM naming the VM, then closed ----
abuse "$SRV_ADDR" "$P1" wrong vm1 "$bad"
grep >/dev/null 'vm1: wrong password' "$T/abuse.out" || fail "the refusal: $(cat "$T/abuse.out")"
served "a wrong password"

# ---- vm1's password for vm2; vm1 asked of vm2's monitor ----
abuse "$SRV_ADDR" "$P2" wrong vm2 "$pw1"
abuse "$SRV_ADDR" "$P2" otherhello vm1
grep >/dev/null 'vm2' "$T/abuse.out" || fail "vm2's monitor does not say it serves vm2: $(cat "$T/abuse.out")"
abuse "$SRV_ADDR" "$P2" login vm2 "$pw2"
served "vm1's password for vm2"

# ---- the master password opens both ----
abuse "$SRV_ADDR" "$P1" login vm1 "$pwm"
abuse "$SRV_ADDR" "$P2" login vm2 "$pwm"
wait_file "$mlog1" "authenticated with the master password" 10
# and a key of one VM's is not the master's: vm2's password for vm1
abuse "$SRV_ADDR" "$P1" wrong vm1 "$pw2"

# ---- the handshake's other rules ----
abuse "$SRV_ADDR" "$P1" badversion vm1
abuse "$SRV_ADDR" "$P1" hello-twice vm1
served "a wrong version, two hellos"

# ---- a replayed handshake ----
abuse "$SRV_ADDR" "$P1" replay vm1 "$pw1"
served "a replayed handshake"

# ---- sealed records: a flipped bit, one sent twice, one skipped ----
abuse "$SRV_ADDR" "$P1" flip vm1 "$pw1"
served "flipped bits"

# ---- record marks of 2 GiB, before and after the handshake ----
abuse "$SRV_ADDR" "$P1" bigmark
abuse "$SRV_ADDR" "$P1" bigmark vm1 "$pw1"
served "2 GiB record marks"

# ---- random bytes ----
abuse "$SRV_ADDR" "$P1" random 64
abuse "$SRV_ADDR" "$P1" random 200000
served "random bytes"

# ---- 500 connections that never speak ----
# from one address: the 16 of max_clients_per_peer stay until auth_timeout,
# the rest are closed at once; another address is served meanwhile
abuse -a "$tmo" -b "$CLI_ADDR" "$SRV_ADDR" "$P1" hold 500 16 "$CLI_ADDR2" vm1 "$pw1"
served "500 silent connections"
# from two addresses: 16 + 8 reach max_unauthenticated (24); the rest of
# the second address's are closed at once; the Unix socket is served
log "authabuse hold 500 16 (background) and hold 100 8"
in_ns "$CLI" "$AUTHABUSE" -a "$tmo" -b "$CLI_ADDR" "$SRV_ADDR" "$P1" hold 500 16 \
	>"$T/hold1.out" 2>&1 &
h1=$!
wait_file "$T/hold1.out" " held" 30
abuse -a "$tmo" -b "$CLI_ADDR2" "$SRV_ADDR" "$P1" hold 100 8 &
h2=$!
[ "$(info_field vm1 state)" = stopped ] || fail "the Unix socket while TCP is full"
wait "$h2" || fail "the second address's connections"
wait "$h1" || fail "the first address's connections: $(cat "$T/hold1.out")"
sed 's/^/  /' "$T/hold1.out" >&2
served "connections from two addresses"

# ---- slow-loris: a hello a byte a second is closed at auth_timeout ----
abuse -a "$tmo" "$SRV_ADDR" "$P1" loris 8 1000
served "slow-loris clients"

# ---- through the redirector: the same handshake and seals, end to end ----
abuse -r vm1 "$SRV_ADDR" "$REDIR_PORT" login vm1 "$pw1"
abuse -r vm1 "$SRV_ADDR" "$REDIR_PORT" wrong vm1 "$bad"
abuse -r vm1 "$SRV_ADDR" "$REDIR_PORT" replay vm1 "$pw1"
abuse -r vm1 "$SRV_ADDR" "$REDIR_PORT" flip vm1 "$pw1"
abuse -r vm1 "$SRV_ADDR" "$REDIR_PORT" noauth
served "attacks through the redirector"

# ---- umldir's ports: garbage, 2 GiB, silence, slow-loris ----
dir_served() { # WHAT
	kill -0 "$UMLDIR_PID" 2>/dev/null || fail "umldir died ($1)"
	abuse "$SRV_ADDR" "$DIR_PORT" udlist
	grep >/dev/null '^vm1 stopped [1-9]' "$T/abuse.out" || fail "after $1: umldir's list: $(cat "$T/abuse.out")"
	abuse -r vm1 "$SRV_ADDR" "$REDIR_PORT" login vm1 "$pw1"
}
for p in "$DIR_PORT" "$REDIR_PORT"; do
	abuse "$SRV_ADDR" "$p" random 64
	abuse "$SRV_ADDR" "$p" random 200000
	abuse "$SRV_ADDR" "$p" bigmark
	dir_served "garbage on port $p"
done
# the redirector waits auth_timeout for its first record
abuse -a "$tmo" "$SRV_ADDR" "$REDIR_PORT" loris 8 1000
dir_served "slow-loris clients of the redirector"
abuse -a "$tmo" -b "$CLI_ADDR" -r vm1 "$SRV_ADDR" "$REDIR_PORT" hold 500 16 "$CLI_ADDR2" vm1 "$pw1"
dir_served "500 silent connections to the redirector"
# umldir's own port: 200 connections stuck in a record from one address;
# another address is served meanwhile
abuse -b "$CLI_ADDR" "$SRV_ADDR" "$DIR_PORT" crowd 200 "$CLI_ADDR2"
dir_served "200 stuck connections to umldir"

# ---- nothing left behind: the monitors' descriptors as when idle ----
for _ in $(seq 100); do
	[ "$(fds "$mon1")" -le "$fd1" ] && [ "$(fds "$mon2")" -le "$fd2" ] && break
	sleep 0.1
done
[ "$(fds "$mon1")" -le "$fd1" ] || fail "vm1's monitor has $(fds "$mon1") descriptors, $fd1 when idle"
[ "$(fds "$mon2")" -le "$fd2" ] || fail "vm2's monitor has $(fds "$mon2") descriptors, $fd2 when idle"
[ "$(info_field vm1 state)" = stopped ] || fail "vm1 is not stopped"

# ---- a password file that group or others may read ----
pw3=$(pwfile vm3 'vm3-Secret-pw' 644)
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'tcp = yes' "password_file = $pw3"
expect_fail "$pw3.*(0644|mode 644)" "$UMLMON" vm3
p3=$(cat "$T/run/vm3.pid" 2>/dev/null)
[ -n "$p3" ] && kill -0 "$p3" 2>/dev/null &&
	fail "vm3's monitor (pid $p3) runs with a readable password file"
chmod 640 "$pw3"
expect_fail "$pw3.*(0640|mode 640)" "$UMLMON" vm3
# the running monitors do not take such a file at a reload either
chmod 644 "$pw1"
out=$("$UMLMON" -reload vm1 2>&1) && fail "a reload took a password file of mode 0644: $out"
printf '%s\n' "$out" | grep -F >/dev/null "$pw1" || fail "the reload's refusal: $out"
chmod 600 "$pw1"
served "a refused reload"
log "ok"
