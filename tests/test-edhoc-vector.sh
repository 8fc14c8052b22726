#!/bin/sh
# The vector tool (tests/edhoc-vector) against RFC 9529 trace 2, and its
# one-side mode (--role) against itself through two fifos:
#  1. both sides on trace 2: every name the output shares with the file
#     has the file's value (and enough names are shared);
#  2. --role initiator | --role responder on trace 2: both end with the
#     trace's PRK_out and PRK_exporter;
#  3. the same without X and Y (fresh random ephemeral keys): both agree,
#     on values that differ from the trace's;
#  4. method 0 with X.509 certificates of the test PKI (x5chain), both
#     sides and by role; and a refusal (a CA the peer does not trust):
#     non-zero exit on both sides, the error message crosses the wire.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${top_builddir:-.}
tool=$bld/tests/edhoc-vector
vec=$top/tests/vectors/edhoc/rfc9529-trace2.txt
fix=$top/tests/pki/fixtures
now=1893456000 # 2030-01-01, inside the test certificates' validity
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-edhoc-vector.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

[ -x "$tool" ] || { echo "missing $tool"; exit 99; }

# compare FILE OUTPUT MIN: every `name = hex` of OUTPUT that FILE also has
# must agree; at least MIN names must be shared; no name twice in OUTPUT.
compare() {
	awk -v min="$3" '
		FNR == NR { if ($0 !~ /^#/ && $2 == "=") ref[$1] = $3; next }
		$2 == "=" {
			if (seen[$1]++) { print "twice in the output: " $1; bad++ }
			if ($1 in ref) {
				n++
				if (ref[$1] != $3) { print "differs: " $1; bad++ }
			}
		}
		END {
			printf "%d names compared\n", n
			if (n < min) { print "too few names in common"; bad++ }
			exit bad ? 1 : 0
		}' "$1" "$2"
}

# value NAME FILE
value() {
	sed -n "s/^$1 = //p" "$2" | head -n 1
}

# roles INPUT TAG [extra tool options]: initiator and responder through
# two fifos; writes $tmp/TAG.i.out/.r.out and .rc files.
roles() {
	in=$1; tag=$2; shift 2
	rm -f "$tmp/$tag.i2r" "$tmp/$tag.r2i"
	mkfifo "$tmp/$tag.i2r" "$tmp/$tag.r2i" || exit 99
	{ "$tool" "$@" --role initiator "$in" <"$tmp/$tag.r2i"; echo $? >"$tmp/$tag.i.rc"; } 2>"$tmp/$tag.i.err" |
		tee -p "$tmp/$tag.i.out" >"$tmp/$tag.i2r" &
	{ "$tool" "$@" --role responder "$in" <"$tmp/$tag.i2r"; echo $? >"$tmp/$tag.r.rc"; } 2>"$tmp/$tag.r.err" |
		tee -p "$tmp/$tag.r.out" >"$tmp/$tag.r2i" &
	wait
}

hex() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

# ---- 1. both sides, trace 2 --------------------------------------------
echo "1. trace 2, both sides"
if "$tool" "$vec" >"$tmp/both.out" 2>"$tmp/both.err"; then
	compare "$vec" "$tmp/both.out" 60 || fail=1
else
	echo "FAIL: the tool failed on trace 2"; cat "$tmp/both.err"; fail=1
fi
for n in message_1 message_2 message_3 message_4 TH_2 TH_3 TH_4 PRK_3e2m PRK_4e3m \
	K_3 IV_3 K_4 IV_4 KEYSTREAM_2 PRK_out PRK_exporter OSCORE_Master_Secret \
	OSCORE_Master_Salt PRK_out_after_KeyUpdate OSCORE_Master_Secret_after_KeyUpdate; do
	[ -n "$(value "$n" "$tmp/both.out")" ] || { echo "FAIL: $n not printed"; fail=1; }
done
"$tool" --help | grep -q "KeyUpdate_context" || { echo "FAIL: usage does not document inputs"; fail=1; }

# ---- 2. roles, trace 2 --------------------------------------------------
echo "2. trace 2, --role initiator against --role responder"
roles "$vec" t2
for s in i r; do
	if [ "$(cat "$tmp/t2.$s.rc")" != 0 ]; then
		echo "FAIL: role $s exited $(cat "$tmp/t2.$s.rc")"; cat "$tmp/t2.$s.err"; fail=1
	fi
	for n in PRK_out PRK_exporter; do
		[ "$(value $n "$tmp/t2.$s.out")" = "$(value $n "$vec")" ] ||
			{ echo "FAIL: role $s: $n differs from RFC 9529"; fail=1; }
	done
done
# the lines on the wire are the trace's messages
[ "$(sed -n 1p "$tmp/t2.i.out")" = "$(value message_1 "$vec")" ] || { echo "FAIL: message_1 on the wire"; fail=1; }
[ "$(sed -n 1p "$tmp/t2.r.out")" = "$(value message_2 "$vec")" ] || { echo "FAIL: message_2 on the wire"; fail=1; }
[ "$(sed -n 2p "$tmp/t2.i.out")" = "$(value message_3 "$vec")" ] || { echo "FAIL: message_3 on the wire"; fail=1; }
[ "$(sed -n 2p "$tmp/t2.r.out")" = "$(value message_4 "$vec")" ] || { echo "FAIL: message_4 on the wire"; fail=1; }

# without message_4 both still end with the trace's keys
roles "$vec" nom4 --no-message-4
for s in i r; do
	[ "$(cat "$tmp/nom4.$s.rc")" = 0 ] && [ "$(value PRK_out "$tmp/nom4.$s.out")" = "$(value PRK_out "$vec")" ] ||
		{ echo "FAIL: --no-message-4, role $s"; cat "$tmp/nom4.$s.err"; fail=1; }
done
[ "$(grep -c -v ' = ' "$tmp/nom4.r.out")" = 1 ] || { echo "FAIL: --no-message-4: responder sent message_4"; fail=1; }

# ---- 3. roles with fresh ephemeral keys ------------------------------------
echo "3. trace 2 inputs without X and Y: fresh ephemeral keys"
grep -v -e '^X = ' -e '^Y = ' "$vec" >"$tmp/fresh.txt"
roles "$tmp/fresh.txt" fresh
pi=$(value PRK_out "$tmp/fresh.i.out")
pr=$(value PRK_out "$tmp/fresh.r.out")
if [ "$(cat "$tmp/fresh.i.rc")$(cat "$tmp/fresh.r.rc")" != 00 ] || [ -z "$pi" ] || [ "$pi" != "$pr" ]; then
	echo "FAIL: fresh keys: no common PRK_out"; cat "$tmp/fresh.i.err" "$tmp/fresh.r.err"; fail=1
fi
[ "$pi" != "$(value PRK_out "$vec")" ] || { echo "FAIL: fresh keys gave the trace's PRK_out"; fail=1; }

# ---- 4. method 0, X.509 certificates (x5chain) ------------------------------
echo "4. method 0, suite 2, X.509 x5chain from the test PKI"
x5chain() { # ID_CRED = {33: bstr(DER)}, DER of 256..65535 bytes
	printf 'a1182159%04x%s' "$(wc -c <"$1")" "$(hex "$1")"
}
cat >"$tmp/m0.txt" <<EOF
# method 0 inputs built from tests/pki/fixtures
METHOD = 00
SUITES_I = 02
C_I = 0a
C_R = 2b
SK_I = $(hex "$fix/gw.key.raw")
CRED_I = $(hex "$fix/gw.crt.der")
ID_CRED_I = $(x5chain "$fix/gw.crt.der")
SK_R = $(hex "$fix/dev-a.key.raw")
CRED_R = $(hex "$fix/dev-a.crt.der")
ID_CRED_R = $(x5chain "$fix/dev-a.crt.der")
Root_CERT = $(hex "$fix/ca.crt.der")
EOF
if "$tool" --now $now "$tmp/m0.txt" >"$tmp/m0.out" 2>"$tmp/m0.err"; then
	n=$(wc -c <"$fix/dev-a.crt.der")
	l2=$(( $(printf %s "$(value message_2 "$tmp/m0.out")" | wc -c) / 2 ))
	[ "$l2" -eq $((n + 108)) ] || { echo "FAIL: x5chain message_2 is $l2 bytes, expected N+108 = $((n + 108))"; fail=1; }
	for v in Sig_structure_2_cbor Sig_structure_3_cbor PRK_out; do
		[ -n "$(value $v "$tmp/m0.out")" ] || { echo "FAIL: $v not printed"; fail=1; }
	done
else
	echo "FAIL: method 0 both sides"; cat "$tmp/m0.err"; fail=1
fi
roles "$tmp/m0.txt" m0 --now $now
if [ "$(cat "$tmp/m0.i.rc")$(cat "$tmp/m0.r.rc")" != 00 ] ||
	[ "$(value PRK_out "$tmp/m0.i.out")" != "$(value PRK_out "$tmp/m0.r.out")" ]; then
	echo "FAIL: method 0 by role"; cat "$tmp/m0.i.err" "$tmp/m0.r.err"; fail=1
fi

# the initiator trusts another CA: it refuses message_2 and says so
sed "s/^Root_CERT = .*/Root_CERT = $(hex "$fix/foreign-ca.crt.der")/" "$tmp/m0.txt" >"$tmp/m0-foreign.txt"
roles "$tmp/m0-foreign.txt" bad --now $now
[ "$(cat "$tmp/bad.i.rc")" = 1 ] || { echo "FAIL: initiator accepted a certificate of an untrusted CA"; fail=1; }
[ "$(cat "$tmp/bad.r.rc")" = 1 ] || { echo "FAIL: responder did not stop on the error message"; fail=1; }
grep -q SG_ECERTCHAIN "$tmp/bad.i.err" || { echo "FAIL: reason not given"; cat "$tmp/bad.i.err"; fail=1; }
grep -q "ERR_CODE 1" "$tmp/bad.r.err" || { echo "FAIL: error message not received"; cat "$tmp/bad.r.err"; fail=1; }
[ "$(sed -n 2p "$tmp/bad.i.out" | cut -c1-2)" = 01 ] || { echo "FAIL: no ERR_CODE 1 line on the wire"; fail=1; }

[ $fail -eq 0 ] && echo "edhoc-vector: ok"
exit $fail
