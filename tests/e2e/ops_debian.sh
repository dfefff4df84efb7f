#!/bin/bash
# umladmin mkimage VM debian: a broken mirror gives the error and leaves no
# file; an interrupted build (SIGINT, as Ctrl-C) leaves no file, no staged
# tree and no mount; a real build from the host's apt mirror (debootstrap,
# its packages cached in the build dir across runs) boots under umlmon to
# a login on con1 with a root password, systemd says "running" (not
# degraded), the host name is the VM's, its address comes from umlmon.net=
# (host_to_host), root logs in over SSH with the key, and -stop shuts
# systemd down (its power-off in the console log).
. "$(dirname "$0")/lib.sh"

command -v debootstrap >/dev/null || need "debootstrap"
command -v ssh-keygen >/dev/null || need "ssh-keygen (openssh-client)"
command -v debugfs >/dev/null || need "debugfs (e2fsprogs)"
command -v ssh >/dev/null || need "ssh (openssh-client)"
setup
add_vm deb 'memory = 256M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 60' \
	'eth0 = host_to_host(proxy_if=umdeb0, proxy_addr=10.9.7.1, guest_addr=10.9.7.2)'
# the monitor's tap in a namespace of the test's own
netns_new host
H=$NS
# the staged trees go here, so that the test sees what is left of them
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
CACHE=${UMLMON_DEBOOTSTRAP_CACHE:-$B/debootstrap-cache}
img=$(jail_of deb)/disks/root.dsk
no_leftovers() { # WHEN
	[ ! -e "$img" ] || fail "$1: $img exists"
	[ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left in TMPDIR: $(ls -A "$TMPDIR")"
	[ -z "$(findmnt -rn -o TARGET | grep "^$TMPDIR/")" ] || fail "$1: mounts left"
	[ -z "$(ls -A "$(jail_of deb)/disks")" ] ||
		fail "$1: left in the VM's disks: $(ls -A "$(jail_of deb)/disks")"
}

# ---- a mirror that does not answer ----
expect_fail "mkimage: mirror http://127.0.0.1:9/debian: unreachable" \
	"$UMLADMIN" mkimage -mirror http://127.0.0.1:9/debian deb debian
"$UMLADMIN" mkimage -mirror http://127.0.0.1:9/debian deb debian >/dev/null 2>&1
[ $? = 1 ] || fail "a broken mirror: exit status is not 1"
no_leftovers "a broken mirror"
# the mirror answers, but has no such release
expect_fail "mkimage: mirror http://[^ ]*: no release 'nosuchsuite' there" \
	"$UMLADMIN" mkimage -suite nosuchsuite deb debian
no_leftovers "a release the mirror lacks"
expect_fail "mkimage: 'ubuntu': no such image \(busybox or debian\)" \
	"$UMLADMIN" mkimage deb ubuntu

# a private key is refused before anything is fetched
ssh-keygen -q -t ed25519 -N '' -C umlmon-test -f "$T/key" || fail "ssh-keygen"
expect_fail "mkimage: -ssh-key $T/key: a private key \(give the .pub file\)" \
	"$UMLADMIN" mkimage -ssh-key "$T/key" deb debian
no_leftovers "a private key"

# ---- interrupted: SIGINT while debootstrap runs ----
"$UMLADMIN" mkimage -cache "$CACHE" deb debian >"$T/int.out" 2>&1 &
apid=$!
PIDS_TO_KILL+=("$apid")
for _ in $(seq 1 600); do
	# debootstrap has unpacked something into the staged tree
	[ -n "$(ls -d "$TMPDIR"/umlmon-image.*/debootstrap 2>/dev/null)" ] && break
	kill -0 "$apid" 2>/dev/null || fail "mkimage ended early: $(cat "$T/int.out")"
	sleep 0.1
done
[ -n "$(ls -d "$TMPDIR"/umlmon-image.*/debootstrap 2>/dev/null)" ] ||
	fail "debootstrap did not start within 60s"
kill -INT "$apid"
wait "$apid"
rc=$?
[ $rc = 130 ] || fail "interrupted mkimage: exit $rc, not 130: $(cat "$T/int.out")"
grep >/dev/null 'interrupted; nothing was written' "$T/int.out" ||
	fail "interrupted mkimage said: $(cat "$T/int.out")"
no_leftovers "an interrupted build"
log "interrupted build left nothing"

# ---- the image ----
t0=$(date +%s%N)
out=$("$UMLADMIN" mkimage -password s3cret -ssh-key "$T/key.pub" -cache "$CACHE" \
	deb debian 2>&1) || fail "mkimage deb debian: $out"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
log "built the debian image in $((ms / 1000)).$(printf %03d $((ms % 1000)))s"
u=$(vm_uid deb)
[ "$(stat -c '%u:%g:%a:%s' "$img")" = "$u:$u:640:$((1 << 30))" ] ||
	fail "image owner, mode or size: $(stat -c '%u:%g:%a:%s' "$img")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
e2fsck -fn "$img" >/dev/null 2>&1 || fail "e2fsck finds errors in the image"
dbg() { debugfs -R "$1" "$img" 2>/dev/null; }
dbg 'cat /etc/fstab' | grep >/dev/null '^/dev/ubda / ext4 ' || fail "fstab: $(dbg 'cat /etc/fstab')"
dbg 'cat /root/.ssh/authorized_keys' | grep >/dev/null 'umlmon-test' || fail "no SSH key for root"
dbg 'cat /etc/systemd/system/README.umlmon' | grep >/dev/null '^getty-static.service: ' ||
	fail "no reasons for the masked units"
[ -z "$(dbg 'ls /etc/ssh' | grep -o 'ssh_host_[a-z0-9_]*key')" ] ||
	fail "the image carries SSH host keys"

# ---- it boots to a login on con1 ----
MON_NETNS=$H
start_monitor deb
out=$(watch deb -start 2>&1) || fail "deb -start: $out"
remember_vm_pids deb
wait_state deb running 60
# the image's ready unit: systemd finished starting (it says how)
wait_inits deb 1 240
con0=$T/var/deb/log/con0
wait_file "$con0" "umlmon-guest: system " 5
grep >/dev/null 'umlmon-guest: system running' "$con0" ||
	fail "systemd did not reach running: $(grep -a 'umlmon-guest: system' "$con0")"

tm_new term
tm_send term "$UMLWATCH deb -connect con1" Enter
tm_wait term "connected to deb con1"
tm_send term Enter
tm_wait term 'deb login: ?$' 60
tm_send term root Enter
tm_wait term 'Password: ?$' 20
tm_send term s3cret Enter
tm_wait term 'root@deb:~# $' 30
tm_send term 'echo "STATE=$(systemctl is-system-running)"; systemctl --failed --no-legend | sed "s/^/FAILED:/"' Enter
tm_wait term '^STATE=' 30
tm_capture term | grep >/dev/null '^STATE=running$' ||
	fail "systemctl is-system-running: $(tm_capture term | grep -E '^(STATE|FAILED):')"
tm_send term 'echo "HOST=$(hostname) ROOT=$(findmnt -n -o SOURCE /)"' Enter
tm_wait term '^HOST=deb ROOT=/dev/ubda$' 10
tm_send term C-] q
tm_wait term 'left deb con1' 10
log "logged in on con1; systemd is running"

# ---- the network from umlmon.net=, root's SSH key ----
out=$(in_ns "$H" ping -c 2 -W 5 10.9.7.2 2>&1) || fail "host -> guest: $out"
out=$(in_ns "$H" ssh -i "$T/key" -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o ConnectTimeout=30 root@10.9.7.2 \
	'echo "SSH-AS=$(id -un) $(systemctl is-active ssh)"' 2>&1) || fail "ssh with the key: $out"
echo "$out" | grep >/dev/null '^SSH-AS=root active$' || fail "ssh said: $out"
log "the guest answers on 10.9.7.2; root logs in over SSH with the key"

# ---- -stop: Ctrl-Alt-Del, systemd powers off ----
out=$(watch deb -stop 2>&1) || fail "-stop: $out"
log "$out"
echo "$out" | grep >/dev/null 'ctrl-alt-del' || fail "stop was not by ctrl-alt-del: $out"
[ "$(info_field deb state)" = stopped ] || fail "state after stop: $(info_field deb state)"
sed 's/\x1b\[[0-9;]*m//g' "$con0" | grep >/dev/null 'Reached target.*System Power Off' ||
	fail "systemd's power-off is not in the console log"
grep >/dev/null 'systemd-shutdown\[1\]: Powering off' "$con0" ||
	fail "systemd-shutdown did not power off"
info_field deb 'last exit' | grep >/dev/null 'ctrl-alt-del' ||
	fail "last exit: $(info_field deb 'last exit')"
stop_monitor deb
log "PASS"
