#!/bin/bash
# A console added to a running VM: a new pty (on the jail's own devpts),
# logged and connectable at once: -info lists it, umlwatch -connect con3
# types to a program the guest runs on /dev/tty3 and sees the terminal's
# echo and the program's answer; its log has them. A channel already connected and
# a bad name are refused; --keep writes "con3 = pty".
. "$(dirname "$0")/lib.sh"

setup
vms_up vm1
conf_before=$(sha256sum <"$CONF")

expect_fail "vm1: con1: already connected \(pty\)" watch vm1 -add-con con1
expect_fail "'con16' is not a console" watch vm1 -add-con con16
expect_fail "'tty3' is not a console" watch vm1 -add-con tty3

out=$(watch vm1 -add-con con3 2>&1) || fail "-add-con con3: $out"
log "$out"
info_field vm1 con3 | grep >/dev/null '^pty  *open' || fail "-info con3: $(info_field vm1 con3)"
[ "$(sha256sum <"$CONF")" = "$conf_before" ] || fail "without --keep the file changed"
# the pty is the jail's: its slave is where the kernel opens it
findmnt -rn -o TARGET,FSTYPE | grep >/dev/null "^$(jail_of vm1)/dev/pts devpts" ||
	fail "no devpts in the jail: $(jail_mounts vm1)"

# the guest answers on tty3: each line it reads comes back as GOT:...
tm_new term
tm_login term vm1
tm_send term "sh -c 'while read l; do echo \"GOT:\$l\"; done' </dev/tty3 >/dev/tty3 2>&1 &" Enter
tm_send term 'echo STARTED=$!' Enter
tm_wait term '^STARTED=[0-9]' 10
tm_send term C-] q
tm_new con3
tm_send con3 "$UMLWATCH vm1 -connect con3" Enter
tm_wait con3 "connected to vm1 con3"
tm_send con3 "hello live" Enter
tm_wait con3 '^GOT:hello live' 20
# the guest's tty echoed what was typed, on a line of its own before
tm_capture con3 | grep -B1 '^GOT:hello live' | head -n 1 | grep >/dev/null '^hello live' ||
	fail "no echo: $(tm_capture con3)"
tm_send con3 C-] q
wait_file "$T/var/vm1/log/con3" "GOT:hello live" 10

# kept: the file has it, with its comments
out=$(watch vm1 -add-con ssl1 --keep 2>&1) || fail "-add-con ssl1 --keep: $out"
grep -x 'ssl1 = pty' "$CONF" >/dev/null || fail "ssl1 not in the file: $(cat "$CONF")"
info_field vm1 hot-plug | grep >/dev/null 'con3 added; ssl1 added (kept)' ||
	fail "-info hot-plug: $(info_field vm1 hot-plug)"
# after the boot, what was not kept is gone and what was stays
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
[ -z "$(info_field vm1 con3)" ] || fail "con3 outlived the boot: $(info_field vm1 con3)"
info_field vm1 ssl1 | grep >/dev/null '^pty' || fail "ssl1 was not kept: $(info_field vm1 ssl1)"
log "ok"
