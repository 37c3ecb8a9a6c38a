#!/bin/sh
# fetch-flyteidl.sh DESTDIR
#
# Obtains the pinned flyteidl npm package and unpacks its protos/ into
# DESTDIR/protos.  The package is the wire contract of Keel; it is a build-time
# dependency and never part of the source tree.
#
# Sources, in order:
#   $KEEL_FLYTEIDL_TARBALL   a local copy of the .tgz (offline builds, caches)
#   npm pack                 through npm's configured registry
# Whatever the source, the tarball must match the pinned integrity hash.
set -eu

version=1.16.5
integrity='sha512-mMjjwzQ+v9tzSoIRg0U506UR4tRyb8tsYpczHJ6cHm9Z+IETwTJA2jV8Nd8opWNZgQOq9nuT394LeYz39KVjag=='
# The same digest in hex, for sha512sum (coreutils).
sha512=98c8e3c3343ebfdb734a8211834539d3a511e2d4726fcb6c6297331c9e9c1e6f59f88113c13240da357c35df28a563598103aaf67b93dfde0b798cf7f4a5636a

dest=${1:?usage: fetch-flyteidl.sh DESTDIR}
tmp="$dest.tmp.$$"
trap 'rm -rf "$tmp"' EXIT INT TERM
rm -rf "$tmp"
mkdir -p "$tmp"
tgz="$tmp/flyteidl-$version.tgz"

if [ -n "${KEEL_FLYTEIDL_TARBALL:-}" ]; then
	echo "flyteidl: using $KEEL_FLYTEIDL_TARBALL"
	cp "$KEEL_FLYTEIDL_TARBALL" "$tgz"
elif command -v npm >/dev/null 2>&1; then
	echo "flyteidl: npm pack @flyteorg/flyteidl@$version"
	(cd "$tmp" && npm pack --silent "@flyteorg/flyteidl@$version" >npm.out 2>&1) || {
		sed 's/^/  /' "$tmp/npm.out" >&2
		echo "flyteidl: npm pack failed; for an offline build pass --with-flyteidl=DIR to configure or set KEEL_FLYTEIDL_TARBALL" >&2
		exit 1
	}
	mv "$tmp/flyteorg-flyteidl-$version.tgz" "$tgz"
else
	echo "flyteidl: npm is not installed; install it (Debian: npm), pass --with-flyteidl=DIR to configure, or set KEEL_FLYTEIDL_TARBALL" >&2
	exit 1
fi

got=$(sha512sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha512" ]; then
	echo "flyteidl: integrity check failed for @flyteorg/flyteidl@$version" >&2
	echo "  expected $integrity" >&2
	echo "  (sha512 $sha512)" >&2
	echo "  actual   sha512 $got" >&2
	exit 1
fi

tar -xzf "$tgz" -C "$tmp" package/protos package/package.json
pkgver=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -n1)
if [ "$pkgver" != "$version" ]; then
	echo "flyteidl: package.json says version $pkgver, expected $version" >&2
	exit 1
fi
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp/package/protos" "$dest/protos"
echo "$version $integrity" > "$dest/VERSION"
echo "flyteidl: $version unpacked into $dest/protos (integrity verified)"
