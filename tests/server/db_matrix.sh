#!/bin/sh
# db_matrix.sh KIND -- the suites that run on SQLite, run again on a real
# database server: KIND is postgres or mysql (MariaDB).  Starts a
# throw-away server (tests/common/dbserver.sh), runs each suite against it
# (the C programs get a database of their own per testdb_open, the
# scripts per keel.ini), and prints one TAP stream: every suite's checks
# renumbered, each named "[KIND] suite: check".  Stops the server by PID.
#
# Not repeated here: the unit tests that test no database code, the group
# commit test (SQLite's single writer only), the keeld daemon test (its
# error messages name the SQLite keys), and exec_crash.sh, which checks
# its database with the sqlite3 shell; tests/server/db_faults.sh covers
# crashes and restarts on the servers.
set -u
kind=${1:?usage: db_matrix.sh postgres|mysql}
: "${KEEL_SRCDIR:=.}"
: "${KEEL_BUILDDIR:=.}"
. "$KEEL_SRCDIR/tests/common/dbserver.sh"

b=$KEEL_BUILDDIR
so=$b/.libs/db_$kind.so
[ -f "$so" ] || { echo "1..0 # SKIP $so is not built"; exit 0; }

c_suites="tests/conformance/db_conformance tests/repo/repo_suite
	tests/unit/svc_test tests/unit/task_test tests/unit/workflow_test
	tests/unit/exec_test tests/unit/signal_test tests/unit/rest_test
	tests/unit/api_nng_test"
# api_wedge.sh runs api_wedge_test without leak detection (it says why).
sh_suites="tests/unit/api_wedge.sh tests/e2e/keelctl_e2e.sh
	tests/e2e/keelctl_exec.sh tests/e2e/local_exec.sh
	tests/grpc/grpc_conformance.sh"

DBS_DIR=
cleanup() { dbs_stop; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

dbs_start "$kind"
case $? in
0) ;;
2) echo "1..0 # SKIP the $kind server is not installed (scripts/install-deps.sh --test)"
   exit 0 ;;
*) echo "Bail out! the $kind server did not start"; exit 1 ;;
esac

n=0
failed=0
# emit NAME OUT STATUS: renumber OUT's TAP lines under NAME.
emit() {
	name=$1
	plan=
	seen=0
	bad=0
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			seen=$((seen + 1))
			n=$((n + 1))
			case $line in
			"not ok "*) pre="not ok"; rest=${line#not ok }; bad=$((bad + 1)) ;;
			*) pre="ok"; rest=${line#ok } ;;
			esac
			rest=$(printf '%s' "$rest" | sed 's/^[0-9]* *-\{0,1\} *//')
			echo "$pre $n - [$kind] $name: $rest" ;;
		1..*)
			plan=${line#1..}
			case $plan in
			"0 # SKIP"* | "0 #SKIP"*)
				n=$((n + 1))
				echo "ok $n - [$kind] $name # SKIP ${plan#*SKIP }" ;;
			esac
			plan=${plan%% *} ;;
		"Bail out!"*)
			n=$((n + 1)); bad=$((bad + 1))
			echo "not ok $n - [$kind] $name: ${line#Bail out!}" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$2"
	if [ -n "$plan" ] && [ "$plan" != 0 ] && [ "$plan" != "$seen" ]; then
		n=$((n + 1)); bad=$((bad + 1))
		echo "not ok $n - [$kind] $name: planned $plan checks, ran $seen"
	fi
	if [ "$3" -ne 0 ] && [ "$bad" -eq 0 ]; then
		n=$((n + 1)); bad=$((bad + 1))
		echo "not ok $n - [$kind] $name: exited with status $3"
		tail -n 15 "$2.err" 2>/dev/null | sed 's/^/#   /'
	fi
	failed=$((failed + bad))
}

out=$DBS_DIR/suite.out
# The driver conformance suite takes its driver and keys as arguments.
dbs_createdb keel_conformance >/dev/null
set -- "$kind" host=127.0.0.1 "port=$DBS_PORT" user=keel \
	"password_file=$DBS_PWFILE" database=keel_conformance
for s in $c_suites; do
	[ -x "$b/$s" ] || { n=$((n + 1)); echo "not ok $n - [$kind] $s: not built"; continue; }
	t0=$(date +%s)
	# Drivers print their own diagnostics on stderr; keep them aside.
	if [ "$s" = tests/conformance/db_conformance ]; then
		(cd "$b" && "./$s" "$@") >"$out" 2>"$out.err"
	else
		(cd "$b" && "./$s") >"$out" 2>"$out.err"
	fi
	emit "${s##*/}" "$out" $?
	echo "# $s on $kind: $(($(date +%s) - t0)) s"
done
for s in $sh_suites; do
	t0=$(date +%s)
	sh "$KEEL_SRCDIR/$s" >"$out" 2>"$out.err"
	emit "${s##*/}" "$out" $?
	echo "# $s on $kind: $(($(date +%s) - t0)) s"
done

# Evidence that the scripts' keelds ran on this server: the databases
# dbs_test_ini made for them, each migrated.
if [ "$kind" = postgres ]; then
	made=$(dbs_sql "SELECT COUNT(*) FROM pg_database WHERE datname LIKE 'keel_e%'" -At 2>/dev/null)
else
	made=$(dbs_sql "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE 'keel_e%'" 2>/dev/null | tail -n 1)
fi
n=$((n + 1))
if [ "${made:-0}" -ge 4 ] 2>/dev/null; then
	echo "ok $n - [$kind] the end-to-end suites ran on $made databases of this server"
else
	echo "not ok $n - [$kind] the end-to-end suites ran on $kind (databases made: ${made:-none})"
	failed=$((failed + 1))
fi

echo "1..$n"
[ "$failed" -eq 0 ]
