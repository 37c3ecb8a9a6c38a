#!/bin/sh
# db_cluster.sh KIND -- several keeld replicas on one database server, and
# the server failing under them (KIND: postgres or mysql).
#
#   1. two keelds started together on one empty database migrate it once;
#   2. a write through one is visible through the other at once;
#   3. launches queued through both are claimed by exactly one replica
#      each (FOR UPDATE SKIP LOCKED), and both replicas take a share;
#   4. the server stopped under a stream of writes: calls fail with
#      UNAVAILABLE while it is down (not a timeout), keeld recovers by
#      itself when it is back, and nothing acknowledged is lost;
#   5. keeld started while the server is down retries with backoff, says
#      so, and comes up once the server does; with nothing to wait for it
#      gives up after [keeld] db_start_wait with exit status 69; SIGTERM
#      while it waits is a clean stop.
set -u
kind=${1:?usage: db_cluster.sh postgres|mysql}
: "${KEEL_SRCDIR:=.}"
: "${KEEL_BUILDDIR:=.}"
. "$KEEL_SRCDIR/tests/common/tap.sh"
. "$KEEL_SRCDIR/tests/common/proc.sh"
. "$KEEL_SRCDIR/tests/common/dbserver.sh"

b=$KEEL_BUILDDIR
keeld=$b/keeld
keelctl=$b/keelctl
client=$b/tests/e2e/crash_client
[ -f "$b/.libs/db_$kind.so" ] || { echo "1..0 # SKIP db_$kind.so is not built"; exit 0; }
[ -x "$keeld" ] && [ -x "$keelctl" ] && [ -x "$client" ] ||
	{ echo "Bail out! keeld, keelctl or crash_client not built"; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-cluster.XXXXXX") || exit 99
pids=
DBS_DIR=
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	dbs_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

dbs_start "$kind"
case $? in
0) ;;
2) echo "1..0 # SKIP the $kind server is not installed"; exit 0 ;;
*) echo "Bail out! the $kind server did not start"; exit 1 ;;
esac
dbs_createdb keel_cluster >/dev/null || { echo "Bail out! createdb"; exit 1; }

# dq SQL: one value from the test database.
dq() {
	if [ "$kind" = postgres ]; then
		PGPASSWORD=$(cat "$DBS_PWFILE") psql -X -At -h 127.0.0.1 \
			-p "$DBS_PORT" -U keel -d keel_cluster -c "$1"
	else
		mariadb --no-defaults -N -B -h 127.0.0.1 -P "$DBS_PORT" -ukeel \
			-p"$(cat "$DBS_PWFILE")" keel_cluster -e "$1"
	fi
}

# ini NAME: a replica's keel.ini.  Replicas share the database and the
# blob root (a launch written by one is read by the other).
ini() {
	mkdir -p "$tmp/$1" "$tmp/blobs"
	{
		printf '%s\n' '[log]' 'level = debug' '[grpc]' 'listen = off' \
			'[http]' 'listen = off' '[keeld]' 'db_start_wait = 30s' \
			'[blob]' 'driver = local' "root = $tmp/blobs" \
			'[executions]' 'target = none' 'outbox_backoff = 100ms' \
			'outbox_lease = 5s'
		dbs_ini keel_cluster
	} >"$tmp/$1.ini"
}

# start NAME: keeld NAME in the background (pid in $pid_NAME).
start() {
	"$keeld" -c "$tmp/$1.ini" --data-dir "$tmp/$1" \
		--plugin-dir "$b/.libs" >>"$tmp/$1.log" 2>&1 &
	eval "pid_$1=$!"
	pids="$pids $!"
}

# up NAME: wait (30 s) until keeld NAME answers.
up() {
	i=0
	eval "p=\$pid_$1"
	until "$keelctl" --endpoint "ipc://$tmp/$1/keeld.sock" --timeout 2s \
		version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$p" 2>/dev/null; then
			diag "keeld $1 did not come up; its log:"
			tail -n 20 "$tmp/$1.log" | sed 's/^/#   /'
			return 1
		fi
		sleep 0.1
	done
}

# kc NAME ARGS...: keelctl against replica NAME; sets rc, out.
kc() {
	n=$1
	shift
	out=$("$keelctl" --endpoint "ipc://$tmp/$n/keeld.sock" --timeout 30s \
		"$@" 2>&1)
	rc=$?
}

# --- 1. two replicas migrate one empty database once --------------------
ini a
ini b
start a
start b
up a
ok $? "replica a is up"
up b
ok $? "replica b is up"
is "$(dq 'SELECT COUNT(*) FROM keel_migrations')" \
	"$(dq 'SELECT COUNT(DISTINCT version) FROM keel_migrations')" \
	"each migration is recorded once"
applied=$(cat "$tmp/a.log" "$tmp/b.log" | grep -c 'applied migration')
is "$applied" "$(dq 'SELECT COUNT(*) FROM keel_migrations')" \
	"the two replicas applied each migration once between them ($applied)"

# --- 2. a write through one is read through the other ------------------
kc a create project --id cluster --name Cluster --description "made on a"
ok $rc "create project through a: $out"
kc b get project cluster -o json
like "$out" "made on a" "b reads it at once"
kc b update project cluster --description "changed on b"
kc a get project cluster -o json
like "$out" "changed on b" "and a reads b's update"

# --- 3. launches are claimed by exactly one replica ---------------------
"$client" setup "ipc://$tmp/a/keeld.sock" >"$tmp/setup.out" 2>&1
ok $? "registry set up through a"
# 8 threads through each replica for 3 s: executions queue launch rows
# that both replicas' workers drain.
"$client" load "ipc://$tmp/a/keeld.sock" "$tmp/acked-a" 8 3 >/dev/null 2>&1 &
la=$!
"$client" load "ipc://$tmp/b/keeld.sock" "$tmp/acked-b" 8 3 >/dev/null 2>&1 &
lb=$!
wait "$la" "$lb"
nexec=$(dq 'SELECT COUNT(*) FROM executions')
[ "$nexec" -gt 20 ]
ok $? "executions created through both replicas ($nexec)"
i=0
while [ "$(dq "SELECT COUNT(*) FROM outbox WHERE kind = 'launch' AND state <> 1")" != 0 ] &&
	[ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(dq "SELECT COUNT(*) FROM outbox WHERE kind = 'launch' AND state <> 1")" 0 \
	"every launch row is done"
is "$(dq "SELECT COUNT(*) FROM outbox WHERE kind = 'launch' AND attempts <> 1")" 0 \
	"each was claimed once (attempts = 1 everywhere)"
da=$(grep -c 'outbox.*launch launch/.* done by' "$tmp/a.log")
db=$(grep -c 'outbox.*launch launch/.* done by' "$tmp/b.log")
is "$((da + db))" "$(dq "SELECT COUNT(*) FROM outbox WHERE kind = 'launch'")" \
	"the replicas' logs account for each launch once ($da by a, $db by b)"
[ "$da" -gt 0 ] && [ "$db" -gt 0 ]
ok $? "both replicas took a share"
"$client" verify "ipc://$tmp/b/keeld.sock" "$tmp/acked-a" >"$tmp/v.out" 2>&1
ok $? "b sees every execution a acknowledged: $(tail -n 1 "$tmp/v.out")"

# --- 4. the database stopped under load ---------------------------------
rm -f "$tmp/acked"
"$client" load "ipc://$tmp/a/keeld.sock" "$tmp/acked" 8 12 >"$tmp/load.out" 2>&1 &
load=$!
sleep 2
dbs_down
ok $? "$kind stopped under load"
kc a get project cluster
[ "$rc" -ne 0 ]
ok $? "a call while it is down fails"
like "$out" "UNAVAILABLE" "with UNAVAILABLE, before the client's deadline"
sleep 2
dbs_up
ok $? "$kind started again"
wait "$load"
diag "load: $(tail -n 1 "$tmp/load.out")"
kc a get project cluster -o json
like "$out" "changed on b" "a serves again after the restart"
kc b get project cluster -o json
like "$out" "changed on b" "so does b"
"$client" verify "ipc://$tmp/a/keeld.sock" "$tmp/acked" >"$tmp/v.out" 2>&1
ok $? "nothing acknowledged was lost: $(tail -n 1 "$tmp/v.out")"
after=$(grep -c '^E' "$tmp/acked")
diag "acknowledged during the run: $after"

# --- 5. start-up while the database is down -----------------------------
kill -TERM "$pid_b" 2>/dev/null
wait "$pid_b" 2>/dev/null
pids=$pid_a
dbs_down
start b
sleep 1.5
dbs_up
up b
ok $? "b, started while $kind was down, came up once it was back"
like "$(cat "$tmp/b.log")" "database not reachable (attempt 1)" \
	"and said it was waiting"
like "$(grep 'database not reachable' "$tmp/b.log" | tail -n 1)" "retrying in" \
	"with the delay before the next attempt"

ini c
sed -i "s/^port = .*/port = 1/; s/^db_start_wait = .*/db_start_wait = 1s/" "$tmp/c.ini"
"$keeld" -c "$tmp/c.ini" --data-dir "$tmp/c" --plugin-dir "$b/.libs" \
	>"$tmp/c.log" 2>&1
is "$?" 69 "with no server at all keeld gives up after db_start_wait (exit 69)"
like "$(cat "$tmp/c.log")" "database not reachable" "saying why"
sed -i "s/^db_start_wait = .*/db_start_wait = 60s/" "$tmp/c.ini"
"$keeld" -c "$tmp/c.ini" --data-dir "$tmp/c" --plugin-dir "$b/.libs" \
	>"$tmp/c2.log" 2>&1 &
cpid=$!
i=0
until grep -q 'database not reachable' "$tmp/c2.log" || [ $i -gt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$cpid"
wait "$cpid"
is "$?" 0 "SIGTERM while it waits for the database: a clean stop (exit 0)"
like "$(cat "$tmp/c2.log")" "stopped by signal 15 while waiting for the database" \
	"saying so"

for p in $pids; do
	kill -TERM "$p" 2>/dev/null
done
st=0
for p in $pids; do
	wait "$p" || st=$?
done
pids=
is "$st" 0 "the replicas exit 0 after SIGTERM"
problems=$(cat "$tmp"/*.log | grep -E 'runtime error|LeakSanitizer|AddressSanitizer')
is "$problems" "" "no sanitizer reports in the logs"
done_testing
