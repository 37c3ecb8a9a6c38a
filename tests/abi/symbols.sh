#!/bin/sh
# symbols.sh -- what each binary exports (reference C.13 rule 2, D.4).
#
#   - every plugin (.libs/db_*.so, .libs/blob_*.so, and the good test
#     plugins) defines exactly one dynamic symbol, keel_plugin_entry, and
#     needs no symbol of the core;
#   - libkeelclient.so exports only keel_client_*;
#   - keeld is not linked with -export-dynamic: its dynamic symbol table
#     holds nothing of Keel that a plugin could bind to, only the usual
#     start-up symbols, libc copy relocations and sanitizer hooks.
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR.
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"

builddir=${KEEL_BUILDDIR:-.}
NM=${NM:-nm}

if ! command -v "$NM" > /dev/null 2>&1; then
	echo "1..0 # SKIP no nm"
	exit 0
fi

# Dynamic symbols a file defines, without version suffixes, sorted.
defined() {
	"$NM" -D --defined-only "$1" 2> /dev/null |
		awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u
}

# Global symbols of the core (convenience library), to catch plugins that
# would bind to keeld's internals.
core_syms=
if [ -f "$builddir/.libs/libkeelcore.a" ]; then
	core_syms=$("$NM" -g --defined-only "$builddir/.libs/libkeelcore.a" \
		2> /dev/null | awk 'NF >= 3 { print $3 }' | sort -u)
fi

plugin() {
	f=$1
	n=$(basename "$f")
	is "$(defined "$f" | tr '\n' ' ')" "keel_plugin_entry " \
		"$n exports exactly keel_plugin_entry"
	if [ -n "$core_syms" ]; then
		undef=$("$NM" -D --undefined-only "$f" | awk '{ print $NF }' |
			sed 's/@.*//' | sort -u)
		hits=$(printf '%s\n' "$undef" | grep -Fxf - "$tmp/core" |
			tr '\n' ' ')
		is "$hits" "" "$n needs no symbol of the core"
	fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-syms.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$core_syms" > "$tmp/core"

nplug=0
for f in "$builddir"/.libs/db_*.so "$builddir"/.libs/blob_*.so; do
	[ -f "$f" ] || continue
	plugin "$f"
	nplug=$((nplug + 1))
done
[ $nplug -gt 0 ]
ok $? "found $nplug real plugin(s) in $builddir/.libs"
for f in db_good.so blob_good.so blob_memory.so; do
	plugin "$builddir/tests/abi/plugins/.libs/$f"
done

# The export list is what hides everything: prove it bites by looking at
# the one test plugin that exports a differently named function.
is "$(defined "$builddir/tests/abi/plugins/.libs/db_noentry.so" |
	tr '\n' ' ')" "keel_plugin_init " \
	"db_noentry.so exports only its keel_plugin_init"

lib="$builddir/.libs/libkeelclient.so"
if [ -f "$lib" ]; then
	syms=$(defined "$lib")
	other=$(printf '%s\n' "$syms" | grep -v '^keel_client_' | tr '\n' ' ')
	is "$other" "" "libkeelclient.so exports only keel_client_*"
	printf '%s\n' "$syms" | grep -q '^keel_client_call$'
	ok $? "libkeelclient.so exports keel_client_call"
else
	ok 1 "libkeelclient.so is built ($lib)"
fi

# keeld may be a libtool wrapper script when it links shared libraries.
keeld="$builddir/keeld"
[ -f "$builddir/.libs/keeld" ] && keeld="$builddir/.libs/keeld"
[ -f "$builddir/.libs/lt-keeld" ] && keeld="$builddir/.libs/lt-keeld"
if [ -f "$keeld" ]; then
	other=$("$NM" -D --defined-only "$keeld" | awk 'NF >= 3 { print $3 }' |
		grep -v '@' |
		grep -Ev '^(_IO_stdin_used|_start|_init|_fini|__bss_start|_edata|_end|__data_start|data_start|__dso_handle|__libc_csu_(init|fini))$' |
		grep -Ev '^__(asan|ubsan|lsan|tsan|msan|sanitizer|interceptor)_' |
		tr '\n' ' ')
	is "$other" "" "keeld exports no symbol of its own (no -export-dynamic)"
	"$NM" -D --defined-only "$keeld" | awk '{ print $3 }' |
		grep -Eq '^(main|plugin_open|plugin_host|keel_[a-z_]*)$'
	[ $? -ne 0 ]
	ok $? "keeld's dynamic table has no main, plugin_* or keel_* symbol"
else
	ok 1 "keeld is built ($keeld)"
fi

done_testing
