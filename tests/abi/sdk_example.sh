#!/bin/sh
# sdk_example.sh -- the SDK example plugin builds out of tree against the
# installed SDK with pkg-config alone, and keeld accepts the result.
#
# The SDK is installed with the build's own install targets
# (install-keelincludeHEADERS, install-pkgconfigDATA) into a staging
# directory (DESTDIR), and pkg-config is pointed only there
# (PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR), so nothing from the source
# tree or the system can leak into the build.  With KEEL_SDK_PREFIX set,
# an SDK already installed under that prefix is used instead.
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR, CC; KEEL_SDK_PREFIX (optional).
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"

srcdir=${KEEL_SRCDIR:-.}
builddir=${KEEL_BUILDDIR:-.}
MAKE=${MAKE:-make}

for tool in autoreconf libtoolize automake pkg-config "$MAKE"; do
	if ! command -v "$tool" > /dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found (needed to build the example)"
		exit 0
	fi
done
# pkg.m4 (PKG_CHECK_MODULES, PKG_CHECK_VAR) must be visible to aclocal.
if ! aclocal --print-ac-dir > /dev/null 2>&1 ||
   [ ! -f "$(aclocal --print-ac-dir)/pkg.m4" ]; then
	echo "1..0 # SKIP pkg.m4 not found (install pkg-config's autoconf macros)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-sdk.XXXXXX") || exit 99
trap 'chmod -R u+w "$tmp" 2> /dev/null; rm -rf "$tmp"' EXIT

# Sub-makes must not inherit the running `make check`'s flags (jobserver,
# TESTS=...).
unset MAKEFLAGS MFLAGS MAKELEVEL

# run DESCRIPTION COMMAND...: one TAP line; the log tail on failure.
run() {
	what=$1
	shift
	"$@" > "$tmp/log" 2>&1
	rc=$?
	ok $rc "$what"
	[ $rc -eq 0 ] || tail -n 25 "$tmp/log" | sed 's/^/#   /'
	return $rc
}

stage="$tmp/stage"
if [ -n "${KEEL_SDK_PREFIX:-}" ]; then
	pcdir="$KEEL_SDK_PREFIX/lib/pkgconfig"
	sysroot=
	[ -f "$pcdir/keel-plugin.pc" ]
	ok $? "KEEL_SDK_PREFIX=$KEEL_SDK_PREFIX has lib/pkgconfig/keel-plugin.pc"
else
	run "install the SDK into a staging directory" \
		$MAKE -C "$builddir" install-keelincludeHEADERS \
		install-pkgconfigDATA DESTDIR="$stage"
	pc=$(find "$stage" -name keel-plugin.pc | head -n 1)
	[ -n "$pc" ]
	ok $? "staged keel-plugin.pc"
	pcdir=$(dirname "$pc")
	sysroot=$stage
	h=$(find "$stage" -path '*/keel/keel_plugin.h' | head -n 1)
	[ -n "$h" ]
	ok $? "staged keel/keel_plugin.h"
fi
PKG_CONFIG_LIBDIR=$pcdir
PKG_CONFIG_PATH=
PKG_CONFIG_SYSROOT_DIR=$sysroot
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

cflags=$(pkg-config --cflags keel-plugin 2> "$tmp/log")
ok $? "pkg-config --cflags keel-plugin: $cflags"
ver=$(pkg-config --modversion keel-plugin)
pkg-config 'keel-plugin >= 1.0' 'keel-plugin < 2'
ok $? "keel-plugin $ver satisfies >= 1.0 and < 2"
pkg-config 'keel-plugin >= 2'
[ $? -ne 0 ]
ok $? "keel-plugin does not claim ABI 2"
is "$(pkg-config --libs keel-plugin | tr -d ' ')" "" \
	"keel-plugin is header-only (no Libs)"

# A pristine copy of the example: only its own files.
ex="$tmp/blob_memory"
mkdir "$ex" || exit 99
for f in configure.ac Makefile.am blob_memory.c README.md; do
	cp "$srcdir/sdk/examples/blob_memory/$f" "$ex/" || exit 99
done
chmod u+w "$ex"/* # a distcheck source tree is read-only

cd "$ex" || exit 99
run "autoreconf -fi" autoreconf -fi || { done_testing; exit; }
run "./configure (pkg-config only)" ./configure CC="${CC:-cc}" ||
	{ done_testing; exit; }
grep '^KEEL_CFLAGS' Makefile > "$tmp/kc"
if [ -n "$sysroot" ]; then
	grep -q -- "-I$stage" "$tmp/kc"
	ok $? "KEEL_CFLAGS points into the staged SDK: $(cat "$tmp/kc")"
fi
run "make (-Werror)" $MAKE CFLAGS="-g -O2 -Werror" || { done_testing; exit; }

so="$ex/.libs/blob_memory.so"
[ -f "$so" ]
ok $? "built .libs/blob_memory.so"
if command -v nm > /dev/null 2>&1; then
	is "$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' |
		tr '\n' ' ')" "keel_plugin_entry " \
		"blob_memory.so exports exactly keel_plugin_entry"
fi

keeld="$builddir/keeld"
"$keeld" --plugin-info "$so" > "$tmp/out" 2> "$tmp/err"
rc=$?
is "$rc" 0 "keeld --plugin-info blob_memory.so: exit 0"
[ $rc -eq 0 ] || sed 's/^/#   stderr: /' "$tmp/err"
out=$(cat "$tmp/out")
like "$out" "memory" "--plugin-info shows the name memory"
like "$out" "blob" "--plugin-info shows the kind blob"
like "$out" "max_bytes" "--plugin-info shows the key max_bytes"
like "$out" "64MiB" "--plugin-info shows the default 64MiB"

run "make install (DESTDIR)" $MAKE install DESTDIR="$tmp/inst"
inst=$(find "$tmp/inst" -name blob_memory.so | head -n 1)
case $inst in
*/keel/plugins/blob_memory.so)
	ok 0 "installed into plugindir: ${inst#"$tmp/inst"}" ;;
*) ok 1 "installed into plugindir (found '$inst')" ;;
esac
[ -z "$(find "$tmp/inst" -name '*.la')" ]
ok $? "no libtool .la installed next to it"

done_testing
