#!/bin/sh
# exec_crash.sh -- acknowledged writes survive SIGKILL.  16 client threads
# stream CreateExecution and RUNNING events at keeld (crash_client.c)
# while keeld's outbox workers launch; keeld is killed with SIGKILL in
# the middle, restarted on the same data directory, and then:
#   - every acknowledged execution exists and every acknowledged RUNNING
#     event is recorded;
#   - every execution has exactly one launch row in the outbox, all of
#     them are done after the restart (none lost, none dead);
#   - at most one row per outbox worker ran twice: the rows whose lease
#     the kill interrupted, which the lease hands back (delivery to a data
#     plane is at least once, keyed by the row's purpose; outbox.h).
. "$KEEL_SRCDIR/tests/common/tap.sh"
. "$KEEL_SRCDIR/tests/common/proc.sh"

keeld="$KEEL_BUILDDIR/keeld"
client="$KEEL_BUILDDIR/tests/e2e/crash_client"
workers=4
pid=
pid_start=
tmp=
cleanup() {
	if [ -n "$pid" ] && proc_alive "$pid" "$pid_start"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$keeld" ] && [ -x "$client" ] || { echo "Bail out! keeld or crash_client not built"; exit 99; }
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "1..0 # SKIP the sqlite3 shell is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-crash.XXXXXX") || exit 99
data="$tmp/data"
url="ipc://$data/keeld.sock"
mkdir -p "$data"
printf '%s\n' '[grpc]' 'listen = off' '[http]' 'listen = off' \
	'[executions]' 'target = none' "outbox_workers = $workers" 'outbox_lease = 2s' \
	>"$tmp/keel.ini"

# start: keeld on the data directory, waiting until it answers.
start() {
	"$keeld" -c "$tmp/keel.ini" --data-dir "$data" \
		--plugin-dir "$KEEL_BUILDDIR/.libs" >>"$tmp/keeld.log" 2>&1 &
	pid=$!
	pid_start=$(proc_start "$pid")
	i=0
	until "$client" setup "$url" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! proc_alive "$pid" "$pid_start"; then
			return 1
		fi
		sleep 0.1
	done
	return 0
}

q() {
	sqlite3 "file:$data/keel.db?mode=ro" "$1"
}

start
ok $? "keeld starts and the registry is set up"
"$client" load "$url" "$tmp/acked" 16 60 >"$tmp/load.out" 2>&1 &
load=$!
# Let the stream and the workers get going, then pull the plug.
# acked_runs: RUNNING events acknowledged so far.
acked_runs() {
	c=$(grep -c '^R' "$tmp/acked" 2>/dev/null)
	echo "${c:-0}"
}
n=0
while [ "$(acked_runs)" -lt 300 ] && [ $n -lt 200 ]; do
	sleep 0.05
	n=$((n + 1))
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
wait "$load"
diag "load: $(cat "$tmp/load.out")"
acked=$(grep -c '^E' "$tmp/acked")
[ "$acked" -gt 0 ]
ok $? "executions were acknowledged before SIGKILL ($acked)"

start
ok $? "keeld restarts on the same data directory"
"$client" verify "$url" "$tmp/acked" >"$tmp/verify.out" 2>&1
ok $? "every acknowledged execution and RUNNING event is there: $(cat "$tmp/verify.out" | tail -n 3 | tr '\n' ' ')"

# The restarted workers finish what the killed ones left (lease: 2 s).
i=0
while [ "$(q 'SELECT COUNT(*) FROM outbox WHERE state = 0')" != 0 ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(q 'SELECT COUNT(*) FROM outbox WHERE state = 0')" 0 "no outbox row is left pending"
is "$(q 'SELECT COUNT(*) FROM outbox WHERE state = 2')" 0 "no outbox row is dead"
is "$(q "SELECT COUNT(*) FROM executions e WHERE (SELECT COUNT(*) FROM outbox o WHERE o.kind = 'launch' AND o.execution_id = e.id) <> 1")" 0 \
	"every execution has exactly one launch row"
is "$(q "SELECT COUNT(*) FROM executions WHERE phase = 'UNDEFINED'")" 0 \
	"every execution was launched (none left UNDEFINED)"
is "$(q "SELECT COUNT(*) FROM executions WHERE inputs_uri = '' OR user_inputs_uri = ''")" 0 \
	"every launch wrote the inputs to the blob store and recorded the URIs"
uri=$(q "SELECT inputs_uri FROM executions ORDER BY id LIMIT 1")
[ -f "${uri#file://}" ]
ok $? "the inputs object exists ($uri)"
twice=$(q 'SELECT COUNT(*) FROM outbox WHERE attempts > 1')
[ "$twice" -le "$workers" ]
ok $? "rows run twice: $twice, at most the $workers the kill interrupted"
total=$(q 'SELECT COUNT(*) FROM executions')
diag "executions stored: $total (acknowledged: $acked)"

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "keeld exits 0 after SIGTERM"
pid=
problems=$(grep -E 'runtime error|LeakSanitizer|AddressSanitizer' "$tmp/keeld.log")
is "$problems" "" "no sanitizer reports in keeld's log"
done_testing
