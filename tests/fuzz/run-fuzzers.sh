#!/bin/sh
# Run each libFuzzer target for a bounded time: run-fuzzers.sh SECONDS TARGET...
# Seeds come from tests/fuzz/corpus/<target>/ (read-only); new inputs go to
# a scratch copy so the committed corpus is never modified. Any crash,
# leak or sanitizer report fails the run; executions per target are
# printed for the record.
set -eu
secs=$1; shift
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=$top
export top_srcdir # targets that read test fixtures find them here
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
status=0
for t in "$@"; do
	name=$(basename "$t")
	mkdir -p "$work/$name"
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -R "$top/tests/fuzz/corpus/$name/." "$work/$name/"
	fi
	echo "fuzz: $name for ${secs}s"
	if ! "$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/$name-" \
		"$work/$name" >"$work/$name.log" 2>&1; then
		echo "FAIL: $name"
		tail -n 60 "$work/$name.log"
		for a in "$work/$name"-*; do
			[ -e "$a" ] && { echo "reproducer: $a"; od -A x -t x1z "$a" | head -n 20; }
		done
		status=1
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
	echo "PASS: $name: ${execs:-?} executions in ${secs}s, no finding"
done
exit $status
