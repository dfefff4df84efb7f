# remote_lib.sh -- helpers of the remote tests (sourced by bash, on top of
# lib.sh): two hosts as network namespaces this test makes, "srv" (the
# monitors and umldir) and "cli" (the clients), joined by a veth pair with
# addresses of this run; a password file per VM; umldir started and ended
# by the test. lib.sh's cleanup ends what the test started (by pid) and
# deletes its namespaces, which takes the veth pair with them.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UMLDIR=$B/src/umldir
AUTHABUSE=$B/tests/e2e/authabuse

SRV=       # the server's namespace
CLI=       # the client's namespace
SRV_ADDR=  # the server's address on the veth pair, as the client sees it
CLI_ADDR=
CLI_ADDR2=
CLI_ADDR3=
DIR_PORT=7301
REDIR_PORT=7302

remote_prereqs() {
	command -v ip >/dev/null || need "ip (iproute2)"
	[ -x "$UMLDIR" ] || need "$UMLDIR (build first)"
	[ -x "$AUTHABUSE" ] || need "$AUTHABUSE (build first)"
}

# remote_setup [vm1 lines...]: lib.sh's setup, then the two namespaces and
# the link between them. The monitors start in srv (MON_NETNS).
remote_setup() {
	remote_prereqs
	setup "$@"
	local x=$(($$ % 250 + 1))
	netns_new srv
	SRV=$NS
	netns_new cli
	CLI=$NS
	# made inside the namespaces: names and addresses cannot clash with
	# another test's, and the pair goes when the namespaces go
	ip link add rsrv netns "$SRV" type veth peer name rcli netns "$CLI" ||
		fail "veth between $SRV and $CLI"
	SRV_ADDR=10.231.$x.1
	CLI_ADDR=10.231.$x.2
	ip -n "$SRV" addr add "$SRV_ADDR/24" dev rsrv || fail "address of rsrv"
	ip -n "$CLI" addr add "$CLI_ADDR/24" dev rcli || fail "address of rcli"
	# two more client addresses: other peers for the per-address limits
	CLI_ADDR2=10.231.$x.3
	CLI_ADDR3=10.231.$x.4
	ip -n "$CLI" addr add "$CLI_ADDR2/24" dev rcli || fail "address of rcli"
	ip -n "$CLI" addr add "$CLI_ADDR3/24" dev rcli || fail "address of rcli"
	ip -n "$SRV" link set rsrv up
	ip -n "$CLI" link set rcli up
	wait_link "$SRV" rsrv
	wait_link "$CLI" rcli
	MON_NETNS=$SRV
	log "srv $SRV ($SRV_ADDR), cli $CLI ($CLI_ADDR)"
}

wait_link() { # NS DEV: until the link is up (the veth's carrier)
	for _ in $(seq 100); do
		ip -n "$1" -o link show "$2" | grep >/dev/null 'state UP' && return 0
		sleep 0.1
	done
	fail "$2 in $1 is not up: $(ip -n "$1" -o link show "$2")"
}

# Adds lines to [GLOBAL] (after rundir, the last line setup writes there).
global_conf() {
	local l
	for l in "$@"; do
		sed -i "/^rundir = /a $l" "$CONF" || fail "global_conf $l"
	done
}

# pwfile NAME PASSWORD [MODE]: a password file of root's (mode 0600 unless
# given); prints its path.
pwfile() {
	local f=$T/$1.pw
	(umask 077 && printf '%s\n' "$2" >"$f") || fail "password file $f"
	chmod "${3:-600}" "$f"
	echo "$f"
}

# umlwatch on the client host.
cwatch() { in_ns "$CLI" "$UMLWATCH" "$@"; }

# Starts umldir in srv and waits until its TCP port answers from cli.
start_umldir() {
	local p out
	in_ns "$SRV" "$UMLDIR" -c "$CONF" || fail "umldir did not start in $SRV"
	for _ in $(seq 100); do
		p=$(cat "$T/run/umldir.pid" 2>/dev/null) && [ -n "$p" ] && break
		sleep 0.1
	done
	[ -n "$p" ] || fail "umldir wrote no pid file $T/run/umldir.pid"
	PIDS_TO_KILL+=("$p")
	UMLDIR_PID=$p
	for _ in $(seq 100); do
		out=$(in_ns "$CLI" "$AUTHABUSE" "$SRV_ADDR" "$DIR_PORT" udlist 2>&1) && return 0
		sleep 0.1
	done
	fail "umldir (pid $p) does not answer on $SRV_ADDR port $DIR_PORT: $out"
}

# The line of VM in umldir's list, as the client sees it.
list_line() { # VM
	cwatch -list "@$SRV_ADDR:$DIR_PORT" | awk -v vm="$1" '$1 == vm'
}

# Until umldir lists VM in STATE: wait_listed VM STATE [SECONDS]
wait_listed() {
	local secs=${3:-30} l=
	for _ in $(seq $((secs * 10))); do
		l=$(list_line "$1")
		[ "$(echo "$l" | awk '{ print $2 }')" = "$2" ] && return 0
		sleep 0.1
	done
	fail "umldir does not list $1 as $2 within ${secs}s (line: '$l')"
}

# The TCP port of a VM's monitor, from its log ("tcp: listening on ADDR
# port N"), waiting for the line.
tcp_port() { # VM
	local f=$T/var/$1/log/monitor.log p=
	for _ in $(seq 100); do
		p=$(sed -n 's/.*tcp: listening on .* port \([0-9][0-9]*\).*/\1/p' "$f" 2>/dev/null | tail -n 1)
		[ -n "$p" ] && break
		sleep 0.1
	done
	[ -n "$p" ] || fail "$1: no 'tcp: listening' line in $f"
	echo "$p"
}

# authabuse in cli: abuse MODE ARGS... (the output goes to the log)
abuse() {
	log "authabuse $*"
	in_ns "$CLI" "$AUTHABUSE" "$@" >"$T/abuse.out" 2>&1 || {
		sed 's/^/  /' "$T/abuse.out" >&2
		fail "authabuse $*"
	}
	sed 's/^/  /' "$T/abuse.out" >&2
}
