#!/bin/bash
# Remote control across hosts: the monitor of vm1 (tcp = yes, a password
# file) and umldir run in one network namespace, umlwatch in another. The
# client starts the real VM, reads -info, logs in on con1, reads the
# screen and stops it, reads a log and copies a disk, once through umldir's get_port (password from
# $UMLWATCH_PASSWORD) and once through the redirector (password typed at
# the prompt, which does not echo it, and from -password-file);
# `umlwatch -list @HOST` shows the VM and its state as it changes. A wrong
# password, an unknown VM and a password file others may read are refused
# with a clear message, and the monitor goes on serving.
. "$(dirname "$0")/remote_lib.sh"

remote_setup
PW='vm1-Secret-pw'
pw1=$(pwfile vm1 "$PW")
cat >>"$CONF" <<EOF
tcp = yes
password_file = $pw1
EOF
mkimage vm1
start_umldir
start_monitor vm1
mlog=$T/var/vm1/log/monitor.log

# ---- umlwatch -list @HOST: the VM, its state and its port ----
wait_listed vm1 stopped
port=$(tcp_port vm1)
line=$(list_line vm1)
[ "$(echo "$line" | awk '{ print $3 }')" = "$port" ] ||
	fail "-list gives '$line'; the monitor listens on port $port"
# the default port (the service umldir, else 7301) is the one umldir took
cwatch -list "@$SRV_ADDR" | grep -E >/dev/null "^vm1 +stopped +$port +no" ||
	fail "-list @$SRV_ADDR: $(cwatch -list "@$SRV_ADDR" 2>&1)"

# Polls -screen con1 through WAY until it matches REGEX:
# remote_screen_wait REGEX CMD...
remote_screen_wait() {
	local re=$1
	shift
	for _ in $(seq 300); do
		"$@" -screen con1 >"$T/screen.out" 2>"$T/screen.err" ||
			fail "-screen: $(cat "$T/screen.err")"
		grep -E >/dev/null -- "$re" "$T/screen.out" && return 0
		sleep 0.1
	done
	sed 's/^/  | /' "$T/screen.out" >&2
	fail "no '$re' on con1's screen (remote) within 30 s"
}

# ---- through get_port; the password from the environment ----
via_port() { UMLWATCH_PASSWORD=$PW cwatch "vm1@$SRV_ADDR" "$@"; }
out=$(via_port -start -wait 120 2>&1) || fail "get_port: -start -wait: $out"
log "$out"
remember_vm_pids vm1
printf '%s\n' "$out" | grep -E >/dev/null 'vm1: up [0-9.]+ s after the start' ||
	fail "-start -wait did not say when the guest was up: $out"
grep -E >/dev/null "${CLI_ADDR//./\\.}.*authenticated" "$mlog" ||
	fail "the monitor did not log its TCP client $CLI_ADDR as authenticated"
via_port -info >"$T/info" || fail "get_port: -info"
grep -E >/dev/null '^state +running$' "$T/info" || fail "get_port: -info: $(cat "$T/info")"
grep -E >/dev/null '^con1 +pty +open' "$T/info" || fail "get_port: -info has no con1"
wait_listed vm1 running
remote_screen_wait 'login:' via_port
printf 'root\n' | via_port -connect con1 >/dev/null 2>&1 || fail "get_port: -connect con1 (login)"
remote_screen_wait 'root@vm1:~#' via_port
printf 'echo "REMOTE-$((6 * 7))"\n' | via_port -connect con1 >/dev/null 2>&1 ||
	fail "get_port: -connect con1 (a command)"
remote_screen_wait '^REMOTE-42' via_port
out=$(via_port -stop 2>&1) || fail "get_port: -stop: $out"
[ "$(info_field vm1 state)" = stopped ] || fail "-stop through get_port did not stop vm1"
wait_listed vm1 stopped
# the other commands too: a channel's log, a disk operation (its progress
# comes over the same sealed connection)
via_port -log con0 >"$T/con0.log" 2>&1 || fail "get_port: -log con0: $(cat "$T/con0.log")"
grep -F >/dev/null 'Linux version' "$T/con0.log" ||
	fail "get_port: -log con0 has no kernel banner: $(head -5 "$T/con0.log")"
out=$(via_port -disk copy /disks/root.dsk /disks/remote-copy.dsk 2>&1) ||
	fail "get_port: -disk copy: $out"
cmp "$(jail_of vm1)/disks/root.dsk" "$(jail_of vm1)/disks/remote-copy.dsk" ||
	fail "get_port: -disk copy made no equal copy"
out=$(via_port -disk delete /disks/remote-copy.dsk 2>&1) || fail "get_port: -disk delete: $out"
[ ! -e "$(jail_of vm1)/disks/remote-copy.dsk" ] || fail "get_port: -disk delete left the copy"

# ---- through the redirector; the password typed, then from a file ----
via_redir() { cwatch -redir -password-file "$pw1" "vm1@$SRV_ADDR:$REDIR_PORT" "$@"; }
out=$(via_redir -start -wait 120 2>&1) || fail "redirector: -start -wait: $out"
log "$out"
remember_vm_pids vm1
via_redir -info >"$T/info" || fail "redirector: -info"
grep -E >/dev/null '^state +running$' "$T/info" || fail "redirector: -info: $(cat "$T/info")"
wait_listed vm1 running
remote_screen_wait 'login:' via_redir
# a terminal: the password at the prompt, then the console as a user has it
tm_new term
tm_send term "unset UMLWATCH_PASSWORD; ip netns exec $CLI $UMLWATCH -redir vm1@$SRV_ADDR:$REDIR_PORT -connect con1" Enter
tm_wait term "Password for vm1@$SRV_ADDR" 20
tm_send term "$PW" Enter
tm_wait term "connected to vm1" 20
tm_capture term | grep -F >/dev/null -- "$PW" && fail "the password was echoed on the terminal"
tm_send term Enter
tm_wait term 'login:' 30
tm_send term root Enter
tm_wait term '# $' 20
tm_send term 'echo "TTY-$((7 * 6))"' Enter
tm_wait term '^TTY-42' 20
tm_send term C-] q
remote_screen_wait '^TTY-42' via_redir
out=$(via_redir -stop 2>&1) || fail "redirector: -stop: $out"
[ "$(info_field vm1 state)" = stopped ] || fail "-stop through the redirector did not stop vm1"
wait_listed vm1 stopped

# ---- refusals, each clear; the monitor serves on ----
UMLWATCH_PASSWORD=not-the-password expect_fail 'vm1: wrong password' \
	in_ns "$CLI" "$UMLWATCH" "vm1@$SRV_ADDR" -info
UMLWATCH_PASSWORD=not-the-password expect_fail 'vm1: wrong password' \
	in_ns "$CLI" "$UMLWATCH" -redir "vm1@$SRV_ADDR:$REDIR_PORT" -info
UMLWATCH_PASSWORD=$PW expect_fail 'vm9' in_ns "$CLI" "$UMLWATCH" "vm9@$SRV_ADDR" -info
cp "$pw1" "$T/open.pw"
chmod 644 "$T/open.pw"
expect_fail "$T/open.pw.*(0644|mode 644)" cwatch -password-file "$T/open.pw" "vm1@$SRV_ADDR" -info
kill -0 "$(monitor_pid vm1)" || fail "the monitor died"
via_port -info | grep -E >/dev/null '^state +stopped$' || fail "-info after the refusals"
# without a port umldir's default, with the redirector's default too
UMLWATCH_PASSWORD=$PW cwatch -redir "vm1@$SRV_ADDR" -info >/dev/null ||
	fail "-redir with the redirector's default port"
log "ok"
