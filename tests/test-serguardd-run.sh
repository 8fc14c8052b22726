#!/bin/sh
# serguardd running, on a socat pty pair: it opens the configured port,
# polls the device (which does not answer, so it is marked down),
# reloads on SIGHUP (an added device keeps the port open, a changed port
# is reopened, a broken file changes nothing), notices the port vanish and
# come back, and stops cleanly on SIGTERM.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
daemon="$top_builddir/daemon/serguardd"

if [ -z "${SOCAT:-}" ]; then
	echo "SKIP: test-serguardd-run.sh needs socat (Debian: apt-get install socat)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-run.XXXXXX")
socat_pid=
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
	[ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
status=0

fail() {
	echo "FAIL: $*"
	echo "--- daemon log:"
	sed 's/^/  | /' "$tmp/log"
	exit 1
}

start_socat() {
	"$SOCAT" pty,raw,echo=0,link="$tmp/a" pty,raw,echo=0,link="$tmp/b" 2>/dev/null &
	socat_pid=$!
	i=0
	while [ ! -e "$tmp/a" ] || [ ! -e "$tmp/b" ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || fail "socat did not create its links"
		sleep 0.01
	done
}

# wait_for COUNT TEXT: until the log has COUNT lines containing TEXT
wait_for() {
	i=0
	while [ "$(grep -cF -- "$2" "$tmp/log" || true)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -lt 1000 ] || fail "timed out waiting for '$2' (x$1)"
		sleep 0.01
	done
}

write_conf() { # BAUD EXTRA-DEVICE(yes/no) -> $tmp/serguard.conf
	cat >"$tmp/serguard.conf.new" <<CONF
[global]
ca = $top_srcdir/tests/pki/fixtures/ca.crt.der
cert = $top_srcdir/tests/pki/fixtures/gw.crt.der
key = $tmp/gw.key
socket_dir = $tmp/run
[port bus]
device = $tmp/a
mode = rs485
baud = $1
[device d1]
port = bus
address = 1
identity = cn:d1
CONF
	if [ "$2" = yes ]; then
		printf '[device d2]\nport = bus\naddress = 2\nidentity = cn:d2\n' >>"$tmp/serguard.conf.new"
	fi
	mv "$tmp/serguard.conf.new" "$tmp/serguard.conf"
}

cp "$top_srcdir/tests/pki/fixtures/gw.key.der" "$tmp/gw.key"
chmod 600 "$tmp/gw.key"
: >"$tmp/log"
write_conf 19200 no
start_socat
env JOURNAL_STREAM= "$daemon" -c "$tmp/serguard.conf" 2>>"$tmp/log" &
daemon_pid=$!

wait_for 1 "running: 1 ports, 1 devices"
wait_for 1 "port bus: up: $tmp/a -> /dev/pts/"
grep -qF "19200 8N1, rs485" "$tmp/log" || fail "line settings not logged"
grep -qF "warning: port bus: " "$tmp/log" || fail "no RS485 warning for a pty"
grep -qF "device d1: port bus, address 1" "$tmp/log" || fail "device not started"
# nothing answers on the other end: the bus finds out
wait_for 1 "warning: device d1 (port bus, address 1): not answering; marked down, polled every 5000 ms"

# reload: a device added, the port unchanged and kept open
write_conf 19200 yes
kill -HUP "$daemon_pid"
wait_for 1 "reloaded $tmp/serguard.conf: ports 0 added, 0 removed, 0 changed, 1 unchanged; devices 1 added, 0 removed, 0 changed, 1 unchanged"
[ "$(grep -cF "port bus: up:" "$tmp/log")" -eq 1 ] || fail "the unchanged port was reopened"

# reload: the port's speed changed, so it is reopened
write_conf 9600 yes
kill -HUP "$daemon_pid"
wait_for 1 "ports 0 added, 0 removed, 1 changed, 0 unchanged; devices 0 added, 0 removed, 0 changed, 2 unchanged"
wait_for 1 "9600 8N1, rs485"

# reload: a broken file changes nothing
printf '[global]\nbaud = 1\n' >"$tmp/serguard.conf"
kill -HUP "$daemon_pid"
wait_for 1 "reload failed (4 errors); the running configuration is unchanged"
grep -qF "$tmp/serguard.conf:2: baud: unknown option in [global]" "$tmp/log" ||
	fail "the reload's errors were not logged"

# the port vanishes and comes back
kill "$socat_pid"
wait "$socat_pid" 2>/dev/null || true
socat_pid=
wait_for 1 "lost (hang-up); reopening"
start_socat
wait_for 3 "port bus: up: "

# SIGTERM: a clean stop
kill -TERM "$daemon_pid"
set +e
wait "$daemon_pid"
rc=$?
set -e
daemon_pid=
[ $rc -eq 0 ] || fail "serguardd exited $rc after SIGTERM"
grep -qxF "stopped" "$tmp/log" || fail "no 'stopped' line"
grep -qF "port bus: closed" "$tmp/log" || fail "the port was not closed"
echo "PASS: serguardd opens, reloads, reopens and stops"
exit $status
