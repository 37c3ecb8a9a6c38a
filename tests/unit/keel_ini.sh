#!/bin/sh
# keel_ini.sh -- etc/keel.ini documents every key: it must equal what
# `keeld config-template` prints from the declared schemas.
. "$KEEL_SRCDIR/tests/common/tap.sh"
out=$("$KEEL_BUILDDIR/keeld" --plugin-dir "$KEEL_BUILDDIR/.libs" config-template 2>&1 |
	sed -e "s|$KEEL_CONF_PLUGINDIR|/usr/lib/keel/plugins|g" \
	    -e "s|$KEEL_CONF_LOCALSTATEDIR/lib/keel|/var/lib/keel|g")
ok $? "keeld config-template runs"
want=$(cat "$KEEL_SRCDIR/etc/keel.ini")
# The file documents every plugin; a build without some of them (their
# libraries missing) prints less, so it can only check a full build.
missing=
for kp in $(sed -n "s/^; --- \([a-z]*\) plugin '\([a-z0-9_]*\)'.*/\1_\2/p" \
	"$KEEL_SRCDIR/etc/keel.ini"); do
	[ -f "$KEEL_BUILDDIR/.libs/$kp.so" ] || missing="$missing $kp.so"
done
if [ -n "$missing" ]; then
	skip "etc/keel.ini is up to date" "not built here:$missing"
elif [ "$out" = "$want" ]; then
	ok 0 "etc/keel.ini is up to date"
else
	ok 1 "etc/keel.ini is up to date (run 'make update-keel-ini')"
	printf '%s\n' "$out" >"${TMPDIR:-/tmp}/keel.ini.generated.$$"
	diff "$KEEL_SRCDIR/etc/keel.ini" "${TMPDIR:-/tmp}/keel.ini.generated.$$" | sed 's/^/# /'
	rm -f "${TMPDIR:-/tmp}/keel.ini.generated.$$"
fi
for key in data_dir plugin_dir workers shutdown_timeout max_message_size \
	max_page_size busy_timeout root; do
	grep -q "^;*$key = \|^;$key =" "$KEEL_SRCDIR/etc/keel.ini"
	ok $? "keel.ini documents $key"
done
# The example must itself be a valid configuration.
"$KEEL_BUILDDIR/keeld" --config "$KEEL_SRCDIR/etc/keel.ini" \
	--plugin-dir "$KEEL_BUILDDIR/.libs" --data-dir "${TMPDIR:-/tmp}" check-config >/dev/null 2>&1
ok $? "keeld check-config accepts etc/keel.ini"
done_testing
