#!/bin/bash
# What root in a guest reaches through hostfs. The kernel of /usr/bin/linux
# has hostfs built in; a mount of the host's / from the guest opens paths
# in the kernel's process on the host, whose root is the jail. So every
# hostfs mount, at / or at paths meant to climb out (/.., /etc,
# /proc/1/root, symbolic links the guest plants, the host's absolute paths
# of the test dir), sees the jail's tree or nothing: never a marker file
# planted next to the jail or in another VM's jail; and the guest creates
# files only where the vmuser may write (/disks, /tmp).
# Under /shared the guest sees only what its VM uses of the shared dir
# (its kernel and its own shared disk), not the other files there.
# The probe runs in the guest from the jail's /disks (reached through
# hostfs itself) and writes its findings to the jail's /tmp.
. "$(dirname "$0")/lib.sh"

setup 'ubd1r = /shared/disks/mine.dsk'
add_vm vm2 'ubd0 = /disks/root.dsk' 'ubd1r = /shared/disks/other.dsk'
for d in mine other; do
	truncate -s 1M "$T/shared/disks/$d.dsk" && chmod 644 "$T/shared/disks/$d.dsk" ||
		fail "shared disk $d.dsk"
done
mkimage vm1
mkimage vm2
jail=$(jail_of vm1)

# ---- markers outside vm1's jail: the test dir, vm1's own dir, vm2's jail ----
tok=hostfs-marker-$$-$RANDOM
for d in "$T" "$T/var/vm1" "$(jail_of vm2)/disks" "$T/shared" "$T/shared/disks"; do
	echo "secret of the host" >"$d/$tok" || fail "marker in $d"
	chmod 644 "$d/$tok"
done
# and one inside it, which the probe must find and read: it can look
echo "a file of the jail" >"$jail/disks/$tok-in"
chmod 644 "$jail/disks/$tok-in"

# the probe: sh PROBE MOUNT-OF-/ TOKEN TESTDIR (busybox in the guest)
cat >"$jail/disks/hostfs-probe.sh" <<'PROBE'
h=$1 tok=$2 t=$3
o=$h/tmp/hostfs-probe.out
{
tree() { (cd "$1" && find . | sort); }
echo "== tree /"
tree "$h"
i=0
for src in / /.. /../.. /etc /proc/1/root /proc/self/root /tmp/.. /shared/../.. \
	"$t" "$t/var/vm1" "$t/var/vm2/jail" "/../$tok" "/$t/$tok" "/tmp/up" "/tmp/abs" "/tmp/tdir" "/tmp/proc"; do
	case $src in
	/tmp/up) ln -s ../../../../.. "$h/tmp/up" ;;
	/tmp/abs) ln -s / "$h/tmp/abs" ;;
	/tmp/tdir) ln -s "$t" "$h/tmp/tdir" ;;
	/tmp/proc) ln -s /proc/self/root "$h/tmp/proc" ;;
	esac
	i=$((i + 1))
	mkdir -p /m$i
	if mount -t hostfs none /m$i -o "$src" 2>/dev/null; then
		echo "== mount $src"
		tree /m$i
		umount /m$i
	else
		echo "== refused $src"
	fi
done
rm -f "$h/tmp/up" "$h/tmp/abs" "$h/tmp/tdir" "$h/tmp/proc"
echo "== find $tok"
find / -name "$tok*" 2>/dev/null
echo "== read $tok"
for p in "$h/disks/$tok-in" "$h/../$tok" "$h/$t/$tok" "$h/../../../$tok" "$h/tmp/../../$tok"; do
	cat "$p" 2>/dev/null && echo "read $p"
done
echo "== writable"
(cd "$h" && find . -type d) | sort | while read -r d; do
	f=$h/$d/.hostfs-probe-w
	if touch "$f" 2>/dev/null; then
		echo "$d"
		rm -f "$f"
	fi
done
echo "== appendable"
(cd "$h" && find . -type f) | sort | while read -r f; do
	# opens for append, writes nothing
	(: >>"$h/$f") 2>/dev/null && echo "$f"
done
echo "== end"
} >"$o.part" 2>&1
# hostfs writes through the guest's page cache: out to the host, then
# the name the host waits for
sync
mv "$o.part" "$o"
PROBE
chmod 644 "$jail/disks/hostfs-probe.sh"

start_monitor vm1
boot vm1
kpid=$(info_field vm1 'kernel pid')
[ -n "$kpid" ] || fail "no kernel pid"

tm_new term
tm_login term vm1
tm_send term 'grep -c -w hostfs /proc/filesystems | sed "s/^/FS=/"' Enter
tm_wait term '^FS=[0-9]' 10
if tm_capture term | grep -x >/dev/null 'FS=0'; then
	# no hostfs in this kernel: the mount must be refused
	tm_send term 'mkdir -p /h; mount -t hostfs none /h -o / ; echo "MOUNT=$?"' Enter
	tm_wait term '^MOUNT=[1-9]' 10
	log "the kernel has no hostfs: the mount is refused"
	log "PASS"
	exit 0
fi
log "the kernel has hostfs"
tm_send term "mkdir -p /h && mount -t hostfs none /h -o / && sh /h/disks/hostfs-probe.sh /h $tok $T; echo PROBE=\$?" Enter
tm_wait term '^PROBE=' 120
out=$jail/tmp/hostfs-probe.out
[ -f "$out" ] || fail "the probe wrote no $out: $(tm_capture term | tail -n 5)"
# the lines after "== NAME" up to the next "== " line
section() { awk -v h="== $1" '/^== /{on = ($0 == h); next} on' "$out"; }

# ---- / is the jail: exactly the kernel's root, as it sees it ----
want=$(cd "/proc/$kpid/root" && find . | grep -v '^\./tmp/hostfs-probe\.out' | sort)
got=$(section 'tree /' | grep -v '^\./tmp/hostfs-probe\.out')
[ "$got" = "$want" ] || fail "hostfs / is not the jail: $(diff <(echo "$want") <(echo "$got"))"
log "hostfs / is the jail: $(echo "$got" | wc -l) names"
# ---- /shared: only what vm1 uses of the shared dir ----
shared=$(printf '%s\n' "$got" | grep '^\./shared')
[ "$shared" = "./shared
./shared/disks
./shared/disks/mine.dsk
./shared/kernels
./shared/kernels/linux" ] || fail "the guest's /shared holds: $shared"
log "/shared holds only vm1's kernel and shared disk, not other.dsk, the locks or the MAC list"

# ---- no source climbs out: a tree of the jail or a refusal ----
# (the probe's own names in /tmp left out)
mine='^\./(tmp/)?(hostfs-probe\.out|up$|abs$)'
at() { # DIR: the names of the jail's tree under DIR, as hostfs -o DIR lists them
	printf '%s\n' "$got" | grep -Ev "$mine" | sed -n "s|^\./$1\$|.|p; s|^\./$1/|./|p"
}
jailtree=$(printf '%s\n' "$got" | grep -Ev "$mine")
for src in / /.. /../.. /tmp/.. /shared/../.. /tmp/abs /tmp/up; do
	t=$(section "mount $src" | grep -Ev "$mine")
	# a symbolic link whose target climbs past /: this kernel's hostfs
	# lists the link's own directory (the jail's /tmp); either is the jail
	[ "$t" = "$jailtree" ] || { [ "$src" = /tmp/up ] && [ "$t" = "$(at tmp)" ]; } ||
		fail "hostfs -o $src is not the jail: $(section "mount $src")"
done
for src in /etc /proc/1/root /proc/self/root /tmp/proc "$T" "$T/var/vm1" "$T/var/vm2/jail" \
	"/../$tok" "/$T/$tok" /tmp/tdir; do
	grep -Fx >/dev/null "== refused $src" "$out" || fail "hostfs -o $src was not refused: $(section "mount $src")"
done
log "hostfs at / and 6 other paths is the jail; 10 paths out are refused"

# ---- the markers outside the jail: no name, no content ----
[ "$(section "find $tok")" = "/h/disks/$tok-in" ] ||
	fail "the guest found by name: '$(section "find $tok")', not only /h/disks/$tok-in"
[ "$(section "read $tok")" = "a file of the jail
read /h/disks/$tok-in" ] || fail "the guest read: '$(section "read $tok")', not only /h/disks/$tok-in"
seen=$(grep -v '^== ' "$out" | grep -F "$tok" | grep -Fv "$tok-in" || true)
[ -z "$seen" ] || fail "the guest saw a marker: $seen"
log "the markers outside the jail are out of reach; the one inside is found and read"

# ---- writes: only in /disks and /tmp, the vmuser's ----
bad=$(section writable | grep -Ev '^\./(disks|tmp)(/|$)' || true)
[ -z "$bad" ] || fail "the guest creates files in: $bad"
section writable | grep -x >/dev/null './disks' || fail "the guest cannot write /disks: $(section writable)"
section writable | grep -x >/dev/null './tmp' || fail "the guest cannot write /tmp: $(section writable)"
bad=$(section appendable | grep -Ev '^\./(disks|tmp)/' || true)
[ -z "$bad" ] || fail "the guest opens for writing: $bad"
log "the guest writes only in: $(section writable | tr '\n' ' ')"
grep -x >/dev/null '== end' "$out" || fail "the probe did not finish: $(tail -n 3 "$out")"
log "PASS"
