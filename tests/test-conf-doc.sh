#!/bin/sh
# serguard.conf(5) against the parser's option table: every option the
# parser accepts (serguardd --dump-options) must be documented in the
# section of its own kind, with the parser's default ("Default: X." or
# "Required.") and its range ("Range: MIN..MAX") or values ("Values: A,
# B."); every option the page documents must exist. Then the page must
# be clean under `mandoc -Tlint -W warning`.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
man="$top_srcdir/man/serguard.conf.5"
daemon="$top_builddir/daemon/serguardd"

if [ -z "${MANDOC:-}" ]; then
	echo "SKIP: test-conf-doc.sh needs mandoc (Debian: apt-get install mandoc)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-conf-doc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$daemon" --dump-options >"$tmp/options"
[ -s "$tmp/options" ] || { echo "FAIL: serguardd --dump-options printed nothing"; exit 1; }

# The text of one option's entry: from ".It Cm NAME" in the subsection
# "[SECTION...]" to the next item or the end of the list, nested lists
# included.
entry() {
	awk -v sect="$1" -v name="$2" '
		/^\.Ss / { ss = substr($0, 5); next }
		/^\.It Cm / && depth == 0 && index(ss, "[" sect) == 1 {
			split($0, w, " ")
			if (w[3] == name) { on = 1; next }
		}
		on && /^\.Bl/ { depth++ }
		on && /^\.El/ { if (depth == 0) exit; depth-- ; print; next }
		on && /^\.It / && depth == 0 { exit }
		on { print }
	' "$man"
}

status=0
n=0
while IFS='	' read -r sect name type def unit allowed; do
	n=$((n + 1))
	entry "$sect" "$name" >"$tmp/entry"
	if [ ! -s "$tmp/entry" ]; then
		echo "FAIL: $sect option '$name' is not documented in serguard.conf(5) under [$sect]"
		status=1
		continue
	fi
	if [ "$def" = "(required)" ]; then
		want="Required."
	else
		want="Default: $def."
	fi
	if ! grep -qxF "$want" "$tmp/entry"; then
		echo "FAIL: $sect option '$name': serguard.conf(5) lacks the line '$want'"
		status=1
	fi
	case $type in
	integer|octal) want="Range: $allowed." ;;
	enum|boolean) want="Values: $allowed." ;;
	*) want="" ;;
	esac
	if [ -n "$want" ] && ! grep -qxF "$want" "$tmp/entry"; then
		echo "FAIL: $sect option '$name': serguard.conf(5) lacks the line '$want'"
		status=1
	fi
done <"$tmp/options"

# every documented option exists
awk '
	/^\.Ss \[(global|port|device)/ { split(substr($0, 6), w, /[] ]/); sect = w[1]; depth = 0; next }
	/^\.Ss / { sect = ""; next }
	sect != "" && /^\.Bl/ { depth++; next }
	sect != "" && /^\.El/ { depth--; next }
	sect != "" && depth == 1 && /^\.It Cm / { split($0, w, " "); print sect "\t" w[3] }
' "$man" >"$tmp/documented"
while IFS='	' read -r sect name; do
	if ! grep -q "^$sect	$name	" "$tmp/options"; then
		echo "FAIL: serguard.conf(5) documents '$name' under [$sect], which the parser does not accept"
		status=1
	fi
done <"$tmp/documented"
d=$(wc -l <"$tmp/documented")
if [ "$d" -ne "$n" ]; then
	echo "FAIL: the parser has $n options, serguard.conf(5) documents $d"
	status=1
fi

if ! "$MANDOC" -Tlint -W warning "$man"; then
	echo "FAIL: mandoc -Tlint -W warning $man"
	status=1
fi
[ $status -eq 0 ] && echo "PASS: $n options documented with their defaults and ranges; mandoc clean"
exit $status
