# Shared by the shell tests that run serguardd end to end (sourced, not
# run): test-gateway.sh, test-wire-attacks.sh. Expects $tmp (a private
# mktemp directory), $pids, $daemon_pid and $CTL set by the caller before
# it sources this file. A caller with more to undo at exit defines
# cleanup_extra().

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
	command -v cleanup_extra >/dev/null 2>&1 && cleanup_extra
	[ -n "$daemon_pid" ] && stop "$daemon_pid"
	for p in $pids; do
		stop "$p"
	done
	if [ -n "${SG_TEST_KEEP-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# fail MESSAGE: print it and the tail of every log of the run, exit 1
fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.log "$tmp"/*.out; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f")"
		tail -n 60 "$f"
	done
	exit 1
}

ms() { date +%s%3N; }

# count FILE TEXT: lines of FILE containing TEXT
count() {
	c=$(grep -cF -- "$2" "$1" 2>/dev/null)
	echo "${c:-0}"
}

# wait_for FILE COUNT TEXT [SECONDS]: until FILE has COUNT lines with TEXT
wait_for() {
	n=0
	while [ "$(count "$1" "$3")" -lt "$2" ]; do
		[ $n -ge $((${4:-30} * 10)) ] && fail "timed out waiting for '$3' (x$2) in $(basename "$1")"
		sleep 0.1
		n=$((n + 1))
	done
}

ctl() { "$CTL" -s "$tmp/run/control.sock" "$@"; }
