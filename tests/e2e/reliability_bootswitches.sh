#!/bin/bash
# The boot cuts (umlmon(5), fastboot): a default VM's kernel has the
# switches on its command line (-info, and /proc/cmdline in the guest),
# did not run what they cut (no raid6 benchmark, no zswap pool, no BSD
# ptys), and the guest still has what it needs: a login on con1, its host
# name, the root disk mounted read-write and writable, /proc, /sys and
# /dev/pts, free. A VM with fastboot = no has none of the switches
# and runs all of it; a module parameter in its args reaches the kernel.
# No timing: bench/boottime.sh measures the gains.
. "$(dirname "$0")/lib.sh"

CUTS="initcall_blacklist=raid6_select_algo initcall_blacklist=init_zswap pty.legacy_count=0"
setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'fastboot = no' \
	'args = pty.legacy_count=4'
vms_up vm1 vm2

# ---- the command lines the monitor built ----
c1=$(info_field vm1 cmdline)
c2=$(info_field vm2 cmdline)
for s in $CUTS; do
	case " $c1 " in *" $s "*) ;; *) fail "vm1's command line lacks $s: $c1" ;; esac
	case " $c2 " in *" $s "*) fail "vm2 (fastboot = no) has $s: $c2" ;; esac
done
case " $c2 " in *" pty.legacy_count=4 "*) ;; *) fail "vm2's args are not on its command line: $c2" ;; esac

# ---- what the kernels ran (their consoles) ----
con0() { sed 's/\r//g' "$T/var/$1/log/con0"; }
con0 vm1 | grep >/dev/null 'raid6: using algorithm' && fail "vm1 ran the raid6 benchmark"
con0 vm1 | grep >/dev/null 'zswap: loaded' && fail "vm1 made a zswap pool"
con0 vm2 | grep >/dev/null 'raid6: using algorithm' || fail "vm2 (fastboot = no) did not run the raid6 benchmark"
con0 vm2 | grep >/dev/null 'zswap: loaded' || fail "vm2 (fastboot = no) made no zswap pool"
log "vm1 skipped the raid6 benchmark and zswap, vm2 ran them"

# ---- the guest with the cuts has what it needs ----
# asks the guest on the terminal NAME; its answer (on one line) matches
# REGEX from its start
ask() { # NAME COMMAND REGEX
	local tok=$RANDOM
	tm_send "$1" "echo Q$tok=\$($2 | tr '\\n' ' ')" Enter
	tm_wait "$1" "^Q$tok=$3" 20
}
tm_new t1
tm_login t1 vm1
for s in $CUTS; do ask t1 'cat /proc/cmdline' ".* $s( |$)"; done
ask t1 hostname 'vm1 ?$'
ask t1 'grep -E " / | /proc | /sys | /dev/pts " /proc/mounts' \
	'/dev/root / ext4 rw.* proc /proc proc .* sysfs /sys sysfs .* devpts /dev/pts devpts '
ask t1 'echo written >/root/boot-test && sync && cat /root/boot-test' 'written ?$'
ask t1 'free' '.* Mem: +[0-9]+ +[0-9]+ +[0-9]+'
ask t1 'ls /dev/ptyp0 2>&1' '.*No such file'
log "vm1: login, host name, mounts, a written file and free work"

# ---- and the guest without them has its BSD ptys (4, from its args) ----
tm_new t2
tm_login t2 vm2
ask t2 'ls /dev/ptyp3' '/dev/ptyp3 ?$'
ask t2 'ls /dev/ptyp4 2>&1' '.*No such file'
log "PASS"
