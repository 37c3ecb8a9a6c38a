#!/bin/sh
# headers.sh -- every public header compiles on its own, as C and as C++.
#
# Each header is included alone (twice, to exercise its include guard) in
# an otherwise empty file.  Every header must also be free of padding
# (-Wpadded): the plugin ABI headers by rule, and keel_client.h (the API of
# libkeelclient, versioned by its soname) because it costs nothing.
#
# Then: the frozen 1.0 headers are intact, and the current headers still
# declare every 1.0 member with the same name, type and offset
# (tests/abi/frozen_compat.cc, compiled only).
#
# Environment: KEEL_SRCDIR, CC, CXX.
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"

srcdir=${KEEL_SRCDIR:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
inc="$srcdir/sdk/include"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-headers.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# try DESCRIPTION COMMAND...: run, report, show the compiler's output on
# failure.
try() {
	what=$1
	shift
	"$@" > "$tmp/out" 2>&1
	rc=$?
	ok $rc "$what"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/out"
}

for h in keel_plugin.h keel_db.h keel_blob.h keel_executor.h keel_client.h; do
	printf '#include <keel/%s>\n#include <keel/%s>\n' "$h" "$h" \
		> "$tmp/only.c"
	cp "$tmp/only.c" "$tmp/only.cc"
	padded=-Wpadded
	try "$h alone as C11 (-Wall -Wextra $padded -pedantic -Werror)" \
		$CC -std=c11 -Wall -Wextra $padded -Werror -pedantic \
		-fsyntax-only -I"$inc" "$tmp/only.c"
	try "$h alone as C++11 (-Wall -Wextra -pedantic -Werror)" \
		$CXX -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic \
		-fsyntax-only -I"$inc" "$tmp/only.cc"
done

# The ABI headers must not pull in anything but the C library's basics
# and each other (reference C.2), and never anything from core/.
bad=
for h in keel_plugin.h keel_db.h keel_blob.h keel_executor.h; do
	incs=$(sed -n 's/^#include *[<"]\([^>"]*\)[>"].*/\1/p' "$inc/keel/$h")
	for i in $incs; do
		case $i in
		stdarg.h | stddef.h | stdint.h | stdio.h) ;;
		keel/keel_plugin.h) ;;
		*) bad="$bad $h:$i" ;;
		esac
	done
done
is "$bad" "" \
	"ABI headers include only stdarg/stddef/stdint/stdio and keel_plugin.h"

# A plugin written in C++ must export the same unmangled entry symbol.
printf '%s\n' '#include <keel/keel_db.h>' \
	'static const struct keel_plugin d = {};' 'KEEL_PLUGIN_DECLARE(d)' \
	> "$tmp/cxxplug.cc"
what="KEEL_PLUGIN_DECLARE in C++ exports keel_plugin_entry unmangled"
if $CXX -std=c++11 -fPIC -shared -fvisibility=hidden -I"$inc" \
	"$tmp/cxxplug.cc" -o "$tmp/cxxplug.so" > "$tmp/out" 2>&1; then
	syms=$(nm -D --defined-only "$tmp/cxxplug.so" 2> /dev/null |
		awk 'NF >= 3 { print $3 }' | tr '\n' ' ')
	is "$syms" "keel_plugin_entry " "$what"
else
	ok 1 "$what (compiles)"
	sed 's/^/#   /' "$tmp/out"
fi

frozen="$srcdir/tests/abi/headers/1.0"
(cd "$frozen/keel" && sha256sum -c --quiet ../SHA256SUMS) > "$tmp/out" 2>&1
ok $? "frozen 1.0 headers (tests/abi/headers/1.0) are unmodified"
[ -s "$tmp/out" ] && sed 's/^/#   /' "$tmp/out"

try "current headers keep every 1.0 member's name, type and offset" \
	$CXX -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$inc" \
	-I"$srcdir/tests/abi" "$srcdir/tests/abi/frozen_compat.cc"

done_testing
