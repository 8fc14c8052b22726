# Shared by the tests/test-device-*.sh scripts (sourced, not run): socat
# pty pairs, serguard-device and gw-peer processes in a private temp dir,
# and cleanup of every process on any exit.
#
# Environment (set by the test harness): top_srcdir, top_builddir, SOCAT.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-$(pwd)}
SOCAT=${SOCAT-$(command -v socat || true)}
if [ -z "$SOCAT" ]; then
	echo "SKIP: needs socat"
	exit 77
fi
DEV=$build/device/serguard-device
GW=$build/tests/gw-peer
F=$top/tests/pki/fixtures
for p in "$DEV" "$GW"; do
	[ -x "$p" ] || { echo "ERROR: $p not built"; exit 99; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-device.XXXXXX") || exit 99
pids=""

# stop PID: SIGTERM, then SIGKILL after 5 s; reaps it
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	for p in $pids; do
		stop "$p"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.out "$tmp"/*.log "$tmp"/*.stats; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f")"
		tail -n 40 "$f"
	done
	exit 1
}

# wait_for FILE PATTERN [TENTHS]: until grep finds PATTERN in FILE
wait_for() {
	n=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		[ $n -ge "${3:-100}" ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}

# pair NAME [socat options]: a pty pair, $tmp/NAME.gw and $tmp/NAME.dev
pair() {
	name=$1
	shift
	"$SOCAT" -d -d "$@" pty,raw,echo=0,link="$tmp/$name.gw" \
		pty,raw,echo=0,link="$tmp/$name.dev" 2>"$tmp/$name.socat.log" &
	pids="$pids $!"
	n=0
	while [ ! -e "$tmp/$name.gw" ] || [ ! -e "$tmp/$name.dev" ]; do
		[ $n -ge 100 ] && fail "socat pty pair $name did not come up"
		sleep 0.1
		n=$((n + 1))
	done
}

# device NAME [options]: serguard-device on pair NAME (log NAME.dev.log,
# counters NAME.stats); sets $devpid. Waits until it is ready.
device() {
	name=$1
	shift
	"$DEV" -v --port "$tmp/$name.dev" --ca "$F/ca.crt.der" \
		--stats-file "$tmp/$name.stats" "$@" 2>"$tmp/$name.dev.log" &
	devpid=$!
	pids="$pids $devpid"
	wait_for "$tmp/$name.dev.log" "ready on" || fail "device on $name did not start"
}

# gw NAME [options]: gw-peer on pair NAME, output in NAME.gw.out; returns
# its exit status
gw() {
	name=$1
	shift
	"$GW" --port "$tmp/$name.gw" --ca "$F/ca.crt.der" --cert "$F/gw" "$@" \
		>"$tmp/$name.gw.out" 2>&1
}

# gw_bg NAME [options]: the same in the background; sets $gwpid
gw_bg() {
	name=$1
	shift
	"$GW" --port "$tmp/$name.gw" --ca "$F/ca.crt.der" --cert "$F/gw" "$@" \
		>"$tmp/$name.gw.out" 2>&1 &
	gwpid=$!
	pids="$pids $gwpid"
}

# val FILE PREFIX KEY: KEY's value on the first line of FILE that starts
# with PREFIX ("dev 1", "a", "line", "bus")
val() {
	awk -v p="$2 " -v k="$3" 'index($0, p) == 1 {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) { print kv[2]; exit } }
	}' "$1"
}

# expect_eq WHAT GOT WANT, expect_ge WHAT GOT MIN
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
expect_ge() {
	[ -n "$2" ] && [ "$2" -ge "$3" ] || fail "$1: got '$2', want >= $3"
}
