#!/bin/sh
# The gateway end to end: serguardd (as built, so under ASan/UBSan in a
# sanitizer build) serving one RS485 bus with three devices and one RS232
# link with one device, each device a serguard-device on the other end of
# a socat pty pair. Checks, in order:
#   - all four sessions come up, with the right peers (the RS232 device's
#     certificate chains through an intermediate CA in a PEM bundle);
#   - serguardctl: status (text), status --json (strict parse), metrics
#     (Prometheus format), rehandshake, exit codes;
#   - each device's socket reaches that device (the bus devices answer
#     "get name" with their own name) and message boundaries hold end to
#     end (echo of messages of several sizes on the RS232 device); two
#     clients of one device both get its messages (fan-out); an oversize
#     message is refused and counted;
#   - a device reboot on each port recovers;
#   - reload: a device removed (CLOSE sent, socket gone) and one added, the
#     others keep their sessions; then back; a broken file changes nothing
#     and serguardctl reload exits 78 with FILE:LINE errors;
#   - the RS232 port vanishes (socat killed) and returns: traffic resumes;
#   - SIGTERM: CLOSE to every device, sockets removed, exit 0;
#   - no sanitizer report in the daemon's stderr.
# Prints "figure:" lines with timings (not asserted).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-$(pwd)}
SOCAT=${SOCAT-}
if [ -z "$SOCAT" ]; then
	echo "SKIP: test-gateway.sh needs socat (Debian: apt-get install socat)"
	exit 77
fi
GWD=$build/daemon/serguardd
CTL=$build/daemon/serguardctl
DEV=$build/device/serguard-device
SOCK=$build/tests/sg-sock
JSON=$build/tests/json-get
F=$top/tests/pki/fixtures
for p in "$GWD" "$CTL" "$DEV" "$SOCK" "$JSON"; do
	[ -x "$p" ] || { echo "ERROR: $p not built"; exit 99; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-gw.XXXXXX") || exit 99
pids=""
daemon_pid=""
link_socat=""
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export ASAN_OPTIONS

# stop, cleanup (at exit), fail, ms, count, wait_for, ctl
. "$(dirname "$0")/gateway-lib.sh"

# pair NAME: a pty pair, $tmp/NAME.gw and $tmp/NAME.dev; sets $last_pid
pair() {
	"$SOCAT" pty,raw,echo=0,link="$tmp/$1.gw" pty,raw,echo=0,link="$tmp/$1.dev" \
		2>"$tmp/$1.socat.log" &
	last_pid=$!
	pids="$pids $last_pid"
	n=0
	while [ ! -e "$tmp/$1.gw" ] || [ ! -e "$tmp/$1.dev" ]; do
		[ $n -ge 100 ] && fail "socat pty pair $1 did not come up"
		sleep 0.1
		n=$((n + 1))
	done
}


# the gateway's CA file: the root and the intermediate, PEM
for c in ca inter-ca; do
	echo "-----BEGIN CERTIFICATE-----"
	base64 -w 64 "$F/$c.crt.der"
	echo "-----END CERTIFICATE-----"
done >"$tmp/ca-bundle.pem"
cp "$F/gw.key.der" "$tmp/gw.key"
chmod 600 "$tmp/gw.key"
gid=$(id -g)

# write_conf WITH_C WITH_E: the configuration, with device c and/or e
write_conf() {
	cat >"$tmp/conf.new" <<EOF
[global]
ca = $tmp/ca-bundle.pem
cert = $F/gw.crt.der
key = $tmp/gw.key
socket_dir = $tmp/run
socket_group = $gid
socket_mode = 0660
queue_max = 8
queue_max_age_ms = 20000

[port bus]
device = $tmp/bus.gw
mode = rs485
baud = 115200
poll_interval_ms = 50

[port link]
device = $tmp/link.gw
mode = rs232

[device a]
port = bus
address = 1
identity = cn:dev-a

[device b]
port = bus
address = 2
identity = uri:urn:serguard:dev:b

[device p]
port = link
identity = uri:urn:serguard:dev:inter
EOF
	if [ "$1" = yes ]; then
		printf '[device c]\nport = bus\naddress = 3\nidentity = cn:dev-c\n' \
			>>"$tmp/conf.new"
	fi
	if [ "$2" = yes ]; then
		printf '[device e]\nport = bus\naddress = 5\nidentity = cn:dev-e\n' \
			>>"$tmp/conf.new"
	fi
	mv "$tmp/conf.new" "$tmp/serguard.conf"
}

start_link_device() {
	"$DEV" -v --port "$tmp/link.dev" --ca "$F/ca.crt.der" --device p:1:"$F/inter-dev" \
		--behaviour echo >>"$tmp/dev-link.log" 2>&1 &
	link_dev=$!
	pids="$pids $link_dev"
}

# ---- start ---------------------------------------------------------------------------
pair bus
pair link
link_socat=$last_pid
"$DEV" -v --mode rs485 --port "$tmp/bus.dev" --ca "$F/ca.crt.der" \
	--device a:1:"$F/dev-a" --device b:2:"$F/dev-b" --device c:3:"$F/dev-c" \
	--behaviour command --reboot-only b >"$tmp/dev-bus.log" 2>&1 &
bus_dev=$!
pids="$pids $bus_dev"
start_link_device
write_conf yes no
"$GWD" -c "$tmp/serguard.conf" --check-config >/dev/null || fail "--check-config"

t0=$(ms)
env JOURNAL_STREAM= "$GWD" -c "$tmp/serguard.conf" 2>"$tmp/daemon.log" &
daemon_pid=$!
wait_for "$tmp/daemon.log" 4 ": session up with " 60
t1=$(ms)
echo "figure: all 4 sessions up $((t1 - t0)) ms after serguardd started (3 on RS485, 1 on RS232)"
for x in "a:CN dev-a" "b:CN dev-b" "c:CN dev-c" "p:CN inter-dev"; do
	grep -qF "device ${x%%:*}: session up with ${x#*:}, serial " "$tmp/daemon.log" ||
		fail "no session line for ${x%%:*}"
done
grep -qF "control socket $tmp/run/control.sock (mode 0600)" "$tmp/daemon.log" ||
	fail "no control socket line"

# ---- serguardctl ----------------------------------------------------------------------
ctl status >"$tmp/status.out" || fail "serguardctl status exited $?"
for d in "a: up, port bus, address 1" "b: up, port bus, address 2" \
	"c: up, port bus, address 3" "p: up, port link, address 1"; do
	grep -qF "device $d" "$tmp/status.out" || fail "status lacks 'device $d'"
done
grep -qF "port bus: up, $tmp/bus.gw -> /dev/pts/" "$tmp/status.out" || fail "status: port bus"
grep -qF "identity uri:urn:serguard:dev:inter; peer CN inter-dev, serial 41" "$tmp/status.out" ||
	fail "status: peer of p"
ctl status --json >"$tmp/status.json" || fail "status --json exited $?"
"$JSON" <"$tmp/status.json" || fail "status --json is not strict JSON"
"$JSON" devices/name=a/peer/cn devices/name=b/peer/cn devices/name=c/peer/cn \
	devices/name=p/peer/cn devices/name=a/up devices/name=p/up ports/name=link/state \
	<"$tmp/status.json" >"$tmp/json.out" || fail "json fields missing"
printf 'dev-a\ndev-b\ndev-c\ninter-dev\ntrue\ntrue\nup\n' | cmp -s - "$tmp/json.out" ||
	fail "json fields: $(tr '\n' ' ' <"$tmp/json.out")"
ctl status --json a | "$JSON" devices/0/name ports >"$tmp/json.out" || fail "status --json a"
printf 'a\narray 0\n' | cmp -s - "$tmp/json.out" || fail "status --json a: $(cat "$tmp/json.out")"
ctl metrics >"$tmp/metrics.out" || fail "metrics exited $?"
for d in a b c; do
	grep -qxF "serguard_session_up{device=\"$d\",port=\"bus\"} 1" "$tmp/metrics.out" ||
		fail "metrics: session of $d"
done
grep -qxF 'serguard_port_up{port="link"} 1' "$tmp/metrics.out" || fail "metrics: port link"
grep -qxF 'serguard_handshakes_total{device="p",result="ok"} 1' "$tmp/metrics.out" ||
	fail "metrics: handshakes of p"
bad=$(grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+)$' \
	"$tmp/metrics.out" || true)
[ -z "$bad" ] || fail "metrics lines not in the text format: $bad"
ctl status nosuch 2>"$tmp/err.out"
[ $? -eq 1 ] || fail "status of an unknown device should exit 1"
grep -qF "no device named 'nosuch'" "$tmp/err.out" || fail "unknown device message"
ctl bogus 2>/dev/null
[ $? -eq 2 ] || fail "an unknown command should exit 2"
"$CTL" --help | grep -q "^Usage: serguardctl" || fail "serguardctl --help"

# ---- messages -------------------------------------------------------------------------
for d in a b c; do
	"$SOCK" "$tmp/run/$d.sock" "get name" >"$tmp/msg.out" || fail "no answer from $d"
	grep -qxF "6 name=$d" "$tmp/msg.out" || fail "$d answered: $(cat "$tmp/msg.out")"
done
t2=$(ms)
"$SOCK" "$tmp/run/p.sock" "one" "two words" -s 1 -s 200 -s 240 >"$tmp/msg.out" ||
	fail "echo on p"
t3=$(ms)
echo "figure: 5 echoes on RS232 in $((t3 - t2)) ms"
printf '3 one\n9 two words\n' >"$tmp/want.out"
head -2 "$tmp/msg.out" | cmp -s "$tmp/want.out" - || fail "echo on p: $(head -2 "$tmp/msg.out")"
[ "$(sed -n '3,5s/ .*//p' "$tmp/msg.out" | tr '\n' ' ')" = "1 200 240 " ] ||
	fail "boundaries on p: $(cut -c1-12 "$tmp/msg.out" | tr '\n' ' ')"
# fan-out: a second client of a gets the answer to the first's request
"$SOCK" -r 1 -t 20000 "$tmp/run/a.sock" >"$tmp/listener.out" &
listener=$!
pids="$pids $listener"
wait_for "$tmp/daemon.log" 3 "device a: client " 20 # 2 lines before, this connect
"$SOCK" "$tmp/run/a.sock" "ping" >"$tmp/msg.out" || fail "ping on a"
grep -qxF "4 pong" "$tmp/msg.out" || fail "a answered $(cat "$tmp/msg.out")"
wait "$listener" || fail "the second client of a got nothing"
grep -qxF "4 pong" "$tmp/listener.out" || fail "the listener got $(cat "$tmp/listener.out")"
# an oversize message is refused and counted
"$SOCK" -r 0 -t 300 -s 241 "$tmp/run/p.sock"
wait_for "$tmp/daemon.log" 1 "device p: refused a client message of 241 bytes (at most 240)" 10
[ "$(ctl status --json p | "$JSON" devices/0/drops/oversize)" = 1 ] || fail "oversize count"

# ---- a new handshake on demand, device reboots ----------------------------------------
ctl rehandshake b >"$tmp/ctl.out" || fail "rehandshake b exited $?"
grep -qxF "device b: new handshake started" "$tmp/ctl.out" || fail "rehandshake reply"
wait_for "$tmp/daemon.log" 1 "device b: session renewed with CN dev-b" 30
ctl rehandshake nosuch 2>/dev/null
[ $? -eq 1 ] || fail "rehandshake of an unknown device should exit 1"
t4=$(ms)
kill -USR1 "$bus_dev" # power-cycles b only (--reboot-only b)
wait_for "$tmp/daemon.log" 2 "device b: session renewed with CN dev-b" 60
t5=$(ms)
echo "figure: RS485 device reboot to new session: $((t5 - t4)) ms"
"$SOCK" "$tmp/run/b.sock" "get name" | grep -qxF "6 name=b" || fail "b after its reboot"
t4=$(ms)
kill -USR1 "$link_dev"
wait_for "$tmp/daemon.log" 1 "device p: session renewed with CN inter-dev" 60
t5=$(ms)
echo "figure: RS232 device reboot to new session: $((t5 - t4)) ms"
"$SOCK" "$tmp/run/p.sock" "after reboot" | grep -qxF "12 after reboot" || fail "p after its reboot"
[ "$(ctl status --json a | "$JSON" devices/0/handshakes/ok)" = 1 ] ||
	fail "a's session should not have been touched"

# ---- reload ---------------------------------------------------------------------------
write_conf no yes
ctl reload >"$tmp/ctl.out" || fail "serguardctl reload exited $?"
grep -qF "reloaded $tmp/serguard.conf: ports 0 added, 0 removed, 0 changed, 2 unchanged; devices 1 added, 1 removed, 0 changed, 3 unchanged" \
	"$tmp/ctl.out" || fail "reload reply: $(cat "$tmp/ctl.out")"
[ ! -e "$tmp/run/c.sock" ] || fail "the removed device's socket is still there"
[ -S "$tmp/run/e.sock" ] || fail "the added device has no socket"
wait_for "$tmp/dev-bus.log" 1 "session closed by the gateway" 10
grep -qF "device c: session closed" "$tmp/daemon.log" || fail "no CLOSE line for c"
grep -qF "device a: session closed" "$tmp/daemon.log" && fail "a's session was closed"
ctl status e | grep -qF "device e: handshaking, port bus, address 5" ||
	ctl status e | grep -qF "device e: down, port bus, address 5" || fail "status of e"
"$SOCK" "$tmp/run/a.sock" "get addr" | grep -qxF "6 addr=1" || fail "a after the reload"
[ "$(ctl status --json a | "$JSON" devices/0/handshakes/ok)" = 1 ] ||
	fail "a's session should have been kept"
write_conf yes no
kill -HUP "$daemon_pid"
wait_for "$tmp/daemon.log" 1 "devices 1 added, 1 removed, 0 changed, 3 unchanged" 10
wait_for "$tmp/daemon.log" 2 "device c: session up with CN dev-c" 30
"$SOCK" "$tmp/run/c.sock" "get name" | grep -qxF "6 name=c" || fail "c after it came back"
# a broken file changes nothing
cp "$tmp/serguard.conf" "$tmp/good.conf"
printf '[device z]\nport = nowhere\naddress = 300\n' >>"$tmp/serguard.conf"
ctl reload >"$tmp/ctl.out" 2>"$tmp/err.out"
[ $? -eq 78 ] || fail "a broken reload should exit 78"
grep -qF "$tmp/serguard.conf:" "$tmp/err.out" || fail "no FILE:LINE errors: $(cat "$tmp/err.out")"
grep -qF "the running configuration is unchanged" "$tmp/err.out" || fail "reload failure text"
ctl status | grep -qF "device c: up" || fail "c after the broken reload"
cp "$tmp/good.conf" "$tmp/serguard.conf"

# ---- the RS232 port vanishes and comes back -------------------------------------------
stop "$link_socat"
wait_for "$tmp/daemon.log" 1 "port link: " 10
wait_for "$tmp/daemon.log" 1 "lost (" 10
ctl status | grep -qF "port link: up" && fail "port link still up after its socat died"
t4=$(ms)
pair link
wait_for "$tmp/daemon.log" 2 "port link: up: " 30
"$SOCK" -t 30000 "$tmp/run/p.sock" "back" | grep -qxF "4 back" || fail "p after the port came back"
t5=$(ms)
echo "figure: RS232 port back to traffic: $((t5 - t4)) ms"
[ "$(ctl status --json | "$JSON" ports/name=link/lost)" = 1 ] || fail "port lost count"

# ---- stop -------------------------------------------------------------------------------
kill -TERM "$daemon_pid"
n=0
while kill -0 "$daemon_pid" 2>/dev/null; do
	[ $n -ge 100 ] && fail "serguardd did not stop within 10 s"
	sleep 0.1
	n=$((n + 1))
done
wait "$daemon_pid"
rc=$?
daemon_pid=""
[ $rc -eq 0 ] || fail "serguardd exited $rc after SIGTERM"
grep -qxF "stopped" "$tmp/daemon.log" || fail "no 'stopped' line"
for d in a b c p; do
	grep -qF "device $d: session closed" "$tmp/daemon.log" || fail "$d not closed at the stop"
done
wait_for "$tmp/dev-link.log" 1 "session closed by the gateway" 10
[ "$(count "$tmp/dev-bus.log" "session closed by the gateway")" -ge 4 ] ||
	fail "the bus devices did not all get CLOSE"
ls "$tmp/run" | grep -q '\.sock$' && fail "sockets left behind: $(ls "$tmp/run")"
ctl status 2>/dev/null
[ $? -eq 3 ] || fail "serguardctl without a daemon should exit 3"

if grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer" \
	"$tmp/daemon.log"; then
	fail "sanitizer report in the daemon's stderr"
fi
echo "PASS: serguardd with 4 devices on 2 ports: sessions, sockets, serguardctl, reboots, reload, port loss, stop"
exit 0
