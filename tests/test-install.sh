#!/bin/sh
# `make install DESTDIR=<staging root>` from the build tree, then:
#  1. the installed files are exactly the expected list below, and a
#     second make install keeps an edited serguard.conf;
#  2. the unit names the installed programs and no @var@ is left unfilled;
#  3. systemd-analyze verify accepts the unit and
#     systemd-analyze security --offline=yes gives an exposure of 1.5 or
#     lower ("OK" or better); the figure is printed;
#  4. systemd-sysusers accepts the sysusers.d file (dry run);
#  5. mandoc -Tlint -W warning reports nothing on every installed page;
#  6. make uninstall keeps only the edited serguard.conf; after a fresh
#     install, make uninstall leaves no file behind.
# Steps 3-5 need systemd-analyze, systemd-sysusers and mandoc; without one
# the rest still runs and the test ends in SKIP naming the tool.
#
# Parallel `make check`: the nested make only installs. The build is
# complete before any test runs (check depends on all), and the nested make
# is asked first (make -q on every library, program and script) to confirm
# that it has nothing to compile; the only files it may write in the build
# tree are sg-subst.stamp and the unit and pages made from it with sed, and
# then only if the directories differ from the build's, which no other
# test reads. It gets no
# jobserver (MAKEFLAGS is cleared) and installs into its own mktemp root.
set -u

if [ -z "${top_builddir:-}" ]; then
	echo "FAIL: top_builddir is not set (run through make check)"
	exit 99
fi
MAKE=${MAKE:-make}
SYSTEMD_ANALYZE=${SYSTEMD_ANALYZE:-$(command -v systemd-analyze || true)}
SYSTEMD_SYSUSERS=${SYSTEMD_SYSUSERS:-$(command -v systemd-sysusers || true)}
MANDOC=${MANDOC:-$(command -v mandoc || true)}
# The exposure this unit must not exceed (systemd-analyze's 0.0-10.0 scale).
max_exposure=1.5

work=$(mktemp -d "${TMPDIR:-/tmp}/sg-test-install.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
stage=$work/root
fail=0
skipped=""

# make in the build tree, serially and without the parent's jobserver.
mk() {
	(unset MAKEFLAGS MFLAGS MAKELEVEL
	 exec "$MAKE" --no-print-directory -C "$top_builddir" "$@")
}
bad() {
	echo "FAIL: $*"
	fail=1
}
skip() {
	echo "SKIP: $1 not found; $2 not checked"
	skipped="$skipped $1"
}

dirs=$(mk -s print-install-dirs) || { echo "FAIL: make print-install-dirs"; exit 99; }
eval "$dirs"
# config.h is never rewritten when unchanged (automake stamps it), so it can
# look older than its stamp: -o keeps it from making everything "out of date".
# shellcheck disable=SC2086
if ! mk -q -o config.h $compiled >/dev/null 2>&1; then
	echo "FAIL: the build tree is not up to date: run make first"
	exit 99
fi

# ---- the installed files: relative to DESTDIR, one per line --------------
# A new installed file must be added here: this list is what a package
# ships. $sysconfdir/serguard/serguard.conf is installed only when absent.
expected=$(sort <<EOF
$sbindir/serguardd
$bindir/serguardctl
$bindir/serguard-pki
$bindir/serguard-device
$systemdsystemunitdir/serguard.service
$sysusersdir/serguard.conf
$docdir/PROTOCOL.md
$docdir/examples/serguard.conf
$sysconfdir/serguard/serguard.conf
$mandir/man1/serguard-device.1
$mandir/man1/serguard-pki.1
$mandir/man3/sg_conn.3
$mandir/man3/sg_frame.3
$mandir/man5/serguard.conf.5
$mandir/man7/serguard-protocol.7
$mandir/man8/serguardctl.8
$mandir/man8/serguardd.8
EOF
)
# What is under the staging root, files and links, relative to it.
installed() {
	if [ -d "$stage" ]; then
		(cd "$stage" && find . \( -type f -o -type l \) -print) | sed 's|^\.||' | sort
	fi
}

# ---- 1. install ------------------------------------------------------------
if ! mk DESTDIR="$stage" install >"$work/install.log" 2>&1; then
	cat "$work/install.log"
	echo "FAIL: make install DESTDIR=..."
	exit 1
fi
got=$(installed)
if [ "$got" != "$expected" ]; then
	bad "installed files differ from the expected list (- expected, + installed):"
	printf '%s\n' "$expected" >"$work/expected"
	printf '%s\n' "$got" >"$work/got"
	diff -u "$work/expected" "$work/got" | sed -n '3,$p'
else
	echo "installed $(printf '%s\n' "$got" | wc -l | tr -d ' ') files, as expected"
fi

# An operator's edit survives a second install (and the example in docdir
# is still the shipped file).
conf=$stage$sysconfdir/serguard/serguard.conf
edit="; edited by test-install.sh"
kept=""
if [ -f "$conf" ]; then
	echo "$edit" >>"$conf"
	kept=$sysconfdir/serguard/serguard.conf
	if ! mk DESTDIR="$stage" install >"$work/install2.log" 2>&1; then
		cat "$work/install2.log"
		bad "second make install DESTDIR=..."
	elif [ "$(tail -n 1 "$conf")" != "$edit" ]; then
		bad "a second make install overwrote $sysconfdir/serguard/serguard.conf"
	elif [ "$(installed)" != "$expected" ]; then
		bad "a second make install changed the installed files"
	fi
	if [ -n "${top_srcdir:-}" ] && ! cmp -s "$top_srcdir/conf/serguard.conf" \
	    "$stage$docdir/examples/serguard.conf"; then
		bad "$docdir/examples/serguard.conf is not the shipped conf/serguard.conf"
	fi
fi

# ---- 2. the unit's paths ---------------------------------------------------
unit=$stage$systemdsystemunitdir/serguard.service
if [ -f "$unit" ]; then
	for want in \
	    "ExecStart=$sbindir/serguardd -c $sysconfdir/serguard/serguard.conf" \
	    "ExecReload=$bindir/serguardctl reload"; do
		grep -qxF "$want" "$unit" || bad "the unit has no line '$want'"
	done
fi
for f in $got; do
	case $f in
	*/man/*|*.service|*.conf|*.md)
		if grep -n '@[A-Za-z_]*@' "$stage$f" >"$work/subst" 2>/dev/null; then
			bad "$f: unfilled @var@"
			cat "$work/subst"
		fi ;;
	esac
done

# ---- 3. systemd-analyze ----------------------------------------------------
if [ -z "$SYSTEMD_ANALYZE" ]; then
	skip systemd-analyze "the unit"
elif [ -f "$unit" ]; then
	# verify in a copy of the staging root, with the unit where systemd
	# looks (the unit dir may be any path, e.g. under distcheck's prefix):
	# unknown settings, and ExecStart=/ExecReload= programs that were not
	# installed, are errors.
	vroot=$work/verify-root
	cp -R "$stage" "$vroot" && mkdir -p "$vroot/etc/systemd/system" &&
	    cp "$unit" "$vroot/etc/systemd/system/serguard.service" ||
	    { echo "FAIL: cannot set up $vroot"; exit 99; }
	if ! "$SYSTEMD_ANALYZE" verify --root="$vroot" --man=no --generators=no \
	    --recursive-errors=no serguard.service >"$work/verify" 2>&1 ||
	    [ -s "$work/verify" ]; then
		bad "systemd-analyze verify serguard.service:"
		cat "$work/verify"
	fi
	if "$SYSTEMD_ANALYZE" security --offline=yes --no-pager "$unit" \
	    >"$work/security" 2>"$work/security.err"; then
		cat "$work/security.err"
		line=$(grep 'Overall exposure level for serguard.service:' "$work/security")
		exposure=$(printf '%s\n' "$line" | sed -n 's/.*serguard\.service: *\([0-9][0-9.]*\) .*/\1/p')
		if [ -z "$exposure" ]; then
			bad "no exposure figure in systemd-analyze security's output:"
			cat "$work/security"
		else
			echo "systemd-analyze security --offline=yes serguard.service: $(printf '%s\n' "$line" | sed 's/.*: //')"
			if awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e + 0 > m + 0) }'; then
				bad "exposure $exposure is above $max_exposure"
				grep '✗' "$work/security"
			fi
		fi
	else
		bad "systemd-analyze security --offline=yes failed:"
		cat "$work/security" "$work/security.err"
	fi
fi

# ---- 4. sysusers.d ---------------------------------------------------------
users=$stage$sysusersdir/serguard.conf
if [ -z "$SYSTEMD_SYSUSERS" ]; then
	skip systemd-sysusers "the sysusers.d file"
elif [ -f "$users" ]; then
	mkdir "$work/sysroot"
	if ! "$SYSTEMD_SYSUSERS" --dry-run --root="$work/sysroot" - <"$users" \
	    >"$work/sysusers" 2>&1; then
		bad "systemd-sysusers --dry-run rejects $sysusersdir/serguard.conf:"
		cat "$work/sysusers"
	elif ! grep -q "Creating user 'serguard'" "$work/sysusers"; then
		bad "systemd-sysusers would not create user serguard:"
		cat "$work/sysusers"
	fi
fi

# ---- 5. man pages ----------------------------------------------------------
if [ -z "$MANDOC" ]; then
	skip mandoc "the man pages"
else
	n=0
	for f in $got; do
		case $f in
		"$mandir"/man*/*) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		out=$("$MANDOC" -Tlint -W warning "$stage$f" 2>&1)
		st=$?
		if [ $st -ne 0 ] || [ -n "$out" ]; then
			bad "mandoc -Tlint -W warning $f (exit $st):"
			printf '%s\n' "$out"
		fi
	done
	echo "mandoc -Tlint -W warning: $n installed pages checked"
fi

# ---- 6. uninstall ----------------------------------------------------------
uninstall() {
	if ! mk DESTDIR="$stage" uninstall >"$work/uninstall.log" 2>&1; then
		cat "$work/uninstall.log"
		bad "make uninstall DESTDIR=..."
	fi
}
uninstall
left=$(installed)
if [ "$left" != "$kept" ]; then
	bad "after make uninstall, expected only the edited serguard.conf, found:"
	printf '%s\n' "$left"
fi
rm -rf "$stage"
if mk DESTDIR="$stage" install >"$work/install3.log" 2>&1; then
	uninstall
	left=$(installed)
	if [ -n "$left" ]; then
		bad "make uninstall left files behind:"
		printf '%s\n' "$left"
	fi
else
	cat "$work/install3.log"
	bad "make install DESTDIR=... into an empty root"
fi

if [ $fail -ne 0 ]; then
	exit 1
fi
if [ -n "$skipped" ]; then
	echo "SKIP: the other checks passed; not found:$skipped"
	exit 77
fi
echo "PASS"
exit 0
