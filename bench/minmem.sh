#!/bin/bash
# The minimum memory (issue 13): boots the default image through umlmon at
# each memory given, RUNS times, logs in on con1, runs a few commands, and
# prints one line a boot: the outcome (ok; crashed, with the kernel's
# reason; login but no answer within 60 s), the exec-shield gap the kernel
# added to its memory (the host's randomized heap start), the time to the
# login prompt and the load. Memory below today's minimum is refused by
# the configuration: measure it with a build whose UMLMON_MIN_MEMORY
# (src/common/config.h) is lowered, as UMLMON_BUILD=DIR.
# Needs root and a build. Usage: bench/minmem.sh RUNS MEMORY...
set -uo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:?usage: bench/minmem.sh RUNS MEMORY...}
shift

bench_host minmem
w() { "$B/umlwatch" "$@"; }
field() { w "$1" -info | sed -n "s/^$2  *//p"; }
# from its offset: what a log got since
since() { tail -c +$(($2 + 1)) "$1" 2>/dev/null | tr -d '\r'; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

for mem in "$@"; do
	vm=m${mem,,}
	bench_vm "$vm" "memory = $mem" "vmuser_shared = yes"
	"$B/umladmin" mkimage "$vm" >/dev/null || { echo "$mem: mkimage failed"; continue; }
	if ! out=$("$B/umlmon" "$vm" 2>&1); then
		echo "mem=$mem refused: $out"
		continue
	fi
	BENCH_MONITORS+=("$(cat "$T/run/$vm.pid")")
	log=$T/var/$vm/log
	for r in $(seq 1 "$runs"); do
		o1=$(size "$log/con1") o0=$(size "$log/con0") om=$(size "$log/monitor.log")
		t0=$(date +%s%N) ms=
		w "$vm" -start >/dev/null 2>&1
		res=timeout
		for _ in $(seq 1 900); do
			if since "$log/con1" "$o1" | grep -a 'login:' >/dev/null; then res=login; break; fi
			case $(field "$vm" state) in crashed | stopped) res=crashed; break ;; esac
			sleep 0.1
		done
		if [ $res = login ]; then
			ms=$((($(date +%s%N) - t0) / 1000000))
			printf 'root\n' | w "$vm" -connect con1 >/dev/null 2>&1
			tok=$RANDOM
			printf '%s\n' "ls / >/dev/null; free; dd if=/dev/zero of=/tmp/z bs=1k count=2048 2>/dev/null; rm /tmp/z; echo DONE=\$(($tok + 1))" |
				w "$vm" -connect con1 >/dev/null 2>&1
			res=no-answer
			for _ in $(seq 1 600); do
				if since "$log/con1" "$o1" | grep -a "^DONE=$((tok + 1))" >/dev/null; then res=ok; break; fi
				case $(field "$vm" state) in crashed | stopped) res=crashed-after-login; break ;; esac
				sleep 0.1
			done
		fi
		gap=$(since "$log/con0" "$o0" | sed -n 's/^Adding \([0-9]*\) bytes to physical memory.*/\1/p' | tail -n 1)
		why=$( { since "$log/monitor.log" "$om" | grep -a -o 'kernel panic: .*'; since "$log/con0" "$o0" | grep -a 'Too few'; } | head -n 1)
		echo "mem=$mem run=$r result=$res gap=$((${gap:-0} >> 20))M login_ms=$ms load=$(cut -d' ' -f1 /proc/loadavg) ${why}"
		w "$vm" -halt >/dev/null 2>&1
		for _ in $(seq 1 600); do
			case $(field "$vm" state) in crashed | stopped) [ -z "$(field "$vm" 'kernel pid')" ] && break ;; esac
			sleep 0.1
		done
	done
done
