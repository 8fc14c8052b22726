#!/bin/sh
# Line-rate emulation and loss. --baud N makes a handshake take at least
# the time its bytes need on an N-baud line (printed; only a generous
# lower bound is asserted: never a tight timing); --loss / --loss-in drop
# whole frames and the session still carries messages (round trips
# counted). Needs socat (SKIP).
. "${top_srcdir:-.}/tests/device-lib.sh"

# run_baud TAG BAUD DEVICE-OPTS -- GW-OPTS: one RS232 handshake + 5 echoes
run_baud() {
	tag=$1
	baud=$2
	shift 2
	dargs=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		dargs="$dargs $1"
		shift
	done
	shift
	pair "$tag"
	# shellcheck disable=SC2086
	device "$tag" --mode rs232 --device a:1:"$F/dev-a" --baud "$baud" $dargs
	gw "$tag" --mode rs232 --device 1:dev-a --count 5 --timeout-ms 60000 "$@" ||
		fail "$tag: gw-peer failed"
	stop "$devpid"
	out=$tmp/$tag.gw.out
	ms=$(val "$out" "dev 1" handshake_ms)
	bytes=$(val "$out" "dev 1" hs_bytes)
	wire=$((bytes * 10000 / baud))
	echo "figure: $tag baud=$baud handshake_ms=$ms handshake_bytes=$bytes" \
		"wire_ms=$wire echo_rtt_min_ms=$(val "$out" "dev 1" rtt_min_ms)"
	# RS232 is full duplex and the device's own message_1 may cross the
	# gateway's, so not every byte is sequential: half the wire time is
	# a bound that holds, and that an unpaced pty (a few ms) misses.
	[ "$((ms * 2))" -ge "$wire" ] ||
		fail "$tag: handshake took $ms ms, less than half its wire time $wire ms"
	[ "$ms" -lt 60000 ] || fail "$tag: handshake took $ms ms"
}

run_baud b9600 9600 --
run_baud b115200 115200 --
# certificates by reference (x5t): the 291-byte handshake of PROTOCOL.md 4
run_baud b9600x5t 9600 --id-cred x5t --gateway-cert "$F/gw.crt.der" -- \
	--id-cred x5t --peer-cert "$F/dev-a.crt.der"

# the bus at 115200: three devices, handshakes one poll at a time
pair bus
device bus --mode rs485 --baud 115200 --device a:1:"$F/dev-a" \
	--device b:2:"$F/dev-b" --device c:3:"$F/dev-c"
gw bus --mode rs485 --baud 115200 --device 1:dev-a --device 2:dev-b --device 3:dev-c \
	--count 5 --timeout-ms 60000 || fail "bus 115200: gw-peer failed"
stop "$devpid"
echo "figure: rs485 3 devices baud=115200 established after" \
	"$(val "$tmp/bus.gw.out" "dev 1" handshake_ms)," \
	"$(val "$tmp/bus.gw.out" "dev 2" handshake_ms)," \
	"$(val "$tmp/bus.gw.out" "dev 3" handshake_ms) ms"

# loss: 20% of the device's frames (then of the gateway's) vanish; the
# handshake retransmits (gateway RTO 300 ms), echoes are counted
for dir in loss loss-in; do
	pair "$dir"
	device "$dir" --mode rs232 --device a:1:"$F/dev-a" --"$dir" 20 --seed 4
	gw "$dir" --mode rs232 --device 1:dev-a --count 100 --window 4 --rto 300 \
		--msg-timeout 500 --min-replies 40 --timeout-ms 60000 ||
		fail "--$dir 20: gw-peer failed"
	stop "$devpid"
	out=$tmp/$dir.gw.out
	if [ $dir = loss ]; then
		lost=$(val "$tmp/$dir.stats" line frames_lost_out)
	else
		lost=$(val "$tmp/$dir.stats" line frames_lost_in)
	fi
	expect_ge "--$dir 20: frames dropped" "$lost" 1
	expect_eq "--$dir 20: altered echoes" "$(val "$out" "dev 1" echo_bad)" 0
	echo "figure: --$dir 20: $(val "$out" "dev 1" echo_ok)/100 round trips," \
		"$lost frames dropped, handshake $(val "$out" "dev 1" handshake_ms) ms" \
		"($(val "$out" "dev 1" hs_retransmits) retransmissions)"
done
