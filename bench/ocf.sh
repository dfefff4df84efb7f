#!/bin/bash
# The OCF agent ocf:umlmon:vm (issue 16) on the default image: what its
# monitor action costs, run every 10 s by Pacemaker (the running VM's, and
# the probe of a node where the VM is not: no monitor there), against its
# one RPC call alone (umlwatch -info --json) and an agent that only
# sources ocf-shellfuncs; the processes each one executes (strace -f,
# execve); and the start (monitor, boot, guest up) and stop (Ctrl-Alt-Del,
# the monitor's exit, the checks) actions once each.
# Needs root, hyperfine, strace, resource-agents and a build.
# Usage: bench/ocf.sh [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-50}

bench_host ocfbench
bench_vm vm1 'memory = 64M' 'start = off'
"$B/umladmin" mkimage vm1 >/dev/null
install -m 0755 "$BD/dist/ocf/vm" "$T/vm"
printf '#!/bin/sh\n. /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs\nexit 0\n' >"$T/empty"
chmod 0755 "$T/empty"
export UMLMON_BINDIR=$B OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vm1 \
	OCF_RESKEY_vm=vm1 OCF_RESKEY_config=$UMLMON_CONFIG \
	OCF_RESKEY_CRM_meta_timeout=120000 OCF_RESKEY_CRM_meta_interval=10000
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
execs() { # CMD...: the programs it executes, itself included
	strace -f -qq -e trace=execve -e signal=none -o "$T/strace" "$@" >/dev/null 2>&1 || true
	# (a call another thread interrupts is split over two lines)
	echo $(($(grep -c 'execve("' "$T/strace") - $(grep -c 'execve.*= -1' "$T/strace" || true)))
}

echo "probe, no monitor: $(execs "$T/vm" monitor) programs executed"
hyperfine -N --runs "$runs" --warmup 3 -i --export-json "$T/probe.json" \
	"$T/vm monitor" >/dev/null
t0=$(date +%s%N)
"$T/vm" start
echo "start (monitor, boot, guest up): $(ms "$t0") ms"
echo "monitor, running: $(execs "$T/vm" monitor) programs executed"
echo "umlwatch -info --json: $(execs "$B/umlwatch" vm1 -info --json) programs executed"
hyperfine -N --runs "$runs" --warmup 3 --export-json "$T/mon.json" \
	"$T/empty" "$B/umlwatch vm1 -info --json" "$T/vm monitor" >/dev/null
t0=$(date +%s%N)
"$T/vm" stop
echo "stop (ctrl-alt-del, monitor's exit, checks): $(ms "$t0") ms"
python3 - "$T/probe.json" "$T/mon.json" <<'EOF'
import json, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        t = sorted(r["times"])
        print("%-45s mean %6.1f ms  median %6.1f ms  p95 %6.1f ms  (n=%d)" % (
            r["command"].split("/")[-1], r["mean"] * 1e3, r["median"] * 1e3,
            t[int(len(t) * 0.95) - 1] * 1e3, len(t)))
EOF
