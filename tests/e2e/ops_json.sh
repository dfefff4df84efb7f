#!/bin/bash
# Every --json of umladmin and umlwatch parses (python3 -m json.tool) and
# holds the fields its table shows, and umladmin password with a real TCP
# monitor: vm1 (tcp = yes) and umldir in one network namespace, umlwatch
# in another (remote_lib.sh).
# - password from stdin and from the prompt (twice, no echo; differing
#   answers change nothing): the file is root's, mode 0600, holds the
#   key derived from the password (as Python's hashlib derives it) and no
#   password; the monitor takes it at once over TCP, the old one no more;
# - the master password: a key file with a line for each VM lets it in to
#   two monitors; a VM added later is refused by update until password
#   --master again; a key for other iterations refuses the monitor's start;
# - umladmin list, config, update --json; umlwatch VM -info --json (the
#   fields of -info), umlwatch -list @HOST --json (those of -list).
. "$(dirname "$0")/remote_lib.sh"

# keyline PASSWORD VM [ITERATIONS]: the key file's line, from Python
keyline() {
	python3 -c "import hashlib, sys
pw, vm, it = sys.argv[1], sys.argv[2], int(sys.argv[3])
k = hashlib.pbkdf2_hmac('sha256', pw.encode(), b'umlmon-auth-1:' + vm.encode(), it, 32)
print('umlmon-key-1 %s %d %s' % (vm, it, k.hex()))" "$1" "$2" "${3:-100000}" ||
		fail "keyline $2"
}
# keys_hold FILE PASSWORD VM...: FILE holds the lines of the VMs, root's,
# mode 0600, and not the password's text
keys_hold() {
	local f=$1 pw=$2 want=
	shift 2
	for v in "$@"; do
		want+=$(keyline "$pw" "$v")$'\n'
	done
	[ "$(cat "$f")"$'\n' = "$want" ] || fail "$f holds '$(cat "$f")', not '$want'"
	grep -F >/dev/null -- "$pw" "$f" && fail "$f holds the password's text"
	[ "$(stat -c '%a %U %G' "$f")" = "600 root root" ] || fail "$f: $(stat -c '%a %U %G' "$f")"
}

remote_setup
PW0='first-Secret-pw'
pw1=$(pwfile vm1 "$PW0")
printf 'tcp = yes\npassword_file = %s\n' "$pw1" >>"$CONF"
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'start = off'
mkimage vm1
start_umldir
start_monitor vm1
wait_listed vm1 stopped
port=$(tcp_port vm1)
remote_info() { UMLWATCH_PASSWORD=$1 cwatch "vm1@$SRV_ADDR" -info "${@:2}"; }
remote_info "$PW0" >/dev/null || fail "-info over TCP with the first password"

# ---- password from stdin ----
expect_fail "password: vm2: no 'password_file' in \[vm2\] of $CONF" "$UMLADMIN" password vm2 </dev/null
expect_fail "password: vm1: the password is too short \(8 characters or more\)" \
	"$UMLADMIN" password vm1 <<<"short"
PW1='second-Secret-pw'
out=$("$UMLADMIN" password vm1 <<<"$PW1" 2>&1) || fail "password from stdin: $out"
log "password said: $out"
printf '%s\n' "$out" | grep >/dev/null "^umladmin: vm1: password set in $pw1 (as its derived keys)$" || fail "password said: $out"
printf '%s\n' "$out" | grep -E >/dev/null "^vm1: reload" || fail "password: the monitor did not reload: $out"
keys_hold "$pw1" "$PW1" vm1
remote_info "$PW1" >/dev/null || fail "-info over TCP with the password set from stdin"
expect_fail "password|authenticat" remote_info "$PW0"

# ---- password at the prompt: twice, without echo ----
PW2='third-Secret-pw'
tm_count() { # REGEX N: until the screen of adm has N lines that match
	for _ in $(seq 300); do
		[ "$(tm_capture adm | grep -cE -- "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	tm_capture adm | sed 's/^/  | /' >&2
	fail "adm: fewer than $2 lines /$1/ on the screen within 30s"
}
tm_new adm
tm_send adm "$UMLADMIN password vm1" Enter
tm_wait adm 'New password for vm1: $'
tm_send adm "$PW2" Enter
tm_wait adm 'Again: $'
tm_send adm "not-$PW2" Enter
tm_wait adm 'the passwords differ; nothing changed'
keys_hold "$pw1" "$PW1" vm1
# the prompts of the first try are still on the screen: the second's
# are counted
tm_send adm "$UMLADMIN password vm1" Enter
tm_count 'New password for vm1: $' 2
tm_send adm "$PW2" Enter
tm_count 'Again: $' 2
tm_send adm "$PW2" Enter
tm_wait adm "password set in $pw1"
tm_capture adm | grep -F >/dev/null -- "$PW2" && fail "the password was echoed: $(tm_capture adm)"
keys_hold "$pw1" "$PW2" vm1
remote_info "$PW2" >/dev/null || fail "-info over TCP with the password typed"

# ---- JSON: parses, and holds what the tables show ----
jcheck() { # WHAT FILE PYTHON [ARGS]: the data is d, ARGS sys.argv[2:]
	python3 -m json.tool "$2" >/dev/null || fail "$1: not JSON: $(cat "$2")"
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $3" "$2" "${@:4}" ||
		fail "$1: $(cat "$2")"
}
"$UMLADMIN" list --json >"$T/list.json" || fail "list --json"
jcheck "list --json" "$T/list.json" "
v = {r['name']: r for r in d}
assert set(v) == {'vm1', 'vm2'}
assert all(list(r) == ['name', 'state', 'memory', 'start', 'uptime', 'monitor_pid', 'tcp_port', 'disks', 'notes'] for r in d)
assert v['vm1']['tcp_port'] == $port, v['vm1']
assert v['vm1']['state'] == 'stopped'
"
heads=$("$UMLADMIN" list | head -n 1 | wc -w)
[ "$heads" = 9 ] || fail "list shows $heads columns, its JSON 9 keys"
"$UMLADMIN" config vm1 --json >"$T/config.json" || fail "config --json"
jcheck "config --json" "$T/config.json" "
v = {r['key']: r for r in d}
assert v['password_file'] == {'key': 'password_file', 'value': '$pw1', 'from': 'vm1'}, v['password_file']
assert v['tcp']['value'] == 'yes'
"
rows=$(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" "$T/config.json")
[ "$("$UMLADMIN" config vm1 | tail -n +2 | wc -l)" = "$rows" ] ||
	fail "config: the text and the JSON have different rows"
"$UMLADMIN" update --json >"$T/update.json" || fail "update --json: $(cat "$T/update.json")"
jcheck "update --json" "$T/update.json" "
v = {r['name']: r for r in d}
assert v['vm1']['action'] == 'unchanged' and v['vm2']['action'] == 'none', v
"
# umlwatch -info --json: every field of -info, with the same text
remote_info "$PW2" --json >"$T/info.json" || fail "-info --json"
remote_info "$PW2" >"$T/info.txt" || fail "-info"
jcheck "-info --json" "$T/info.json" "
text = {}
for l in open(sys.argv[2]):
    text[l[:13].rstrip().replace(' ', '_')] = l[14:].rstrip('\n')
assert d['name'] == 'vm1' and d['state'] == 'stopped', d
assert list(d) == list(text), (list(d), list(text))
assert d == text, (d, text)
" "$T/info.txt"
watch vm1 -info --json >"$T/info-local.json" || fail "-info --json (local)"
jcheck "-info --json (local)" "$T/info-local.json" "assert d['monitor_pid'] == '$(monitor_pid vm1)', d"
expect_fail "unknown command '-jsn'" watch vm1 -info --jsn
# umlwatch -list @HOST --json
cwatch -list "@$SRV_ADDR" --json >"$T/hostlist.json" || fail "-list --json"
jcheck "-list --json" "$T/hostlist.json" "
assert d == [{'name': 'vm1', 'state': 'stopped', 'port': $port, 'tls': False}], d
"
expect_fail "-list takes @HOST\[:PORT\] \[--json\] and nothing else" cwatch -list "@$SRV_ADDR" --xml

# ---- the master password: a line for each VM ----
MPW='master-Secret-pw'
master=$T/master.pw
global_conf "master_password_file = $master"
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'tcp = yes'
out=$("$UMLADMIN" password --master <<<"$MPW" 2>&1) || fail "password --master: $out"
log "password --master said: $out"
printf '%s\n' "$out" | grep -F >/dev/null "umladmin: master: keys for the 3 VMs of $CONF; a VM added later needs 'umladmin password --master' again" ||
	fail "password --master said: $out"
printf '%s\n' "$out" | grep -E >/dev/null "^vm1: reload" || fail "password --master: vm1 did not reload: $out"
keys_hold "$master" "$MPW" vm1 vm2 vm3
start_monitor vm3
wait_listed vm3 stopped
remote_info "$MPW" >/dev/null || fail "vm1: -info over TCP with the master password"
remote_info "$PW2" >/dev/null || fail "vm1: -info over TCP with its own password beside the master's"
UMLWATCH_PASSWORD=$MPW cwatch "vm3@$SRV_ADDR" -info >/dev/null ||
	fail "vm3: -info over TCP with the master password"
expect_fail "password|authenticat" in_ns "$CLI" env UMLWATCH_PASSWORD="$PW2" "$UMLWATCH" "vm3@$SRV_ADDR" -info
# a VM added after: its monitor refuses to start, update says why
add_vm vm4 'memory = 64M' 'ubd0 = /disks/root.dsk'
expect_fail "vm4 .*$master: no key for vm4 .*: run umladmin password --master" "$UMLADMIN" update
# a key for other iterations than the VM's: refused, naming the file
stop_monitor vm3
sed -i '/^\[vm3\]$/a kdf_iterations = 200000' "$CONF"
expect_fail "vm3: master password: $master: vm3's key is derived for 100000 iterations, kdf_iterations is 200000: run umladmin password --master" \
	in_ns_cg "$SRV" "$UMLMON" vm3
[ -z "$(monitor_pid vm3)" ] || fail "vm3's monitor started with a stale key"
log "PASS"
