#!/bin/sh
# serguard-device(1) is clean mdoc: mandoc -Tlint -W warning reports nothing.
# Needs mandoc (SKIP otherwise).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
MANDOC=${MANDOC:-$(command -v mandoc || true)}
if [ -z "$MANDOC" ]; then
	echo "SKIP: needs mandoc"
	exit 77
fi
out=$("$MANDOC" -Tlint -W warning "$top/man/serguard-device.1" 2>&1)
st=$?
if [ $st -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL: mandoc -Tlint -W warning man/serguard-device.1 (exit $st)"
	printf '%s\n' "$out"
	exit 1
fi
echo "serguard-device.1: mandoc lint clean"
