#!/bin/bash
# What a hostile guest plants in its own /disks (root in the guest mounts
# hostfs and writes there as the vmuser), planted here by the test as
# root: FIFOs and sockets named *.dsk and *.cow, a character device, hard
# links to a host file outside the jail, symlinks at every name the tools
# read or create (the temporary names of the disk operations too). Every
# disk operation through the monitor and through umladmin, a start of that
# VM and of others, a disk operation of another VM and a SIGTERM to a
# monitor end in bounded time; what cannot be used is refused with a
# message that names it and the cause; host files keep content, owner and
# mode.
. "$(dirname "$0")/lib.sh"

command -v socat >/dev/null || need "socat"
setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk'
# vm3's disks are replaced below by what a guest could plant
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'ubd1 = /disks/d.cow'
mkimage vm1
mkimage vm2
"$UMLADMIN" disk create /shared/disks/base.dsk 8M >/dev/null || fail "create base.dsk"
chmod 0644 "$T/shared/disks/base.dsk"
start_monitor vm1
start_monitor vm2
start_monitor vm3
d1=$(jail_of vm1)/disks
d3=$(jail_of vm3)/disks
mon1=$(monitor_pid vm1)

# ---- host files: root's, 0600, on the file system of the jails ----
secret=$T/secret.dsk
secret2=$T/secret2.dsk
target=$T/target.dsk
for f in "$secret" "$secret2"; do
	printf 'host secret\n' >"$f"
	truncate -s 4096 "$f" # whole sectors: a COW can be made over it
done
printf 'host file that must not be overwritten\n' >"$target"
chmod 0600 "$secret" "$secret2" "$target"
# a file of vm3's jail that only root may change
printf 'jail file\n' >"$(jail_of vm3)/rootfile"
chmod 0600 "$(jail_of vm3)/rootfile"
host_files=("$secret" "$secret2" "$target" "$(jail_of vm3)/rootfile" "$T/shared/disks/base.dsk")
state() { for f in "${host_files[@]}"; do stat -c '%n %u:%g %a %s' "$f"; sha256sum <"$f"; done; }
state >"$T/state0"
unchanged() {
	state >"$T/state1"
	cmp -s "$T/state0" "$T/state1" || fail "host files changed ($1): $(diff "$T/state0" "$T/state1")"
}

# Every command is bounded: a hang fails the test instead of blocking CI.
LIMIT=60
bounded() { # CMD...: runs it, fails the test if it hangs
	local rc
	timeout -k 5 $LIMIT "$@"
	rc=$?
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "hung (${LIMIT}s): $*"
	return $rc
}
refused() { # REGEX CMD...
	local re=$1
	shift
	expect_fail "$re" bounded "$@"
}
ok() { # CMD...
	local out
	out=$(bounded "$@" 2>&1) || fail "$*: $out"
}
W=$UMLWATCH

# ---- plant ----
mkfifo "$d1/fifo.dsk" "$d1/fifo.cow" "$d1/evil.cow"
mknod "$d1/chr.dsk" c 1 3
mknod "$d1/chr.cow" c 1 3
for s in sock.dsk sock.cow; do
	socat UNIX-LISTEN:"$d1/$s",fork /dev/null &
	PIDS_TO_KILL+=($!)
done
for _ in $(seq 1 100); do
	[ -S "$d1/sock.dsk" ] && [ -S "$d1/sock.cow" ] && break
	sleep 0.1
done
[ -S "$d1/sock.dsk" ] && [ -S "$d1/sock.cow" ] || fail "socat made no sockets"
ln "$secret" "$d1/hl.dsk"
ln "$secret" "$d1/hl.cow"
ln "$secret2" "$d1/hl2.dsk"
ln -s "$target" "$d1/abs.dsk"
ln -s ../../../../target.dsk "$d1/rel.dsk"
ln -s "$target" "$d1/link.cow"
# the names that operations create, and the temporary names they once had
for n in new.dsk new.cow merged.dsk; do ln -s "$target" "$d1/$n"; done
for i in $(seq 0 63); do
	for n in made.dsk made.cow copied.dsk out.dsk; do
		ln -s "$target" "$d1/.$n.tmp-$mon1-$i"
	done
done
# a COW over a file that becomes a FIFO; one over the hard link
ok $W vm1 -disk create /disks/b.dsk 4M
ok $W vm1 -disk create /disks/fb.cow /disks/b.dsk
rm "$d1/b.dsk"
mkfifo "$d1/b.dsk"
ok $W vm1 -disk create /disks/hlb.cow /disks/hl2.dsk

# ---- the VM itself starts among all that ----
n=$(init_count vm1)
ok $W vm1 -start
remember_vm_pids vm1
wait_state vm1 running 90
wait_inits vm1 $((n + 1)) 90
unchanged "start of vm1"

# ---- every operation, through the monitor and through umladmin ----
for how in watch admin; do
	if [ $how = watch ]; then run="$W vm1 -disk"; else run="$UMLADMIN disk -vm vm1"; fi
	for n in fifo sock chr; do
		case $n in fifo) what=FIFO ;; sock) what=socket ;; chr) what='character device' ;; esac
		refused "/disks/$n.dsk: is a $what, not a regular file" $run info /disks/$n.dsk
		refused "/disks/$n.dsk: is a $what" $run check /disks/$n.dsk
		refused "/disks/$n.dsk: is a $what" $run copy /disks/$n.dsk /disks/c-$n.dsk
		refused "/disks/$n.dsk: is a $what" $run resize /disks/$n.dsk 16M
		refused "/disks/$n.dsk: is a $what" $run create /disks/c-$n.cow /disks/$n.dsk
		refused "/disks/$n.cow: is a $what" $run merge /disks/$n.cow /disks/m-$n.dsk
		refused "/disks/$n.cow: is a $what" $run merge /disks/$n.cow
		refused "/disks/$n.cow: is a $what" $run info /disks/$n.cow
	done
	refused "/disks/fb.cow: backing file: /disks/b.dsk: is a FIFO" $run check /disks/fb.cow
	refused "/disks/b.dsk: is a FIFO" $run merge /disks/fb.cow /disks/m-fb.dsk
	refused "/disks/b.dsk: is a FIFO" $run merge /disks/fb.cow
	# hard links to a host file: never written, never read into a new file
	refused "/disks/hl.dsk: has [0-9]+ hard links and is not the vmuser's \(another name may be a host file\)" \
		$run copy /disks/hl.dsk /disks/stolen.dsk
	refused "/disks/hl.dsk: has [0-9]+ hard links" $run resize /disks/hl.dsk 16M
	refused "/disks/hl2.dsk: has [0-9]+ hard links" $run merge /disks/hlb.cow /disks/stolen.dsk
	refused "/disks/hl2.dsk: has [0-9]+ hard links" $run merge /disks/hlb.cow
	refused "/disks/hl.cow: has [0-9]+ hard links" $run merge /disks/hl.cow /disks/stolen.dsk
	# symlinks that lead out; names that exist are never followed
	refused "/disks/abs.dsk: a symlink on the way leads out of /disks" $run info /disks/abs.dsk
	refused "/disks/rel.dsk: a symlink on the way leads out of /disks" \
		$run copy /disks/rel.dsk /disks/stolen.dsk
	refused "/disks/link.cow: a symlink on the way leads out of /disks" \
		$run merge /disks/link.cow
	refused "/disks/new.dsk: already exists" $run create /disks/new.dsk 1M
	refused "/disks/new.cow: already exists" $run create /disks/new.cow /shared/disks/base.dsk
	refused "/disks/new.dsk: already exists" $run copy /shared/disks/base.dsk /disks/new.dsk
	[ ! -e "$d1/stolen.dsk" ] || fail "a hard-linked host file was copied"
	unchanged "operations on what was planted ($how)"
done
# the names whose temporary names are planted: made, not followed
ok $W vm1 -disk create /disks/made.dsk 1M
ok $W vm1 -disk create /disks/made.cow /shared/disks/base.dsk
ok $W vm1 -disk copy /shared/disks/base.dsk /disks/copied.dsk
# umladmin's own pid: planted by the shell it replaces
out=$(bounded bash -c 'for i in $(seq 0 63); do ln -s "$2" "$3/.out.dsk.tmp-$$-$i"; done
	exec "$1" disk -vm vm1 merge /disks/made.cow /disks/out.dsk' _ "$UMLADMIN" "$target" "$d1" 2>&1) ||
	fail "umladmin merge: $out"
for f in made.dsk made.cow copied.dsk out.dsk; do
	[ -f "$d1/$f" ] && [ ! -L "$d1/$f" ] || fail "$f was not made as a file"
done
# what was planted can be deleted; a symlink goes, not its target
ok $W vm1 -disk delete /disks/fifo.dsk
ok $W vm1 -disk delete /disks/abs.dsk
ok "$UMLADMIN" disk -vm vm1 delete /disks/chr.dsk
[ ! -e "$d1/fifo.dsk" ] && [ ! -L "$d1/abs.dsk" ] && [ ! -e "$d1/chr.dsk" ] ||
	fail "planted files were not deleted"
unchanged "operations that make files"

# ---- another VM: its disk operations and its start ----
ok $W vm2 -disk info /shared/disks/base.dsk
ok $W vm2 -disk create /disks/c2.cow /shared/disks/base.dsk
refused "/shared/disks/base.dsk: cannot delete: it is the backing file of .*vm2:/disks/c2.cow" \
	$W vm2 -disk delete /shared/disks/base.dsk
ok $W vm2 -disk delete /disks/c2.cow
n=$(init_count vm2)
ok $W vm2 -start
remember_vm_pids vm2
wait_state vm2 running 90
wait_inits vm2 $((n + 1)) 90
ok $W vm2 -stop

# ---- starts of vm3 with what a guest can make of its disks ----
start3() { # REGEX: vm3's start is refused with it, changes nothing
	refused "vm3: cannot start: $1" $W vm3 -start
	[ "$(info_field vm3 state)" = stopped ] || fail "vm3 is not stopped"
	[ -z "$(jail_mounts vm3)" ] || fail "mounts left after a refused start"
	unchanged "start of vm3: $1"
}
mkfifo "$d3/root.dsk"
start3 "ubd0: /disks/root.dsk: is a FIFO, not a regular file"
rm "$d3/root.dsk"
mknod "$d3/root.dsk" c 1 3
start3 "ubd0: /disks/root.dsk: is a character device, not a regular file"
rm "$d3/root.dsk"
# the chown that gives the VM its disk: never through a symlink, never to
# a file with another name
ln -s /rootfile "$d3/root.dsk"
start3 "ubd0: /disks/root.dsk: reached through a symlink, so it is not given to the vmuser"
rm "$d3/root.dsk"
# a shared disk the VM does not use is not even in its jail's /shared
ln -s /shared/disks/base.dsk "$d3/root.dsk"
start3 "ubd0: /disks/root.dsk: not found in the jail"
rm "$d3/root.dsk"
ln "$secret" "$d3/root.dsk"
start3 "ubd0: /disks/root.dsk: has [0-9]+ hard links, so it is not given to the vmuser"
rm "$d3/root.dsk"
# ubd1: a FIFO, then a COW whose backing file is one
ok "$UMLADMIN" disk -vm vm3 create /disks/root.dsk 4M
mkfifo "$d3/d.cow"
start3 "ubd1: /disks/d.cow: is a FIFO, not a regular file"
rm "$d3/d.cow"
ok "$UMLADMIN" disk -vm vm3 create /disks/b.dsk 4M
ok "$UMLADMIN" disk -vm vm3 create /disks/d.cow /disks/b.dsk
rm "$d3/b.dsk"
mkfifo "$d3/b.dsk"
start3 "ubd1: /disks/b.dsk: is a FIFO, not a regular file"

# ---- SIGTERM to a monitor whose VM runs ----
kill -TERM "$mon1"
for _ in $(seq 1 $((LIMIT * 10))); do
	kill -0 "$mon1" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$mon1" 2>/dev/null && fail "the monitor of vm1 did not end within ${LIMIT}s of SIGTERM"
unchanged "the end"
log "ok"
