#!/bin/bash
# Bad input gets a clear error naming the object and the cause, and leaves
# everything as it was: a bad config line, an unknown VM, a second monitor,
# no monitor, an image or kernel missing from the jail, bad RPC data, a
# refused mconsole command, a bad sysrq key.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1

# ---- a bad line: the monitor refuses to run, with file:line: key: cause ----
cp "$CONF" "$T/good.conf"
add_vm bad 'ubd0 = /disks/root.dsk' 'memory = lots' 'con1 = telnet'
line=$(grep -n 'memory = lots' "$CONF" | cut -d: -f1)
expect_fail "^umlmon: $CONF:$line: memory: 'lots' is not a size" "$UMLMON" bad
expect_fail "$CONF:$((line + 1)): con1: unknown channel 'telnet' \(expected pty, log, null\)" \
	"$UMLMON" bad
expect_fail "bad: refusing to run with 2 errors" "$UMLMON" bad
[ ! -e "$T/var/bad" ] || fail "a refused monitor created its state dir"
# other VMs are not held hostage by a bad section
start_monitor vm1
expect_fail "$CONF:$line: memory" "$UMLADMIN" check

# ---- unknown VM ----
expect_fail "nosuchvm: unknown VM \(no \[nosuchvm\] section in $CONF\)" "$UMLMON" nosuchvm
expect_fail "nosuchvm: unknown VM" watch nosuchvm -info
expect_fail "\.\./x: VM name must start with a letter or digit" watch ../x -info

# ---- a second monitor of the same VM ----
expect_fail "vm1: a monitor is already running \(pid $(monitor_pid vm1), pid file $T/run/vm1.pid\)" \
	"$UMLMON" vm1

# ---- no monitor ----
cp "$T/good.conf" "$CONF"
add_vm vm2 'memory = 64M' 'ubd0 = /disks/missing.dsk'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'kernel = /shared/kernels/nope'
expect_fail "vm2: no monitor .*$T/var/vm2/ctrl.*start one with 'umlmon vm2'" watch vm2 -info
rc=0; watch vm2 -info >/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || fail "no monitor: exit status $rc, expected 3"

# ---- an image missing from the jail ----
start_monitor vm2
expect_fail "vm2: cannot start: ubd0: /disks/missing.dsk: not found in the jail \($T/var/vm2/jail/disks/missing.dsk\)" \
	watch vm2 -start
[ "$(info_field vm2 state)" = stopped ] || fail "vm2 is not stopped after the refused start"
[ -z "$(jail_mounts vm2)" ] || fail "mounts left by the refused start: $(jail_mounts vm2)"

# ---- a kernel missing from the jail ----
cp "$T/var/vm1/jail/disks/root.dsk" "$T/root3.dsk"
mkdir -p "$T/var/vm3/jail/disks" && mv "$T/root3.dsk" "$T/var/vm3/jail/disks/root.dsk"
start_monitor vm3
expect_fail "vm3: cannot start: kernel /shared/kernels/nope: not found in the jail" watch vm3 -start
[ -z "$(jail_mounts vm3)" ] || fail "mounts left by the refused start"

# ---- a symlink that leads out of the jail is not followed out ----
ln -sf /etc/passwd "$T/var/vm2/jail/disks/missing.dsk"
expect_fail "vm2: cannot start: ubd0: /disks/missing.dsk: not found in the jail" watch vm2 -start
[ "$(stat -c %U /etc/passwd)" = root ] || fail "/etc/passwd changed owner"
rm -f "$T/var/vm2/jail/disks/missing.dsk"

# ---- bad RPC data: the connection is dropped, the monitor lives on ----
# a record with a length that fits but no call in it
printf '\x80\x00\x00\x10garbage garbage!' |
	timeout 5 socat -t 1 - "UNIX-CONNECT:$T/var/vm1/ctrl" >/dev/null 2>&1
# and a record far too large
printf '\xff\xff\xff\xffxxxx' |
	timeout 5 socat -t 1 - "UNIX-CONNECT:$T/var/vm1/ctrl" >/dev/null 2>&1
[ "$(info_field vm1 state)" = stopped ] || fail "the monitor does not answer after bad RPC data"
grep -q "not an RPC call; closing the connection" "$T/var/vm1/log/monitor.log" ||
	fail "bad RPC data was not logged"
grep -q "record over 1048576 bytes; closing the connection" "$T/var/vm1/log/monitor.log" ||
	fail "an oversized record was not logged"

# ---- interactive: the same commands without the '-' ----
out=$(printf 'info\nfrobnicate\nhelp\nquit\ninfo\n' | watch vm1 2>&1)
echo "$out" | grep -E >/dev/null '^state +stopped$' || fail "interactive info: $out"
echo "$out" | grep >/dev/null "unknown command 'frobnicate'" || fail "interactive: no error for a bad command"
echo "$out" | grep -E >/dev/null '^  connect CHANNEL \[-readonly\]' || fail "interactive help: $out"
[ "$(echo "$out" | grep -c '^state ')" = 1 ] || fail "commands after quit were run"

# ---- commands that are refused while stopped, and mconsole passthrough ----
expect_fail "vm1: not running \(state stopped\)" watch vm1 -stop
expect_fail "vm1: not running \(state stopped\)" watch vm1 -ctrlaltdel
boot vm1
expect_fail "mconsole 'halt': not passed through" watch vm1 -mconsole halt
[ "$(info_field vm1 state)" = running ] || fail "a refused mconsole command changed the state"
expect_fail "unknown command 'frobnicate'" watch vm1 -frobnicate
expect_fail "'s' is ambiguous: start stop sysrq" watch vm1 -s
expect_fail "vm1: no channel 'con9' \(channels: con0, con1, ssl0\)" watch vm1 -connect con9
# umlwatch refuses a bad sysrq key before it asks; another client gets
# UM_EINVAL (1), a bad argument, not a refusal of the state
for key in X ab '!'; do
	out=$("$B/tests/e2e/rpcabuse" "$T/var/vm1/ctrl" sysrq "$key") || fail "rpcabuse sysrq $key"
	printf '%s\n' "$out" | grep >/dev/null "^status 1: sysrq '$key': expected one letter or digit" ||
		fail "sysrq '$key': $out"
done
watch vm1 -halt >/dev/null || fail "-halt"
log "PASS"
