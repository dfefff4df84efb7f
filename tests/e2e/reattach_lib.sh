# reattach_lib.sh -- the checks of a monitor that re-attaches to its
# running VM (sourced by reliability_reattach and reliability_upgrade,
# after lib.sh). The guest prints a counter on con1 every 100 ms, a
# -connect client is attached; then the monitor goes (HOW: kill -9, or
# -upgrade) and comes back: -info says it re-attached and when, the
# kernel and its start time are the same, the guest's uptime goes on, the
# log's counter has no gap, a client connects and types, and -stop then
# leaves nothing (mounts, cgroup, processes in the jail, run-state).

# Host processes whose root is the VM's jail (a kernel, a watcher).
jail_procs() { # VM
	local p j
	j=$(jail_of "$1")
	for p in /proc/[0-9]*; do
		[ "$p/root" -ef "$j" ] 2>/dev/null && echo "${p#/proc/}"
	done
	true
}

# The counter's numbers in con1's log, in order ("CNT" and digits: the
# typed command itself shows "CNT$i").
counts() { grep -ao 'CNT[0-9]\+' "$T/var/vm1/log/con1" | sed 's/^CNT//'; }
last_count() { counts | tail -n 1; }

# Until the counter in the log reaches N.
wait_count() { # N [SECONDS]
	local secs=${2:-30} c=
	for _ in $(seq 1 $((secs * 10))); do
		c=$(last_count)
		[ -n "$c" ] && [ "$c" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the counter in con1's log stays at '${c}', expected $1 within ${secs}s"
}

# The guest's uptime in whole seconds, asked on con1 (a marker computed
# in the guest, so the echo of the command does not match it).
guest_uptime() { # TAG
	printf '%s\n' "echo UP$1-\$(cut -d. -f1 /proc/uptime)-END" |
		"$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 || fail "umlwatch -connect con1"
	wait_file "$T/var/vm1/log/con1" "UP$1-" 20
	grep -ao "UP$1-[0-9]*-END" "$T/var/vm1/log/con1" | tail -n 1 | sed 's/^UP[^-]*-//; s/-END$//'
}

reattach_case() { # kill9 | upgrade
	local how=$1 log=$T/var/vm1/log/con1 mp kp wp started up1 up2 c0 c1 bad left t0 ms out cmdline boots
	mkimage vm1
	start_monitor vm1
	boot vm1
	wait_file "$log" "login:" 30
	printf 'root\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1
	wait_file "$log" "root@vm1:~# " 30
	printf '%s\n' 'i=0; while :; do echo CNT$i; i=$((i+1)); usleep 100000; done &' |
		"$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 || fail "umlwatch -connect con1"
	wait_count 10
	up1=$(guest_uptime 1)
	# a client attached while the monitor goes
	tm_new client
	tm_send client "$UMLWATCH vm1 -connect con1" Enter
	tm_wait client "connected to vm1 con1"
	mp=$(monitor_pid vm1)
	kp=$(info_field vm1 'kernel pid')
	wp=$(info_field vm1 'watcher pid')
	started=$(info_field vm1 started | sed 's/ (up.*//')
	cmdline=$(info_field vm1 cmdline)
	boots=$(info_field vm1 boot)
	[ -n "$kp" ] && [ -n "$wp" ] && [ -n "$started" ] || fail "no kernel, watcher or start in -info"
	c0=$(last_count)
	if [ "$how" = kill9 ]; then
		kill -9 "$mp"
		for _ in $(seq 100); do kill -0 "$mp" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$mp" 2>/dev/null && fail "the killed monitor (pid $mp) lives on"
		# the client sees it go; the guest writes on meanwhile, into the pty
		tm_wait client "lost|closed|ended" 20
		kill -0 "$kp" || fail "the kernel (pid $kp) died with its monitor"
		kill -0 "$wp" || fail "the watcher (pid $wp) died with its monitor"
		t0=$(date +%s%N)
		start_monitor vm1
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$(monitor_pid vm1)" != "$mp" ] || fail "the pid file still names the killed monitor"
		info_field vm1 're-attached' | grep -E >/dev/null \
			"^[0-9-]+ [0-9:]+ \(monitor restart, pid $mp\)$" ||
			fail "-info's re-attached: '$(info_field vm1 're-attached')'"
	else
		t0=$(date +%s%N)
		out=$("$UMLMON" -upgrade vm1 2>&1) || fail "umlmon -upgrade vm1: $out"
		ms=$((($(date +%s%N) - t0) / 1000000))
		log "$out"
		printf '%s\n' "$out" | grep -E >/dev/null "^vm1: upgraded: monitor pid $mp executed again, re-attached to kernel pid $kp$" ||
			fail "umlmon -upgrade said: $out"
		[ "$(monitor_pid vm1)" = "$mp" ] || fail "the pid file names $(monitor_pid vm1), not $mp"
		tm_wait client "lost|closed|ended" 20
		info_field vm1 're-attached' | grep -E >/dev/null \
			"^[0-9-]+ [0-9:]+ \(upgrade, pid $mp\)$" ||
			fail "-info's re-attached: '$(info_field vm1 're-attached')'"
	fi
	watch vm1 -info --json | grep -E >/dev/null '"re-attached": *"[0-9-]+ [0-9:]+ \(' ||
		fail "-info --json has no re-attached"
	[ "$(info_field vm1 state)" = running ] || fail "state $(info_field vm1 state) after re-attaching"
	[ "$(info_field vm1 'kernel pid')" = "$kp" ] || fail "kernel pid $(info_field vm1 'kernel pid'), was $kp"
	[ "$(info_field vm1 'watcher pid')" = "$wp" ] || fail "watcher pid changed"
	[ "$(info_field vm1 started | sed 's/ (up.*//')" = "$started" ] ||
		fail "the start time changed: $(info_field vm1 started), was $started"
	# the boot's facts from run-state
	[ "$(info_field vm1 cmdline)" = "$cmdline" ] ||
		fail "the command line is '$(info_field vm1 cmdline)', was '$cmdline'"
	[ "$(info_field vm1 boot)" = "$boots" ] || fail "boot '$(info_field vm1 boot)', was '$boots'"
	info_field vm1 'guest up' | grep -E >/dev/null '^[0-9.]+ s after the start$' ||
		fail "guest up: '$(info_field vm1 'guest up')' after re-attaching"
	wait_file "$T/var/vm1/log/monitor.log" "vm1: re-attached: the kernel answers" 20
	# the counter goes on, past what the pty held while no monitor read
	wait_count $((c0 + 30)) 30
	c1=$(last_count)
	up2=$(guest_uptime 2)
	[ "$up2" -ge "$up1" ] || fail "the guest's uptime went back: $up1 s, then $up2 s"
	# every number once, in order: no gap across the restart
	bad=$(counts | awk 'NR > 1 && $1 != prev + 1 { print "after " prev " came " $1; exit } { prev = $1 }')
	[ -z "$bad" ] || fail "the counter in con1's log has a gap: $bad"
	log "counter $c0 at the $how, $c1 after, no gap; guest uptime $up1 s then $up2 s; the new monitor served after $ms ms"
	# a client connects again and types
	tm_send client "$UMLWATCH vm1 -connect con1" Enter
	tm_wait_count client "connected to vm1 con1" 2 20
	tm_send client 'echo TYPED-$((6*7))' Enter
	tm_wait client '^TYPED-42' 20
	tm_send client C-] q
	# -stop then ends it and leaves nothing
	watch vm1 -stop >/dev/null || fail "vm1 -stop after re-attaching"
	wait_state vm1 stopped 30
	for _ in $(seq 100); do [ -z "$(jail_procs vm1)" ] && break; sleep 0.1; done
	left="$(jail_mounts vm1)$(jail_procs vm1)"
	for d in $(cg_parents); do [ -d "$d/vm1" ] && left="$left $d/vm1"; done
	[ -e "$T/var/vm1/run-state" ] && left="$left run-state"
	[ -z "$left" ] || fail "left after the stop: $left"
	# and the monitor boots it again
	boot vm1
	watch vm1 -halt >/dev/null
}
