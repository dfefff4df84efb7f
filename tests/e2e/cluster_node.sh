#!/bin/bash
# cluster_node.sh -- the init (pid 1) of one cluster node of the cluster
# tests, run by cluster_lib.sh's node_start inside the node's own network,
# mount, pid, UTS and IPC namespaces. It gives the node its private
# directories, then runs corosync and pacemakerd in the foreground until
# the node is "powered off" (SIGKILL to this process ends every process
# of the node: it is the pid namespace's init).
#
# cluster_node.sh NAME NODEDIR COMMON OVERLAYDIR BINDIR
#   NODEDIR    this node's own directories (etc, lib-pacemaker,
#              lib-corosync, log, umlmon), made by the test
#   COMMON     the path under which each node sees its NODEDIR/umlmon (the
#              same path on every node, so one resource parameter names
#              each node's own umlmon configuration)
#   OVERLAYDIR fence/ (fence agents) and ocf/ (resource agents) that are
#              laid over /usr/sbin and /usr/lib/ocf/resource.d
#   BINDIR     the umlmon programs of the build: the agent's
#              UMLMON_BINDIR, and first on PATH
set -eu
name=$1 d=$2 common=$3 ov=$4 bindir=$5

hostname "$name"
# unshare --propagation private made every mount private: nothing below
# reaches the host or the other node
mount --bind "$d/etc" /etc/corosync
mount --bind "$d/lib-pacemaker" /var/lib/pacemaker
mount --bind "$d/lib-corosync" /var/lib/corosync
mount --bind "$d/log" /var/log
mount --bind "$d/umlmon" "$common"
mount -t tmpfs -o mode=755,size=64M run /run
mount -t tmpfs -o mode=1777,size=64M shm /dev/shm
# read-only overlays: the test's agents next to the installed ones
mount -t overlay overlay -o "lowerdir=$ov/fence:/usr/sbin" /usr/sbin
mount -t overlay overlay -o "lowerdir=$ov/ocf:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d

# what the packages' postinst and tmpfiles.d make on a real host
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox \
	/var/lib/pacemaker/cores /var/log/pacemaker /var/log/cluster /run/crm \
	/run/resource-agents /run/lock
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker /run/crm
chmod 750 /var/lib/pacemaker/cib /var/lib/pacemaker/pengine
chmod 770 /var/log/pacemaker

# pacemaker-execd passes its environment on to the agents (the
# sanitizers' options too); not the test's UMLMON_CONFIG, which names the
# host's configuration: the resource's parameter names the node's
unset UMLMON_CONFIG
export PATH=$bindir:/usr/sbin:/usr/bin:/sbin:/bin UMLMON_BINDIR=$bindir
export PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none
export HA_LOGFILE=/var/log/pacemaker/agents.log HA_LOGFACILITY=none

corosync -f &
# pacemakerd needs corosync's cmap; corosync answers once it runs
for _ in $(seq 1 300); do
	corosync-cmapctl totem.cluster_name >/dev/null 2>&1 && break
	sleep 0.1
done
pacemakerd -f &
echo started >"$d/state"
# pid 1 reaps the orphans (the monitors daemonize): bash does in its
# SIGCHLD handler while it waits
while :; do
	sleep infinity &
	wait $! || true
done
