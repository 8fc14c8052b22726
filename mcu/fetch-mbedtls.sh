#!/bin/sh
# Fetch the mbedTLS 2.28 source from Debian's own source package, for the
# Cortex-M build (mcu/mcu.mk). Debian ships mbedTLS for the host only
# (libmbedtls-dev: headers and x86-64 libraries); its source package is the
# one Debian route to the .c files a firmware build compiles.
#
#   mcu/fetch-mbedtls.sh DESTDIR
#
# Leaves the unpacked tree in DESTDIR/mbedtls (include/, library/) and
# prints that path. DESTDIR is a build directory, never the source tree:
# mbedTLS sources are not committed.
#
# How: a temporary deb-src entry for the machine's own Debian archive
# (the URIs, suites and keyring of its existing `deb` entries) is written
# into a private apt configuration under DESTDIR, `apt-get source
# --download-only mbedtls` fetches the .dsc and tarballs through it (apt
# checks them against the archive's signed Sources index), `dpkg-source
# -x` unpacks (and checks them against the .dsc), and the temporary entry
# and its index files are removed again. The machine's own apt
# configuration and package lists are never touched, so this needs no
# root, cannot race another apt run, and leaves nothing behind.
#
# Idempotent: an unpacked tree is reused. Environment:
#   SG_MBEDTLS_SRC     an already unpacked mbedTLS 2.28 tree to use instead
#   SG_DEBIAN_MIRROR   the Debian archive URI, when it cannot be found in
#                      /etc/apt (e.g. http://deb.debian.org/debian)
#   SG_DEBIAN_SUITE    the suite when /etc/os-release does not name it
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DESTDIR" >&2
	exit 2
fi
mkdir -p "$1"
dest=$(cd "$1" && pwd)
tree="$dest/mbedtls"

have_tree() {
	[ -f "$1/include/mbedtls/version.h" ] && [ -f "$1/library/ecp.c" ]
}

if [ -n "${SG_MBEDTLS_SRC:-}" ]; then
	have_tree "$SG_MBEDTLS_SRC" || {
		echo "fetch-mbedtls: SG_MBEDTLS_SRC=$SG_MBEDTLS_SRC is not an mbedTLS tree" >&2
		exit 1
	}
	rm -rf "$tree"
	ln -s "$(cd "$SG_MBEDTLS_SRC" && pwd)" "$tree"
fi
if have_tree "$tree" && [ -f "$dest/mbedtls.stamp" ] || [ -L "$tree" ]; then
	echo "$tree"
	exit 0
fi

for tool in apt-get dpkg-source; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "fetch-mbedtls: $tool not found (Debian: apt, dpkg-dev)" >&2
		exit 1
	}
done

# The machine's Debian archive(s): every `deb` entry whose URI is a Debian
# archive (path ending in /debian or /debian-security), one-line and
# deb822 formats. Output lines: URI SUITE [KEYRING].
find_archives() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [opts] uri suite components...
		sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}//p' "$f" | awk '
		{
			kr = ""
			if ($1 ~ /^\[/) {
				while ($1 !~ /\]$/) {
					if ($1 ~ /signed-by=/) { kr = $1; sub(/.*signed-by=/, "", kr) }
					$1 = ""; $0 = $0
				}
				if ($1 ~ /signed-by=/) { kr = $1; sub(/.*signed-by=/, "", kr); sub(/\]$/, "", kr) }
				$1 = ""; $0 = $0
			}
			print $1, $2, kr
		}'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (i = 1; i <= nu; i++)
					for (j = 1; j <= ns; j++) print u[i], s[j], kr
			types = ""; nu = 0; ns = 0; kr = ""; enabled = ""
		}
		/^[[:space:]]*$/ { flush(); next }
		/^#/ { next }
		{
			key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
			if (key == "types") types = $0
			else if (key == "uris") nu = split($0, u, " ")
			else if (key == "suites") ns = split($0, s, " ")
			else if (key == "signed-by") kr = $0
			else if (key == "enabled") enabled = tolower($0)
		}
		END { flush() }' "$f"
	done
}

work="$dest/apt"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/parts" "$work/cache/archives/partial" "$work/dl"
trap 'rm -rf "$work"' EXIT INT TERM

entry="$work/parts/serguard-mbedtls-src.sources"
if [ -n "${SG_DEBIAN_MIRROR:-}" ]; then
	suite=${SG_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
	[ -n "$suite" ] || { echo "fetch-mbedtls: set SG_DEBIAN_SUITE" >&2; exit 1; }
	echo "$SG_DEBIAN_MIRROR $suite" >"$work/archives"
else
	find_archives | awk '$1 ~ /\/debian(-security)?\/?$/' | sort -u >"$work/archives"
fi
if [ ! -s "$work/archives" ]; then
	echo "fetch-mbedtls: no Debian archive found in /etc/apt; set SG_DEBIAN_MIRROR" >&2
	exit 1
fi
# One deb-src stanza per archive line (the keyring is a path or empty).
while read -r uri suite kr; do
	{
		echo "Types: deb-src"
		echo "URIs: $uri"
		echo "Suites: $suite"
		echo "Components: main"
		[ -n "$kr" ] && echo "Signed-By: $kr"
		echo
	} >>"$entry"
done <"$work/archives"

aptopts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$work/parts
 -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache
 -o APT::Sandbox::User=$(id -un) -q"
echo "fetch-mbedtls: deb-src from $(awk '{print $1 " " $2}' "$work/archives" | tr '\n' ' ')" >&2
# shellcheck disable=SC2086
apt-get $aptopts update >"$work/update.log" 2>&1 || {
	cat "$work/update.log" >&2
	echo "fetch-mbedtls: apt-get update of the temporary deb-src entry failed" >&2
	exit 1
}
# shellcheck disable=SC2086
(cd "$work/dl" && apt-get $aptopts source --download-only mbedtls) >"$work/source.log" 2>&1 || {
	cat "$work/source.log" >&2
	echo "fetch-mbedtls: apt-get source mbedtls failed" >&2
	exit 1
}
dsc=$(ls "$work/dl"/mbedtls_*.dsc)
rm -rf "$dest/mbedtls" "$dest"/mbedtls-2.* "$dest/mbedtls.stamp"
(cd "$dest" && dpkg-source -x "$dsc" >"$work/x.log" 2>&1) || {
	cat "$work/x.log" >&2
	exit 1
}
src=$(ls -d "$dest"/mbedtls-2.* | head -n1)
mv "$src" "$tree"
# dpkg-source leaves a copy of the upstream tarball beside the tree
rm -f "$dest"/mbedtls_*.orig.tar.*
have_tree "$tree" || { echo "fetch-mbedtls: unpacked tree incomplete" >&2; exit 1; }
ver=$(sed -n 's/^#define MBEDTLS_VERSION_STRING[[:space:]]*"\(.*\)"/\1/p' "$tree/include/mbedtls/version.h")
case $ver in
2.28.*) ;;
*) echo "fetch-mbedtls: got mbedTLS $ver, need 2.28.x" >&2; exit 1 ;;
esac
echo "$(basename "$dsc") $ver" >"$dest/mbedtls.stamp"
echo "fetch-mbedtls: mbedTLS $ver from $(basename "$dsc")" >&2
echo "$tree"
