#!/bin/sh
# serguardd(8) documents every option `serguardd --help` lists, and lists
# no option the program does not have: the page and the program cannot
# drift apart unnoticed.
set -u
if [ -z "${top_builddir:-}" ] || [ -z "${top_srcdir:-}" ]; then
	echo "FAIL: top_builddir/top_srcdir not set (run through make check)"
	exit 99
fi
prog=$top_builddir/daemon/serguardd
page=$top_srcdir/man/serguardd.8.in
help=$("$prog" --help) || { echo "FAIL: serguardd --help"; exit 1; }

# Options in --help: "-c," "--config" ... (words starting with - or --).
from_help=$(printf '%s\n' "$help" | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' |
	sed 's/^[ ,]*//' | sort -u)
# Options in the page: the arguments of mdoc's Fl macro ("Fl c", "Fl -config").
from_page=$(grep -oE 'Fl -?[A-Za-z][A-Za-z-]*' "$page" | sed 's/^Fl /-/' | sort -u)

fail=0
for o in $from_help; do
	printf '%s\n' "$from_page" | grep -qxF -- "$o" ||
		{ echo "FAIL: serguardd.8 does not document $o"; fail=1; }
done
for o in $from_page; do
	printf '%s\n' "$from_help" | grep -qxF -- "$o" ||
		{ echo "FAIL: serguardd.8 documents $o, which serguardd --help does not list"; fail=1; }
done
[ $fail -eq 0 ] && echo "serguardd.8 and serguardd --help agree on $(printf '%s\n' "$from_help" | wc -l | tr -d ' ') options"
exit $fail
