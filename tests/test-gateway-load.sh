#!/bin/sh
# The gateway-at-scale benchmark program as a correctness check: serguardd
# with 8 emulated RS485 devices on 2 pty ports, all played by
# tests/bench/gateway-load; passes when every session came up and every
# message of the paced phase (both ways) was delivered (no saturation
# phase: it would only load the machine other tests share). Timings are
# printed by the program but never asserted. SKIP (77) without ptys.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-$(pwd)}
LOAD=$build/tests/bench/gateway-load
[ -x "$LOAD" ] || { echo "ERROR: $LOAD not built"; exit 99; }
[ -x "$build/daemon/serguardd" ] || { echo "ERROR: serguardd not built"; exit 99; }
top_srcdir=$top top_builddir=$build "$LOAD" --check --sizes 8 --latency-seconds 2 \
	--rate 200 --saturation-seconds 0
