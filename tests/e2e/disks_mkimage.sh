#!/bin/bash
# umladmin mkimage in a directory the guest writes: the jail's /disks
# belongs to the vmuser, and guest root can plant anything there through
# hostfs. Nothing planted may make the root-side build write, chown or
# chmod a file outside: symlinks at every temporary name an image build
# could use (one per possible pid) and at the image's own name, a hard
# link to a host file, a symlinked directory on the way; the same for
# -o FILE in a directory someone else writes. The image that is built is
# right: a regular file of the vmuser, mode 0640, that boots.
. "$(dirname "$0")/lib.sh"

command -v debugfs >/dev/null || need "debugfs (e2fsprogs)"
command -v perl >/dev/null || need "perl"
setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/sub/root.dsk'
# the VMs' own uids before anything ran: lines of VARDIR/uids
u1=$UID_FIRST u2=$((UID_FIRST + 1))
printf 'vm1 %s\nvm2 %s\n' "$u1" "$u2" >"$T/var/uids"
as() { # UID CMD...: as that uid and gid, no other group
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# the host file a guest would aim at: root's, 0600, known content
secret=$T/secret
printf 'host secret %s\n' "$$" >"$secret"
chmod 0600 "$secret"
state() { stat -c '%u:%g:%a:%s:%h:%i' "$1"; }
want_secret="$(state "$secret") $(sha256sum <"$secret")"
check_secret() { # WHEN
	local now
	now="$(state "$secret") $(sha256sum <"$secret")"
	[ "$now" = "$want_secret" ] || fail "$1: the host file changed: $want_secret -> $now"
}

# the VM's /disks as its layout makes it: the vmuser's
disks=$(jail_of vm1)/disks
mkdir -p "$disks"
chown "$u1:$u1" "$disks"
chmod 0750 "$disks"

# As the guest (the vmuser): symlinks to the host file at NAME and at
# NAME.tmp.PID for every pid, the temporary names of the old builder.
pid_max=$(cat /proc/sys/kernel/pid_max)
plant() { # DIR NAME UID
	as "$3" perl -e '
		my ($dir, $name, $target, $max) = @ARGV;
		for my $p (1 .. $max - 1) {
			symlink($target, "$dir/$name.tmp.$p") or die "symlink $p: $!\n";
		}
		symlink($target, "$dir/$name") or die "symlink: $!\n";
	' "$1" "$2" "$secret" "$pid_max" || fail "planting symlinks in $1"
}

# ---- symlinks at root.dsk.tmp.PID and at root.dsk itself ----
plant "$disks" root.dsk "$u1"
planted=$(find "$disks" -maxdepth 1 -type l -lname "$secret" | wc -l)
[ "$planted" = "$pid_max" ] || fail "planted $planted symlinks, expected $pid_max"
log "planted $planted symlinks to $secret in $disks"

# without -f the name is taken, whatever it is
expect_fail "mkimage: $disks/root.dsk: exists \(use -f to replace it\)" \
	"$UMLADMIN" mkimage vm1
check_secret "mkimage without -f"
[ -L "$disks/root.dsk" ] || fail "the planted root.dsk was removed without -f"

# with -f the symlink is replaced, not followed
out=$("$UMLADMIN" mkimage -f vm1 2>&1) || fail "mkimage -f vm1: $out"
check_secret "mkimage -f"
img=$disks/root.dsk
[ -f "$img" ] && [ ! -L "$img" ] || fail "root.dsk is not a regular file: $(ls -l "$img")"
[ "$(stat -c '%u:%g:%a:%h' "$img")" = "$u1:$u1:640:1" ] ||
	fail "image owner, mode or links: $(stat -c '%u:%g:%a:%h' "$img")"
[ "$(stat -c %s "$img")" = $((64 << 20)) ] || fail "image size $(stat -c %s "$img")"
debugfs -R 'cat /etc/init.d/rcS' "$img" 2>/dev/null | grep >/dev/null 'umlmon-guest: init started' ||
	fail "the image has no rcS"
e2fsck -fn "$img" >/dev/null 2>&1 || fail "e2fsck finds errors in the image"
left=$(find "$disks" -maxdepth 1 -type l -lname "$secret" | wc -l)
[ "$left" = $((pid_max - 1)) ] || fail "$left of the planted tmp symlinks are left"
[ -z "$(find "$disks" -maxdepth 1 -name '.*' ! -name . )" ] ||
	fail "temporary files left: $(ls -A "$disks" | grep '^\.')"

# ---- a hard link to a host file at the image's name (root may make one;
# the guest could where protected_hardlinks is off) ----
rm -f "$img"
ln "$secret" "$img"
want_secret="$(state "$secret") $(sha256sum <"$secret")" # 2 links now
expect_fail "exists \(use -f to replace it\)" "$UMLADMIN" mkimage vm1
check_secret "mkimage over a hard link, without -f"
out=$("$UMLADMIN" mkimage -f vm1 2>&1) || fail "mkimage -f over a hard link: $out"
[ "$(stat -c %h "$secret")" = 1 ] || fail "the host file still has $(stat -c %h "$secret") links"
want_secret="$(state "$secret") $(sha256sum <"$secret")"
[ "$(stat -c '%u:%a' "$img")" = "$u1:640" ] || fail "image: $(stat -c '%u:%a' "$img")"
check_secret "mkimage -f over a hard link"

# ---- a symlinked directory on the way: vm2's ubd0 is /disks/sub/root.dsk
# and the guest makes sub a symlink to a host directory ----
hostdir=$T/hostdir
mkdir "$hostdir"
disks2=$(jail_of vm2)/disks
mkdir -p "$disks2"
chown "$u2:$u2" "$disks2"
as "$u2" ln -s "$hostdir" "$disks2/sub" || fail "planting sub"
expect_fail "mkimage: $disks2/sub/root.dsk: a symlink or '..' on the way" \
	"$UMLADMIN" mkimage -f vm2
[ -z "$(ls -A "$hostdir")" ] || fail "mkimage wrote into $hostdir: $(ls -A "$hostdir")"
# a real directory works
rm "$disks2/sub"
as "$u2" mkdir "$disks2/sub"
"$UMLADMIN" mkimage vm2 >/dev/null || fail "mkimage vm2 in a subdirectory"
[ "$(stat -c '%u:%a' "$disks2/sub/root.dsk")" = "$u2:640" ] || fail "vm2's image"

# ---- -o FILE in a directory someone else writes ----
out=$T/out
mkdir "$out"
chown nobody:nogroup "$out"
plant "$out" x.dsk "$(id -u nobody)"
expect_fail "mkimage: $out/x.dsk: exists \(use -f to replace it\)" \
	"$UMLADMIN" mkimage -o "$out/x.dsk"
"$UMLADMIN" mkimage -f -o "$out/x.dsk" >/dev/null || fail "mkimage -f -o"
check_secret "mkimage -f -o"
[ -f "$out/x.dsk" ] && [ ! -L "$out/x.dsk" ] || fail "x.dsk is not a regular file"
[ "$(stat -c '%U:%a' "$out/x.dsk")" = "root:640" ] || fail "x.dsk: $(stat -c '%U:%a' "$out/x.dsk")"

# ---- the image boots; while it runs, mkimage refuses to touch it ----
start_monitor vm1
boot vm1
expect_fail "mkimage: vm1: runs \(pid [0-9]+ lives in its jail" "$UMLADMIN" mkimage -f vm1
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
check_secret "the end"
log "PASS"
