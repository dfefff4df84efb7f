#!/bin/bash
# meson install, as README.md's "Installing" documents it:
# - into a DESTDIR: exactly the files README lists (PREFIX = the build's
#   prefix), the scripts executable and pointing at the installed
#   programs;
# - a second install keeps a changed etc/umlmon and adds no services line
#   again; an install over an etc/services that names umldir already
#   keeps that line, adds umlredir once and keeps the other lines;
# - only with UMLMON_REAL_INSTALL=1 (the fresh CI machine): the same into
#   /, refused if any listed file exists; the installed init script then
#   runs the story with the installed programs (vm1 boots through the
#   jail helper where the installed umlmon looks for it, stops gracefully) and everything the install
#   added is removed again at the end, also on failure.
. "$(dirname "$0")/lib.sh"

setup 'start = boot'
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$S/meson.build")
prefix=$(meson introspect --buildoptions "$B" |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])') ||
	fail "no prefix from meson introspect"
log "prefix $prefix"

# README's list: the first ```text block of the section "## Installing"
documented=$(awk '/^## / { in_sec = ($0 == "## Installing") }
	in_sec && /^```text$/ && !done { on = 1; next }
	on && /^```$/ { on = 0; done = 1 }
	on { print $1 }' "$S/README.md" | sed "s|^PREFIX/|$prefix/|" | sort)
[ -n "$documented" ] || fail "no file list in README.md's Installing section"

install_into() { # DESTDIR
	meson install -C "$B" --no-rebuild --destdir "$1" >"$T/install.log" 2>&1 ||
		fail "meson install into $1: $(tail -n 20 "$T/install.log")"
}
files_in() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort); }

# ---- into a DESTDIR: the documented files ----
D=$T/destdir
install_into "$D"
got=$(files_in "$D")
[ "$got" = "$documented" ] || fail "installed files differ from README.md's list:
$(diff <(printf '%s\n' "$documented") <(printf '%s\n' "$got") | sed -n 's/^[<>]/  &/p')
(< README only, > installed only)"
for x in /etc/init.d/umlmon "$prefix/lib/systemd/system-generators/umlmon-generator" \
	"$prefix/libexec/umlmon/umlmon-vms" "$prefix/sbin/umlmon" "$prefix/bin/umlwatch"; do
	[ -x "$D$x" ] || fail "$x is not executable"
done
for x in /etc/init.d/umlmon "$prefix/lib/systemd/system-generators/umlmon-generator" \
	"$prefix/libexec/umlmon/umlmon-vms"; do
	sh -n "$D$x" || fail "$x: not valid sh"
	grep -F >/dev/null '@' "$D$x" && grep -E '@[a-z_]+@' "$D$x" >/dev/null &&
		fail "$x: unsubstituted $(grep -oE '@[a-z_]+@' "$D$x" | head -n 1)"
done
grep -x "UMLMON=$prefix/sbin/umlmon" "$D/etc/init.d/umlmon" >/dev/null ||
	fail "the init script does not run $prefix/sbin/umlmon"
grep -x "UMLMON_VMS=$prefix/libexec/umlmon/umlmon-vms" "$D/etc/init.d/umlmon" >/dev/null ||
	fail "the init script does not use the installed umlmon-vms"
grep -x "ExecStart=$prefix/sbin/umlmon -fg -c \${CONFIG} %i" \
	"$D$prefix/lib/systemd/system/umlmon@.service" >/dev/null || fail "umlmon@.service's ExecStart"
[ "$("$D$prefix/sbin/umladmin" -version)" = "umladmin $version" ] || fail "installed umladmin -version"
[ "$("$D$prefix/bin/umlwatch" -version)" = "umlwatch $version" ] || fail "installed umlwatch -version"
cmp "$S/dist/umlmon.example" "$D/etc/umlmon" || fail "etc/umlmon is not the example"
[ "$(cat "$D/etc/services")" = "$(grep -v '^#' "$S/dist/services")" ] ||
	fail "etc/services: $(cat "$D/etc/services")"

# ---- a second install: etc/umlmon kept, no services line twice ----
echo "# the administrator's" >>"$D/etc/umlmon"
cp "$D/etc/umlmon" "$T/umlmon.mine"
install_into "$D"
cmp "$T/umlmon.mine" "$D/etc/umlmon" || fail "a second install changed etc/umlmon"
for s in umldir umlredir umlweb; do
	n=$(grep -c "^$s[[:space:]]" "$D/etc/services")
	[ "$n" = 1 ] || fail "etc/services has $n lines of $s after a second install"
done
[ "$(files_in "$D")" = "$documented" ] || fail "a second install changed the file list"

# ---- over an etc/services of the host's, naming umldir already ----
D2=$T/destdir2
mkdir -p "$D2/etc"
printf 'ssh\t\t22/tcp\n# umlredir 1/tcp (a comment)\numldir\t\t7399/tcp\t# mine\n' >"$D2/etc/services"
cp "$D2/etc/services" "$T/services.mine"
printf '[GLOBAL]\n' >"$D2/etc/umlmon"
install_into "$D2"
[ "$(head -n 3 "$D2/etc/services")" = "$(cat "$T/services.mine")" ] ||
	fail "the host's services lines changed: $(cat "$D2/etc/services")"
[ "$(tail -n +4 "$D2/etc/services")" = "$(grep -E '^(umlredir|umlweb)' "$S/dist/services")" ] ||
	fail "added to etc/services: $(tail -n +4 "$D2/etc/services")"
[ "$(cat "$D2/etc/umlmon")" = "[GLOBAL]" ] || fail "an existing etc/umlmon was overwritten"

# ---- the real install (the CI machine only) ----
if [ "${UMLMON_REAL_INSTALL:-0}" != 1 ]; then
	log "ok (no install into /: UMLMON_REAL_INSTALL is not 1)"
	exit 0
fi
INSTALLED=()
NEWDIRS=()
HAD_CONF=0
real_uninstall() {
	local f
	for f in "${INSTALLED[@]}"; do
		case $f in
		/etc/services) if [ -e "$T/services.orig" ]; then cp -p "$T/services.orig" /etc/services
			else rm -f /etc/services; fi ;;
		/etc/umlmon) [ $HAD_CONF = 1 ] || rm -f /etc/umlmon ;;
		*) rm -f "$f" ;;
		esac
	done
	for f in "${NEWDIRS[@]}"; do
		rmdir "$f" 2>/dev/null
	done
	[ ${#INSTALLED[@]} = 0 ] || log "removed the install from /"
}
trap 'rc=$?; real_uninstall; (exit $rc); cleanup' EXIT
while read -r f; do
	case $f in
	/etc/services | /etc/umlmon) ;;
	*) [ ! -e "$f" ] || fail "$f exists: an install into / would replace it" ;;
	esac
done <<<"$documented"
[ -e /etc/umlmon ] && HAD_CONF=1
[ -e /etc/services ] && cp -p /etc/services "$T/services.orig"
# the directories the install makes, deepest first
NEWDIRS=($(while read -r f; do
	d=$(dirname "$f")
	while [ "$d" != / ] && [ ! -e "$d" ]; do echo "$d"; d=$(dirname "$d"); done
done <<<"$documented" | sort -u -r))
mapfile -t INSTALLED <<<"$documented"
meson install -C "$B" --no-rebuild >"$T/install.log" 2>&1 ||
	fail "meson install into /: $(tail -n 20 "$T/install.log")"
for f in "${INSTALLED[@]}"; do
	[ -e "$f" ] || fail "$f is missing after the install into /"
done
[ "$("$prefix/sbin/umladmin" -version)" = "umladmin $version" ] || fail "$prefix/sbin/umladmin -version"
if command -v man >/dev/null; then
	# (Debian's /usr/local/man is a link to share/man)
	[ "$(realpath -e "$(man -w umlwatch)")" = "$(realpath -e "$prefix/share/man/man1/umlwatch.1")" ] ||
		fail "man -w umlwatch: $(man -w umlwatch 2>&1)"
fi
# the story with the installed programs only: /etc/init.d/umlmon on the
# test's configuration (vm1: boot), in a namespace of the test's
mkimage vm1
netns_new real
rinit() { UMLMON_CONFIG=$CONF UMLMON_DEFAULTS=$T/none in_ns_cg "$NS" /etc/init.d/umlmon "$@"; }
out=$(rinit start 2>&1) || fail "/etc/init.d/umlmon start: $out"
for d in umldir:umldir vm1:umlmon; do
	p=$(cat "$T/run/${d%:*}.pid" 2>/dev/null)
	[ -n "$p" ] && kill -0 "$p" || fail "no ${d#*:} of ${d%:*} after /etc/init.d/umlmon start: $out"
	PIDS_TO_KILL+=("$p")
	[ "$(readlink "/proc/$p/exe")" = "$prefix/sbin/${d#*:}" ] ||
		fail "${d%:*}: pid $p runs $(readlink "/proc/$p/exe"), not $prefix/sbin/${d#*:}"
done
UMLWATCH=$prefix/bin/umlwatch
wait_state vm1 running 90
remember_vm_pids vm1
wait_inits vm1 1 90
rinit status >/dev/null || fail "status exited $? with vm1 running"
out=$(rinit stop 2>&1) || fail "/etc/init.d/umlmon stop: $out"
grep -E >/dev/null 'reboot: (Power down|System halted)' "$T/var/vm1/log/con0" ||
	fail "vm1's con0 shows no shutdown"
rc=0
rinit status >/dev/null || rc=$?
[ $rc = 3 ] || fail "status after stop exited $rc, expected 3"
log "ok (installed into / and removed again)"
