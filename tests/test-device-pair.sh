#!/bin/sh
# serguard-device against a minimal gateway (tests/gw-peer) over socat pty
# pairs: an RS232 echo device returns 100 messages unaltered; three
# devices on one RS485 bus each get their own messages and answer only
# when polled, and stay silent when nobody polls. Needs socat (SKIP).
. "${top_srcdir:-.}/tests/device-lib.sh"

# 1. RS232, one echo device: handshake, then 100 messages round trip
pair p1
device p1 --mode rs232 --device a:1:"$F/dev-a"
gw p1 --mode rs232 --device 1:dev-a --count 100 --window 4 --timeout-ms 60000 ||
	fail "rs232 echo: gw-peer failed"
out=$tmp/p1.gw.out
expect_eq "rs232 peer identity" "$(val "$out" "dev 1" cn)" dev-a
expect_eq "rs232 echoes back" "$(val "$out" "dev 1" echo_ok)" 100
expect_eq "rs232 altered echoes" "$(val "$out" "dev 1" echo_bad)" 0
stop "$devpid"
expect_eq "rs232 device got" "$(val "$tmp/p1.stats" a msgs_in)" 100
expect_eq "rs232 device sent" "$(val "$tmp/p1.stats" a msgs_out)" 100
expect_eq "rs232 device saw gateway" "$(val "$tmp/p1.stats" a last_peer)" gateway
echo "rs232 echo: 100/100, handshake $(val "$out" "dev 1" handshake_ms) ms"

# 2. RS485, three devices behind one pty; the gateway polls in turn.
# gw-peer fails on any frame that is not the one answer of the polled
# device (unpolled), on an echo from the wrong device (bad), and on any
# byte during 500 ms in which nobody is polled (quiet check).
pair p2
device p2 --mode rs485 --device a:1:"$F/dev-a" --device b:2:"$F/dev-b" \
	--device c:3:"$F/dev-c"
gw p2 --mode rs485 --device 1:dev-a --device 2:dev-b --device 3:dev-c \
	--count 30 --timeout-ms 60000 --quiet-check 500 ||
	fail "rs485 bus: gw-peer failed"
out=$tmp/p2.gw.out
for d in "1 dev-a a" "2 dev-b b" "3 dev-c c"; do
	set -- $d
	expect_eq "rs485 $3 identity" "$(val "$out" "dev $1" cn)" "$2"
	expect_eq "rs485 $3 echoes" "$(val "$out" "dev $1" echo_ok)" 30
	expect_eq "rs485 $3 unpolled frames" "$(val "$out" "dev $1" unpolled)" 0
done
expect_eq "rs485 quiet bytes" "$(val "$out" bus quiet_bytes)" 0
expect_eq "rs485 quiet check ran" "$(val "$out" bus quiet_check)" 1
stop "$devpid"
for d in a b c; do
	expect_eq "rs485 $d got its own" "$(val "$tmp/p2.stats" $d msgs_in)" 30
	# it heard the others' frames and kept out of them
	expect_ge "rs485 $d ignored other addresses" "$(val "$tmp/p2.stats" $d wrong_addr)" 1
done
echo "rs485 bus: 3 devices x 30 echoes, answers only when polled"
