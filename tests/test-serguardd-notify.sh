#!/bin/sh
# serguardd and systemd's notification protocol, against a fake
# $NOTIFY_SOCKET (tests/sg-sock -l): READY=1 once running, STATUS= lines,
# WATCHDOG=1 every half of $WATCHDOG_USEC, RELOADING=1 then READY=1 around
# a reload (SIGHUP and serguardctl reload), STOPPING=1 at SIGTERM; an
# abstract socket address ("@name"); no watchdog when $WATCHDOG_PID names
# another process; nothing at all without $NOTIFY_SOCKET.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-$(pwd)}
GWD=$build/daemon/serguardd
CTL=$build/daemon/serguardctl
SOCK=$build/tests/sg-sock
F=$top/tests/pki/fixtures
for p in "$GWD" "$CTL" "$SOCK"; do
	[ -x "$p" ] || { echo "ERROR: $p not built"; exit 99; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-notify.XXXXXX") || exit 99
pids=""
cleanup() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.out "$tmp"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f")"
		tail -n 40 "$f"
	done
	exit 1
}

count() {
	c=$(grep -cxF -- "$2" "$1" 2>/dev/null)
	echo "${c:-0}"
}

# wait_for FILE COUNT LINE: until FILE has COUNT lines equal to LINE
wait_for() {
	n=0
	while [ "$(count "$1" "$3")" -lt "$2" ]; do
		[ $n -ge 200 ] && fail "timed out waiting for '$3' (x$2) in $(basename "$1")"
		sleep 0.1
		n=$((n + 1))
	done
}

cp "$F/gw.key.der" "$tmp/gw.key"
chmod 600 "$tmp/gw.key"
cat >"$tmp/serguard.conf" <<EOF
[global]
ca = $F/ca.crt.der
cert = $F/gw.crt.der
key = $tmp/gw.key
socket_dir = $tmp/run
[port p]
device = $tmp/absent-tty
[device d]
port = p
identity = cn:dev-a
EOF

# run_daemon NAME ENV...: serguardd in the background with that environment
run_daemon() {
	name=$1
	shift
	env JOURNAL_STREAM= "$@" "$GWD" -c "$tmp/serguard.conf" 2>"$tmp/$name.log" &
	daemon=$!
	pids="$pids $daemon"
}

stop_daemon() {
	kill -TERM "$daemon"
	wait "$daemon"
	rc=$?
	[ $rc -eq 0 ] || fail "serguardd exited $rc after SIGTERM"
}

# ---- a path, with the watchdog ----
"$SOCK" -l -t 30000 "$tmp/notify" >"$tmp/notify.out" &
listener=$!
pids="$pids $listener"
n=0
while [ ! -S "$tmp/notify" ]; do
	[ $n -ge 100 ] && fail "the fake notify socket did not appear"
	sleep 0.05
	n=$((n + 1))
done
run_daemon main NOTIFY_SOCKET="$tmp/notify" WATCHDOG_USEC=200000
wait_for "$tmp/notify.out" 1 "READY=1"
wait_for "$tmp/notify.out" 1 "STATUS=0/1 ports up, 0/1 sessions up"
wait_for "$tmp/notify.out" 3 "WATCHDOG=1"
grep -qxF "systemd watchdog: a ping every 100 ms" "$tmp/main.log" || fail "no watchdog line"
[ "$(head -n 1 "$tmp/notify.out")" = "READY=1" ] || fail "READY=1 is not the first message"
kill -HUP "$daemon"
wait_for "$tmp/notify.out" 1 "RELOADING=1"
wait_for "$tmp/notify.out" 2 "READY=1"
"$CTL" -s "$tmp/run/control.sock" reload >/dev/null || fail "serguardctl reload"
wait_for "$tmp/notify.out" 2 "RELOADING=1"
wait_for "$tmp/notify.out" 3 "READY=1"
# RELOADING=1 always comes before its READY=1
awk '$0 == "RELOADING=1" { r++ } $0 == "READY=1" { if (++k > 1 && k - 1 > r) bad = 1 } END { exit bad }' \
	"$tmp/notify.out" || fail "READY=1 before RELOADING=1"
stop_daemon
wait_for "$tmp/notify.out" 1 "STOPPING=1"
w=$(count "$tmp/notify.out" "WATCHDOG=1")
sleep 0.3
[ "$(count "$tmp/notify.out" "WATCHDOG=1")" -eq "$w" ] || fail "WATCHDOG=1 after the stop"
kill "$listener" 2>/dev/null

# ---- an abstract address; the watchdog is another process's ----
abs="@sg-notify-test-$$-$(date +%N)"
"$SOCK" -l -t 30000 "$abs" >"$tmp/abstract.out" &
pids="$pids $!"
sleep 0.2
run_daemon abstract NOTIFY_SOCKET="$abs" WATCHDOG_USEC=200000 WATCHDOG_PID=1
wait_for "$tmp/abstract.out" 1 "READY=1"
sleep 0.5
stop_daemon
wait_for "$tmp/abstract.out" 1 "STOPPING=1"
[ "$(count "$tmp/abstract.out" "WATCHDOG=1")" -eq 0 ] || fail "a watchdog that is not ours"

# ---- no NOTIFY_SOCKET: nothing, and the daemon runs as usual ----
run_daemon plain
n=0
while ! grep -q "^running: " "$tmp/plain.log"; do
	[ $n -ge 200 ] && fail "serguardd did not start without NOTIFY_SOCKET"
	sleep 0.1
	n=$((n + 1))
done
stop_daemon
grep -q "watchdog" "$tmp/plain.log" && fail "a watchdog without systemd"
echo "PASS: READY, STATUS, WATCHDOG, RELOADING, STOPPING on a path and an abstract address"
exit 0
