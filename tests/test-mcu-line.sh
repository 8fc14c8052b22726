#!/bin/sh
# The reference firmware (proto/examples/mps2-an386) under QEMU, its UART
# on a pty, against tests/gw-peer (a scripted gateway on sg_conn with the
# test PKI's gateway credential; record freshness on, 5 s, as the
# firmware, gw-peer and serguardd have it by default), as an RS232 device
# and as a device on an RS485 bus:
#  1. RS232: handshake over the emulated UART, 50 messages echoed;
#  2. RS485 (FW_BUS=1 image): the gateway polls; 30 messages echoed, the
#     firmware answers only when polled and stays silent when nobody polls
#     (with a 2 s response timeout: an emulator on a busy host is not
#     real-time).
# Run by `make check-mcu` (needs the Cortex-M build and qemu-system-arm).
set -eu
top_srcdir=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd)
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/mcu-qemu.sh"
mcu_need test-mcu-line.sh
F=$top_srcdir/tests/pki/fixtures
GW=$top_builddir/tests/gw-peer

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-mcu-line.XXXXXX")
cleanup() {
	mcu_stop
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	echo "--- gw-peer:"
	sed 's/^/  | /' "$tmp/gw.out" 2>/dev/null || true
	echo "--- firmware log (UART1):"
	sed 's/^/  | /' "$tmp/firmware.log" 2>/dev/null || true
	exit 1
}

# val PREFIX KEY: KEY's value on gw-peer's line starting with PREFIX
val() {
	awk -v p="$1 " -v k="$2" 'index($0, p) == 1 {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) { print kv[2]; exit } }
	}' "$tmp/gw.out"
}

# 1. RS232
mcu_start
"$GW" --port "$pty" --ca "$F/ca.crt.der" --cert "$F/gw" --mode rs232 --baud 115200 \
	--device 1:dev-a --count 50 --window 4 --timeout-ms 60000 \
	>"$tmp/gw.out" 2>&1 ||
	fail "rs232: gw-peer failed"
[ "$(val "dev 1" cn)" = dev-a ] || fail "rs232: peer identity"
[ "$(val "dev 1" echo_ok)" = 50 ] || fail "rs232: echoes"
[ "$(val "dev 1" echo_bad)" = 0 ] || fail "rs232: altered echoes"
grep -qF "session up, peer gateway" "$tmp/firmware.log" || fail "rs232: no session in the firmware log"
echo "rs232: handshake $(val "dev 1" handshake_ms) ms, 50/50 messages echoed"
mcu_stop

# 2. RS485 bus, the firmware at address 1
mcu_start "$SG_MCU_BUILD/m4/firmware-bus.elf"
"$GW" --port "$pty" --ca "$F/ca.crt.der" --cert "$F/gw" --mode rs485 --baud 115200 \
	--response-timeout 2000 --device 1:dev-a --count 30 \
	--timeout-ms 60000 --quiet-check 500 \
	>"$tmp/gw.out" 2>&1 ||
	fail "rs485: gw-peer failed"
[ "$(val "dev 1" cn)" = dev-a ] || fail "rs485: peer identity"
[ "$(val "dev 1" echo_ok)" = 30 ] || fail "rs485: echoes"
[ "$(val "dev 1" unpolled)" = 0 ] || fail "rs485: frames sent without a poll"
[ "$(val bus quiet_bytes)" = 0 ] || fail "rs485: bytes while nobody polled"
[ "$(val bus quiet_check)" = 1 ] || fail "rs485: the quiet check did not run"
echo "rs485: handshake $(val "dev 1" handshake_ms) ms, 30/30 messages echoed, answers only when polled"
echo "PASS: firmware on QEMU against gw-peer over its UART, RS232 and RS485"
