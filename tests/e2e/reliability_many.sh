#!/bin/bash
# Many VMs (issue 13): ten VMs of 32M started together by umladmin start
# --all, twice: all at once (-j 0), then three at a time (-j 3). Each time
# every guest is up (umladmin start waits for its ready notice or login
# prompt, and says so), at most N are between their first line and their
# "up" line, each logs in on con1 and answers a command, umladmin stop
# --all stops them all, and nothing is left of the boots: no mount under a
# jail, no VM cgroup, no process of a VM's user.
. "$(dirname "$0")/lib.sh"

N=10
setup
sed -i -e 's/^memory = 64M/memory = 32M/' -e '/^\[GLOBAL\]/a start_concurrency = 2' "$CONF"
VMS=(vm1)
for i in $(seq 2 $N); do
	add_vm "vm$i" 'memory = 32M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 20'
	VMS+=("vm$i")
done
for v in "${VMS[@]}"; do mkimage "$v"; done
out=$("$UMLADMIN" config vm1) || fail "config vm1: $out"
printf '%s\n' "$out" | grep -E >/dev/null '^start_concurrency +2 +GLOBAL$' ||
	fail "config: no start_concurrency 2 from [GLOBAL] in: $out"
expect_fail "start: -j needs the number of VMs booting at once \(0 to 4096, 0: all\), not 'x'" \
	"$UMLADMIN" start --all -j x

# the VMs whose lines came before their "up" line (or their failure), at
# each line, at most
max_booting() { # OUTPUT
	printf '%s\n' "$1" | awk -F: '/^vm[0-9]+: / {
		if (!($1 in seen)) { seen[$1] = 1; open++ }
		if ($2 ~ /^ up /) open--
		if (open > max) max = open
	}
	/^umladmin: start: vm[0-9]+: / {
		v = $3; sub(/^ /, "", v)
		if (v in seen) open--; else seen[v] = 1
	}
	END { print max + 0 }'
}

# every guest logs in on con1 and answers a command of its own
all_answer() { # ROUND
	local v tok=$RANDOM
	declare -A off
	for v in "${VMS[@]}"; do
		off[$v]=$(stat -c %s "$T/var/$v/log/con1")
		printf 'root\n' | watch "$v" -connect con1 >/dev/null 2>&1 || fail "$v: -connect con1"
	done
	for v in "${VMS[@]}"; do
		printf '%s\n' "echo MANY=\$(($tok + ${v#vm}))" |
			watch "$v" -connect con1 >/dev/null 2>&1 || fail "$v: -connect con1"
	done
	for v in "${VMS[@]}"; do
		for _ in $(seq 1 600); do
			tail -c +$((off[$v] + 1)) "$T/var/$v/log/con1" | tr -d '\r' |
				grep -a "^MANY=$((tok + ${v#vm}))$" >/dev/null && continue 2
			sleep 0.1
		done
		fail "round $1: $v did not answer within 60 s"
	done
	log "round $1: all $N guests answered"
}

# nothing of a boot is left once its kernel ended
nothing_left() { # ROUND
	local v d c u
	for v in "${VMS[@]}"; do
		[ -z "$(jail_mounts "$v")" ] || fail "round $1: $v: mounts left: $(jail_mounts "$v")"
		u=$(vm_uid "$v")
		[ -z "$(pgrep -u "$u")" ] || fail "round $1: $v: processes of uid $u left: $(pgrep -a -u "$u")"
	done
	for d in $(cg_parents); do
		for c in "$d"/*/; do
			[ -d "$c" ] && fail "round $1: a VM cgroup is left: $c"
		done
	done
	log "round $1: no mount, process or cgroup left"
}

round=0
for j in 0 3; do
	round=$((round + 1))
	t0=$(date +%s%N)
	out=$("$UMLADMIN" start --all -j $j 2>&1) || fail "round $round: start --all -j $j: $out"
	secs=$((($(date +%s%N) - t0) / 1000000))
	log "round $round: start --all -j $j took $secs ms and said:"
	printf '%s\n' "$out" | sed 's/^/  | /' >&2
	for v in "${VMS[@]}"; do
		[ $round = 1 ] && PIDS_TO_KILL+=("$(monitor_pid "$v")")
		remember_vm_pids "$v"
		printf '%s\n' "$out" | grep -E >/dev/null "^$v: up [0-9.]+ s after the start.* \[[0-9.]+ s\]$" ||
			fail "round $round: no 'up' line of $v"
		[ "$(info_field "$v" state)" = running ] || fail "round $round: $v is $(info_field "$v" state)"
	done
	m=$(max_booting "$out")
	log "round $round: at most $m VMs booting at once"
	if [ $j = 0 ]; then
		[ "$m" -gt 3 ] || fail "round $round: -j 0 booted only $m at once"
	else
		[ "$m" -le $j ] || fail "round $round: -j $j booted $m at once"
	fi
	all_answer $round
	out=$("$UMLADMIN" stop --all 2>&1) || fail "round $round: stop --all: $out"
	for v in "${VMS[@]}"; do
		printf '%s\n' "$out" | grep -E >/dev/null "^$v: .*\[[0-9.]+ s\]$" ||
			fail "round $round: stop --all said nothing of $v: $out"
		wait_info "$v" state '^stopped$' 60
		wait_info "$v" 'kernel pid' '^$' 60
	done
	nothing_left $round
done
log "PASS"
