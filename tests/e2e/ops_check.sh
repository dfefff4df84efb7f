#!/bin/bash
# umladmin check, the host's prerequisites, in a network namespace of the
# test's own (its ports are the test's alone):
# - a good host: an ok row for every host check (state and shared dirs,
#   tmpfs, /dev/net/tun, ptrace, cgroups, memory, both ports) and for
#   vm1's kernel, disk and memory; exit 0;
# - --json parses and holds the same rows, field by field;
# - each of a missing kernel, a kernel that is no ELF, a state dir on a
#   noexec tmpfs, a tap NIC without /dev/net/tun (hidden in a mount
#   namespace) and umldir's port held by another program gives a FAIL row
#   naming the object and the cause, and exit 1 (no /dev/net/tun and no
#   tap: a warning, exit 0);
# - the port held by umldir itself is ok.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || need "python3"
UMLDIR=$B/src/umldir
[ -x "$UMLDIR" ] || need "$UMLDIR (build first)"
setup
# the ports: in the namespace below, so any will do
sed -i 's|^rundir = .*|&\numldir_port = 7391\numlredir_port = 7392|' "$CONF"
mkimage vm1
netns_new chk
cp "$CONF" "$T/good.conf"

# check CONF [ARGS]: out gets what it printed, rc its exit status
check() {
	local conf=$1
	shift
	rc=0
	out=$(in_ns "$NS" "$UMLADMIN" -c "$conf" check "$@" 2>&1) || rc=$?
	log "check -c $conf $*: exit $rc"
	printf '%s\n' "$out" | sed 's/^/  | /' >&2
}
has() { # REGEX: a line of out
	printf '%s\n' "$out" | grep -E >/dev/null -- "$1" || fail "check did not say /$1/"
}

# ---- a good host ----
check "$T/good.conf"
[ $rc = 0 ] || fail "check of a good host: exit $rc"
has "^CHECK +VM +VERDICT +REASON$"
has "^config +- +ok +$T/good.conf: 1 VM, no errors$"
has "^statedir +- +ok +state dir $T/var: a directory of root's, mode 0755$"
has "^shareddir +- +ok +shared dir $T/shared: a directory of root's, mode 0755$"
has "^tmpfs +- +ok +tmpfs available for the jails' /tmp; state dir $T/var allows exec$"
has "^tun +- +ok +/dev/net/tun: opens \(no VM has a tap NIC\)$"
# as vm1's uid, or the range's first before vm1 has one
u=$(awk '$1 == "vm1" { print $2 }' "$T/var/uids" 2>/dev/null)
has "^ptrace +- +ok +ptrace: uid ${u:-$UID_FIRST} traces its child \((no Yama|Yama ptrace_scope [0-9])\)$"
has "^cgroups +- +(ok|warn) +cgroups: "
has "^memory +- +ok +memory: 1 stopped VM that may start \(boot, manual\): 64 MiB; the host has [0-9.]+ [MG]iB available$"
has "^port +- +ok +port 7391 \(umldir\): free$"
has "^port +- +ok +port 7392 \(umlredir\): free$"
has "^kernel +vm1 +ok +kernel /shared/kernels/linux: an executable ELF; its loader [^ ]+ and [0-9]+ librar(y|ies) found \($T/shared/kernels/linux\)$"
has "^disk +vm1 +ok +ubd0: /disks/root.dsk: there, no other kernel holds it$"
has "^memory +vm1 +ok +memory 64 MiB "
has "^umladmin: $T/good.conf: 1 VM, nothing failed(, 1 warning)?$"
printf '%s\n' "$out" | grep -E '^[a-z]+ +[^ ]+ +FAIL ' && fail "a FAIL on a good host"

# ---- the JSON: the same rows, the same fields ----
text=$out
check "$T/good.conf" --json
[ $rc = 0 ] || fail "check --json of a good host: exit $rc"
printf '%s\n' "$out" >"$T/check.json"
printf '%s\n' "$text" >"$T/check.txt"
python3 - "$T/check.json" "$T/check.txt" <<'EOF' || fail "check --json differs from the table"
import json, re, sys
# what the host has available (MemAvailable) moves between the two runs
def steady(v):
    return re.sub(r"the host has [0-9.]+ [KMG]iB available", "the host has N available", v) if v else v
rows = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
head, body = lines[0], lines[1:-1]
starts = [head.index(h) for h in ("CHECK", "VM", "VERDICT", "REASON")]
keys = ["check", "vm", "verdict", "reason"]
assert len(rows) == len(body), (len(rows), len(body))
for r, line in zip(rows, body):
    assert sorted(r) == sorted(keys), r
    cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
    want = [None if (k == "vm" and c == "-") else c for k, c in zip(keys, cells)]
    assert [steady(r[k]) for k in keys] == [steady(w) for w in want], (r, want)
    assert r["verdict"] in ("ok", "warn", "FAIL"), r
EOF

# ---- a missing kernel ----
sed 's|^\[vm1\]$|&\nkernel = /shared/kernels/missing|' "$T/good.conf" >"$T/nokernel.conf"
check "$T/nokernel.conf"
[ $rc = 1 ] || fail "check with a missing kernel: exit $rc"
has "^kernel +vm1 +FAIL +kernel /shared/kernels/missing: not found \($T/shared/kernels/missing\); install one with 'umladmin setup'$"
has "^umladmin: $T/nokernel.conf: 1 VM, 1 FAIL"
# an executable that is no ELF: the loader and libraries cannot be found
printf '#!/bin/sh\nexit 0\n' >"$T/shared/kernels/script"
chmod 0755 "$T/shared/kernels/script"
sed 's|^\[vm1\]$|&\nkernel = /shared/kernels/script|' "$T/good.conf" >"$T/script.conf"
check "$T/script.conf"
[ $rc = 1 ] || fail "check with a kernel that is no ELF: exit $rc"
has "^kernel +vm1 +FAIL +kernel /shared/kernels/script \($T/shared/kernels/script\): .*not an ELF file$"

# ---- a state dir on a noexec tmpfs ----
mkdir "$T/noexec"
mount -t tmpfs -o noexec,mode=0755 umlmon-check "$T/noexec" || fail "mount a noexec tmpfs"
mkdir -m 0755 "$T/noexec/var"
sed "s|^vardir = .*|vardir = $T/noexec/var|" "$T/good.conf" >"$T/noexec.conf"
check "$T/noexec.conf"
[ $rc = 1 ] || fail "check with a noexec state dir: exit $rc"
has "^tmpfs +- +FAIL +state dir $T/noexec/var: on a noexec mount; the kernel's loader and libraries in the jails cannot run$"
umount "$T/noexec" || fail "umount $T/noexec"

# ---- no /dev/net/tun (hidden in a mount namespace of its own) ----
# a VM with a tap needs it: FAIL; without one it is a warning
sed "s|^\\[vm1\\]\$|&\\neth0 = host_to_host(proxy_if=umlc$$, proxy_addr=192.0.2.1, guest_addr=192.0.2.2)|" \
	"$T/good.conf" >"$T/tap.conf"
notun() { # CONF: check without /dev/net/tun
	rc=0
	out=$(in_ns "$NS" unshare -m --propagation private sh -c \
		'mount -t tmpfs umlmon-check /dev/net && exec "$0" -c "$1" check' \
		"$UMLADMIN" "$1" 2>&1) || rc=$?
	log "check -c $1 without /dev/net/tun: exit $rc"
	printf '%s\n' "$out" | sed 's/^/  | /' >&2
}
notun "$T/tap.conf"
[ $rc = 1 ] || fail "check of a tap NIC without /dev/net/tun: exit $rc"
has "^tun +- +FAIL +/dev/net/tun: No such file or directory; the VMs' tap NICs cannot be made$"
has "^nic +vm1 +ok +eth0: proxy_if umlc$$ free$"
notun "$T/good.conf"
[ $rc = 0 ] || fail "check without a tap NIC nor /dev/net/tun: exit $rc"
has "^tun +- +warn +/dev/net/tun: No such file or directory \(no VM has a tap NIC yet\)$"
[ -c /dev/net/tun ] || fail "the test's mount namespace hid /dev/net/tun from the host"

# ---- umldir's port held by another program ----
ip netns exec "$NS" python3 -c '
import signal, socket
s = socket.socket()
s.bind(("0.0.0.0", 7391))
s.listen()
print("listening", flush=True)
signal.pause()' >"$T/listener.out" 2>&1 &
lpid=$!
PIDS_TO_KILL+=("$lpid")
wait_file "$T/listener.out" listening 30 || fail "the listener did not start: $(cat "$T/listener.out")"
check "$T/good.conf"
[ $rc = 1 ] || fail "check with umldir's port busy: exit $rc"
has "^port +- +FAIL +port 7391 \(umldir\): in use by pid $lpid \(python3\); umldir cannot listen there$"
has "^port +- +ok +port 7392 \(umlredir\): free$"
kill -TERM "$lpid"
wait "$lpid" 2>/dev/null

# ---- held by umldir itself ----
# it returns once it listens, its pid file written
in_ns "$NS" "$UMLDIR" -c "$T/good.conf" || fail "umldir did not start"
dpid=$(cat "$T/run/umldir.pid")
[ -n "$dpid" ] || fail "umldir wrote no pid file"
PIDS_TO_KILL+=("$dpid")
check "$T/good.conf"
[ $rc = 0 ] || fail "check with umldir running: exit $rc"
has "^port +- +ok +port 7391 \(umldir\): held by umldir \(pid $dpid\)$"
has "^port +- +ok +port 7392 \(umlredir\): held by umldir \(pid $dpid\)$"
stop_pid "$dpid" umldir 10
log "PASS"
