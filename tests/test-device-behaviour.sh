#!/bin/sh
# serguard-device's selectable behaviours: command/response, periodic
# telemetry on a polled bus, a slow MCU (--slow), a wrong wall clock
# (--clock-offset: certificates look not yet valid / expired), counters
# on SIGUSR2, an orderly CLOSE on SIGTERM, the key-file permission
# warning and the command line. Needs socat (SKIP).
. "${top_srcdir:-.}/tests/device-lib.sh"

# 0. command line
"$DEV" --help >"$tmp/help.out" 2>&1 || fail "--help exited non-zero"
grep -q -- "--reboot-after" "$tmp/help.out" || fail "--help does not list the options"
"$DEV" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option must exit 2"
"$DEV" --port x --ca "$F/ca.crt.der" --device a:1:"$F/dev-a" --device b:2:"$F/dev-b" \
	>/dev/null 2>&1
[ $? -eq 2 ] || fail "rs232 with two devices must exit 2"
"$DEV" --port x --ca "$F/ca.crt.der" --device a:0:"$F/dev-a" >/dev/null 2>&1
[ $? -eq 2 ] || fail "address 0 must exit 2"

# credentials in a private copy: mode 600 gives no warning, 644 one
mkdir "$tmp/cred"
cp "$F/dev-a.crt.der" "$F/dev-a.key.raw" "$tmp/cred/"
chmod 600 "$tmp/cred/dev-a.key.raw"

# 1. command/response on RS232; the device's answers come back in order
pair c
device c --mode rs232 --behaviour command --device a:7:"$tmp/cred/dev-a"
gw c --mode rs232 --device 7:dev-a --send "7:ping" --send "7:set colour blue" \
	--send "7:get colour" --send "7:get name" --send "7:get addr" \
	--send "7:get nosuch" --send "7:frobnicate" --run-ms 1500 --timeout-ms 30000 ||
	fail "command: gw-peer failed"
grep '^rx 7 ' "$tmp/c.gw.out" >"$tmp/c.rx"
printf '%s\n' "rx 7 pong" "rx 7 ok colour=blue" "rx 7 colour=blue" "rx 7 name=a" \
	"rx 7 addr=7" "rx 7 error unknown key nosuch" "rx 7 error unknown command" \
	>"$tmp/c.want"
cmp -s "$tmp/c.rx" "$tmp/c.want" || { diff "$tmp/c.want" "$tmp/c.rx"; fail "command replies"; }
grep -q "warning" "$tmp/c.dev.log" && fail "a mode 600 key file must not warn"

# 2. SIGUSR2 writes the counters while running; SIGTERM sends CLOSE
rm -f "$tmp/c.gw.out" # wait for this run's output, not the last one's
gw_bg c --mode rs232 --device 7:dev-a --duration 4000
wait_for "$tmp/c.gw.out" "^established" 100 || fail "no session for the signal test"
rm -f "$tmp/c.stats"
kill -USR2 "$devpid"
wait_for "$tmp/c.stats" "established=1" 50 || fail "SIGUSR2 did not write the counters"
expect_eq "stats: sessions" "$(val "$tmp/c.stats" a sessions)" 2
kill -TERM "$devpid"
n=0
while kill -0 "$devpid" 2>/dev/null && [ $n -lt 30 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -0 "$devpid" 2>/dev/null && fail "the device did not exit within 3 s of SIGTERM"
wait "$devpid" || fail "the device exited non-zero on SIGTERM"
wait "$gwpid"
expect_eq "gateway received CLOSE" "$(val "$tmp/c.gw.out" "dev 7" closes)" 1
grep -q "closing the session" "$tmp/c.dev.log" || fail "no close logged"

# 3. telemetry every 100 ms on a bus: samples arrive only in answer to
# polls, in order, each from its own device
pair t
device t --mode rs485 --behaviour telemetry --interval 100 --device a:1:"$F/dev-a" \
	--device b:2:"$F/dev-b"
gw t --mode rs485 --device 1:dev-a --device 2:dev-b --run-ms 1500 --quiet-check 500 \
	--timeout-ms 30000 || fail "telemetry: gw-peer failed"
for d in "1 a" "2 b"; do
	set -- $d
	grep "^rx $1 " "$tmp/t.gw.out" >"$tmp/t.rx$1"
	nrx=$(grep -c "^rx $1 telemetry $2 seq=" "$tmp/t.rx$1")
	expect_ge "telemetry samples from $2" "$nrx" 5
	expect_eq "telemetry lines from $2 that are not its own" \
		"$(grep -vc "^rx $1 telemetry $2 seq=" "$tmp/t.rx$1")" 0
	sed 's/.* seq=\([0-9]*\) .*/\1/' "$tmp/t.rx$1" >"$tmp/t.seq$1"
	sort -n "$tmp/t.seq$1" | cmp -s - "$tmp/t.seq$1" || fail "telemetry of $2 out of order"
done
expect_eq "telemetry: bytes while nobody polled" "$(val "$tmp/t.gw.out" bus quiet_bytes)" 0
stop "$devpid"

# 4. a slow MCU: every handshake step that needs the private key is
# answered BUSY and takes 300 ms, so two such steps (message_2 and
# message_4) take at least 600 ms; echoes at least 300 ms
cp "$F/dev-a.key.raw" "$tmp/cred/slow.key.raw"
cp "$F/dev-a.crt.der" "$tmp/cred/slow.crt.der"
chmod 644 "$tmp/cred/slow.key.raw"
pair s
device s --mode rs232 --slow 300 --device a:1:"$tmp/cred/slow"
gw s --mode rs232 --device 1:dev-a --count 5 --timeout-ms 30000 || fail "slow: gw-peer failed"
stop "$devpid"
expect_ge "slow: handshake ms" "$(val "$tmp/s.gw.out" "dev 1" handshake_ms)" 600
expect_ge "slow: echo round trip ms" "$(val "$tmp/s.gw.out" "dev 1" rtt_min_ms)" 300
grep -q "warning: .*slow.key.raw: private key is accessible by group or others" \
	"$tmp/s.dev.log" || fail "a mode 644 key file must warn"
echo "slow: handshake $(val "$tmp/s.gw.out" "dev 1" handshake_ms) ms," \
	"echo $(val "$tmp/s.gw.out" "dev 1" rtt_min_ms) ms"

# 5. a wrong wall clock: 12 years behind, the gateway's certificate
# (valid from 2025) is not yet valid; 22 years ahead (past 2045) expired.
# No session may come up; the device names the reason.
for c in "k1 -378432000 SG_ECERTFUTURE" "k2 694224000 SG_ECERTEXPIRED"; do
	set -- $c
	pair "$1"
	device "$1" --mode rs232 --clock-offset "$2" --device a:1:"$F/dev-a"
	gw "$1" --mode rs232 --device 1:dev-a --duration 2500
	stop "$devpid"
	expect_eq "clock $2: sessions" "$(val "$tmp/$1.gw.out" "dev 1" hs_completed)" 0
	expect_eq "clock $2: device sessions" "$(val "$tmp/$1.stats" a sessions)" 0
	expect_eq "clock $2: device's reason" "$(val "$tmp/$1.stats" a last_hs_error)" "$3"
	echo "clock offset $2 s: refused, $3"
done
echo "behaviours ok"
