#!/bin/sh
# serguardd as a program: --help, --version, usage errors, --check-config
# on the shipped example and on broken files (exit codes and messages),
# and the refusal to start with a private key others can read.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
daemon="$top_builddir/daemon/serguardd"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-serguardd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

fail() {
	echo "FAIL: $*"
	status=1
}

# run EXPECTED-STATUS CMD...: output in $tmp/out, $tmp/err
run() {
	want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		fail "'$*' exited $got, expected $want"
		sed 's/^/  stdout: /' "$tmp/out"
		sed 's/^/  stderr: /' "$tmp/err"
	fi
}

expect_line() { # FILE LINE
	if ! grep -qxF -- "$2" "$1"; then
		fail "expected the line '$2' in $(basename "$1"):"
		sed 's/^/  | /' "$1"
	fi
}

# ---- command line
run 0 "$daemon" --help
expect_line "$tmp/out" "Usage: serguardd [-v] [-c FILE]"
grep -q -- "--check-config" "$tmp/out" || fail "--help does not mention --check-config"
grep -q "^78 configuration error" "$tmp/out" || fail "--help does not give the exit status"
run 0 "$daemon" -h
run 0 "$daemon" --version
grep -q "^serguardd [0-9]" "$tmp/out" || fail "--version: $(cat "$tmp/out")"
run 2 "$daemon" --bogus
expect_line "$tmp/err" "Try 'serguardd --help'."
run 2 "$daemon" -c
run 2 "$daemon" extra-argument
expect_line "$tmp/err" "serguardd: unexpected argument 'extra-argument'"

# ---- --check-config on the shipped example (files it names need not exist)
run 0 "$daemon" --check-config -c "$top_srcdir/conf/serguard.conf"
expect_line "$tmp/out" "$top_srcdir/conf/serguard.conf: configuration OK (2 ports, 4 devices)"
run 0 "$daemon" -t --config "$top_srcdir/conf/serguard.conf"

# ---- --check-config on broken files: every error, FILE:LINE, exit 78
cat >"$tmp/bad.conf" <<'CONF'
[global]
ca = /etc/serguard/ca.pem
cert = /etc/serguard/gw.pem
key = /etc/serguard/gw.key
[port bus]
device = /dev/ttyUSB0
mode = rs485
baud = 10
[device a]
port = bus
address = 3
identity = cn:a
[device b]
port = bus
address = 3
identity = cn:b
[device a]
CONF
run 78 "$daemon" --check-config -c "$tmp/bad.conf"
expect_line "$tmp/err" "$tmp/bad.conf:8: baud: 10 is out of range (allowed: 50..4000000)"
expect_line "$tmp/err" "$tmp/bad.conf:15: address: 3 is already used on port bus by [device a] (line 11)"
expect_line "$tmp/err" "$tmp/bad.conf:17: [device a]: repeated section (first at line 9)"
expect_line "$tmp/err" "$tmp/bad.conf: 3 errors"
[ "$(wc -l <"$tmp/err")" -eq 4 ] || fail "expected 4 lines on stderr"
[ ! -s "$tmp/out" ] || fail "nothing expected on stdout"
# starting with it fails the same way
run 78 "$daemon" -c "$tmp/bad.conf"
expect_line "$tmp/err" "$tmp/bad.conf:8: baud: 10 is out of range (allowed: 50..4000000)"
run 78 "$daemon" --check-config -c "$tmp/missing.conf"
expect_line "$tmp/err" "$tmp/missing.conf: cannot open: No such file or directory"

# ---- the daemon refuses a private key that others can read
fixtures="$top_srcdir/tests/pki/fixtures"
cat >"$tmp/ok.conf" <<CONF
[global]
ca = $fixtures/ca.crt.der
cert = $fixtures/gw.crt.der
key = $tmp/gw.key
socket_dir = $tmp
CONF
cp "$fixtures/gw.key.der" "$tmp/gw.key"
chmod 644 "$tmp/gw.key"
run 0 "$daemon" --check-config -c "$tmp/ok.conf"
run 1 env JOURNAL_STREAM= "$daemon" -c "$tmp/ok.conf"
expect_line "$tmp/err" "$tmp/gw.key: private key file is accessible by group or others (mode 0644); run: chmod 600 $tmp/gw.key"

# ---- the open-file limit: raised to the hard limit, and a warning when
# the configuration may need more (32 + 2 per port + 5 per device here)
chmod 600 "$tmp/gw.key"
{
	cat "$tmp/ok.conf"
	printf '[port p]\ndevice = %s/absent\nmode = rs485\n' "$tmp"
	for a in 1 2 3; do
		printf '[device d%s]\nport = p\naddress = %s\nidentity = cn:d%s\n' $a $a $a
	done
} >"$tmp/many.conf"
: >"$tmp/err"
(
	ulimit -S -n 40
	ulimit -H -n 48
	exec env JOURNAL_STREAM= "$daemon" -c "$tmp/many.conf" 2>"$tmp/err"
) &
pid=$!
i=0
while ! grep -q "^running: " "$tmp/err"; do
	i=$((i + 1))
	if [ $i -ge 1000 ]; then
		fail "serguardd did not start with a low open-file limit"
		break
	fi
	sleep 0.01
done
kill -TERM $pid
wait $pid || fail "serguardd did not stop cleanly"
expect_line "$tmp/err" "open-file limit raised from 40 to 48"
expect_line "$tmp/err" "warning: the configuration may need 49 file descriptors (1 ports, 3 devices, 4 clients each) but the limit is 48; raise LimitNOFILE= or the hard limit"
expect_line "$tmp/err" "port p: $tmp/absent is absent (No such file or directory); waiting for it"

[ $status -eq 0 ] && echo "PASS: serguardd command line, --check-config, key permissions, open-file limit"
exit $status
