#!/bin/sh
# System-level attacks (tests/ATTACKS.md): serguardd (as built, under
# ASan/UBSan in a sanitizer build) on one RS485 bus, with tests/wire-mitm
# on the line between it and the devices:
#
#   serguardd <-> pty <-> wire-mitm <-> pty 0: serguard-device a (address 1)
#                                   <-> pty 1: serguard-device b, c (2, 3)
#                                   <-> pty 2: a rogue serguard-device (F7)
#
# The mitm forwards frame by frame and, on command, replays, forges, holds,
# cuts off, jams and adds noise. Each scenario is named by its catalogue ID
# and ends by checking that every legitimate device is still served
# (answers "get name" through its socket with its own name, exactly once).
# Fails on any sanitizer report in the daemon's stderr. Prints "figure:"
# lines with timings (not asserted).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-$(pwd)}
SOCAT=${SOCAT-}
if [ -z "$SOCAT" ]; then
	# socat is not used here, but the suite's other line tests need it and
	# a host without it has no pty tooling tested either: keep them in step
	echo "SKIP: test-wire-attacks.sh needs socat (Debian: apt-get install socat)"
	exit 77
fi
GWD=$build/daemon/serguardd
CTL=$build/daemon/serguardctl
DEV=$build/device/serguard-device
SOCK=$build/tests/sg-sock
JSON=$build/tests/json-get
MITM=$build/tests/wire-mitm
F=$top/tests/pki/fixtures
for p in "$GWD" "$CTL" "$DEV" "$SOCK" "$JSON" "$MITM"; do
	[ -x "$p" ] || { echo "ERROR: $p not built"; exit 99; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-wire.XXXXXX") || exit 99
pids=""
daemon_pid=""
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export ASAN_OPTIONS
MAX_AGE=2000

# stop, cleanup (at exit), fail, ms, count, wait_for, ctl
cleanup_extra() { exec 3>&- 2>/dev/null; }
. "$(dirname "$0")/gateway-lib.sh"
# jget DEVICE PATH: one field of serguardctl status --json DEVICE
jget() { ctl status --json "$1" | "$JSON" "devices/0/$2"; }
# mitm COMMAND...: one command to the mitm, then wait for its answer line
mitm() {
	before=$(wc -l <"$tmp/mitm.out")
	echo "$*" >&3
	n=0
	while [ "$(wc -l <"$tmp/mitm.out")" -le "$before" ]; do
		[ $n -ge 50 ] && fail "the mitm did not answer '$*'"
		sleep 0.1
		n=$((n + 1))
	done
	tail -n 1 "$tmp/mitm.out" | grep -q '^error' && fail "mitm: $(tail -n 1 "$tmp/mitm.out")"
	return 0
}
# ask DEVICE MESSAGE WANT: one request, exactly the one reply WANT
ask() {
	"$SOCK" -t 10000 "$tmp/run/$1.sock" "$2" >"$tmp/ask.out" 2>&1 ||
		fail "$1: no answer to '$2' ($(cat "$tmp/ask.out"))"
	printf '%s\n' "$3" | cmp -s - "$tmp/ask.out" || fail "$1 answered '$(cat "$tmp/ask.out")' to '$2', want '$3'"
}
# served [DEVICES]: each answers "get name" with its name, once
served() {
	for d in ${*:-a b c}; do
		ask "$d" "get name" "6 name=$d"
	done
}
drops() { jget "$1" "drops/$2"; }
# port FIELD...: fields of port bus, one a line
port() {
	q=""
	for f in "$@"; do
		q="$q ports/name=bus/$f"
	done
	ctl status --json | "$JSON" $q
}
# bad_sum: frames of port bus dropped by the frame decoder, all reasons
bad_sum() {
	port bad_frames/too_long bad_frames/bad_cobs bad_frames/too_short bad_frames/bad_crc \
		bad_frames/bad_ctrl bad_frames/wrong_dir bad_frames/wrong_addr bad_frames/aborted |
		awk '{ s += $1 } END { print s + 0 }'
}
hs_total() {
	echo $(($(jget "$1" handshakes/ok) + $(jget "$1" handshakes/failed) + $(jget "$1" handshakes/timeout)))
}

cp "$F/gw.key.der" "$tmp/gw.key"
chmod 600 "$tmp/gw.key"
cat >"$tmp/serguard.conf" <<EOF
[global]
ca = $F/ca.crt.der
cert = $F/gw.crt.der
key = $tmp/gw.key
socket_dir = $tmp/run
socket_mode = 0600

[port bus]
device = $tmp/bus.gw
mode = rs485
baud = 115200
poll_interval_ms = 50

[device a]
port = bus
address = 1
identity = cn:dev-a
max_record_age_ms = $MAX_AGE

[device b]
port = bus
address = 2
identity = uri:urn:serguard:dev:b
max_record_age_ms = $MAX_AGE

[device c]
port = bus
address = 3
identity = cn:dev-c
max_record_age_ms = $MAX_AGE
EOF

# ---- start: the mitm, the devices, the daemon --------------------------------------------
mkfifo "$tmp/mitm.in" || exit 99
"$MITM" --gw-link "$tmp/bus.gw" --dev-link "$tmp/bus.dev0" --dev-link "$tmp/bus.dev1" \
	--dev-link "$tmp/bus.dev2" --record "$tmp/frames.log" <"$tmp/mitm.in" >"$tmp/mitm.out" 2>&1 &
pids="$pids $!"
exec 3>"$tmp/mitm.in"
wait_for "$tmp/mitm.out" 1 "ready" 10
"$DEV" -v --mode rs485 --port "$tmp/bus.dev0" --ca "$F/ca.crt.der" --max-age $MAX_AGE \
	--device a:1:"$F/dev-a" --behaviour command --stats-file "$tmp/a.stats" \
	>"$tmp/dev-a.log" 2>&1 &
dev_a=$!
pids="$pids $dev_a"
"$DEV" -v --mode rs485 --port "$tmp/bus.dev1" --ca "$F/ca.crt.der" --max-age $MAX_AGE \
	--device b:2:"$F/dev-b" --device c:3:"$F/dev-c" --behaviour command \
	>"$tmp/dev-bc.log" 2>&1 &
pids="$pids $!"
t0=$(ms)
env JOURNAL_STREAM= "$GWD" -c "$tmp/serguard.conf" 2>"$tmp/daemon.log" &
daemon_pid=$!
wait_for "$tmp/daemon.log" 3 ": session up with " 60
echo "figure: 3 sessions up through the mitm $(($(ms) - t0)) ms after serguardd started"
served

# ---- A1/J5: replay of recorded record frames, both ways -----------------------------------
t0=$(ms)
ask a "set k1 v1" "8 ok k1=v1"
r0=$(drops a replay)
"$SOCK" -r 1 -t 3000 "$tmp/run/a.sock" >"$tmp/listener.out" &
listener=$!
sleep 0.3
mitm replay up 1 2 0 3 200   # a's answer "ok k1=v1", three more times
mitm replay down 1 2 100      # the gateway's "set k1 v1", once more, to a
wait "$listener" && fail "A1: a client got a replayed message: $(cat "$tmp/listener.out")"
[ -s "$tmp/listener.out" ] && fail "A1: a client got $(cat "$tmp/listener.out")"
r1=$(drops a replay)
[ "$r1" -ge $((r0 + 3)) ] || fail "A1: replay drops of a went $r0 -> $r1, want +3"
kill -USR2 "$dev_a"
sleep 0.3
grep -q " replay=1 " "$tmp/a.stats" || fail "A1: device a did not count the replayed command: $(cat "$tmp/a.stats")"
served
echo "figure: A1/J5 replay scenario $(($(ms) - t0)) ms (gateway replay drops +$((r1 - r0)))"

# ---- F7: dev-b's certificate at dev-a's address -------------------------------------------
t0=$(ms)
ok0=$(jget a handshakes/ok)
mitm mute 0 1
"$DEV" -v --mode rs485 --port "$tmp/bus.dev2" --ca "$F/ca.crt.der" --max-age $MAX_AGE \
	--device a:1:"$F/dev-b" --behaviour command >"$tmp/rogue.log" 2>&1 &
rogue=$!
pids="$pids $rogue"
ctl rehandshake a >/dev/null || fail "F7: rehandshake a"
wait_for "$tmp/daemon.log" 1 "device a: refused a valid certificate that is not this device's: it has CN dev-b" 30
served b c
stop "$rogue"
jget a refused | grep -qF "dev-b" || fail "F7: a's last refused certificate: $(jget a refused)"
[ "$(jget a peer/cn)" = dev-a ] || fail "F7: a's peer is now $(jget a peer/cn)"
[ "$(jget a handshakes/ok)" = "$ok0" ] || fail "F7: a handshake succeeded with the rogue"
grep -q "device a: session .* with CN dev-b" "$tmp/daemon.log" && fail "F7: a session with dev-b at a"
mitm mute 0 0
ctl rehandshake a >/dev/null || fail "F7: rehandshake a after"
wait_for "$tmp/daemon.log" 1 "device a: session renewed with CN dev-a" 60
served
echo "figure: F7 scenario $(($(ms) - t0)) ms"

# ---- I1: a rogue floods REQUEST and message_1 on the bus ----------------------------------
t0=$(ms)
h0a=$(hs_total a)
h0c=$(hs_total c)
u0=$(port unknown_address)
# REQUEST (type 6, LAST) spoofed from a's and c's addresses and from an
# unknown one; message_1 fragments from c's address: 1000 frames in ~4 s
mitm frame up 1 1 250 16 D00042
mitm frame up 3 1 250 16 D00077
mitm frame up 9 1 250 16 D00013
mitm frame up 3 1 250 16 3000550102030405060708090A0B0C0D0E0F
n=0
while [ $(($(ms) - t0)) -lt 5000 ]; do # the flood lasts 4 s
	served
	n=$((n + 1))
done
served
h1a=$(hs_total a)
h1c=$(hs_total c)
echo "figure: I1 flood of 1000 frames in 4 s: handshakes a +$((h1a - h0a)), c +$((h1c - h0c)); $((n * 3 + 3)) requests served in $(($(ms) - t0)) ms"
u1=$(port unknown_address)
echo "figure: I1 frames from the unknown address 9 counted: $((u1 - u0)) of 250"
[ $((u1 - u0)) -ge 200 ] || fail "I1: unknown_address went $u0 -> $u1"
[ $((h1a - h0a)) -le 1 ] || fail "I1: the flood started $((h1a - h0a)) handshakes with a"
[ $((h1c - h0c)) -le 1 ] || fail "I1: the flood started $((h1c - h0c)) handshakes with c"
wait_for "$tmp/daemon.log" 3 ": session " 1
for d in a b c; do
	[ "$(jget $d up)" = true ] || fail "I1: $d is not up after the flood"
done

# ---- D1: a command held past max_record_age_ms is stale ------------------------------------
t0=$(ms)
ask a "set k2 old" "9 ok k2=old"
mitm hold down 1 2 $((MAX_AGE + 1500))
"$SOCK" -r 1 -t $((MAX_AGE + 4000)) "$tmp/run/a.sock" "set k2 new" >"$tmp/held.out" &
held=$!
wait_for "$tmp/mitm.out" 1 "held down addr 1 kind 2" 10
served b c
wait_for "$tmp/mitm.out" 1 "released down" 15
wait "$held" && fail "D1: the held command was answered: $(cat "$tmp/held.out")"
ask a "get k2" "6 k2=old"
served
echo "figure: D1 scenario $(($(ms) - t0)) ms"

# ---- J1: slowloris partial frames, both ways ----------------------------------------------
t0=$(ms)
bf0=$(port frames/in)
b0=$(bad_sum)
mitm slowloris up 4
served
wait_for "$tmp/mitm.out" 1 "slowloris over" 10
mitm slowloris down 4
served
wait_for "$tmp/mitm.out" 2 "slowloris over" 10
served
bf1=$(port frames/in)
b1=$(bad_sum)
[ "$bf1" -gt "$bf0" ] || fail "J1: no frames came in during the slowloris"
[ "$b1" -gt "$b0" ] || fail "J1: the partial frame was not dropped and counted"
echo "figure: J1 bus frames dropped by the gateway's decoder during the slowloris: $((b1 - b0))"
echo "figure: J1 scenario $(($(ms) - t0)) ms"

# ---- I5: the bus jammed for 6 s -----------------------------------------------------------
t0=$(ms)
d0=$(count "$tmp/daemon.log" "not answering; marked down")
mitm jam 6000
wait_for "$tmp/daemon.log" $((d0 + 3)) "not answering; marked down" 10
[ "$(jget b bus)" = "not answering" ] || fail "I5: b's bus state during the jam: $(jget b bus)"
wait_for "$tmp/mitm.out" 1 "jam over" 10
t1=$(ms)
for d in a b c; do
	wait_for "$tmp/daemon.log" 1 "device $d (port bus, address" 1
done
n=0
while [ "$(count "$tmp/daemon.log" "answering again")" -lt 3 ]; do
	[ $n -ge 300 ] && fail "I5: not all devices answering again 30 s after the jam"
	sleep 0.1
	n=$((n + 1))
done
served
echo "figure: I5 jam 6000 ms: all 3 devices back and served $(($(ms) - t1)) ms after it ended"

# ---- J2: line noise while traffic goes on -------------------------------------------------
t0=$(ms)
b0=$(bad_sum)
mitm noise 40 6
n=0
while [ $n -lt 10 ]; do
	served
	ask b "ping" "4 pong"
	n=$((n + 1))
done
mitm noise 0 0
served
b1=$(bad_sum)
[ "$b1" -gt "$b0" ] || fail "J2: no bad frame counted under noise"
echo "figure: J2 40 requests under noise in $(($(ms) - t0)) ms; bus frames dropped by the gateway: $((b1 - b0))"

# ---- the end ------------------------------------------------------------------------------
kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=""
[ $rc -eq 0 ] || fail "serguardd exited $rc after SIGTERM"
if grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer" \
	"$tmp/daemon.log"; then
	fail "sanitizer report in the daemon's stderr"
fi
echo "PASS: A1/J5 F7 I1 D1 J1 I5 J2 through a mitm on the line against serguardd"
exit 0
