#!/bin/bash
# Time from start to the login prompt on con1 of the default image: the
# bare kernel run by hand (/usr/bin/linux on a copy of the image, con0,
# con1 and ssl0 on ptys, no address randomization, no umlmon), the same
# with the monitor's boot switches, and "umlwatch VM -start" with them
# (fastboot = yes, the default) and without (fastboot = no). The four take
# turns (boottime.py), so that the host's load falls on all alike. Needs
# root, uml_mconsole (uml-utilities), python3, a build in ../build.
# Usage: bench/boottime.sh [RUNS]   (MEM=64M by default; JSON=FILE keeps
# every time)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-20}
mem=${MEM:-64M}

bench_host boottime
# uids of its own: the e2e tests that run meanwhile take theirs from
# 458752 on (tests/e2e/lib.sh), the default range's start
echo 'vm_uid_range = 524000-524015' >>"$UMLMON_CONFIG"
bench_vm fast "memory = $mem"
bench_vm slow "memory = $mem" 'fastboot = no'
"$B/umladmin" mkimage fast >/dev/null
"$B/umladmin" mkimage slow >/dev/null
# the bare kernel's copy, before any boot touched the image
cp "$T/var/fast/jail/disks/root.dsk" "$T/bare.dsk"
bench_monitor fast
bench_monitor slow

# the switches fastboot adds: the words of fast's command line that slow's
# lacks, but for the VM's name (one boot of each, also a warm-up)
cmdline_of() { # VM
	"$B/umlwatch" "$1" -start >/dev/null
	"$here/waitfor" "$T/var/$1/log/con1" "login:" 60
	"$B/umlwatch" "$1" -info | sed -n 's/^cmdline  *//p'
	"$B/umlwatch" "$1" -stop >/dev/null
}
fast_cl=$(cmdline_of fast)
slow_cl=$(cmdline_of slow)
cuts=$(comm -23 <(tr ' ' '\n' <<<"$fast_cl" | grep -v fast | sort) \
	<(tr ' ' '\n' <<<"$slow_cl" | grep -v slow | sort) | tr '\n' ' ')
[ -n "$cuts" ] || { echo "boottime: fast and slow boot alike: $fast_cl" >&2; exit 1; }
echo "boot switches: $cuts"
echo "host: $(uname -n), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"

UMLWATCH=$B/umlwatch python3 "$here/boottime.py" --runs "$runs" --warmup 1 \
	--json "${JSON:-$T/times.json}" --base "bare linux" --base "bare linux + switches" \
	--bare "bare linux" "$T/bare.dsk" "mem=$mem" \
	--bare "bare linux + switches" "$T/bare.dsk" "mem=$mem $cuts" \
	--umlmon "umlmon, fastboot = yes" fast "$T/var/fast/log/con1" \
	--umlmon "umlmon, fastboot = no" slow "$T/var/slow/log/con1"
echo "after: load $(cut -d' ' -f1-3 /proc/loadavg)"
