#!/bin/sh
# End to end: the reference firmware (proto/examples/mps2-an386) under
# QEMU, its UART0 on a pty, is a device of the real gateway daemon:
# serguardd opens the pty as an RS232 port (then, with the firmware's bus
# image, as an RS485 bus it polls), runs the handshake with the firmware
# (test PKI: gateway "gw", device "dev-a"; the daemon's default settings),
# and a local program talks to the device through its Unix socket
# (tests/sg-sock): each message written to the socket reaches the
# firmware, whose echo comes back on the socket.
# Run by `make check-mcu` (needs the Cortex-M build and qemu-system-arm).
set -eu
top_srcdir=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd)
top_builddir=${top_builddir:-.}
daemon="$top_builddir/daemon/serguardd"
. "$top_srcdir/tests/mcu-qemu.sh"
mcu_need test-mcu-e2e.sh

sgsock="$top_builddir/tests/sg-sock"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-mcu-e2e.XXXXXX")
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
	mcu_stop
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	echo "--- serguardd log:"
	sed 's/^/  | /' "$tmp/log" 2>/dev/null || true
	echo "--- firmware log (UART1):"
	sed 's/^/  | /' "$tmp/firmware.log" 2>/dev/null || true
	exit 1
}

# wait_for SECONDS TEXT: until the daemon's log has a line containing TEXT
wait_for() {
	i=0
	while ! grep -qF -- "$2" "$tmp/log"; do
		i=$((i + 1))
		[ $i -lt $(($1 * 100)) ] || fail "timed out waiting for '$2'"
		kill -0 "$daemon_pid" 2>/dev/null || fail "serguardd exited"
		sleep 0.01
	done
}

cp "$top_srcdir/tests/pki/fixtures/gw.key.der" "$tmp/gw.key"
chmod 600 "$tmp/gw.key"

# run MODE IMAGE DEVICE-OPTIONS PORT-OPTIONS: the firmware IMAGE under
# QEMU, serguardd with one port in MODE on its pty, the device at address 1
run() {
	mode=$1
	mcu_start "$2"
	cat >"$tmp/serguard.conf" <<CONF
[global]
ca = $top_srcdir/tests/pki/fixtures/ca.crt.der
cert = $top_srcdir/tests/pki/fixtures/gw.crt.der
key = $tmp/gw.key
socket_dir = $tmp/run
control_socket = $tmp/control.sock
[port line]
device = $pty
mode = $mode
baud = 115200
$4
[device dev-a]
port = line
address = 1
identity = cn:dev-a
$3
CONF
	: >"$tmp/log"
	env JOURNAL_STREAM= "$daemon" -c "$tmp/serguard.conf" 2>>"$tmp/log" &
	daemon_pid=$!

	wait_for 10 "running: 1 ports, 1 devices"
	# the handshake: a second or so of P-256 on each side under QEMU
	wait_for 60 "device dev-a: session up with CN dev-a"
	grep -qF "session up, peer gateway" "$tmp/firmware.log" ||
		fail "$mode: the firmware has no session"

	sock="$tmp/run/dev-a.sock"
	i=0
	while [ ! -S "$sock" ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || fail "$mode: no device socket $sock"
		sleep 0.01
	done

	# messages through the device socket, each echoed by the firmware
	n=0
	for len in 1 17 100 240; do
		"$sgsock" -t 20000 -s "$len" "$sock" >"$tmp/sock.out" 2>&1 ||
			fail "$mode: sg-sock: no echo of a $len-byte message: $(cat "$tmp/sock.out")"
		want="$len $(printf "%${len}s" "" | tr ' ' x)"
		[ "$(cat "$tmp/sock.out")" = "$want" ] ||
			fail "$mode: echo of $len bytes: $(cat "$tmp/sock.out")"
		n=$((n + 1))
	done
	"$sgsock" -t 20000 "$sock" "first" "second" "third" >"$tmp/sock.out" 2>&1 ||
		fail "$mode: sg-sock: three messages: $(cat "$tmp/sock.out")"
	[ "$(cat "$tmp/sock.out")" = "$(printf '5 first\n6 second\n5 third')" ] ||
		fail "$mode: three messages came back as: $(cat "$tmp/sock.out")"
	n=$((n + 3))

	kill -TERM "$daemon_pid"
	set +e
	wait "$daemon_pid"
	rc=$?
	set -e
	daemon_pid=
	[ $rc -eq 0 ] || fail "$mode: serguardd exited $rc after SIGTERM"
	mcu_stop
	echo "$mode: handshake, $n messages through the device socket and back"
}

run rs232 "$firmware" "role = initiator" ""
# The bus image answers only when polled; the daemon is the bus master. An
# emulator is not real-time (a busy host can hold QEMU back for longer
# than a real device would take), so the bus waits longer for an answer
# than it would on a real line: a record answered late is dropped by the
# bus discipline and, records not being retransmitted, its message lost.
run rs485 "$SG_MCU_BUILD/m4/firmware-bus.elf" "" "response_timeout_ms = 2000"
echo "PASS: serguardd and the firmware on QEMU, RS232 and RS485"
