#!/bin/sh
# Regenerate the test PKI into a scratch directory with
# tests/pki/make-test-pki.sh and check with openssl's own verifier that
# every certificate verifies, or fails, exactly as tests/pki/README.md
# says. Needs openssl (SKIP otherwise).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
if [ -z "$OPENSSL" ] || ! "$OPENSSL" version >/dev/null 2>&1; then
	echo "SKIP: needs openssl"
	exit 77
fi
export OPENSSL
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-pkitest.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
d=$work/pki
fail=0

if ! sh "$top/tests/pki/make-test-pki.sh" "$d" >"$work/gen.log" 2>&1; then
	echo "FAIL: make-test-pki.sh"
	cat "$work/gen.log"
	exit 1
fi
cat "$work/gen.log"

for f in "$d"/*.crt.der; do
	n=$(basename "$f" .crt.der)
	"$OPENSSL" x509 -inform DER -in "$f" -out "$work/$n.pem" || exit 1
done
"$OPENSSL" crl -inform DER -in "$d/ca.crl.der" -out "$work/ca.crl.pem" || exit 1

# 2030-01-01 00:00:00Z, inside the good validity.
NOW=1893456000

# expect ok|fail NAME LABEL [openssl verify options]
expect() {
	want=$1 name=$2 label=$3
	shift 3
	at="-attime $NOW"
	case " $* " in *" -no_check_time "*) at= ;; esac
	if "$OPENSSL" verify $at "$@" "$work/$name.pem" >"$work/v.log" 2>&1; then
		got=ok
	else
		got=fail
	fi
	if [ "$got" = "$want" ]; then
		echo "ok: $name $label: $got"
	else
		echo "FAIL: $name $label: expected $want, got $got"
		cat "$work/v.log"
		fail=1
	fi
}
# expect_err NAME TEXT [options]: verification fails with TEXT in its output
# (the leaf's own date is the reason, not the CA's).
expect_err() {
	name=$1 text=$2
	shift 2
	"$OPENSSL" verify -attime "$NOW" "$@" "$work/$name.pem" >"$work/v.log" 2>&1
	if grep -q "$text" "$work/v.log"; then
		echo "ok: $name fails with: $text"
	else
		echo "FAIL: $name: expected \"$text\""
		cat "$work/v.log"
		fail=1
	fi
}
CA="-CAfile $work/ca.pem"

for n in gw dev-a dev-b dev-c dev-a-dh wrong-ku wrong-eku wrong-curve no-eku revoked; do
	expect ok "$n" "chains to ca" $CA
done
expect ok gw "serverAuth" $CA -purpose sslserver
expect fail gw "not clientAuth" $CA -purpose sslclient
expect ok dev-a "clientAuth" $CA -purpose sslclient
expect fail dev-a "not serverAuth" $CA -purpose sslserver
expect fail wrong-eku "not clientAuth" $CA -purpose sslclient
expect fail expired "at 2030" $CA
expect_err expired "error 10 at 0 depth" $CA
expect ok expired "without time checks" $CA -no_check_time
expect fail future "at 2030" $CA
expect_err future "error 9 at 0 depth" $CA
expect ok future "without time checks" $CA -no_check_time
expect fail foreign-dev "against ca" $CA
expect ok foreign-dev "against foreign-ca" -CAfile "$work/foreign-ca.pem"
expect fail leaf-as-ca-child "under dev-a" $CA -untrusted "$work/dev-a.pem"
expect fail selfsigned "self-signed leaf" $CA
expect fail inter-dev "without the intermediate" $CA
expect ok inter-dev "with the intermediate" $CA -untrusted "$work/inter-ca.pem"
expect ok dev-a "with the CRL" $CA -crl_check -CRLfile "$work/ca.crl.pem"
expect fail revoked "with the CRL" $CA -crl_check -CRLfile "$work/ca.crl.pem"

# Fixed dates.
dates() {
	"$OPENSSL" x509 -in "$work/$1.pem" -noout -startdate -enddate | tr '\n' ' '
}
check_dates() {
	got=$(dates "$1")
	if [ "$got" = "$2" ]; then
		echo "ok: $1 dates"
	else
		echo "FAIL: $1 dates: $got"
		fail=1
	fi
}
GOOD="notBefore=Jan  1 00:00:00 2025 GMT notAfter=Jan  1 00:00:00 2045 GMT "
for n in ca gw dev-a dev-b dev-c dev-a-dh wrong-ku wrong-eku wrong-curve no-eku revoked \
	foreign-ca foreign-dev leaf-as-ca-child selfsigned inter-ca inter-dev; do
	check_dates "$n" "$GOOD"
done
check_dates expired "notBefore=Jan  1 00:00:00 2020 GMT notAfter=Jan  1 00:00:00 2021 GMT "
check_dates future "notBefore=Jan  1 00:00:00 2040 GMT notAfter=Jan  1 00:00:00 2050 GMT "

# Every key belongs to its certificate, the raw scalar is the key's, and
# the curves are the ones intended.
for f in "$d"/*.key.der; do
	n=$(basename "$f" .key.der)
	a=$("$OPENSSL" pkey -inform DER -in "$f" -pubout 2>&1)
	b=$("$OPENSSL" x509 -in "$work/$n.pem" -noout -pubkey 2>&1)
	if [ "$a" != "$b" ]; then
		echo "FAIL: $n: key does not match the certificate"
		fail=1
	fi
	curve=$("$OPENSSL" pkey -inform DER -in "$f" -noout -text 2>/dev/null |
		sed -n 's/^NIST CURVE: *//p')
	want=P-256
	[ "$n" = wrong-curve ] && want=P-384
	if [ "$curve" != "$want" ]; then
		echo "FAIL: $n: curve $curve, expected $want"
		fail=1
	fi
	if [ "$want" = P-256 ]; then
		raw=$(od -A n -t x1 -v "$d/$n.key.raw" | tr -d ' \n')
		txt=$("$OPENSSL" pkey -inform DER -in "$f" -noout -text 2>/dev/null |
			sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
		# openssl prints a leading 00 when the top bit is set.
		[ ${#txt} -eq 66 ] && txt=${txt#00}
		if [ ${#raw} -ne 64 ] || [ "$raw" != "$txt" ]; then
			echo "FAIL: $n: key.raw is not the private scalar ($raw vs $txt)"
			fail=1
		fi
	elif [ -e "$d/$n.key.raw" ]; then
		echo "FAIL: $n: a .key.raw for a P-384 key"
		fail=1
	fi
done

# The committed fixtures have the same files as a fresh run.
a=$(cd "$d" && ls | sort)
b=$(cd "$top/tests/pki/fixtures" && ls | sort)
if [ "$a" != "$b" ]; then
	echo "FAIL: tests/pki/fixtures/ and a fresh run differ in their file list"
	fail=1
fi

[ $fail -eq 0 ] && echo "test PKI: ok"
exit $fail
