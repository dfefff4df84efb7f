#!/bin/bash
# umladmin with real state:
# - its help and its man page list the same commands, options and version;
#   setup as another user than root says it needs root and makes nothing;
# - check gives ok rows to good VMs and FAIL rows to what a start would
#   refuse (a missing disk and kernel, a COW whose backing file changed, a
#   foreign interface at a tap's name, a missing bridge), warns of memory
#   the host lacks and of a tap left by an earlier boot, changes nothing,
#   and exits 0 on warnings alone (the host's rows: ops_check);
# - list tells a running VM, a stopped one, a stopped monitor, a section
#   with config errors, "permission denied" for a user who may not ask,
#   and a VM whose kernel runs on after its monitor was SIGKILLed;
# - the default image names the guest after its VM: a COW clone of vm1's
#   image in vm2 boots as vm2.
. "$(dirname "$0")/lib.sh"

command -v debugfs >/dev/null || need "debugfs (e2fsprogs)"
setup
chmod 0644 "$CONF" # read by the non-root user below
mkimage vm1
base=$T/shared/disks/base.dsk
cp --sparse=always "$(jail_of vm1)/disks/root.dsk" "$base"
chmod 0644 "$base"
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.cow,/shared/disks/base.dsk'
cp "$CONF" "$T/good.conf"

# ---- help, man page and version agree ----
man8=$S/man/umladmin.8
help=$("$UMLADMIN" -h) || fail "umladmin -h"
[ "$("$UMLADMIN" --help)" = "$help" ] || fail "--help differs from -h"
cmds=$(printf '%s\n' "$help" | sed -n 's/^  \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' | sort -u)
[ -n "$cmds" ] || fail "no commands in the help: $help"
# (restore-backup: "restore\-backup" in the page)
mancmds=$(sed -n '/^\.SH COMMANDS/,/^\.SH /{/^\.TP/{n;s/^\.BR\{0,1\} "\{0,1\}\([a-z][-a-z\\]*\).*/\1/p}}' "$man8" |
	sed 's/\\//g' | sort -u)
[ "$cmds" = "$mancmds" ] ||
	fail "commands: help has '$(echo $cmds)', umladmin(8) has '$(echo $mancmds)'"
for o in -c -h --help -version --version; do
	printf '%s\n' "$help" | grep -E >/dev/null -- "(^| )$o([ ,]|$)" || fail "help lacks $o"
	grep -F >/dev/null -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$man8" ||
		fail "umladmin(8) lacks $o"
done
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$S/meson.build")
[ "$("$UMLADMIN" -version)" = "umladmin $version" ] || fail "-version: $("$UMLADMIN" -version)"
[ "$("$UMLADMIN" --version)" = "umladmin $version" ] || fail "--version"
for m in "$man8" "$S/man/umlmon.5"; do
	head -n 1 "$m" | grep -F >/dev/null "\"umlmon $version\"" || fail "$m: not version $version"
done
expect_fail "list: unexpected argument 'x' \(it takes only --json\)" "$UMLADMIN" list x
expect_fail "check: unexpected argument '-v' \(it takes only --json\)" "$UMLADMIN" check -v
rc=0; "$UMLADMIN" list x >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "a bad argument: exit status $rc, expected 2"
expect_fail "unknown command 'lst'" "$UMLADMIN" lst
expect_fail "-c needs a configuration file" "$UMLADMIN" -c

# ---- setup needs root, and says so before it makes anything ----
sed "s|^vardir = .*|vardir = $T/fresh|; s|^shared = .*|shared = $T/fresh/shared|" \
	"$CONF" >"$T/fresh.conf"
chmod 0644 "$T/fresh.conf"
expect_fail "setup: needs root" runuser -u nobody -- "$UMLADMIN" -c "$T/fresh.conf" setup
[ ! -e "$T/fresh" ] || fail "setup as nobody made $T/fresh"

# ---- check: all is well ----
out=$("$UMLADMIN" check 2>&1) || fail "check of a good config: $out"
printf '%s\n' "$out" | tail -n 1 | grep -E >/dev/null "^umladmin: $CONF: 2 VMs, nothing failed(, [0-9]+ warnings?)?$" ||
	fail "check said: $out"
printf '%s\n' "$out" | grep -E >/dev/null "^config +- +ok +$CONF: 2 VMs, no errors$" || fail "check said: $out"
for v in vm1 vm2; do
	printf '%s\n' "$out" | grep -E >/dev/null "^kernel +$v +ok " || fail "no ok kernel row of $v: $out"
	printf '%s\n' "$out" | grep -E >/dev/null "^disk +$v +ok +ubd0: " || fail "no ok disk row of $v: $out"
done

# ---- check: what a start would refuse ----
tapx=umlt$$x tapv=umlt$$v tapb=umlt$$b
trap 'rc=$?; for t in $tapx $tapv; do ip link del "$t" 2>/dev/null; done; (exit $rc); cleanup' EXIT
ip tuntap add dev "$tapx" mode tap || fail "ip tuntap add $tapx"
# vm4 and vm6 have their uids before a start (a line of VARDIR/uids)
printf 'vm4 %s\nvm6 %s\n' $((UID_LAST - 1)) "$UID_LAST" >>"$T/var/uids"
ip tuntap add dev "$tapv" mode tap user "$UID_LAST" || fail "ip tuntap add $tapv"
add_vm vm3 'memory = 64M' 'ubd0 = /disks/missing.dsk'
add_vm vm4 'memory = 64M' 'ubd0 = /disks/root.cow'
"$UMLADMIN" disk create /shared/disks/b4.dsk 16M >/dev/null || fail "create b4.dsk"
chmod 0644 "$T/shared/disks/b4.dsk"
install -d -o $((UID_LAST - 1)) -g $((UID_LAST - 1)) -m 0750 "$(jail_of vm4)/disks"
"$UMLADMIN" disk -vm vm4 create /disks/root.cow /shared/disks/b4.dsk >/dev/null ||
	fail "create vm4's COW"
touch -d '2001-02-03 04:05:06' "$T/shared/disks/b4.dsk"
add_vm vm5 'memory = 64G' 'ubd0r = /shared/disks/base.dsk'
add_vm vm6 'memory = 64M' 'ubd0r = /shared/disks/base.dsk' \
	"eth0 = host_to_host(proxy_if=$tapx, proxy_addr=192.0.2.1, guest_addr=192.0.2.2)" \
	"eth1 = host_to_host(proxy_if=$tapv, proxy_addr=192.0.2.5, guest_addr=192.0.2.6)" \
	"eth2 = bridged(bridge_if=umlbr$$, proxy_if=$tapb)"
add_vm vm7 'memory = 64M' 'ubd0r = /shared/disks/base.dsk' 'kernel = /shared/kernels/nope'
cow4=$(jail_of vm4)/disks/root.cow
before="$(sha256sum <"$cow4") $(stat -c %Y "$T/shared/disks/b4.dsk")"
rc=0
out=$("$UMLADMIN" check 2>&1) || rc=$?
log "check said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
[ $rc = 1 ] || fail "check with errors: exit status $rc"
has() { printf '%s\n' "$out" | grep -E >/dev/null -- "$1" || fail "check did not say /$1/"; }
has "^disk +vm3 +FAIL +ubd0: /disks/missing.dsk: no such disk"
has "^disk +vm4 +FAIL +ubd0: /disks/root.cow: .*backing file /shared/disks/b4.dsk changed"
has "^nic +vm6 +FAIL +eth0: proxy_if $tapx: already exists and is not a tap of vmuser auto \(uid $UID_LAST\); a start refuses it"
has "^nic +vm6 +warn +eth1: proxy_if $tapv: a tap left by an earlier boot; a start removes it"
has "^nic +vm6 +FAIL +eth2: bridge_if umlbr$$: no such interface"
has "^kernel +vm7 +FAIL +kernel /shared/kernels/nope: not found \($T/shared/kernels/nope\)"
total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
avail_kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo)
if [ "$total_kb" -lt $((64 << 20)) ]; then
	has "^memory +vm5 +warn +memory 64.0 GiB is more than the host has \([0-9.]+ GiB\)"
elif [ "$avail_kb" -lt $((64 << 20)) ]; then
	has "^memory +vm5 +warn +memory 64.0 GiB is more than the host has free now"
fi
has "^umladmin: $CONF: 7 VMs, 5 FAILs, [0-9]+ warnings$"
# no finding about the good VMs
printf '%s\n' "$out" | grep -E '^[a-z]+ +vm[12] +(warn|FAIL)' && fail "check found fault with vm1 or vm2"
# nothing changed: taps, COW, backing file
ip link show "$tapx" >/dev/null 2>&1 && ip link show "$tapv" >/dev/null 2>&1 ||
	fail "check removed a tap"
[ "$before" = "$(sha256sum <"$cow4") $(stat -c %Y "$T/shared/disks/b4.dsk")" ] ||
	fail "check changed the COW or its backing file"
# warnings alone: exit 0
{ sed -n '/^\[GLOBAL\]/,/^$/p' "$CONF"; printf '[vm5]\nmemory = 64G\nubd0r = /shared/disks/base.dsk\n'; } >"$T/warn.conf"
out=$("$UMLADMIN" -c "$T/warn.conf" check 2>&1) || fail "check with warnings only failed: $out"
if [ "$avail_kb" -lt $((64 << 20)) ]; then
	printf '%s\n' "$out" | grep -E >/dev/null "^memory +vm5 +warn " || fail "check said: $out"
	printf '%s\n' "$out" | grep -E >/dev/null "1 VM, nothing failed, [0-9]+ warnings?$" || fail "check said: $out"
fi

# ---- list ----
cp "$T/good.conf" "$CONF"
add_vm vm9 'memory = 64M' 'ubd0 = /disks/root.dsk'
add_vm bad 'ubd0 = /disks/root.dsk' 'memroy = 64M'
start_monitor vm1
start_monitor vm2
start_monitor vm9
stop_monitor vm9
boot vm2
out=$("$UMLADMIN" list 2>&1) || fail "list: $out"
log "list said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
row() { # VM REGEX (of the rest of its row)
	printf '%s\n' "$out" | grep -E >/dev/null "^$1 +$2" || fail "list: no row /$1 $2/"
}
row VM 'STATE +MEMORY +START +UPTIME +MONITOR +TCP +DISKS +NOTES$'
row vm1 'stopped +64M +manual +- +[0-9]+ +- +ubd0=/disks/root.dsk +-$'
row vm2 'running +64M +manual +[0-9]+:[0-9]{2}:[0-9]{2} +[0-9]+ +- +ubd0=/disks/root.cow,/shared/disks/base.dsk +-$'
row vm9 'no monitor +64M +manual +- +- +- +ubd0=/disks/root.dsk +-$'
row bad 'no monitor +128M +manual +- +- +- +ubd0=/disks/root.dsk +1 config error \(umladmin check\)$'
# the same as a user who may not use the control sockets
rc=0
out=$(runuser -u nobody -- "$UMLADMIN" list 2>&1) || rc=$?
[ $rc = 1 ] || fail "list as nobody: exit status $rc, expected 1 ($out)"
row vm1 "unknown +64M +manual +- +- +- +[^ ]+ +permission denied \($T/var/vm1/ctrl\)$"
row vm2 "unknown +64M +manual +- +- +- +[^ ]+ +permission denied"
# check leaves a running VM alone
out=$("$UMLADMIN" check 2>&1)
printf '%s\n' "$out" | grep -E >/dev/null "^state +vm2 +ok +running; its disks and taps are its own now and not checked$" ||
	fail "check of a running VM: $out"

# ---- the clone is named after its VM ----
wait_file "$T/var/vm2/log/con1" "vm2 login:" 30
tm_new term
tm_login term vm2
tm_send term 'echo HN=$(hostname)' Enter
tm_wait term '^HN=vm2$' 10
tm_send term C-] q

# ---- a kernel that outlives its monitor ----
kernel=$(info_field vm2 'kernel pid')
mon=$(monitor_pid vm2)
kill -KILL "$mon"
for _ in $(seq 1 100); do kill -0 "$mon" 2>/dev/null || break; sleep 0.1; done
kill -0 "$kernel" || fail "the kernel (pid $kernel) died with its monitor"
out=$("$UMLADMIN" list 2>&1) || fail "list: $out"
log "list said:"
printf '%s\n' "$out" | sed 's/^/  | /' >&2
row vm2 'running +64M +manual +- +- +- +[^ ]+ +no monitor: pid [0-9]+ runs in its jail$'
rc=0
out=$("$UMLADMIN" check 2>&1) || rc=$?
[ $rc = 1 ] || fail "check with an orphaned kernel: exit status $rc ($out)"
printf '%s\n' "$out" | grep -E >/dev/null "^state +vm2 +FAIL +pid [0-9]+ of an earlier run still lives in its jail and has no monitor" ||
	fail "check of the orphaned kernel: $out"
kill -KILL "$kernel"
log "PASS"
