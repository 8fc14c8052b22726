#!/bin/sh
# Every subcommand of conf/serguard-pki in a scratch directory: key
# modes, refusal to overwrite, serials, roles, revocation in the CRL, the
# exported C header (compiled with cc and compared with the DER files),
# and that what the tool issues is what the core's validator accepts
# (tests/sg-cert-check). Needs openssl and a C compiler (SKIP otherwise).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-.}
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
if [ -z "$OPENSSL" ] || ! "$OPENSSL" version >/dev/null 2>&1; then
	echo "SKIP: needs openssl"
	exit 77
fi
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "SKIP: needs a C compiler (cc)"
	exit 77
fi
export OPENSSL
PKI="$top/conf/serguard-pki"
CHECK="$build/tests/sg-cert-check"
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-pkitool.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
d=$work/pki
fail=0
NOW=$(date -u +%s)

ok() { echo "ok: $*"; }
bad() {
	echo "FAIL: $*"
	fail=1
}

# run LABEL EXPECTED-STATUS CMD...: run a command, check its exit status.
run() {
	label=$1 want=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	st=$?
	if [ "$st" -eq "$want" ]; then
		ok "$label (exit $st)"
	else
		bad "$label: exit $st, expected $want"
		cat "$work/out" "$work/err"
	fi
}

mode_of() {
	ls -ld "$1" | cut -c1-10
}
check_mode() {
	m=$(mode_of "$1")
	if [ "$m" = "$2" ]; then
		ok "mode $2: ${1#$work/}"
	else
		bad "mode of ${1#$work/} is $m, expected $2"
	fi
}

# check_cert FILE EXPECTED [sg-cert-check options]: validate with the core.
check_cert() {
	f=$1 want=$2
	shift 2
	got=$("$CHECK" --ca "$d/ca.crt.der" --now "$NOW" "$@" "$f")
	case $got in
	"$want"*) ok "core: ${f#$work/} $*: $got" ;;
	*) bad "core: ${f#$work/} $*: got '$got', expected '$want'" ;;
	esac
}

# ---- help and usage errors
run "--help" 0 sh "$PKI" --help
for c in init-ca issue-gateway issue-device list revoke crl export-device; do
	grep -q "$c" "$work/out" || bad "--help does not mention $c"
done
run "issue-device --help" 0 sh "$PKI" issue-device --help
run "no command" 2 sh "$PKI"
run "unknown command" 2 sh "$PKI" frobnicate "$d"
grep -q "unknown command" "$work/err" || bad "no clear message for an unknown command"
run "list without a CA" 1 sh "$PKI" list "$work/nothing"
grep -q "not a serguard-pki CA directory" "$work/err" || bad "unclear error without a CA"

# ---- init-ca
run "init-ca" 0 sh "$PKI" init-ca "$d" --cn "test root"
cat "$work/out"
if grep -q "PRIVATE KEY" "$work/out" "$work/err"; then
	bad "init-ca printed the private key"
fi
grep -q "bytes DER" "$work/out" || bad "init-ca does not print the DER size"
check_mode "$d" drwx------
check_mode "$d/ca.key.pem" -rw-------
run "init-ca refuses to overwrite" 1 sh "$PKI" init-ca "$d"
run "root verifies" 0 "$OPENSSL" verify -CAfile "$d/ca.crt.pem" "$d/ca.crt.pem"

# ---- issue
run "issue-gateway gw" 0 sh "$PKI" issue-gateway "$d" gw
grep -q "gw.crt.der: [0-9]* bytes DER" "$work/out" || bad "issue-gateway does not print the DER size"
run "issue-device dev-a" 0 sh "$PKI" issue-device "$d" dev-a --uri urn:serguard:dev:a --serial 1000
cat "$work/out"
run "issue-device dev-b" 0 sh "$PKI" issue-device "$d" dev-b
run "issue-device dev-c (static DH)" 0 sh "$PKI" issue-device "$d" dev-c --dh
run "same name twice" 1 sh "$PKI" issue-device "$d" dev-a
run "same serial twice" 1 sh "$PKI" issue-device "$d" dev-x --serial 0x3e8
run "bad name" 2 sh "$PKI" issue-device "$d" "../evil"
run "bad serial" 2 sh "$PKI" issue-device "$d" dev-y --serial 12ab
run "--uri on a gateway" 2 sh "$PKI" issue-gateway "$d" gw2 --uri urn:x
for n in gw dev-a dev-b dev-c; do
	check_mode "$d/private/$n.key.pem" -rw-------
	run "$n chains to the root" 0 "$OPENSSL" verify -CAfile "$d/ca.crt.pem" "$d/issued/$n.crt.pem"
done
run "gw is a TLS-style server" 0 "$OPENSSL" verify -purpose sslserver -CAfile "$d/ca.crt.pem" "$d/issued/gw.crt.pem"
run "dev-a is a client" 0 "$OPENSSL" verify -purpose sslclient -CAfile "$d/ca.crt.pem" "$d/issued/dev-a.crt.pem"
s=$("$OPENSSL" x509 -in "$d/issued/dev-a.crt.pem" -noout -serial)
[ "$s" = serial=03E8 ] && ok "--serial 1000 gives serial 03E8" || bad "dev-a serial: $s"
s=$("$OPENSSL" x509 -in "$d/issued/dev-b.crt.pem" -noout -ext subjectAltName | tail -n 1 | tr -d ' ')
[ "$s" = URI:urn:serguard:dev:dev-b ] && ok "default device URI" || bad "dev-b SAN: $s"

# The core accepts what the tool issues, in the right roles only.
if [ -x "$CHECK" ]; then
	check_cert "$d/issued/gw.crt.der" SG_OK --role gateway
	check_cert "$d/issued/gw.crt.der" SG_ECERTUSAGE --role device
	check_cert "$d/issued/dev-a.crt.der" "SG_OK cn=dev-a uri=urn:serguard:dev:a serial=03E8" --role device
	check_cert "$d/issued/dev-a.crt.der" SG_ECERTUSAGE --role gateway
	check_cert "$d/issued/dev-c.crt.der" SG_OK --role device --dh
	check_cert "$d/issued/dev-c.crt.der" SG_ECERTUSAGE --role device
else
	bad "$CHECK not built"
fi

# ---- list, revoke, crl
run "list" 0 sh "$PKI" list "$d"
cat "$work/out"
for n in gw dev-a dev-b dev-c; do
	grep -q "^$n .* valid " "$work/out" || bad "list does not show $n as valid"
done
run "crl" 0 sh "$PKI" crl "$d"
n1=$("$OPENSSL" crl -in "$d/ca.crl.pem" -noout -crlnumber)
run "revoke dev-b" 0 sh "$PKI" revoke "$d" dev-b --reason keyCompromise
cat "$work/out"
run "revoke dev-b again" 1 sh "$PKI" revoke "$d" dev-b
run "revoke unknown" 1 sh "$PKI" revoke "$d" nobody
run "bad reason" 2 sh "$PKI" revoke "$d" dev-a --reason because
n2=$("$OPENSSL" crl -in "$d/ca.crl.pem" -noout -crlnumber)
[ "$n1" != "$n2" ] && ok "CRL number advanced ($n1 -> $n2)" || bad "CRL number did not change"
sb=$("$OPENSSL" x509 -in "$d/issued/dev-b.crt.pem" -noout -serial | sed 's/serial=//')
if "$OPENSSL" crl -inform DER -in "$d/ca.crl.der" -noout -text | grep -q "Serial Number: $sb"; then
	ok "dev-b ($sb) is in the CRL"
else
	bad "dev-b ($sb) is not in ca.crl.der"
fi
run "CRL signed by the root" 0 "$OPENSSL" crl -in "$d/ca.crl.pem" -CAfile "$d/ca.crt.pem" -noout
run "dev-b fails with the CRL" 2 "$OPENSSL" verify -crl_check -CRLfile "$d/ca.crl.pem" -CAfile "$d/ca.crt.pem" "$d/issued/dev-b.crt.pem"
run "dev-a passes with the CRL" 0 "$OPENSSL" verify -crl_check -CRLfile "$d/ca.crl.pem" -CAfile "$d/ca.crt.pem" "$d/issued/dev-a.crt.pem"
run "list after revoke" 0 sh "$PKI" list "$d"
grep -q "^dev-b .* revoked " "$work/out" || bad "list does not show dev-b as revoked"
if [ -x "$CHECK" ]; then
	check_cert "$d/issued/dev-b.crt.der" SG_ECERTREVOKED --crl "$d/ca.crl.der"
	check_cert "$d/issued/dev-a.crt.der" SG_OK --crl "$d/ca.crl.der"
fi

# ---- export-device and its C header
o=$work/export
run "export-device" 0 sh "$PKI" export-device "$d" dev-a "$o"
cat "$work/out"
for f in dev-a.crt.der dev-a.key.der dev-a.key.raw ca.crt.der dev_a_credentials.h; do
	[ -s "$o/$f" ] || bad "export-device did not write $f"
done
check_mode "$o/dev-a.key.der" -rw-------
check_mode "$o/dev-a.key.raw" -rw-------
[ "$(wc -c <"$o/dev-a.key.raw" | tr -d ' ')" = 32 ] || bad "dev-a.key.raw is not 32 bytes"
# the raw scalar is the PKCS#8 key's private value
raw=$(od -A n -t x1 -v "$o/dev-a.key.raw" | tr -d ' \n')
priv=$("$OPENSSL" pkey -inform DER -in "$o/dev-a.key.der" -noout -text |
	sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
case $priv in *"$raw"*) ok "key.raw is the private scalar" ;; *) bad "key.raw differs from the key ($raw / $priv)" ;; esac
check_mode "$o/dev_a_credentials.h" -rw-------
cmp -s "$o/ca.crt.der" "$d/ca.crt.der" || bad "exported root differs"
a=$("$OPENSSL" pkey -inform DER -in "$o/dev-a.key.der" -pubout)
b=$("$OPENSSL" x509 -inform DER -in "$o/dev-a.crt.der" -noout -pubkey)
[ "$a" = "$b" ] && ok "exported key matches the certificate" || bad "exported key does not match"

cat >"$work/hdr.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "dev_a_credentials.h"

static int same(const char *path, const uint8_t *a, size_t n)
{
	unsigned char b[4096];
	FILE *f = fopen(path, "rb");
	size_t m;

	if (f == NULL)
		return 0;
	m = fread(b, 1, sizeof(b), f);
	fclose(f);
	return m == n && memcmp(a, b, n) == 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 3 || sizeof(dev_a_cert) != DEV_A_CERT_LEN ||
	    sizeof(dev_a_ca) != DEV_A_CA_LEN || sizeof(dev_a_key) != 32)
		return 1;
	if (!same(argv[1], dev_a_cert, sizeof(dev_a_cert)) ||
	    !same(argv[2], dev_a_ca, sizeof(dev_a_ca)))
		return 1;
	for (i = 0; i < 32; i++)
		printf("%02x", dev_a_key[i]);
	printf("\n");
	return 0;
}
EOF
if "$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror -I"$o" -o "$work/hdr" "$work/hdr.c" 2>"$work/cc.log"; then
	ok "the header compiles with $CC -std=c99 -Wall -Wextra -Wpedantic -Werror"
	if hex=$("$work/hdr" "$o/dev-a.crt.der" "$o/ca.crt.der"); then
		ok "header arrays equal the DER files"
		txt=$("$OPENSSL" pkey -inform DER -in "$o/dev-a.key.der" -noout -text |
			sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
		[ ${#txt} -eq 66 ] && txt=${txt#00}
		[ "$hex" = "$txt" ] && ok "header key is the private scalar" ||
			bad "header key $hex is not the scalar $txt"
	else
		bad "header arrays differ from the DER files"
	fi
else
	bad "the header does not compile"
	cat "$work/cc.log"
fi

[ $fail -eq 0 ] && echo "serguard-pki: ok"
exit $fail
