#!/bin/sh
# install-deps.sh [--test] -- install what Keel needs on Debian 12.
#   (no flag)  build and run: compiler, autotools, protobuf-c, nng, inih,
#              SQLite, libcrypto (OpenSSL), the googleapis protos, and the
#              PostgreSQL and MariaDB client libraries (the db drivers)
#   --test     also what the test suite uses (valgrind; python3 for JSON
#              checks and free ports; the sqlite3 shell to doctor a
#              database; PostgreSQL 15 and MariaDB servers, which the
#              tests start as throw-away instances on loopback ports)
# Uses sudo when not run as root.  Safe to run again.
set -eu

pkgs="build-essential autoconf automake libtool pkg-config ca-certificates
      protobuf-c-compiler libprotobuf-c-dev libprotobuf-dev protobuf-compiler
      golang-github-gogo-googleapis-dev libnng-dev libinih-dev libsqlite3-dev
      libgrpc-dev libssl-dev libpq-dev libmariadb-dev"
# npm fetches the pinned flyteidl package; keep an npm that is already
# there (e.g. one bundled with a newer nodejs).
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs valgrind python3 sqlite3 postgresql-15 mariadb-server
	      mariadb-client"
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "install-deps.sh: run as root or install sudo" >&2
	exit 1
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: everything is installed"
	exit 0
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
