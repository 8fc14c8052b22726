#!/bin/sh
# A device that loses its state mid-traffic (power cycle) is back within
# one handshake: RS232 by SIGUSR1 (the device initiates), RS485 by
# --reboot-after on one device of three (it asks to be handshaken in its
# answer to the next poll; the other two keep their sessions). Needs
# socat (SKIP).
. "${top_srcdir:-.}/tests/device-lib.sh"

# 1. RS232: SIGUSR1 after 30 echoes of 200
pair r1
device r1 --mode rs232 --device a:1:"$F/dev-a"
gw_bg r1 --mode rs232 --device 1:dev-a --count 200 --window 2 --send-interval 10 \
	--msg-timeout 1500 --min-replies 100 --progress --timeout-ms 60000
wait_for "$tmp/r1.gw.out" "progress 1 30" 300 || fail "rs232: no traffic before the reboot"
kill -USR1 "$devpid"
wait "$gwpid" || fail "rs232: gw-peer failed after the reboot"
out=$tmp/r1.gw.out
# the gateway's engine completed exactly two handshakes: one at start,
# one after the power cycle
expect_eq "rs232 gateway handshakes" "$(val "$out" "dev 1" hs_completed)" 2
expect_ge "rs232 echoes (most after the reboot)" "$(val "$out" "dev 1" echo_ok)" 100
expect_eq "rs232 altered echoes" "$(val "$out" "dev 1" echo_bad)" 0
stop "$devpid"
expect_eq "rs232 device boots" "$(val "$tmp/r1.stats" a boots)" 2
expect_eq "rs232 device sessions" "$(val "$tmp/r1.stats" a sessions)" 2
echo "rs232: reboot recovered, $(val "$out" "dev 1" echo_ok)/200 echoes," \
	"$(val "$out" "dev 1" echo_lost) lost around the reboot"

# 2. RS485: b alone power-cycles 1.5 s after start, mid-traffic
pair r2
device r2 --mode rs485 --device a:1:"$F/dev-a" --device b:2:"$F/dev-b" \
	--device c:3:"$F/dev-c" --reboot-after 1500 --reboot-only b
gw r2 --mode rs485 --device 1:dev-a --device 2:dev-b --device 3:dev-c \
	--count 150 --window 2 --send-interval 20 --msg-timeout 1500 --min-replies 75 \
	--timeout-ms 60000 || fail "rs485: gw-peer failed"
out=$tmp/r2.gw.out
expect_eq "rs485 a handshakes" "$(val "$out" "dev 1" hs_completed)" 1
expect_eq "rs485 b handshakes" "$(val "$out" "dev 2" hs_completed)" 2
expect_eq "rs485 c handshakes" "$(val "$out" "dev 3" hs_completed)" 1
expect_ge "rs485 b asked for a handshake" "$(val "$out" "dev 2" requests_received)" 1
expect_eq "rs485 unpolled frames" "$(val "$out" "dev 2" unpolled)" 0
stop "$devpid"
expect_eq "rs485 a boots" "$(val "$tmp/r2.stats" a boots)" 1
expect_eq "rs485 b boots" "$(val "$tmp/r2.stats" b boots)" 2
expect_eq "rs485 b sessions" "$(val "$tmp/r2.stats" b sessions)" 2
grep -q "b: power off" "$tmp/r2.dev.log" || fail "rs485: b did not power-cycle"
echo "rs485: b rebooted and recovered ($(val "$out" "dev 2" echo_ok)/150 echoes);" \
	"a and c kept their sessions"
