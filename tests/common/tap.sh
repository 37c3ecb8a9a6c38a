# tap.sh -- TAP helpers for Keel's shell tests (source it).
#   ok COND-EXIT-STATUS "description"   e.g.  [ "$x" = y ]; ok $? "x is y"
#   is "$got" "$want" "description"
#   like "$got" "substring" "description"
#   skip "description" "reason"
#   done_testing
tap_n=0
tap_failed=0
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}
like() {
	case "$1" in
	*"$2"*) ok 0 "$3" ;;
	*) ok 1 "$3"; echo "#   '$1'"; echo "#   does not contain '$2'" ;;
	esac
}
diag() { echo "# $*"; }
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
