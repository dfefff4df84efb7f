# cluster_lib.sh -- a real two-node Corosync + Pacemaker cluster on this
# machine, for the cluster tests (sourced by bash, on top of lib.sh).
#
# Each node is a set of namespaces of its own, with cluster_node.sh as
# the init of its pid namespace. What each is for:
#   network  corosync's knet link runs over a veth pair between the two
#            nodes' namespaces (10.213.X.1 and .2, port 5405 on each), and
#            libqb's IPC servers (corosync's, each Pacemaker daemon's)
#            listen on abstract Unix sockets, whose names are per network
#            namespace: in one namespace the second node's daemons would
#            find the names taken and its tools would talk to the first
#            node (not tried: the link alone needs the namespaces).
#            pacemakerd's check for daemons already running goes through
#            those sockets too (tried: see pid).
#   mount    private /etc/corosync (corosync.conf, authkey),
#            /var/lib/pacemaker (the CIB), /var/lib/corosync, /var/log,
#            /run and /dev/shm; the umlmon configuration at one path
#            (COMMON) with the node's own vardir and rundir; the test's
#            agents laid over /usr/sbin and /usr/lib/ocf/resource.d. The
#            jails' mounts of a node stay in its namespace. /dev/shm
#            could be shared (libqb names its ring buffers uniquely: two
#            nodes formed a cluster that way), but a node powered off
#            leaves its buffers there (29 qb-* directories in the host's
#            /dev/shm after one run): a tmpfs of its own goes with it.
#   pid      not needed for the stack (with network, mount, UTS and IPC
#            namespaces alone the two nodes formed their cluster), but it
#            is the node's power: SIGKILL to its init makes the kernel
#            kill every process of the node, those in nested namespaces
#            (the VMs' jails) too, before the init ends. Fencing
#            (cluster_power.sh) and the cleanup use that; without it a
#            node's processes are found one by one, and a VM's kernel
#            that a dying monitor left would outlive its node.
#   UTS      the node's host name is its cluster name, as on a real node
#            (Pacemaker's tools and agents that ask uname get the node).
#   IPC      nothing of the stack uses System V IPC; kept so that the
#            nodes share nothing but the test's directory.
# Both nodes see the test's directory, so T/shared (the VMs' disks and
# the disk registry's locks) is the shared storage, and the build's
# programs are on their PATH.
#
# Fencing: the stonith resource "power" (fence_umlpower, cluster_fence.sh)
# asks the test's power switch (cluster_power.sh behind socat on
# T/power.sock), which kills the node's pid namespace: the VM's kernel
# there is dead before the other node starts the VM.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODES=(n1 n2)
declare -A NODE_ADDR=()  # node -> its address on the veth pair
declare -A NODE_INIT=()  # node -> the host pid of its pid namespace's init
declare -A NODE_NS=()    # node -> its pid namespace (as /proc/PID/ns/pid reads)
COMMON=                  # where each node sees its own umlmon directory
UCONF=                   # the umlmon configuration, at COMMON on each node

cluster_prereqs() {
	local c
	for c in corosync pacemakerd crm_mon crm_resource cibadmin crm_failcount \
		socat nsenter unshare ip; do
		command -v "$c" >/dev/null || need "$c (packages pacemaker, corosync, socat, util-linux, iproute2)"
	done
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
		need "the overlay file system"
}

# cluster_setup: lib.sh's setup,
# the two nodes' namespaces, directories and configurations, the power
# switch. Nothing runs on the nodes yet (cluster_start).
cluster_setup() {
	cluster_prereqs
	setup
	trap cluster_cleanup EXIT
	local x=$(($$ % 250 + 1)) n i=0 ns
	COMMON=$T/node
	UCONF=$COMMON/umlmon.conf
	mkdir -p "$COMMON" "$T/overlay/fence" "$T/overlay/ocf"
	install -m 755 "$S/tests/e2e/cluster_fence.sh" "$T/overlay/fence/fence_umlpower"
	netns_new n1
	netns_new n2
	ip link add c1 netns "umlmon-$$-n1" type veth peer name c2 netns "umlmon-$$-n2" ||
		fail "veth between the nodes"
	dd if=/dev/urandom of="$T/authkey" bs=256 count=1 status=none
	for n in "${NODES[@]}"; do
		i=$((i + 1))
		ns=umlmon-$$-$n
		NODE_ADDR[$n]=10.213.$x.$i
		ip -n "$ns" addr add "${NODE_ADDR[$n]}/24" dev "c$i" || fail "address of $n"
		ip -n "$ns" link set "c$i" up
		mkdir -p "$T/$n"/{etc,lib-pacemaker,lib-corosync,log,umlmon}
		install -m 400 "$T/authkey" "$T/$n/etc/authkey"
		cluster_node_umlmon_conf "$n" >"$T/$n/umlmon/umlmon.conf"
	done
	for n in "${NODES[@]}"; do
		corosync_conf >"$T/$n/etc/corosync.conf"
		mkdir -p "$T/$n/lib-pacemaker/cib"
		cib_seed >"$T/$n/lib-pacemaker/cib/cib.xml"
	done
	# the power switch; its requests come from the nodes' fence agents
	socat "UNIX-LISTEN:$T/power.sock,fork,mode=600" \
		"EXEC:$S/tests/e2e/cluster_power.sh $T" 2>>"$T/power.log" &
	PIDS_TO_KILL+=($!)
	for _ in $(seq 1 100); do
		[ -S "$T/power.sock" ] && break
		sleep 0.1
	done
	[ -S "$T/power.sock" ] || fail "the power switch did not listen on $T/power.sock"
}

# A node's umlmon configuration: its own vardir, rundir and cgroups under
# COMMON, the shared directory of both; one uid for the VMs on both nodes
# (a disk on the shared storage belongs to the VM's uid, as with a
# passwd shared by real nodes).
cluster_node_umlmon_conf() { # NODE
	cat <<EOF
[GLOBAL]
vardir = $COMMON/var
shared = $T/shared
rundir = $COMMON/run
vm_uid_range = $UID_FIRST-$UID_FIRST
cgroup_parent = $CG_PARENT-$1
EOF
}

# Installs the build's agent ocf:umlmon:vm on the nodes (before
# cluster_start: it is part of the overlay a node mounts).
cluster_install_agent() {
	local a=$B/dist/ocf/vm
	# configured by the build, not executable before meson install
	[ -f "$a" ] || need "$a (the agent ocf:umlmon:vm; build first)"
	install -D -m 755 "$a" "$T/overlay/ocf/umlmon/vm"
}

# Adds a VM to both nodes' configurations: cluster_add_vm NAME [lines...]
cluster_add_vm() {
	local n name=$1
	shift
	for n in "${NODES[@]}"; do
		{
			printf '\n[%s]\n' "$name"
			printf '%s\n' "$@"
		} >>"$T/$n/umlmon/umlmon.conf"
	done
}

# Builds the default image of VM on the shared storage as
# /shared/disks/VM.dsk, owned by the nodes' VM uid.
cluster_shared_image() { # VM
	local f=$T/shared/disks/$1.dsk
	mkdir -p "$T/shared/disks"
	"$UMLADMIN" mkimage -o "$f" >/dev/null || fail "umladmin mkimage -o $f"
	chown "$UID_FIRST:$UID_FIRST" "$f"
	chmod 600 "$f"
}

corosync_conf() {
	local n i=0
	# token and consensus low (defaults 3000, 3600), so that a lost node
	# is seen after 3.3 s; not lower: the machine is loaded by other
	# tests, and a late token there would fence a healthy node
	cat <<EOF
totem {
	version: 2
	cluster_name: umlmon$$
	transport: knet
	crypto_cipher: aes256
	crypto_hash: sha256
	token: 1500
	consensus: 1800
	join: 100
}
nodelist {
EOF
	for n in "${NODES[@]}"; do
		i=$((i + 1))
		printf '\tnode {\n\t\tring0_addr: %s\n\t\tname: %s\n\t\tnodeid: %d\n\t}\n' \
			"${NODE_ADDR[$n]}" "$n" "$i"
	done
	cat <<EOF
}
quorum {
	provider: corosync_votequorum
	two_node: 1
}
logging {
	to_logfile: yes
	logfile: /var/log/cluster/corosync.log
	to_stderr: no
	to_syslog: no
	timestamp: hires
}
EOF
}

# The CIB each node starts with (Pacemaker takes a cib.xml without a
# digest file): the cluster options that make start-up and a node's loss
# quick, and the fence device.
cib_seed() {
	cat <<EOF
<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="true"/>
        <nvpair id="opt-stonith-action" name="stonith-action" value="off"/>
        <nvpair id="opt-stonith-timeout" name="stonith-timeout" value="60s"/>
        <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>
        <nvpair id="opt-recheck" name="cluster-recheck-interval" value="1min"/>
        <nvpair id="opt-no-quorum" name="no-quorum-policy" value="stop"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <primitive id="power" class="stonith" type="fence_umlpower">
        <instance_attributes id="power-ia">
          <nvpair id="power-socket" name="socket" value="$T/power.sock"/>
          <nvpair id="power-hosts" name="pcmk_host_list" value="${NODES[*]}"/>
        </instance_attributes>
        <operations>
          <op id="power-monitor" name="monitor" interval="60s"/>
        </operations>
      </primitive>
    </resources>
    <constraints/>
    <rsc_defaults>
      <meta_attributes id="rsc-options">
        <nvpair id="rsc-stickiness" name="resource-stickiness" value="100"/>
      </meta_attributes>
    </rsc_defaults>
  </configuration>
  <status/>
</cib>
EOF
}

# Starts a node: its namespaces, cluster_node.sh as their init. The
# node's network namespace is the one cluster_setup made.
node_start() { # NODE
	local n=$1 p c=
	rm -f "$T/$n/state" "$T/$n/init.pid" "$T/$n/init.ns"
	setsid nsenter --net="/run/netns/umlmon-$$-$n" \
		unshare --mount --uts --ipc --pid --fork --mount-proc --propagation private \
		bash "$S/tests/e2e/cluster_node.sh" "$n" "$T/$n" "$COMMON" "$T/overlay" "$B/src" \
		>>"$T/$n/log/init.log" 2>&1 </dev/null &
	p=$!
	PIDS_TO_KILL+=("$p")
	# the init is unshare's child
	for _ in $(seq 1 100); do
		c=$(cat "/proc/$p/task/$p/children" 2>/dev/null)
		[ -n "$c" ] && break
		sleep 0.05
	done
	c=${c%% *}
	[ -n "$c" ] || fail "$n: no init in its namespaces (see $T/$n/log/init.log)"
	NODE_INIT[$n]=$c
	NODE_NS[$n]=$(readlink "/proc/$c/ns/pid")
	# for the power switch
	echo "$c" >"$T/$n/init.pid"
	echo "${NODE_NS[$n]}" >"$T/$n/init.ns"
}

# Until a node's init has made its mounts and started its cluster stack.
wait_node_started() { # NODE
	for _ in $(seq 1 300); do
		[ -f "$T/$1/state" ] && return 0
		node_alive "$1" || break
		sleep 0.1
	done
	fail "$1: its init did not start the cluster stack (see $T/$1/log/init.log)"
}

# The command prefix that runs a command on a node (in all its
# namespaces, with the node's umlmon configuration).
node_cmd() { # NODE
	[ -n "${NODE_INIT[$1]:-}" ] || fail "$1: not started"
	echo "nsenter -t ${NODE_INIT[$1]} -n -m -p -u -i -- env UMLMON_CONFIG=$UCONF"
}

on_node() { # NODE CMD...
	local c
	c=$(node_cmd "$1") || exit 1
	shift
	$c "$@"
}

# The cluster's status as XML, from NODE.
cluster_xml() { on_node "$1" crm_mon -1 --output-as=xml 2>/dev/null; }

# Until VIEW's crm_mon shows every node of NODES... online and a DC.
wait_online() { # VIEW SECONDS NODES...
	local v=$1 secs=$2 x n ok
	shift 2
	for _ in $(seq 1 $((secs * 5))); do
		x=$(cluster_xml "$v")
		ok=1
		printf '%s\n' "$x" | grep '<current_dc present="true"' >/dev/null || ok=0
		for n; do
			printf '%s\n' "$x" | grep "<node name=\"$n\" [^>]*online=\"true\"" >/dev/null || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.2
	done
	log "crm_mon on $v:"
	printf '%s\n' "$x" | sed 's/^/  | /' >&2
	fail "nodes $* not online with a DC within ${secs}s (seen from $v)"
}

# Starts both nodes and waits until they form the cluster.
cluster_start() {
	local n
	for n in "${NODES[@]}"; do node_start "$n"; done
	for n in "${NODES[@]}"; do
		wait_node_started "$n"
		on_node "$n" "$UMLADMIN" setup >/dev/null ||
			fail "$n: umladmin setup"
	done
	wait_online n1 120 "${NODES[@]}"
	log "cluster up: $(for n in "${NODES[@]}"; do printf '%s %s ' "$n" "${NODE_ADDR[$n]}"; done)"
}

# Adds the resource RSC (ocf:umlmon:vm) of VM with a preference for NODE
# (50; the stickiness, 100, keeps it where it runs), then starts it: it
# stays stopped until its place is known. The monitor operation every 3 s
# (a failure is seen within 3 s; the agent's default is 10 s).
cluster_vm_resource() { # RSC VM NODE
	local r=$1
	on_node n1 cibadmin -C -o resources -X "<primitive id=\"$r\" class=\"ocf\" provider=\"umlmon\" type=\"vm\">
  <instance_attributes id=\"$r-ia\">
    <nvpair id=\"$r-vm\" name=\"vm\" value=\"$2\"/>
    <nvpair id=\"$r-config\" name=\"config\" value=\"$UCONF\"/>
  </instance_attributes>
  <meta_attributes id=\"$r-meta\">
    <nvpair id=\"$r-target-role\" name=\"target-role\" value=\"Stopped\"/>
  </meta_attributes>
  <operations>
    <op id=\"$r-start\" name=\"start\" interval=\"0\" timeout=\"120s\"/>
    <op id=\"$r-stop\" name=\"stop\" interval=\"0\" timeout=\"90s\"/>
    <op id=\"$r-monitor\" name=\"monitor\" interval=\"3s\" timeout=\"30s\"/>
  </operations>
</primitive>" || fail "cibadmin: the resource $r"
	on_node n1 cibadmin -C -o constraints -X \
		"<rsc_location id=\"$r-prefers-$3\" rsc=\"$r\" node=\"$3\" score=\"50\"/>" ||
		fail "cibadmin: the location of $r"
	on_node n1 crm_resource -r "$r" --meta -p target-role -v Started >/dev/null ||
		fail "crm_resource: start $r"
}

# The cluster with one VM: the test's directories, the default image on
# the shared storage, the agent, both nodes, and VM as the resource of
# the same name, on n1, at its login prompt.
cluster_with_vm() { # VM
	cluster_setup
	cluster_shared_image "$1"
	cluster_add_vm "$1" 'memory = 64M' "ubd0 = /shared/disks/$1.dsk" 'stop_timeout = 20' 'start = off'
	cluster_install_agent
	cluster_start
	cluster_vm_resource "$1" "$1" n1
	wait_vm_on n1 "$1" "$1" 120
	wait_login n1 "$1" 1 60
}

# Where a resource runs, seen from VIEW: the node's name, or nothing.
rsc_node() { # VIEW RSC
	on_node "$1" crm_resource --locate -r "$2" -Q 2>/dev/null | head -n 1
}

# crm_mon's view of the cluster from VIEW, on standard error.
show_crm_mon() { # VIEW
	log "crm_mon on $1:"
	on_node "$1" crm_mon -1 -rf 2>&1 | sed 's/^/  | /' >&2
}

# Until VM runs on NODE, and on no other node, and its resource RSC is
# there (seen from VIEW, default NODE); fails as soon as the VM's
# processes are on two nodes at once.
wait_vm_on() { # NODE RSC VM SECONDS [VIEW]
	local n=$1 v=${5:-$1} m on where=
	for _ in $(seq 1 $(($4 * 10))); do
		on=()
		for m in "${NODES[@]}"; do
			[ -n "$(vm_host_pids "$m" "$3")" ] && on+=("$m")
		done
		[ ${#on[@]} -le 1 ] || fail "$3 runs on ${on[*]} at once"
		if [ "${on[*]}" = "$n" ]; then
			where=$(rsc_node "$v" "$2")
			[ "$where" = "$n" ] && return 0
		fi
		sleep 0.1
	done
	show_crm_mon "$v"
	fail "$3 not on $n alone within ${4}s (its processes on: ${on[*]}; $2 located on '$where')"
}

# The fail count of RSC on NODE, seen from VIEW (0 without one).
failcount() { # VIEW RSC NODE
	local v
	v=$(on_node "$1" crm_failcount --query -r "$2" -N "$3" 2>/dev/null |
		sed -n 's/.* value=\([0-9A-Za-z]*\).*/\1/p')
	echo "${v:-0}"
}

wait_failcount() { # VIEW RSC NODE N SECONDS
	for _ in $(seq 1 $(($5 * 5))); do
		[ "$(failcount "$1" "$2" "$3")" -ge "$4" ] 2>/dev/null && return 0
		sleep 0.2
	done
	show_crm_mon "$1"
	fail "fail count of $2 on $3 not $4 within ${5}s: $(failcount "$1" "$2" "$3")"
}

# Whether a node's init lives: its pid still names a process in the
# node's pid namespace (not another process that got the pid).
node_alive() { # NODE
	local p=${NODE_INIT[$1]:-}
	[ -n "$p" ] && [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "${NODE_NS[$1]}" ]
}

# Powers a node off as the power switch does (SIGKILL to its pid
# namespace's init), and waits until every process of it ended.
node_off() { # NODE
	local p=${NODE_INIT[$1]:-}
	node_alive "$1" || return 0
	kill -KILL "$p" 2>/dev/null
	for _ in $(seq 1 300); do
		[ -e "/proc/$p" ] || return 0
		sleep 0.1
	done
	log "$1 (init pid $p) did not end"
	return 1
}

# Whether PID is a process of NODE: a descendant of its init.
pid_on_node() { # PID NODE
	local p=$1
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		[ "$p" = "${NODE_INIT[$2]}" ] && return 0
		p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
	done
	return 1
}

# The pid of a process named NAME on a node, as the host sees it.
node_pid_of() { # NODE NAME
	local p
	for p in $(pgrep -x "$2"); do
		[ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/${NODE_INIT[$1]}/ns/pid")" ] &&
			{ echo "$p"; return 0; }
	done
	return 1
}

# A VM's console con1 log on a node, as the host sees it.
con1_log() { echo "$T/$1/umlmon/var/$2/log/con1"; } # NODE VM

# How many login prompts VM's con1 printed on NODE (its guest's getty).
login_count() { # NODE VM
	local c
	c=$(cat "$(con1_log "$1" "$2")".* "$(con1_log "$1" "$2")" 2>/dev/null | grep -c 'login:')
	echo "${c:-0}"
}

# Until VM's guest on NODE printed its Nth login prompt.
wait_login() { # NODE VM N SECONDS
	for _ in $(seq 1 $(($4 * 10))); do
		[ "$(login_count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	fail "$2 on $1: no login prompt number $3 within ${4}s"
}

# The host's pids of the processes of VM's cgroup on NODE (its kernel and
# every host process of the guest).
vm_host_pids() { # NODE VM
	local d
	for d in /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup; do
		[ -f "$d/$CG_PARENT-$1/$2/cgroup.procs" ] || continue
		cat "$d/$CG_PARENT-$1/$2/cgroup.procs" 2>/dev/null
		return 0
	done
}

# Shows the end of the nodes' logs (on failure).
cluster_logs() {
	local n f
	for n in "${NODES[@]}"; do
		for f in "$T/$n/log/init.log" "$T/$n/log/cluster/corosync.log" \
			"$T/$n/log/pacemaker/pacemaker.log" "$T/$n/log/pacemaker/agents.log"; do
			[ -s "$f" ] || continue
			log "---- $f (last 30 lines)"
			tail -n 30 "$f" >&2
		done
		for f in "$T/$n/umlmon/var"/*/log/monitor.log; do
			[ -f "$f" ] || continue
			log "---- $f (last 20 lines)"
			tail -n 20 "$f" >&2
		done
	done
	[ -s "$T/power.log" ] && { log "---- power switch"; cat "$T/power.log" >&2; }
	true
}

# Ends both nodes (every process of each: its pid namespace), removes
# the nodes' cgroups, then lib.sh's cleanup (the switch, the namespaces,
# the directory).
cluster_cleanup() {
	local rc=$? n save
	set +e
	[ $rc -eq 0 ] || cluster_logs
	for n in "${NODES[@]}"; do node_off "$n"; done
	save=$CG_PARENT
	for n in "${NODES[@]}"; do
		CG_PARENT=$save-$n
		cg_cleanup
	done
	CG_PARENT=$save
	(exit $rc)
	cleanup
}
