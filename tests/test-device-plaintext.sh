#!/bin/sh
# The bytes on the line never contain the application's plaintext. socat
# taps both directions of the pty pair (-r/-R: raw copies of what
# crosses), messages carrying a distinctive marker go through the session
# and come back (so the marker did cross, in both directions), and the
# taps are searched for it. Then the same search must find the marker
# once it is written onto the line in clear: the check can fail.
# (It fails too when records are sealed with a null cipher: see
# device/README.md, "Checking the plaintext test".) Needs socat (SKIP).
. "${top_srcdir:-.}/tests/device-lib.sh"

marker="SGPLAIN$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')-TEXT"
pair x -r "$tmp/tap.gw-to-dev" -R "$tmp/tap.dev-to-gw"
device x --mode rs232 --device a:1:"$F/dev-a"
gw x --mode rs232 --device 1:dev-a --count 20 --text "$marker" --timeout-ms 30000 ||
	fail "gw-peer failed"
expect_eq "echoes carrying the marker" "$(val "$tmp/x.gw.out" "dev 1" echo_ok)" 20
# the device did see the plaintext (after decryption)
grep -q "message in .*$marker" "$tmp/x.dev.log" || fail "the device never saw the marker"

for t in gw-to-dev dev-to-gw; do
	size=$(wc -c <"$tmp/tap.$t")
	expect_ge "bytes tapped $t" "$size" 500
	if grep -a -q -F "$marker" "$tmp/tap.$t"; then
		fail "plaintext marker on the line ($t)"
	fi
	# not even the marker's distinctive half
	if grep -a -q -F "$(echo "$marker" | cut -c1-12)" "$tmp/tap.$t"; then
		fail "part of the plaintext marker on the line ($t)"
	fi
done
echo "no plaintext on the line: $(wc -c <"$tmp/tap.gw-to-dev") + $(wc -c <"$tmp/tap.dev-to-gw") bytes tapped"

# control: the tap and the search do see plaintext when there is some
printf '\000%s\000' "$marker" >"$tmp/x.gw"
n=0
until grep -a -q -F "$marker" "$tmp/tap.gw-to-dev"; do
	[ $n -ge 50 ] && fail "control: marker written in clear was not found in the tap"
	sleep 0.1
	n=$((n + 1))
done
echo "control: a marker written in clear is found"
stop "$devpid"
