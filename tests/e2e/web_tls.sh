#!/bin/bash
# umlweb with web_tls_cert and web_tls_key (tests/e2e/web/tls.js): HTTPS
# and WSS in chromium, the Secure cookie, the origin with its scheme; a
# certificate without its key is refused at the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web_lib.sh"

command -v openssl >/dev/null || need "openssl (the command, to make certificates)"
web_setup
mkdir -m 700 "$T/tls"
(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-nodes -days 2 -subj "/CN=umlweb" -addext 'subjectAltName=IP:127.0.0.1' \
	-keyout "$T/tls/web.key" -out "$T/tls/web.crt" 2>"$T/tls/err") ||
	fail "openssl req: $(cat "$T/tls/err")"

# the certificate alone: refused, naming both keys
sed -i "/^\[GLOBAL\]/a web_tls_cert = $T/tls/web.crt" "$CONF"
expect_fail "web_tls_cert' and 'web_tls_key' go together" "$UMLWEB" -fg -c "$CONF" -root "$WEB_ROOT"
sed -i "/^\[GLOBAL\]/a web_tls_key = $T/tls/web.key" "$CONF"

mkimage vm1
start_monitor vm1
start_umlweb
WEB_URL=https://127.0.0.1:$WEB_PORT
WEB_CERT=$T/tls/web.crt web_node tls || fail "TLS (umlweb's log: $(tail -n 20 "$T/umlweb.log"))"
kill -0 "$WEB_PID" || fail "umlweb died"
log "ok"
