#!/bin/sh
# Regenerate the build system from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
# automake's TAP driver is part of automake, not of Keel: take the installed one.
for d in /usr/share/automake-*; do
	if [ -f "$d/tap-driver.sh" ]; then
		cp -f "$d/tap-driver.sh" build-aux/tap-driver.sh
		break
	fi
done
[ -f build-aux/tap-driver.sh ] || { echo "autogen.sh: tap-driver.sh not found (is automake installed?)" >&2; exit 1; }
autoreconf -fi
