#!/bin/bash
# The jail's contents, each with the narrowest owner and mode: the jail's
# own files (its root, the kernel's loader and libraries) are root's and
# written by nobody else (dirs 0755, copies 0555); disks/ is the vmuser's;
# tmp/ and shared/ are mounts. Before each boot the monitor checks it: a
# jail file made group-writable, a library replaced by one of the
# vmuser's, a kernel others may write, a state dir others may write: each
# start is refused naming the file and the cause, and once it is fixed
# the start works. A guest that replaces the files the monitor uses in
# its /tmp (the kernel's mconsole socket, the monitor's notification
# socket) by symlinks to host files (through hostfs) does not make the
# monitor follow them: it stops the VM through the socket it holds, a
# decoy socket gets nothing, the host file stays.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
jail=$(jail_of vm1)
vmuser=$(vm_uid vm1) # its own uid (vmuser = auto): no name
boot vm1

# ---- the files and modes of a booted jail ----
# (disks/ the vmuser's, tmp/ and shared/ mounts: pruned)
own=$(find "$jail" -path "$jail/disks" -prune -o -path "$jail/tmp" -prune \
	-o -path "$jail/shared" -prune -o ! -user root -print)
[ -z "$own" ] || fail "jail files not root's: $own"
wr=$(find "$jail" -path "$jail/disks" -prune -o -path "$jail/tmp" -prune \
	-o -path "$jail/shared" -prune -o ! -type l -perm /022 -print)
[ -z "$wr" ] || fail "jail files writable by group or others: $wr"
libs=$(find "$jail" -path "$jail/disks" -prune -o -path "$jail/tmp" -prune \
	-o -path "$jail/shared" -prune -o -type f -print)
[ -n "$libs" ] || fail "no loader or library in the jail"
bad=$(find $libs ! -perm 0555) # word splitting: no blanks in these paths
[ -z "$bad" ] || fail "copies not mode 0555: $(stat -c '%a %n' $bad)"
bad=$(find "$jail" -path "$jail/disks" -prune -o -path "$jail/tmp" -prune \
	-o -path "$jail/shared" -prune -o -type d ! -perm 0755 -print)
[ -z "$bad" ] || fail "jail directories not mode 0755: $bad"
[ "$(stat -c '%u %a' "$jail/disks")" = "$vmuser 750" ] ||
	fail "disks/: $(stat -c '%u %a' "$jail/disks")"
for m in tmp shared; do
	findmnt -rn -o TARGET | grep -x >/dev/null "$jail/$m" || fail "$m/ is not a mount"
done
log "the jail: $(echo "$libs" | wc -l) copies 0555 root, dirs 0755 root, disks/ $vmuser 750"
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30

# A start refused naming WHAT, then the fix, then a start that works.
refused_until() { # REGEX FIX...
	local re=$1
	shift
	expect_fail "^umlwatch: vm1: cannot start: $re" watch vm1 -start
	[ "$(info_field vm1 state)" = stopped ] || fail "vm1 is not stopped after the refusal"
	[ -z "$(jail_mounts vm1)" ] || fail "mounts left by the refusal: $(jail_mounts vm1)"
	"$@" || fail "the fix: $*"
	boot vm1
	out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
	wait_state vm1 stopped 30
}

# ---- a jail file made group-writable ----
lib=$(echo "$libs" | head -n 1)
chmod g+w "$lib"
refused_until "jail file $lib: writable by its group \(mode 0575" chmod g-w "$lib"

# ---- a library replaced by one of the vmuser's (same size and time) ----
cp -p "$lib" "$lib.new" && chown "$vmuser" "$lib.new" && mv "$lib.new" "$lib" ||
	fail "replacing $lib"
refused_until "jail file $lib: owned by uid $vmuser, not root" rm "$lib"
[ "$(stat -c '%U %a' "$lib")" = "root 555" ] || fail "$lib not installed again as root 0555"

# ---- a kernel others may write, on the host ----
k=$T/shared/kernels/linux
chmod o+w "$k"
refused_until "kernel $k: writable by others" \
	chmod o-w "$k"
chmod g+w "$T/shared/kernels"
refused_until "kernel $k: the directory $T/shared/kernels: writable by its group" \
	chmod g-w "$T/shared/kernels"

# ---- a state dir others may write ----
chmod o+w "$T/var"
refused_until "VM directory $T/var/vm1: the directory $T/var: writable by others" \
	chmod o-w "$T/var"
log "refused, then started once fixed: a group-writable library, one of the vmuser's, a kernel and its directory others may write, a state dir others may write"

# ---- symlinks planted in /tmp by the guest ----
victim=$T/victim
echo "a host file" >"$victim"
chmod 666 "$victim" # the vmuser could change it; the monitor (root) must not
socat -u UNIX-RECVFROM:"$T/decoy.sock",fork OPEN:"$T/decoy.got",creat,append &
PIDS_TO_KILL+=($!)
for _ in $(seq 1 50); do [ -S "$T/decoy.sock" ] && break; sleep 0.1; done
[ -S "$T/decoy.sock" ] || fail "no decoy socket"
chmod 777 "$T/decoy.sock"
boot vm1
tm_new term
tm_login term vm1
tm_send term "mkdir -p /h && mount -t hostfs none /h -o / && cd /h/tmp && \
rm -f vm1/mconsole umlmon.notify && ln -s $T/decoy.sock vm1/mconsole && \
ln -s $victim umlmon.notify && ls -l vm1/mconsole umlmon.notify | grep -c -- '->' | sed 's/^/LINKS=/'; cd /" Enter
tm_wait term '^LINKS=2' 20
tm_send term C-] q
out=$(watch vm1 -halt 2>&1) || fail "-halt with planted symlinks: $out"
wait_state vm1 stopped 30
[ ! -s "$T/decoy.got" ] || fail "the decoy socket got: $(cat "$T/decoy.got")"
[ "$(cat "$victim")" = "a host file" ] || fail "the host file changed: $(cat "$victim")"
[ "$(stat -c %U "$victim")" = root ] || fail "the host file was given to $(stat -c %U "$victim")"
log "symlinks in /tmp: halted through the held socket, the decoy got nothing, the host file untouched"
boot vm1
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30
log "ok"
