#!/bin/bash
# Honest links: each program holds the code of its role and no other.
# umlwatch has nothing of the daemon, its network (libnl), the disk engine,
# root's host work or umladmin; umladmin nothing of the daemon, its
# network or the client; neither links libvterm or libnl. The roles are
# the libraries of src/meson.build (given in UMLMON_LIB_ROLE); a symbol a
# library defines must not be defined in a program of another role. The
# same checks find the daemon's code and libraries in umlmon, so that
# they can fail. umldir holds its own and the server's code, none of the
# monitor, its network, disks, root's host work or the clients.
# umlweb holds its own, the client's and the server's code, none of the
# monitor's, its network, disks, root's host work, umlwatch's or
# umladmin's; it alone links libwebsockets.
# usage: links.sh UMLWATCH UMLADMIN UMLMON UMLDIR UMLWEB
set -u -o pipefail
export LC_ALL=C

fail() {
	echo "links: FAIL: $*" >&2
	exit 1
}

[ $# -eq 5 ] || fail "usage: links.sh UMLWATCH UMLADMIN UMLMON UMLDIR UMLWEB"
watch=$1 admin=$2 mon=$3 dir=$4 web=$5
for b in "$watch" "$admin" "$mon" "$dir" "$web"; do
	[ -f "$b" ] && [ -x "$b" ] || fail "$b: no such program (build it first)"
done

# The global symbols a file defines (an archive's: of all its members).
defs() { # FILE
	nm -g --defined-only "$1" | awk 'NF == 3 && $2 != "U" { print $3 }' | sort -u ||
		fail "nm $1"
}

role_defs() { # ROLE
	local v=UMLMON_LIB_$1
	[ -f "${!v:-}" ] || fail "library of role $1: '${!v:-}' (UMLMON_LIB_$1) is not there"
	defs "${!v}"
}

# The symbols of ROLE that PROGRAM defines.
shared() { # PROGRAM ROLE
	comm -12 <(defs "$1") <(role_defs "$2")
}

has_none() { # PROGRAM ROLE...
	local p=$1 role found
	shift
	for role; do
		found=$(shared "$p" "$role" | head -n 5)
		[ -z "$found" ] ||
			fail "$(basename "$p") holds code of the ${role,,} library: $(echo $found) ..."
	done
}

has_some() { # PROGRAM ROLE
	[ -n "$(shared "$1" "$2" | head -n 1)" ] ||
		fail "$(basename "$1"): no symbol of the ${2,,} library seen (stripped?)"
}

# sonames: "libvterm.so.0" for "libvterm"
needs() { # PROGRAM LIB
	ldd "$1" | awk '{ print $1 }' | grep -q "^$2\.so"
}

links_none() { # PROGRAM LIB...
	local p=$1 lib
	shift
	ldd "$p" >/dev/null || fail "ldd $p"
	for lib; do
		! needs "$p" "$lib" || fail "$(basename "$p") links $lib"
	done
}

# the checks can fail: the daemon's code and libraries are seen where
# they are
has_some "$mon" DAEMON
has_some "$mon" NET
has_some "$mon" SERVE
needs "$mon" libvterm || fail "umlmon: libvterm not seen by ldd"
needs "$mon" libnl-3 || fail "umlmon: libnl-3 not seen by ldd"
has_some "$admin" DISK
has_some "$watch" CLIENT
has_some "$dir" DIR
has_some "$dir" SERVE
has_some "$web" WEB
has_some "$web" CLIENT
needs "$web" libwebsockets || fail "umlweb: libwebsockets not seen by ldd"

has_none "$watch" DAEMON SERVE NET DISK HOST ADMIN DIR
links_none "$watch" libvterm libnl-3 libnl-route-3 libcap-ng libcrypt
has_none "$admin" DAEMON SERVE NET CLIENT WATCH DIR
links_none "$admin" libvterm libnl-3 libnl-route-3 libedit
has_none "$mon" CLIENT WATCH ADMIN DIR
links_none "$mon" libedit
has_none "$dir" DAEMON NET DISK HOST CLIENT WATCH ADMIN
links_none "$dir" libvterm libnl-3 libnl-route-3 libedit libcap-ng libcrypt
has_none "$web" DAEMON NET DISK HOST WATCH ADMIN DIR
links_none "$web" libvterm libnl-3 libnl-route-3 libedit libcap-ng libcrypt
for p in "$watch" "$admin" "$mon" "$dir"; do
	has_none "$p" WEB
	links_none "$p" libwebsockets
done
echo "links: umlwatch, umladmin, umlmon, umldir and umlweb hold only the code of their roles"
