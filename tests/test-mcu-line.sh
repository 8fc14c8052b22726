#!/bin/sh
# The reference firmware (proto/examples/mps2-an386) under QEMU, its UART
# on a pty, against the gateway end of a serial line in a host program
# (tests/sg-line-peer: a session engine with the test PKI's gateway
# credential): the handshake over the emulated UART, then messages both
# ways (every message echoed by the firmware, and its greeting).
# Run by `make check-mcu` (needs the Cortex-M build and qemu-system-arm).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
export top_srcdir
. "$top_srcdir/tests/mcu-qemu.sh"
mcu_need test-mcu-line.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-mcu-line.XXXXXX")
cleanup() {
	mcu_stop
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mcu_start
set +e
"$top_builddir/tests/sg-line-peer" -n 20 -t 60 "$pty" >"$tmp/peer.out" 2>&1
rc=$?
set -e
cat "$tmp/peer.out"
if [ $rc -ne 0 ]; then
	echo "FAIL: sg-line-peer exited $rc; firmware log:"
	sed 's/^/  | /' "$tmp/firmware.log"
	exit 1
fi
grep -qF "session up, peer gateway" "$tmp/firmware.log" || {
	echo "FAIL: the firmware did not log its session"
	exit 1
}
echo "PASS: firmware on QEMU: handshake and 20 echoed messages over its UART"
