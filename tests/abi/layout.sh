#!/bin/sh
# layout.sh -- the plugin ABI layout against its checked-in baseline.
#
# tests/abi/abi_layout prints every ABI constant, struct member offset/size
# and struct size; sdk/abi/keel-abi-1.layout is that output at the last
# release.  Rules (reference C.9):
#   - a baseline line that changed or disappeared is an ABI break;
#   - a new line (new member, new constant) passes only when KEEL_ABI_MINOR
#     is greater than the "abi 1.N" line of the baseline, and a new member
#     must sit past the struct's old end (appended, not inserted);
#   - a struct may grow only by such appended members.
# Also checks that abi_layout.c lists every constant and struct the headers
# declare, and that the comparator itself catches breaks (self-test).
#
# Environment: KEEL_SRCDIR, KEEL_BUILDDIR; LAYOUT_BASELINE and
# LAYOUT_CURRENT (files) override the inputs.
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"

srcdir=${KEEL_SRCDIR:-.}
builddir=${KEEL_BUILDDIR:-.}
baseline=${LAYOUT_BASELINE:-$srcdir/sdk/abi/keel-abi-1.layout}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-layout.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# compare BASELINE CURRENT: one "PASS<tab>text", "FAIL<tab>text" or
# "SKIP<tab>text" line per comparison.
compare() {
	awk -v bfile="$1" -v cfile="$2" '
	function key(line,   f, n) {
		n = split(line, f, " ")
		if (f[1] == "const")
			return f[1] " " f[2]
		if (n >= 2 && f[2] == "sizeof")
			return f[1] " sizeof"
		return f[1]
	}
	function load(file, tag,   line, k, n) {
		n = 0
		while ((getline line < file) > 0) {
			if (line ~ /^[ \t]*$/)
				continue
			if (line ~ /^abi /) {
				ver[tag] = substr(line, 5)
				continue
			}
			if (line ~ /^model /) {
				model[tag] = substr(line, 7)
				continue
			}
			k = key(line)
			n++
			order[tag, n] = k
			val[tag, k] = line
			has[tag, k] = 1
		}
		close(file)
		count[tag] = n
	}
	function out(status, text) {
		printf "%s\t%s\n", status, text
	}
	# "keel_db_ops sizeof 80" -> 80
	function lastnum(line,   f, n) {
		n = split(line, f, " ")
		return f[n] + 0
	}
	# "keel_db_ops.foo 80 8" -> 80
	function offset(line,   f) {
		split(line, f, " ")
		return f[2] + 0
	}
	BEGIN {
		load(bfile, "b")
		load(cfile, "c")
		if (!("b" in ver) || !("c" in ver)) {
			out("FAIL", "no \"abi M.N\" line in " \
			    (("b" in ver) ? cfile : bfile))
			exit
		}
		if (model["b"] != model["c"]) {
			out("SKIP", "baseline was taken on a " model["b"] \
			    " target, this compiler targets " model["c"])
			exit
		}
		split(ver["b"], bv, ".")
		split(ver["c"], cv, ".")
		if (bv[1] != cv[1]) {
			out("FAIL", "ABI break: KEEL_ABI_MAJOR is " cv[1] \
			    " but the baseline is for " bv[1] \
			    "; a major bump starts keel-abi-" cv[1] ".layout")
			exit
		}
		bumped = (cv[2] + 0 > bv[2] + 0)
		if (cv[2] + 0 < bv[2] + 0)
			out("FAIL", "ABI break: KEEL_ABI_MINOR went down from " \
			    ver["b"] " to " ver["c"])
		else
			out("PASS", "ABI " ver["c"] ", baseline " ver["b"])

		# Which structs gained members, and where the old ones ended.
		for (i = 1; i <= count["c"]; i++) {
			k = order["c", i]
			if (has["b", k] || k !~ /\./)
				continue
			s = k
			sub(/\..*/, "", s)
			grew[s] = 1
		}

		for (i = 1; i <= count["b"]; i++) {
			k = order["b", i]
			b = val["b", k]
			if (!has["c", k]) {
				out("FAIL", "ABI break: removed: " b)
				continue
			}
			c = val["c", k]
			if (b == c) {
				out("PASS", b)
				continue
			}
			if (k !~ / sizeof$/ || lastnum(c) < lastnum(b)) {
				out("FAIL", "ABI break: changed: " b " -> " c)
				continue
			}
			s = k
			sub(/ sizeof$/, "", s)
			if (!bumped)
				out("FAIL", "ABI break: " s " grew from " \
				    lastnum(b) " to " lastnum(c) \
				    " without a KEEL_ABI_MINOR bump (still " \
				    ver["c"] ")")
			else if (!grew[s])
				out("FAIL", "ABI break: " s " grew from " \
				    lastnum(b) " to " lastnum(c) \
				    " but no member was appended")
			else
				out("PASS", s " grew from " lastnum(b) \
				    " to " lastnum(c) " in " ver["c"])
		}

		for (i = 1; i <= count["c"]; i++) {
			k = order["c", i]
			if (has["b", k])
				continue
			c = val["c", k]
			if (!bumped) {
				out("FAIL", "ABI break: appended without a " \
				    "KEEL_ABI_MINOR bump (still " ver["c"] \
				    "): " c)
				continue
			}
			s = k
			sub(/\..*/, "", s)
			if (k ~ /\./ && has["b", s " sizeof"] && \
			    offset(c) < lastnum(val["b", s " sizeof"])) {
				out("FAIL", "ABI break: inserted inside " s \
				    " (old size " \
				    lastnum(val["b", s " sizeof"]) "): " c)
				continue
			}
			out("PASS", "appended in " ver["c"] ": " c)
		}
	}'
}

# report: turn compare output into TAP lines.
report() {
	while IFS='	' read -r status text; do
		case $status in
		PASS) ok 0 "$text" ;;
		FAIL) ok 1 "$text" ;;
		SKIP) echo "1..0 # SKIP $text"; exit 0 ;;
		esac
	done
}

if [ -n "${LAYOUT_CURRENT:-}" ]; then
	cp "$LAYOUT_CURRENT" "$tmp/current" || exit 99
else
	"$builddir/tests/abi/abi_layout" > "$tmp/current"
	ok $? "tests/abi/abi_layout runs (members tile every struct)"
fi

if [ ! -s "$baseline" ]; then
	ok 1 "baseline $baseline exists (make abi-layout-update)"
	done_testing
	exit
fi

compare "$baseline" "$tmp/current" > "$tmp/result"
report < "$tmp/result"

# abi_layout.c lists members and constants by hand: make sure it missed
# nothing the headers declare.  KEEL_ABI_MINOR is the "abi" line and
# KEEL_EXPORT and KEEL_PLUGIN_LINKAGE are not values.
hdrs="$srcdir/sdk/include/keel/keel_plugin.h $srcdir/sdk/include/keel/keel_db.h
$srcdir/sdk/include/keel/keel_blob.h
$srcdir/sdk/include/keel/keel_executor.h"
missing=
for c in $(sed -n 's/^#define \(KEEL_[A-Z0-9_]*\)[ 	][ 	]*[^ 	].*/\1/p' $hdrs |
	   sort -u); do
	case $c in KEEL_EXPORT | KEEL_PLUGIN_LINKAGE | KEEL_ABI_MINOR) continue ;; esac
	grep -q "^const $c " "$tmp/current" || missing="$missing $c"
done
is "$missing" "" "abi_layout.c prints every #define of the ABI headers"
missing=
for s in $(sed -n 's/^struct \(keel_[a-z0-9_]*\) {.*/\1/p' $hdrs | sort -u); do
	grep -q "^$s sizeof " "$tmp/current" || missing="$missing $s"
done
is "$missing" "" "abi_layout.c prints every struct of the ABI headers"

# Self-test: feed the comparator doctored layouts and check its verdicts.
selftest() { # want(PASS|FAIL) description file
	compare "$baseline" "$3" > "$tmp/st.out"
	if grep -q '^FAIL' "$tmp/st.out"; then got=FAIL; else got=PASS; fi
	is "$got" "$1" "comparator: $2"
	[ "$got" = "$1" ] || sed 's/^/#   /' "$tmp/st.out" | grep -v PASS
}
bminor=$(sed -n 's/^abi [0-9]*\.\([0-9]*\)$/\1/p' "$baseline")
next="1.$((bminor + 1))"
sed 's/^keel_db_ops.exec 32 8$/keel_db_ops.exec 40 8/' "$baseline" > "$tmp/st1"
selftest FAIL "a moved member is an ABI break" "$tmp/st1"
grep -v '^keel_host.data_dir ' "$baseline" > "$tmp/st2"
selftest FAIL "a removed member is an ABI break" "$tmp/st2"
sed 's/^const KEEL_EAGAIN .*/const KEEL_EAGAIN -99/' "$baseline" > "$tmp/st3"
selftest FAIL "a renumbered constant is an ABI break" "$tmp/st3"
sed -e 's/^keel_db_ops sizeof 80$/keel_db_ops sizeof 88/' \
    -e '/^keel_db_ops.ping /a keel_db_ops.vacuum 80 8' "$baseline" > "$tmp/st4"
selftest FAIL "an appended op without a minor bump is an ABI break" "$tmp/st4"
sed "s/^abi .*/abi $next/" "$tmp/st4" > "$tmp/st5"
selftest PASS "an appended op with a minor bump ($next) passes" "$tmp/st5"
sed -e "s/^abi .*/abi $next/" -e '$a const KEEL_ENEW -17' "$baseline" \
	> "$tmp/st6"
selftest PASS "an appended constant with a minor bump passes" "$tmp/st6"
sed -e "s/^abi .*/abi $next/" \
    -e 's/^keel_db_ops sizeof 80$/keel_db_ops sizeof 88/' "$baseline" \
	> "$tmp/st7"
selftest FAIL "a struct that grew with no new member is an ABI break" \
	"$tmp/st7"
sed -e "s/^abi .*/abi $next/" \
    -e '/^keel_db_ops.ping /a keel_db_ops.sneaky 8 4' "$baseline" > "$tmp/st8"
selftest FAIL "a member inserted inside the old struct is an ABI break" \
	"$tmp/st8"

done_testing
