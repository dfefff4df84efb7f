#!/bin/bash
# cluster_fence.sh -- the fence agent of the cluster tests, installed on
# each node as /usr/sbin/fence_umlpower (fence-agents conventions: options
# as key=value lines on stdin, or -o ACTION -n PLUG; exit 0 done, 1 error,
# status: 0 on, 2 off). It asks the test's power switch, a Unix socket on
# the host (cluster_power.sh behind socat), to power a node off; the
# switch kills the node's pid namespace and answers once every process of
# the node, the VM's kernel with them, has ended.
action=reboot plug='' sock=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) action=$2; shift ;;
	-n) plug=$2; shift ;;
	--action=*) action=${1#*=} ;;
	--plug=*) plug=${1#*=} ;;
	esac
	shift
done
if [ ! -t 0 ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		action=* | option=*) action=${line#*=} ;;
		port=* | plug=* | nodename=*) [ -n "$plug" ] || plug=${line#*=} ;;
		socket=*) sock=${line#*=} ;;
		esac
	done
fi

ask() { # REQUEST: the switch's one-line answer
	[ -n "$sock" ] || { echo "fence_umlpower: no socket= given" >&2; return 1; }
	printf '%s\n' "$1" | socat -t 90 - "UNIX-CONNECT:$sock"
}

case $action in
metadata)
	cat <<'XML'
<?xml version="1.0" ?>
<resource-agent name="fence_umlpower" shortdesc="Power switch of the umlmon cluster tests">
<longdesc>Powers a test node off by killing its pid namespace, through the test's power switch socket.</longdesc>
<parameters>
	<parameter name="action" unique="0" required="0">
		<getopt mixed="-o, --action=[action]"/>
		<content type="string" default="reboot"/>
		<shortdesc lang="en">Fencing action</shortdesc>
	</parameter>
	<parameter name="port" unique="0" required="0">
		<getopt mixed="-n, --plug=[id]"/>
		<content type="string"/>
		<shortdesc lang="en">The node to act on</shortdesc>
	</parameter>
	<parameter name="socket" unique="0" required="1">
		<content type="string"/>
		<shortdesc lang="en">The power switch's Unix socket</shortdesc>
	</parameter>
</parameters>
<actions>
	<action name="on"/>
	<action name="off"/>
	<action name="reboot"/>
	<action name="status"/>
	<action name="list"/>
	<action name="monitor"/>
	<action name="metadata"/>
</actions>
</resource-agent>
XML
	exit 0
	;;
monitor)
	[ "$(ask ping)" = pong ] && exit 0
	echo "fence_umlpower: the switch at $sock does not answer" >&2
	exit 1
	;;
list)
	ask list
	exit $?
	;;
status)
	case $(ask "status $plug") in
	on) exit 0 ;;
	off) exit 2 ;;
	esac
	echo "fence_umlpower: no status of $plug from $sock" >&2
	exit 1
	;;
off | reboot)
	# reboot: the node stays off, as a node that does not come back
	r=$(ask "off $plug")
	[ "$r" = off ] && exit 0
	echo "fence_umlpower: $plug: the switch said '$r'" >&2
	exit 1
	;;
*)
	echo "fence_umlpower: $action: not supported" >&2
	exit 1
	;;
esac
