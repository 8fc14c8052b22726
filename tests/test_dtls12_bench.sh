#!/bin/sh
# Keeps the DTLS 1.2 baseline benchmark (tests/bench/dtls12) from rotting:
# a short run must complete its mutually authenticated handshakes (the
# program itself checks the peers' certificates, the suite and that
# records arrive intact, and exits non-zero otherwise) and write its JSON
# with the figures other parts read. Checks correctness only, never
# timings.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${top_builddir:-.}
prog=$bld/tests/bench/dtls12
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-dtls12.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
fail=0

if ! "$prog" -n 3 --pki "$top/tests/pki/fixtures" --json "$work/r.json" \
	>"$work/out" 2>&1; then
	echo "FAIL: dtls12 exited non-zero"
	cat "$work/out"
	exit 1
fi
cat "$work/out"

if [ ! -s "$work/r.json" ]; then
	echo "FAIL: no JSON written"
	exit 1
fi
# one key per line: "name":value
num() {
	sed -n "s/^\"$1\":\([-0-9.]*\),\{0,1\}\$/\1/p" "$work/r.json"
}
check() { # check LABEL CONDITION...
	label=$1
	shift
	if "$@"; then
		echo "ok: $label"
	else
		echo "FAIL: $label"
		fail=1
	fi
}

check "JSON opens with protocol.dtls12" \
	sh -c 'head -n1 "$1" | grep -q "^{\"protocol\":{\"dtls12\":{$"' sh "$work/r.json"
check "JSON closes" sh -c 'tail -n1 "$1" | grep -q "^}}}$"' sh "$work/r.json"
check "handshake completed" grep -q '^"handshake_completed":true,$' "$work/r.json"

for k in handshake_bytes handshake_bytes_c2s handshake_bytes_s2c \
	handshake_datagram_bytes handshake_datagram_bytes_unlimited_mtu \
	flights round_trips handshake_ms_9600 handshake_ms_115200 \
	cpu_ms_client cpu_ms_server record_overhead_bytes \
	record_overhead_wire_bytes_1 record_overhead_wire_bytes_16 \
	record_overhead_wire_bytes_64 record_overhead_wire_bytes_200 \
	goodput_64B goodput_200B; do
	v=$(num "$k")
	check "key $k present" test -n "$v"
done

hb=$(num handshake_bytes)
c2s=$(num handshake_bytes_c2s)
s2c=$(num handshake_bytes_s2c)
dg=$(num handshake_datagram_bytes)
gw=$(num cert_bytes_gw)
dev=$(num cert_bytes_dev)
# Both certificates crossed the line whole; framing only adds bytes.
check "each direction carries its certificate" \
	test "${c2s:-0}" -gt "${dev:-0}" -a "${s2c:-0}" -gt "${gw:-0}"
check "framing adds bytes to the datagrams" test "${hb:-0}" -gt "${dg:-0}"
check "the full DTLS 1.2 handshake: 4 flights, 2 round trips" \
	test "$(num flights)" = 4 -a "$(num round_trips)" = 2
check "13 messages (CH SH Cert SKE CR SHD, Cert CKE CV CCS Fin, CCS Fin)" \
	test "$(num messages)" = 13
check "no retransmissions on a lossless line" test "$(num retransmissions)" = 0
# AES-128-CCM-8 in DTLS 1.2: 13-byte header, 8-byte explicit nonce, 8-byte tag
check "record overhead 29 bytes (the CCM-8 suite was used)" \
	test "$(num record_overhead_bytes)" = 29

exit $fail
