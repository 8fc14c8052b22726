#!/bin/sh
# The spin model of the session engine (tests/model/session.pml, described
# in tests/model/README.md), checked in every configuration that matters:
#
#   safety-as-is     conn.c as it is: every assertion (no message accepted
#                    twice, keys agree, nonces unique, epochs advance, E1,
#                    E4) holds; the deadlock check is left out (see below)
#   safety-fixed     conn.c with the fixes F1 and F2 of README.md: every
#                    assertion and no invalid end state (no deadlock)
#   liveness         conn.c as it is, losses fewer than the retransmissions
#                    of an exchange: ltl `agree` under weak fairness
#   outage-fixed     losses as many as an exchange's retransmissions, with
#                    F1 and F2: ltl `agree` still holds
#   deadlock-as-is   conn.c as it is: pan must find the invalid end state of
#                    flaw F2 (README.md); remove this run once conn.c and the
#                    model's defaults carry the fixes
#   outage-as-is     conn.c as it is: pan must find the acceptance cycle of
#                    flaw F1
#   bug-*            the model with a deliberate bug (-DBUG_...): pan must
#                    report the assertion the bug breaks, so the properties
#                    can fail
#
# Each run: spin -a, cc pan.c, ./pan, in a temporary directory; prints the
# figures (states, transitions, depth, memory, time). Needs spin (SKIP
# otherwise) and a C compiler ($CC, else cc). `make check-model` runs it.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SPIN=${SPIN-$(command -v spin || true)}
CC=${CC:-cc}
if [ -z "$SPIN" ]; then
	echo "SKIP: needs spin"
	exit 77
fi
model=$top/tests/model/session.pml
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-model.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
fail=0

# run NAME EXPECT "spin -D flags" "cc flags" "pan flags"
# EXPECT: pass (errors: 0, search complete) or the text pan must print.
run() {
	name=$1 expect=$2 dflags=$3 cflags=$4 pflags=$5
	d=$work/$name
	mkdir "$d" || return 1
	cp "$model" "$d/session.pml"
	# shellcheck disable=SC2086
	if ! (cd "$d" && "$SPIN" $dflags -a session.pml >spin.out 2>&1); then
		echo "FAIL: $name: spin $dflags -a"
		cat "$d/spin.out"
		fail=1
		return
	fi
	# shellcheck disable=SC2086
	if ! (cd "$d" && $CC $cflags -DMEMLIM=3072 -o pan pan.c >cc.out 2>&1); then
		echo "FAIL: $name: $CC $cflags pan.c"
		cat "$d/cc.out"
		fail=1
		return
	fi
	# shellcheck disable=SC2086
	(cd "$d" && ./pan $pflags >pan.out 2>&1)
	out=$d/pan.out
	errs=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out" | head -n1)
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$out" | head -n1)
	trans=$(sed -n 's/^ *\([0-9.e+]*\) transitions.*/\1/p' "$out" | head -n1)
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$out" | head -n1)
	mem=$(sed -n 's/^ *\([0-9.]*\)[[:space:]]*total actual memory usage.*/\1/p' "$out" | head -n1)
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' "$out" | head -n1)
	figures="states ${states:-?}, transitions ${trans:-?}, depth ${depth:-?}, ${mem:-?} MB, ${secs:-?} s"
	if [ -z "$errs" ]; then
		echo "FAIL: $name: no result from pan"
		tail -n 30 "$out"
		fail=1
	elif [ "$expect" = pass ]; then
		if [ "$errs" = 0 ] && ! grep -q 'max search depth too small' "$out" &&
			! grep -q 'Search not completed' "$out"; then
			echo "ok: $name: errors: 0; $figures"
		else
			echo "FAIL: $name: errors: $errs ($dflags)"
			grep -E 'pan:|error' "$out" | head -n 5
			fail=1
		fi
	else
		if [ "$errs" != 0 ] && grep -qF -- "$expect" "$out"; then
			echo "ok: $name: found as expected: $(grep -m1 -F -- "$expect" "$out" | sed 's/^pan:[0-9]*: *//'); $figures"
		else
			echo "FAIL: $name: expected pan to report \"$expect\" ($dflags)"
			grep -E 'pan:|errors' "$out" | head -n 5
			fail=1
		fi
	fi
}

FIX="-DFIX_F1 -DFIX_F2"
SAFE="-O2 -DSAFETY"
FAST="-O0 -DSAFETY"	# runs that stop at their first error

run safety-as-is pass "-DASIS -DNOQUIESCE" "$SAFE" "-m100000"
run safety pass "" "$SAFE" "-m100000"
run liveness pass "-DASIS -DLIVENESS" "-O2" "-m100000 -a -f"
run outage pass "-DLIVENESS -DOUTAGE" "-O2" "-m100000 -a -f"
run deadlock-as-is "invalid end state" "-DASIS" "$FAST" "-m100000"
run outage-as-is "acceptance cycle" "-DASIS -DLIVENESS -DOUTAGE" "-O0" "-m100000 -a"
run bug-replay "assertion violated  !(dI[id])" "$FIX -DBUG_REPLAY" "$FAST" "-m100000"
run bug-m3-rekey "assertion violated (rtxs>rseal)" "$FIX -DBUG_M3_REKEY" "$FAST" "-m100000"
run bug-no-hold "assertion violated gdis" "$FIX -DBUG_NO_HOLD" "$FAST" "-m100000"
run bug-early-keys "assertion violated (ihave&&(iep==k))" "$FIX -DBUG_EARLY_KEYS" "$FAST" "-m100000"
run bug-m1-rekey "assertion violated (b>rhm1)" "$FIX -DBUG_M1_REKEY" "$FAST" "-m100000"

exit $fail
