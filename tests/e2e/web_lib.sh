# web_lib.sh -- the web suite's helpers (sourced after lib.sh): a
# configuration with the web console's keys, umlweb started and ended
# with the test, the browser tests (node, puppeteer-core, Debian's
# chromium) run with their screenshots under build/meson-logs/web/.

UMLWEB=$B/src/umlweb
WEB_ROOT=$B/web
WEB_SHOTS=$B/meson-logs/web
MASTER_PW=master-secret-pw
VM1_PW=vm1-secret-pw
VM2_PW=vm2-secret-pw

web_prereqs() {
	[ -x "$UMLWEB" ] || need "$UMLWEB (build first)"
	command -v node >/dev/null || need "node (nodejs; scripts/install-deps)"
	[ -x /usr/bin/chromium ] || need "/usr/bin/chromium (Debian's chromium)"
	[ -d "$S/web/node_modules/puppeteer-core" ] ||
		need "web/node_modules (npm ci in web/; scripts/install-deps)"
}

# A free TCP port on loopback (the kernel's choice).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# setup, then [GLOBAL] keys of the web console and of the passwords,
# vm1's password, a vm2 with its own; umlweb runs as nobody with the
# control sockets' group nogroup (a test makes no users of its own).
web_setup() {
	web_prereqs
	setup "password = $VM1_PW"
	WEB_PORT=$(free_port)
	sed -i "/^\[GLOBAL\]/a master_password = $MASTER_PW\nctrl_group = nogroup\nweb_user = nobody\nweb_port = $WEB_PORT" "$CONF"
	add_vm vm2 "memory = 64M" "ubd0 = /disks/root.dsk" "password = $VM2_PW"
	WEB_URL=http://127.0.0.1:$WEB_PORT
	mkdir -p "$WEB_SHOTS"
}

# Starts umlweb (in the foreground of a background job: its log is the
# test's) and waits until it serves.
start_umlweb() { # [extra options]
	"$UMLWEB" -fg -c "$CONF" -root "$WEB_ROOT" "$@" 2>"$T/umlweb.log" &
	WEB_PID=$!
	PIDS_TO_KILL+=("$WEB_PID")
	wait_file "$T/umlweb.log" "umlweb running" 20
}

# The browser test FILE (tests/e2e/web/FILE.js) with the test's setting.
web_node() { # FILE [args]
	local f=$1
	shift
	WEB_URL=$WEB_URL MASTER_PW=$MASTER_PW VM1_PW=$VM1_PW VM2_PW=$VM2_PW \
		WEB_SHOTS=$WEB_SHOTS WEB_CERT=${WEB_CERT:-} NODE_PATH=$S/web/node_modules \
		node --experimental-websocket --no-warnings "$S/tests/e2e/web/$f.js" "$@"
}
