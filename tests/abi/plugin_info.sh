#!/bin/sh
# plugin_info.sh -- `keeld --plugin-info FILE.so` on good and bad plugins.
#
# Bad plugins (tests/abi/plugins): exit 78 (EX_CONFIG) and, on stderr,
# the loader's message "plugin <path>: ...".  Good plugins (the golden 1.0
# ones, the SDK example, every real plugin of the build): exit 0 and
# output showing the name, kind, ABI version and every config key, as read
# independently by tests/abi/plugin_dump.
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR.
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"

builddir=${KEEL_BUILDDIR:-.}
keeld="$builddir/keeld"
dump="$builddir/tests/abi/plugin_dump"
plugdir="$builddir/tests/abi/plugins/.libs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-info.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$keeld" ]; then
	ok 1 "keeld is built ($keeld)"
	done_testing
	exit
fi

# bad FILE SUBSTRING: refused with exit 78 and the message on stderr.
bad() {
	f="$plugdir/$1"
	"$keeld" --plugin-info "$f" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	is "$rc" 78 "$1: exit 78"
	err=$(cat "$tmp/err")
	like "$err" "plugin " "$1: message names the plugin"
	like "$err" "$1: " "$1: message names the file"
	like "$err" "$2" "$1: $2"
}

bad db_undef.so "dlopen failed: "
bad db_noentry.so "has no keel_plugin_entry symbol; not a Keel plugin"
bad db_badmagic.so "bad magic 0xdeadbeef, expected 0x4b45454c"
bad db_major2.so "built for plugin ABI 2."
bad db_future.so "; upgrade keeld"
bad db_smalldesc.so "descriptor size 64 is smaller than 120"
bad db_smallops.so "ops size 16 is smaller than 80, the minimum for kind db"
bad db_smallkey.so "config key size 8 is smaller than 48"
bad db_reserved.so "reserved field is 7, expected 0"
bad db_kind42.so "unknown plugin kind 42"
bad executor_old.so "is of kind executor, which ABI 1.1 added"
bad blob_x.so "is a db plugin, expected a blob plugin"
bad db_foo.so 'is named "bar", expected "foo"'
bad db_nullop.so "required op conn_open is NULL"
bad db_nocreate.so "required lifecycle function create is NULL"

# A symlink is refused by --plugin-info too.
cp "$plugdir/db_good.so" "$tmp/db_good.so" && chmod 644 "$tmp/db_good.so" &&
	ln -s db_good.so "$tmp/db_alias.so"
"$keeld" --plugin-info "$tmp/db_alias.so" > "$tmp/out" 2> "$tmp/err"
is "$?" 78 "symlink: exit 78"
like "$(cat "$tmp/err")" "is a symbolic link; refusing to load it" \
	"symlink: message"
chmod 666 "$tmp/db_good.so"
"$keeld" --plugin-info "$tmp/db_good.so" > "$tmp/out" 2> "$tmp/err"
is "$?" 78 "world-writable: exit 78"
like "$(cat "$tmp/err")" "is world-writable (mode 0666)" \
	"world-writable: message"

# good FILE: exit 0 and every fact plugin_dump reads from the descriptor.
good() {
	f=$1
	n=$(basename "$f")
	if ! "$dump" "$f" > "$tmp/dump" 2> "$tmp/err"; then
		ok 1 "$n: plugin_dump reads it"
		sed 's/^/#   /' "$tmp/err"
		return
	fi
	"$keeld" --plugin-info "$f" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	is "$rc" 0 "$n: exit 0"
	[ "$rc" -eq 0 ] || sed 's/^/#   stderr: /' "$tmp/err"
	out=$(cat "$tmp/out")
	while read -r what value; do
		case $what in
		name | kind) like "$out" "$value" "$n: shows $what $value" ;;
		abi) like "$out" "$value" "$n: shows ABI $value" ;;
		key) like "$out" "$value" "$n: shows config key $value" ;;
		esac
	done < "$tmp/dump"
}

good "$plugdir/db_good.so"
good "$plugdir/blob_good.so"
good "$plugdir/blob_memory.so"
# The example's default must be visible to operators.
"$keeld" --plugin-info "$plugdir/blob_memory.so" > "$tmp/out" 2>&1
like "$(cat "$tmp/out")" "64MiB" "blob_memory.so: shows the default 64MiB"

nreal=0
for f in "$builddir"/.libs/db_*.so "$builddir"/.libs/blob_*.so; do
	[ -f "$f" ] || continue
	good "$f"
	nreal=$((nreal + 1))
done
[ "$nreal" -gt 0 ]
ok $? "found $nreal real plugin(s) in $builddir/.libs"

done_testing
