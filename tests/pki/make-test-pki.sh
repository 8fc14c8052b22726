#!/bin/sh
# make-test-pki.sh OUTDIR: generate serguard's test PKI into OUTDIR.
#
# Every certificate is ECDSA-SHA256 on prime256v1 (except the one whose
# point is a P-384 key) with FIXED validity dates, so the expected results
# of the certificate tests do not depend on the day they run. A key
# already in OUTDIR (NAME.key.der) is reused, so regenerating into the
# same directory keeps every key and SPKI pin and only re-signs; into an
# empty directory every key is new. The committed copy in
# tests/pki/fixtures/ is the one the tests read, so tests never need
# openssl.
#
# openssl 3.0's `x509 -req` cannot set fixed dates, so every certificate
# is issued with `openssl ca -startdate/-enddate` from a throwaway CA
# database in a mktemp directory. Certificates are kept minimal: a single
# CN in each name, no key identifiers, only the extensions a validator
# needs.
#
# Environment: OPENSSL (default: openssl).
set -eu

OPENSSL=${OPENSSL:-openssl}
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-testpki.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

GOOD_FROM=20250101000000Z
GOOD_TO=20450101000000Z

ossl() {
	"$OPENSSL" "$@" 2>"$work/err" || {
		echo "openssl $1 failed:" >&2
		cat "$work/err" >&2
		exit 1
	}
}

# One configuration for every throwaway CA: the database directory comes
# from SG_DB, the SAN of a leaf from SG_SAN.
cat >"$work/ca.cnf" <<'EOF'
[ ca ]
default_ca = sg
[ sg ]
dir = $ENV::SG_DB
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir
default_md = sha256
policy = pol
unique_subject = no
email_in_dn = no
copy_extensions = none
[ pol ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ ext_ca ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[ ext_inter ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
[ ext_gw ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[ ext_dev ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = $ENV::SG_SAN
[ ext_dev_dh ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
keyUsage = critical,keyAgreement
extendedKeyUsage = clientAuth
subjectAltName = $ENV::SG_SAN
[ ext_wrong_ku ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
keyUsage = critical,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = $ENV::SG_SAN
[ ext_wrong_eku ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $ENV::SG_SAN
[ ext_no_eku ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
keyUsage = critical,digitalSignature
subjectAltName = $ENV::SG_SAN
[ ext_selfsigned ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = $ENV::SG_SAN
[ crl_ext ]
EOF
SG_SAN=URI:urn:serguard:none
SG_DB=$work
export SG_SAN SG_DB

# newdb NAME: an empty CA database.
newdb() {
	mkdir -p "$work/db-$1"
	: >"$work/db-$1/index.txt"
	echo 01 >"$work/db-$1/crlnumber"
}

# key NAME [CURVE]: NAME.key.pem, NAME.key.der (PKCS#8), NAME.key.raw.
key() {
	curve=${2:-P-256}
	if [ -f "$out/$1.key.der" ]; then
		ossl pkey -inform DER -in "$out/$1.key.der" -out "$work/$1.key.pem"
		have=$("$OPENSSL" pkey -in "$work/$1.key.pem" -noout -text |
			sed -n 's/^NIST CURVE: *//p')
		if [ "$have" != "$curve" ]; then
			echo "$out/$1.key.der is not a $curve key; remove it" >&2
			exit 1
		fi
	else
		ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" \
			-pkeyopt ec_param_enc:named_curve -out "$work/$1.key.pem"
	fi
	ossl pkey -in "$work/$1.key.pem" -outform DER -out "$out/$1.key.der"
	chmod 600 "$out/$1.key.der"
	rm -f "$out/$1.key.raw"
	if [ "$curve" = P-256 ]; then
		# SEC1 ECPrivateKey: 30 77 02 01 01 04 20 <32-byte scalar> ...
		ossl ec -in "$work/$1.key.pem" -outform DER -out "$work/$1.sec1"
		hdr=$(od -A n -t x1 -N 7 "$work/$1.sec1" | tr -d ' \n')
		if [ "$hdr" != 30770201010420 ]; then
			echo "unexpected SEC1 layout for $1: $hdr" >&2
			exit 1
		fi
		dd if="$work/$1.sec1" of="$out/$1.key.raw" bs=1 skip=7 count=32 2>/dev/null
		chmod 600 "$out/$1.key.raw"
	fi
}

# issue NAME CN ISSUER SERIAL EXT FROM TO [SAN]
# ISSUER is the NAME of the issuing certificate, or "self".
issue() {
	name=$1 cn=$2 issuer=$3 serial=$4 ext=$5 from=$6 to=$7
	SG_SAN=${8:-URI:urn:serguard:none}
	ossl req -new -key "$work/$name.key.pem" -subj "/CN=$cn" \
		-config "$work/ca.cnf" -out "$work/$name.csr"
	if [ "$issuer" = self ]; then
		db=$name
		newdb "$db"
		set -- -selfsign -keyfile "$work/$name.key.pem"
	else
		db=$issuer
		[ -d "$work/db-$db" ] || newdb "$db"
		set -- -cert "$work/$issuer.crt.pem" -keyfile "$work/$issuer.key.pem"
	fi
	echo "$serial" >"$work/db-$db/serial"
	SG_DB=$work/db-$db
	export SG_DB
	ossl ca -batch -notext -config "$work/ca.cnf" "$@" -md sha256 \
		-extensions "$ext" -startdate "$from" -enddate "$to" \
		-subj "/CN=$cn" -in "$work/$name.csr" -out "$work/$name.crt.pem"
	ossl x509 -in "$work/$name.crt.pem" -outform DER -out "$out/$name.crt.der"
	printf '%-18s %4s bytes DER  serial %s  CN=%s\n' "$name.crt.der" \
		"$(wc -c <"$out/$name.crt.der" | tr -d ' ')" "$serial" "$cn"
}

# The root and the normal identities.
key ca
issue ca "serguard test CA" self 01 ext_ca $GOOD_FROM $GOOD_TO
key gw
issue gw gateway ca 10 ext_gw $GOOD_FROM $GOOD_TO
for d in a b c; do
	key dev-$d
	issue dev-$d dev-$d ca 2$(printf %s $d | tr abc 123) ext_dev \
		$GOOD_FROM $GOOD_TO URI:urn:serguard:dev:$d
done
key dev-a-dh
issue dev-a-dh dev-a-dh ca 24 ext_dev_dh $GOOD_FROM $GOOD_TO URI:urn:serguard:dev:a

# Certificates that must be rejected, each for one reason.
key expired
issue expired expired ca 30 ext_dev 20200101000000Z 20210101000000Z \
	URI:urn:serguard:dev:expired
key future
issue future future ca 31 ext_dev 20400101000000Z 20500101000000Z \
	URI:urn:serguard:dev:future
key wrong-ku
issue wrong-ku wrong-ku ca 32 ext_wrong_ku $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:wrong-ku
key wrong-eku
issue wrong-eku wrong-eku ca 33 ext_wrong_eku $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:wrong-eku
key wrong-curve P-384
issue wrong-curve wrong-curve ca 34 ext_dev $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:wrong-curve
key no-eku
issue no-eku no-eku ca 36 ext_no_eku $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:no-eku
key revoked
issue revoked revoked ca 35 ext_dev $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:revoked
# Another root that even carries the same name as ours.
key foreign-ca
issue foreign-ca "serguard test CA" self 01 ext_ca $GOOD_FROM $GOOD_TO
key foreign-dev
issue foreign-dev dev-a foreign-ca 21 ext_dev $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:a
# A leaf (CA:FALSE) used as an issuer, and a self-signed leaf.
key leaf-as-ca-child
issue leaf-as-ca-child child dev-a 01 ext_dev $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:child
key selfsigned
issue selfsigned dev-a self 21 ext_selfsigned $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:a
# An intermediate CA and a device under it.
key inter-ca
issue inter-ca "serguard test intermediate" ca 40 ext_inter $GOOD_FROM $GOOD_TO
key inter-dev
issue inter-dev inter-dev inter-ca 41 ext_dev $GOOD_FROM $GOOD_TO \
	URI:urn:serguard:dev:inter

# The root's CRL, revoking "revoked" at a fixed time, with fixed dates.
SG_DB=$work/db-ca
export SG_DB
ossl ca -batch -config "$work/ca.cnf" -cert "$work/ca.crt.pem" \
	-keyfile "$work/ca.key.pem" -revoke "$work/revoked.crt.pem" -crl_reason keyCompromise
# Pin the revocation date (openssl records the current time).
sed 's/^R\t\([0-9Z]*\)\t[0-9]*Z/R\t\1\t250601000000Z/' "$SG_DB/index.txt" >"$SG_DB/index.new"
mv "$SG_DB/index.new" "$SG_DB/index.txt"
ossl ca -batch -config "$work/ca.cnf" -cert "$work/ca.crt.pem" \
	-keyfile "$work/ca.key.pem" -gencrl -crlexts crl_ext -md sha256 \
	-crl_lastupdate 20250601000000Z -crl_nextupdate 20450101000000Z \
	-out "$work/ca.crl.pem"
ossl crl -in "$work/ca.crl.pem" -outform DER -out "$out/ca.crl.der"
printf '%-18s %4s bytes DER\n' ca.crl.der "$(wc -c <"$out/ca.crl.der" | tr -d ' ')"

# A description of every file, with the sizes of this run.
{
	cat <<'EOF'
# serguard test PKI

Generated by `tests/pki/make-test-pki.sh` (openssl, ECDSA-SHA256 on
prime256v1 unless stated). Test material only: the private keys are
public.

Per NAME: `NAME.crt.der` (certificate, DER), `NAME.key.der` (private key,
PKCS#8 DER), `NAME.key.raw` (the 32-byte private scalar, big-endian; not
for the P-384 key of `wrong-curve`). Plus `ca.crl.der`.

"Good" dates are 2025-01-01 00:00:00Z .. 2045-01-01 00:00:00Z (notBefore
1735689600, notAfter 2366841600 in Unix seconds). Names are a single CN.
Device certificates carry KU digitalSignature (critical), EKU clientAuth
and a URI SAN; the gateway carries KU digitalSignature and EKU serverAuth,
no SAN.

| NAME | subject CN | issuer | serial | validity | extensions | expected |
|---|---|---|---|---|---|---|
| ca | serguard test CA | self | 01 | good | CA:TRUE (critical), KU keyCertSign,cRLSign | root of trust |
| gw | gateway | ca | 10 | good | KU digitalSignature, EKU serverAuth | valid gateway |
| dev-a | dev-a | ca | 21 | good | SAN urn:serguard:dev:a | valid device |
| dev-b | dev-b | ca | 22 | good | SAN urn:serguard:dev:b | valid device |
| dev-c | dev-c | ca | 23 | good | SAN urn:serguard:dev:c | valid device |
| dev-a-dh | dev-a-dh | ca | 24 | good | KU keyAgreement (critical), SAN urn:serguard:dev:a | static-DH credential of device a (EDHOC method 3) |
| expired | expired | ca | 30 | 2020-01-01 .. 2021-01-01 | device | expired |
| future | future | ca | 31 | 2040-01-01 .. 2050-01-01 | device | not yet valid |
| wrong-ku | wrong-ku | ca | 32 | good | KU keyEncipherment only | wrong key usage |
| wrong-eku | wrong-eku | ca | 33 | good | device but EKU serverAuth only | wrong role for a device |
| wrong-curve | wrong-curve | ca | 34 | good | device, secp384r1 key | wrong curve |
| no-eku | no-eku | ca | 36 | good | KU digitalSignature, no EKU, SAN urn:serguard:dev:no-eku | fits no role (a role needs an explicit EKU) |
| revoked | revoked | ca | 35 | good | device | listed in ca.crl.der |
| foreign-ca | serguard test CA | self | 01 | good | as ca, another key | another root with the same name |
| foreign-dev | dev-a | foreign-ca | 21 | good | SAN urn:serguard:dev:a | chain to another CA |
| leaf-as-ca-child | child | dev-a | 01 | good | device, SAN urn:serguard:dev:child | signed by a CA:FALSE leaf (dev-a's key) |
| selfsigned | dev-a | self | 21 | good | CA:FALSE, device, SAN urn:serguard:dev:a | self-signed leaf |
| inter-ca | serguard test intermediate | ca | 40 | good | CA:TRUE pathlen:0 (critical), KU keyCertSign,cRLSign | intermediate CA |
| inter-dev | inter-dev | inter-ca | 41 | good | SAN urn:serguard:dev:inter | valid through the intermediate |

`ca.crl.der`: CRL v2 of ca (crlNumber 1), lastUpdate 2025-06-01 00:00:00Z,
nextUpdate 2045-01-01 00:00:00Z, revoking serial 35 (revoked) as of
2025-06-01 00:00:00Z, reason keyCompromise.

Sizes of this run (DER bytes):

EOF
	for f in "$out"/*.crt.der "$out"/ca.crl.der; do
		printf -- '- `%s`: %s\n' "$(basename "$f")" "$(wc -c <"$f" | tr -d ' ')"
	done
} >"$out/README.md"
