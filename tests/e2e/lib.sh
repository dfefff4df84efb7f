# lib.sh -- shared helpers of the end-to-end tests (sourced by bash).
#
# Each test gets its own directory, configuration, state dir and shared dir
# under /tmp, boots the real UML kernel through the real umlmon, and removes
# everything it made on exit, also when it fails: the monitor and kernel it
# started (by pid), mounts under its directory, its tmux sessions.

set -u
# pipefail: a failing producer fails its pipeline; so checks write
# "cmd | grep PATTERN >/dev/null", never "grep -q", which may exit before
# the producer has written all and fail it with SIGPIPE
set -o pipefail

B=${UMLMON_BUILD:?UMLMON_BUILD is not set (run through meson test)}
S=${UMLMON_SRC:?}
UMLMON=$B/src/umlmon
UMLWATCH=$B/src/umlwatch
UMLADMIN=$B/src/umladmin

TNAME=$(basename "$0" .sh)
T=
CONF=
PIDS_TO_KILL=()
VM_PIDS=()
TMUX_SESSIONS=()
NETNS=()       # network namespaces this test made (deleted at the end)
MON_NETNS=     # the namespace monitors start in (see start_monitor)
CG_PARENT=     # this test's cgroup_parent (tests run in parallel)

log() { printf '[%s] %s\n' "$TNAME" "$*" >&2; }
fail() {
	log "FAIL: $*"
	exit 1
}

# A test that cannot run: loud failure in CI; a skip (77) only where the
# developer said so.
need() {
	log "missing: $*"
	if [ "${UMLMON_ALLOW_SKIP:-0}" = 1 ]; then exit 77; fi
	exit 1
}

check_prereqs() {
	[ "$(id -u)" = 0 ] || need "root (the monitor mounts and drops privileges)"
	[ -x /usr/bin/linux ] || need "/usr/bin/linux (Debian package user-mode-linux)"
	command -v tmux >/dev/null || need "tmux"
	[ -x /bin/busybox ] || need "/bin/busybox (busybox-static)"
	command -v mke2fs >/dev/null || need "mke2fs (e2fsprogs)"
	[ -x "$UMLMON" ] || need "$UMLMON (build first)"
}

cleanup() {
	local rc=$?
	set +e
	for s in "${TMUX_SESSIONS[@]}"; do
		tmux kill-session -t "=$s" 2>/dev/null
	done
	# monitors first: they stop their VMs and unmount; also those that
	# umladmin or an init script started for the test (their pid files in
	# our rundir, the process still one of ours: its config is ours)
	if [ -n "$T" ] && [ -d "$T/run" ]; then
		for f in "$T"/run/*.pid; do
			[ -f "$f" ] || continue
			p=$(cat "$f" 2>/dev/null)
			case $p in '' | *[!0-9]*) continue ;; esac
			tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$T/" &&
				PIDS_TO_KILL+=("$p")
		done
	fi
	for p in "${PIDS_TO_KILL[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS_TO_KILL[@]}"; do
		for _ in $(seq 1 100); do
			pid_gone "$p" && break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		# kernels and watchers that outlived their monitor
		for p in "${VM_PIDS[@]}"; do
			case $(cat "/proc/$p/comm" 2>/dev/null) in
			linux | umljail) kill -KILL "$p" 2>/dev/null ;;
			esac
		done
		findmnt -rn -o TARGET | grep "^$T/" | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null
		done
		# switches started for this test's VMs
		for f in "$T"/shared/switches/*/pid; do
			[ -f "$f" ] || continue
			p=$(cat "$f")
			grep -qa uml_switch "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p"
		done
		if [ $rc -ne 0 ] && [ "${UMLMON_KEEP:-0}" = 1 ]; then
			log "kept $T for inspection"
		else
			if [ $rc -ne 0 ]; then
				for f in "$T"/var/*/log/*; do
					[ -f "$f" ] || continue
					# without the kernel's stack dumps, which hide the cause
					log "---- $f (last 40 lines, stack traces left out)"
					sed 's/\r//g' "$f" | grep -v '^ *\[<[0-9a-f]*>\]' | tail -n 40 >&2
				done
			fi
			rm -rf "$T"
		fi
	fi
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	cg_cleanup
	exit $rc
}

# The VMs' own uids (vmuser = auto): 16 of the default range for each
# test, by its pid, so that tests that run at once (each with its own
# VARDIR/uids) do not hand out one uid twice.
UID_FIRST=$((458752 + ($$ % 4000) * 16))
UID_LAST=$((UID_FIRST + 15))
# This test's cgroup parents in every hierarchy (cgroup_parent is
# per test: the VMs of tests running at once have the same names).
cg_parents() {
	[ -n "$CG_PARENT" ] || return 0
	local d
	for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/"$CG_PARENT"; do
		[ -d "$d" ] && printf '%s\n' "$d"
	done
	true
}

# The memory controller's directory of a VM's cgroup, as -info shows it.
cg_of() { # VM
	watch "$1" -info | sed -n 's/^cgroup  *\(\/[^ ]*\) .*/\1/p'
}

# Asserts that the guest logged in on a tmux session still runs commands.
guest_answers() { # NAME VM
	local tok=$RANDOM
	tm_send "$1" "echo ANSWER=\$(($tok + 1))" Enter
	tm_wait "$1" "^ANSWER=$((tok + 1))" 30
	log "$2 answers"
}

# Removes what the monitors left of this test's cgroups (only processes
# in them are killed).
cg_cleanup() {
	local d c p
	for d in $(cg_parents); do
		for c in "$d"/*/; do
			[ -d "$c" ] || continue
			for _ in $(seq 1 50); do
				for p in $(cat "$c/cgroup.procs" 2>/dev/null); do
					kill -KILL "$p" 2>/dev/null
				done
				rmdir "$c" 2>/dev/null && break
				sleep 0.1
			done
		done
		rmdir "$d" 2>/dev/null || log "cannot remove the cgroup $d"
	done
}

# Creates the test dir, a configuration with VM vm1 (plus the lines given
# as arguments) and the shared dir. Every VM runs as a user of its own.
setup() {
	check_prereqs
	T=$(mktemp -d /tmp/umlmon-e2e.XXXXXX)
	chmod 755 "$T"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	CONF=$T/umlmon.conf
	CG_PARENT=umlmon-e2e-${T##*.}
	cat >"$CONF" <<EOF
[GLOBAL]
vardir = $T/var
shared = $T/shared
rundir = $T/run
vm_uid_range = $UID_FIRST-$UID_LAST
cgroup_parent = $CG_PARENT

[vm1]
memory = 64M
ubd0 = /disks/root.dsk
stop_timeout = 20
EOF
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$CONF"
	export UMLMON_CONFIG=$CONF
	"$UMLADMIN" setup >/dev/null || fail "umladmin setup"
}

# Adds a VM section to the configuration: add_vm NAME [extra lines...]
add_vm() {
	local name=$1
	shift
	{
		printf '\n[%s]\n' "$name"
		printf '%s\n' "$@"
	} >>"$CONF"
}

mkimage() { # VM
	"$UMLADMIN" mkimage "$1" >/dev/null || fail "umladmin mkimage $1"
}

monitor_pid() { cat "$T/run/$1.pid" 2>/dev/null; }

# The uid of a VM of its own user (VARDIR/uids; given by its first start
# or mkimage), or fail.
vm_uid() { # VM
	local u
	u=$(awk -v vm="$1" '$1 == vm { print $2 }' "$T/var/uids" 2>/dev/null)
	[ -n "$u" ] || fail "$1: no uid in $T/var/uids"
	echo "$u"
}

# Builds the default image of each VM, starts their monitors, then boots
# them (each waits for its guest's ready notice).
vms_up() { # VM...
	local v
	for v; do mkimage "$v"; done
	for v; do start_monitor "$v"; done
	for v; do boot "$v"; done
}

# Starts the monitor of a VM (it daemonizes once its socket is ready).
# Runs a command in a network namespace as "ip netns exec" does, with the
# host's cgroup hierarchies mounted again: ip netns exec mounts a fresh
# /sys (for the namespace's /sys/class/net) without them, and a monitor
# needs them for its VM's cgroup (the same hierarchies, so the same cgroups).
in_ns_cg() { # NS CMD...
	local ns=$1 mounts
	shift
	mounts=$(awk '{ for (i = 7; $i != "-"; i++); t = $(i + 1); o = $(i + 3)
		sub(/^r[ow],?/, "", o)
		if (t == "cgroup2") print "cgroup2", $5, "-"
		else if (t == "cgroup" && o !~ /name=/) print "cgroup", $5, o
		}' /proc/self/mountinfo)
	ip netns exec "$ns" sh -c '
		m=$1; shift
		mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup || exit 1
		printf "%s\n" "$m" | while read -r t dir opts; do
			[ -n "$t" ] || continue
			mkdir -p "$dir" || exit 1
			if [ "$t" = cgroup2 ]; then mount -t cgroup2 none "$dir" || exit 1
			else mount -t cgroup -o "$opts" cgroup "$dir" || exit 1; fi
		done || exit 1
		exec "$@"' sh "$mounts" "$@"
}

start_monitor() { # VM
	if [ -n "$MON_NETNS" ]; then
		in_ns_cg "$MON_NETNS" "$UMLMON" "$1" || fail "umlmon $1 did not start in $MON_NETNS"
	else
		"$UMLMON" "$1" || fail "umlmon $1 did not start"
	fi
	local p
	p=$(monitor_pid "$1")
	[ -n "$p" ] || fail "no pid file for $1"
	PIDS_TO_KILL+=("$p")
}

# The TCP port a started monitor logged it listens on at ADDRESS (" (TLS)"
# after it when SUFFIX says so); waits for the line.
tcp_port_of() { # VM ADDRESS [SUFFIX]
	local log=$T/var/$1/log/monitor.log port
	wait_file "$log" "$1: tcp: listening on $2 port " 10
	port=$(grep -F "$1: tcp: listening on $2 port " "$log" | tail -n 1 |
		sed -n "s/.* port \([0-9]*\)${3:-}\$/\1/p")
	[ -n "$port" ] || fail "$1: no port${3:-} in: $(grep -F "$1: tcp:" "$log")"
	echo "$port"
}

# A network namespace for this test, deleted at its end; sets NS to its
# name.
netns_new() { # SUFFIX
	NS=umlmon-$$-$1
	ip netns add "$NS" || fail "ip netns add $NS"
	NETNS+=("$NS")
	ip -n "$NS" link set lo up
}

in_ns() { ip netns exec "$@"; }

# A host and a LAN behind its interface "uplink" (lanif on the LAN side),
# namespaces of this test: H and L get their names.
host_and_lan() { # HOST_ADDR/LEN LAN_ADDR/LEN
	netns_new host
	H=$NS
	netns_new lan
	L=$NS
	ip link add uplink netns "$H" type veth peer name lanif netns "$L" || fail "veth"
	ip -n "$H" addr add "$1" dev uplink
	ip -n "$H" link set uplink up
	ip -n "$L" addr add "$2" dev lanif
	ip -n "$L" link set lanif up
}

# SIGTERM to a daemon, then until it exited.
# A process that has exited: gone, or a zombie (a daemon's parent is init,
# which on some hosts reaps a second or more late).
pid_gone() { # PID
	local st
	kill -0 "$1" 2>/dev/null || return 0
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "${st%% *}" = Z ]
}

# Holds the disk registry's lock of IMAGE as another monitor would (flock
# on SHARED/locks/MAJ:MIN:INO, TEXT in the file, as a monitor on another
# node writes it); LOCK_HOLDER is the holder's pid (cleanup ends it).
hold_disk_lock() { # IMAGE TEXT
	local lock
	lock=$T/shared/locks/$(stat -c '%Hd:%Ld:%i' "$1")
	mkdir -p "$T/shared/locks"
	printf '%s\n' "$2" >"$lock"
	# (the holder is the sleep itself, and writes nowhere meson waits on)
	(exec 9<>"$lock" && flock -x 9 && exec sleep 600) >/dev/null 2>&1 &
	LOCK_HOLDER=$!
	PIDS_TO_KILL+=("$LOCK_HOLDER")
	for _ in $(seq 1 100); do flock -n -s "$lock" true || break; sleep 0.1; done
	! flock -n -s "$lock" true || fail "the test's lock on $lock is not held"
}

stop_pid() { # PID WHAT [SECONDS]
	kill -TERM "$1"
	for _ in $(seq 1 $((${3:-30} * 10))); do
		pid_gone "$1" && return 0
		sleep 0.1
	done
	fail "$2 (pid $1) did not exit"
}

stop_monitor() { # VM
	local p
	p=$(monitor_pid "$1")
	[ -n "$p" ] || fail "no monitor pid for $1"
	stop_pid "$p" "monitor of $1"
}

watch() { "$UMLWATCH" "$@"; }

# The value of a field of -info: info_field VM FIELD
info_field() {
	watch "$1" -info | sed -n "s/^$2  *//p"
}

# Remembers the kernel and watcher pids of a VM for the cleanup.
remember_vm_pids() { # VM
	local k w
	k=$(info_field "$1" 'kernel pid')
	w=$(info_field "$1" 'watcher pid')
	[ -n "$k" ] && VM_PIDS+=("$k")
	[ -n "$w" ] && VM_PIDS+=("$w")
	true
}

# Starts a VM and waits until it runs.
boot() { # VM
	local out n
	# wait for one more boot that reached the guest's init than now
	n=$(init_count "$1")
	out=$(watch "$1" -start 2>&1) || fail "$1 -start: $out"
	log "$out"
	remember_vm_pids "$1"
	wait_state "$1" running 60
	wait_inits "$1" $((n + 1))
}

init_count() { # VM: how many boots of VM ran the guest's rcS to its end
	# (the default image tells the monitor through /proc/mconsole; the
	# monitor's log rotates at log_max, 1M by default: far more than a
	# test writes)
	local c
	c=$(cat "$T/var/$1/log/monitor.log".* "$T/var/$1/log/monitor.log" 2>/dev/null |
		grep -c "$1: guest notification: umlmon-guest: ready")
	echo "${c:-0}"
}

wait_inits() { # VM N [SECONDS]: until N boots of VM reached init
	local secs=${3:-60}
	for _ in $(seq 1 $((secs * 10))); do
		[ "$(init_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: boot number $2 did not reach init within ${secs}s"
}

wait_file() { # FILE TEXT [SECONDS]: until FILE contains TEXT
	local secs=${3:-30}
	for _ in $(seq 1 $((secs * 10))); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no '$2' in $1 within ${secs}s"
}

wait_state() { # VM STATE [SECONDS]
	local want=$2 secs=${3:-60} st=
	for _ in $(seq 1 $((secs * 10))); do
		st=$(info_field "$1" state)
		[ "$st" = "$want" ] && return 0
		sleep 0.1
	done
	fail "$1: state '$st', expected '$want' within ${secs}s"
}

# Until a field of -info matches (e.g. a last exit that is final: the state
# can be crashed before the kernel is reaped).
wait_info() { # VM FIELD REGEX [SECONDS]
	local secs=${4:-60} v=
	for _ in $(seq 1 $((secs * 10))); do
		v=$(info_field "$1" "$2")
		printf '%s\n' "$v" | grep -E >/dev/null -- "$3" && return 0
		sleep 0.1
	done
	fail "$1: -info's $2 '$v' did not match /$3/ within ${secs}s"
}

jail_of() { echo "$T/var/$1/jail"; }

# Mount points under the VM's jail right now.
jail_mounts() { findmnt -rn -o TARGET | grep "^$(jail_of "$1")" || true; }

# ---- tmux: a real terminal for interactive clients ----
# Sessions get unique names (tmux also matches targets by prefix).
tm_id() { echo "umlmon-$$-$1"; }
tm_new() { # NAME: a shell in a 100x30 terminal
	local id
	id=$(tm_id "$1")
	tmux new-session -d -s "$id" -x 100 -y 30 "bash --norc --noprofile" ||
		fail "tmux new-session $id"
	TMUX_SESSIONS+=("$id")
	tmux send-keys -t "=$id:" "export PS1='host\$ ' UMLMON_CONFIG=$CONF" Enter
	tm_wait "$1" 'host\$ ' 10
}
tm_send() { tmux send-keys -t "=$(tm_id "$1"):" "${@:2}"; }
tm_capture() { tmux capture-pane -p -J -t "=$(tm_id "$1"):" -S -200; }
tm_resize() { tmux resize-window -t "=$(tm_id "$1"):" -x "$2" -y "$3"; }
# Attaches the terminal NAME to con1 of VM and logs in as root (the
# default image has no root password).
tm_login() { # NAME VM
	tm_send "$1" "$UMLWATCH $2 -connect con1" Enter
	tm_wait "$1" "connected to $2 con1"
	# a prompt printed before we attached is replayed, but its getty may
	# be restarting (and would drop what we type): Enter, then the name
	# only at a prompt printed after it
	# (a shell prompt of an earlier session on the same screen counts too)
	local n p
	n=$(tm_capture "$1" | grep -c 'login:')
	tm_send "$1" Enter
	tm_wait_count "$1" 'login:' $((n + 1)) 30
	p=$(tm_capture "$1" | grep -c '# $')
	tm_send "$1" root Enter
	tm_wait_count "$1" '# $' $((p + 1)) 20
}

# After tm_login: until the guest's shell answers. A prompt replayed
# from the boot before can pass tm_login's wait while login has not yet
# started the shell, which may drop what is typed then: ask again until
# an answer comes.
tm_shell() { # NAME
	local i
	for i in $(seq 1 30); do
		tm_send "$1" "echo SHELL-UP-\$(($i * 1000 + 7))" Enter
		for _ in $(seq 1 20); do
			tm_capture "$1" | grep -qx "SHELL-UP-$((i * 1000 + 7))" && return 0
			sleep 0.1
		done
	done
	fail "$1: the guest's shell does not answer"
}

tm_wait() { # NAME REGEX [SECONDS]
	local secs=${3:-30}
	for _ in $(seq 1 $((secs * 10))); do
		tm_capture "$1" | grep -E >/dev/null -- "$2" && return 0
		sleep 0.1
	done
	log "screen of $1:"
	tm_capture "$1" | sed 's/^/  | /' >&2
	fail "$1: no '$2' on the screen within ${secs}s"
}

tm_wait_count() { # NAME REGEX N [SECONDS]: until N lines match
	local secs=${4:-30}
	for _ in $(seq 1 $((secs * 10))); do
		[ "$(tm_capture "$1" | grep -cE -- "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	log "screen of $1:"
	tm_capture "$1" | sed 's/^/  | /' >&2
	fail "$1: fewer than $3 lines with '$2' on the screen within ${secs}s"
}

# Asserts that a command fails with a message matching a regex:
# expect_fail REGEX CMD...
expect_fail() {
	local re=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ $rc -ne 0 ] || fail "'$*' succeeded; expected failure matching /$re/ (output: $out)"
	printf '%s\n' "$out" | grep -E >/dev/null -- "$re" ||
		fail "'$*' said '$out'; expected /$re/"
	log "refused as expected: $(printf '%s' "$out" | head -n 1)"
}
