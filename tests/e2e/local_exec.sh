#!/bin/sh
# local_exec.sh -- the local executor end to end: keeld on its default
# data plane ([executor.local], keel-local-agent started by keeld) runs
# real workflows of shell tasks (tests/e2e/local_exec/*.json) and reports
# them as a Flyte data plane does.
#
#   parallel branches (two tasks that each wait for the other to start),
#   a join, a flaky task that succeeds on its retry, a failing task that
#   exhausts its retries, a task timeout, a missing command, missing
#   outputs, abort mid-run (the process group is gone), a branch node,
#   a subworkflow, a launch-plan node (child execution), a gate node
#   released by SetSignal, a failure node, keeld SIGKILLed mid-run (the
#   agent outlives it and keeps reporting to the next keeld), the agent
#   SIGKILLed mid-run (keeld starts it again; the run fails with a system
#   error and its tasks are killed), and the agent over tcp.
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR (set by `make check`).
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"
. "${KEEL_SRCDIR:-.}/tests/common/proc.sh"
. "${KEEL_SRCDIR:-.}/tests/common/dbserver.sh"

builddir=${KEEL_BUILDDIR:-.}
srcdir=${KEEL_SRCDIR:-.}
keeld="$builddir/keeld"
keelctl="$builddir/keelctl"
fixtures="$srcdir/tests/e2e/local_exec"
pid=
pid_start=
tmp=

# The agent's pid, from its lock file in the state directory.
agent_pid() {
	sed -n '1p' "$data/local-agent/agent.lock" 2>/dev/null
}

stop_keeld() { # SIGNAL
	if [ -n "$pid" ] && proc_alive "$pid" "$pid_start"; then
		kill -"$1" "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	pid=
}

cleanup() {
	stop_keeld KILL
	# An agent outlives a SIGKILLed keeld by design: stop it too.
	if [ -n "$tmp" ]; then
		for d in "$tmp"/data*; do
			a=$(sed -n '1p' "$d/local-agent/agent.lock" 2>/dev/null)
			[ -n "$a" ] && kill -KILL "$a" 2>/dev/null
		done
		pkill -KILL -f 'sleep 3[1-4]\.5' 2>/dev/null
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ ! -x "$keeld" ] || [ ! -x "$keelctl" ] ||
	[ ! -x "$builddir/keel-local-agent" ] || [ ! -x "$builddir/keel-task" ]; then
	echo "1..0 # SKIP keeld, keelctl, keel-local-agent or keel-task not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-local.XXXXXX") || exit 99

# start_keeld DATA INI: start keeld, wait until it answers.
start_keeld() {
	data=$1
	sock="ipc://$data/keeld.sock"
	mkdir -p "$data"
	"$keeld" -c "$2" --data-dir "$data" --plugin-dir "$builddir/.libs" \
		2>> "$data/keeld.log" &
	pid=$!
	pid_start=$(proc_start "$pid")
	i=0
	until "$keelctl" --endpoint "$sock" --timeout 2s version \
		> /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! proc_alive "$pid" "$pid_start"; then
			diag "keeld did not come up; its log:"
			sed 's/^/#   /' "$data/keeld.log"
			stop_keeld KILL
			return 1
		fi
		sleep 0.1
	done
	return 0
}

kc() {
	"$keelctl" --endpoint "$sock" --timeout 10s "$@" \
		> "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

P="-p lx -d development"

# run LP NAME [ARGS]: launch LP as NAME and wait for it (rc, out: the
# final summary; tree: `get execution` afterwards).
run() {
	lp=$1
	name=$2
	shift 2
	kc create execution --launchplan "w.$lp" --name "$name" $P "$@"
	[ $rc -eq 0 ] || { diag "create $name: $err"; return; }
	wait_for "$name"
}

# wait_for NAME: --wait, bounded so that a run that never ends fails
# the checks instead of hanging the suite.
wait_for() {
	timeout 120 "$keelctl" --endpoint "$sock" --timeout 10s get execution \
		"$1" $P --wait > "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	"$keelctl" --endpoint "$sock" get execution "$1" $P > "$tmp/tree" 2>&1
	tree=$(cat "$tmp/tree")
}

# node_col NODE N: the Nth column of NODE's row in the tree (NODE NAME
# PHASE DURATION ATTEMPTS ERROR...).
node_col() {
	printf '%s\n' "$tree" | awk -v n="$1" -v c="$2" '$1 == n { print $c; exit }'
}

# wait_file PATH: up to 10 s for a file to appear.
wait_file() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

printf '%s\n' '[grpc]' 'listen = off' '[http]' 'listen = off' \
	'[executor.local]' 'kill_grace = 1s' \
	'[executions]' 'outbox_backoff = 100ms' 'reconcile_interval = 1s' \
	> "$tmp/keel.ini"
dbs_test_ini >>"$tmp/keel.ini" || exit 99
start_keeld "$tmp/data" "$tmp/keel.ini"
ok $? "keeld starts on the default data plane"
if [ -z "$pid" ]; then
	done_testing
	exit 1
fi
a1=$(agent_pid)
[ -n "$a1" ] && kill -0 "$a1" 2>/dev/null
ok $? "keeld started keel-local-agent (pid ${a1:-?})"
like "$(cat "$data/keeld.log")" "executor local (local" \
	"keeld's log names the executor"

kc create project --id lx --name "Local executor"
ok $rc "create project"
mkdir -p "$tmp/reg"
cp "$fixtures"/*.json "$tmp/reg/"
# The child workflow refers to a launch plan: register it afterwards.
kc register files $(ls "$tmp"/reg/*.json | grep -v '32_child') $P --version v1
ok $rc "register the fixtures" || diag "$out $err"
kc register files "$tmp/reg/32_child_2.json" "$tmp/reg/32_child_3.json" \
	$P --version v1
ok $rc "register the launch-plan-node workflow" || diag "$out $err"
for lp in par flaky broken slow nocmd nooutput long nap branch sub child \
	gate onfail; do
	"$keelctl" --endpoint "$sock" update launchplan "w.$lp" $P \
		--version v1 --activate > /dev/null 2>&1 ||
		diag "cannot activate w.$lp"
done

# --- parallel branches and a join ---------------------------------------
run par e-par --input n=4
is "$rc" 0 "parallel: SUCCEEDED (left and right each waited for the other)"
like "$out" "o = 30" "parallel: the join's output (4+1)*(4+2)"
is "$(node_col l 3)" SUCCEEDED "parallel: node l SUCCEEDED"
is "$(node_col r 3)" SUCCEEDED "parallel: node r SUCCEEDED"
is "$(node_col j 3)" SUCCEEDED "parallel: node j SUCCEEDED"

# --- retries ---------------------------------------------------------------
run flaky e-flaky
is "$rc" 0 "flaky: SUCCEEDED on its retry"
is "$(node_col n0 3) $(node_col n0 5)" "SUCCEEDED 2" "flaky: two attempts"

run broken e-broken
is "$rc" 1 "broken: FAILED"
is "$(node_col n0 3) $(node_col n0 5)" "FAILED 2" \
	"broken: both attempts (retries 1) ran"
like "$out" "ExitCode" "broken: error code ExitCode"
like "$out" "exited with status 4" "broken: the exit status"
like "$out" "broken beyond repair" "broken: the end of stderr"
like "$out" "file://$data/local-agent/runs/lx/development/e-broken/nodes/n0/1/stderr.log" \
	"broken: the log link points at the captured stderr"
grep -q "broken beyond repair" \
	"$data/local-agent/runs/lx/development/e-broken/nodes/n0/0/stderr.log"
ok $? "broken: the first attempt's stderr was captured"

# --- timeout ---------------------------------------------------------------
run slow e-slow
is "$rc" 1 "slow: FAILED"
like "$out" "TaskExecutionTimeout" "slow: error code TaskExecutionTimeout"
like "$out" "timeout [1s] expired" "slow: the message names the timeout"
pgrep -f 'sleep 31\.5' > /dev/null
is "$?" 1 "slow: the timed-out process group is gone"

# --- a missing command, missing outputs ------------------------------------
run nocmd e-nocmd
is "$rc" 1 "nocmd: FAILED"
like "$out" "CommandNotFound" "nocmd: error code CommandNotFound"
like "$out" "keel-no-such-command" "nocmd: the message names the command"
is "$(node_col n0 3) $(node_col n0 5)" "FAILED 1" \
	"nocmd: not retried (retries 2)"

run nooutput e-noout
is "$rc" 1 "nooutput: FAILED"
like "$out" "OutputsNotFound" "nooutput: error code OutputsNotFound"
like "$out" "stdout.log" "nooutput: the log link points at stdout"

# --- abort mid-run -----------------------------------------------------------
kc create execution --launchplan w.long --name e-abort $P
ok $rc "abort: launched"
wait_file "$data/local-agent/runs/lx/development/e-abort/nodes/n0/0/started"
ok $? "abort: the task is running"
kc delete execution e-abort $P --cause "test abort"
ok $rc "abort: delete execution"
wait_for e-abort
is "$rc" 1 "abort: --wait exits 1"
like "$out" "ABORTED" "abort: the execution ended ABORTED"
is "$(node_col n0 3)" ABORTED "abort: its node ABORTED"
sleep 0.2
pgrep -f 'sleep 32\.5' > /dev/null
is "$?" 1 "abort: the task's process group is gone"

# --- branch, subworkflow, launch-plan node -----------------------------------
run branch e-br-hi --input n=7
is "$rc" 0 "branch: n=7 SUCCEEDED"
like "$out" "o = 49" "branch: n > 5 took the square"
run branch e-br-lo --input n=2
like "$out" "o = -2" "branch: n <= 5 took the negation"
like "$tree" "b-0-b-neg" "branch: the chosen node runs as the branch's child"

run sub e-sub --input n=1
is "$rc" 0 "subworkflow: SUCCEEDED"
like "$out" "o = 36" "subworkflow: (1+1)*(1+2) squared"
like "$tree" "s-0-j" "subworkflow: its nodes are children of the parent node"

run child e-child --input n=6
is "$rc" 0 "launch-plan node: SUCCEEDED"
like "$out" "o = 36" "launch-plan node: the child's output"
kc get execution $P
like "$out" "w.branch" "launch-plan node: the child execution is listed"

# --- a single task (Admin's .flytegen workflow) -----------------------------
kc create execution --task t.sq --name e-task $P --input n=5
ok $rc "single task: launched" || diag "$err"
wait_for e-task
is "$rc" 0 "single task: SUCCEEDED"
like "$out" "o = 25" "single task: its output"

# --- a gate --------------------------------------------------------------------
kc create execution --launchplan w.gate --name e-gate $P
ok $rc "gate: launched"
i=0
until grep -q . "$data/local-agent/agent.log" && "$keelctl" --endpoint "$sock" \
	get execution e-gate $P 2>/dev/null | grep -q '^g .*RUNNING'; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
ok $((i > 100)) "gate: the gate node waits (RUNNING)"
# SetSignal over the internal API (keelctl has no signal command, as
# flytectl has none): a small client, tests/e2e/signal_set.
gate_sent=no
if [ -x "$builddir/tests/e2e/signal_set" ]; then
	"$builddir/tests/e2e/signal_set" "$sock" lx development e-gate go 5 \
		> "$tmp/sig.out" 2>&1 && gate_sent=yes
fi
if [ $gate_sent = yes ]; then
	wait_for e-gate
	is "$rc" 0 "gate: SUCCEEDED once the signal was set"
	like "$out" "o = 25" "gate: the signal's value flowed on"
else
	skip "gate: SUCCEEDED once the signal was set" "signal_set not built"
	skip "gate: the signal's value flowed on" "signal_set not built"
	kc delete execution e-gate $P
fi

# --- failure node --------------------------------------------------------------
run onfail e-onfail --input n=3
is "$rc" 1 "failure node: the workflow still FAILED"
like "$out" "broken beyond repair" "failure node: with the original error"
is "$(node_col fn 3)" SUCCEEDED "failure node: it ran and SUCCEEDED"

# --- keeld SIGKILLed mid-run: the agent keeps the run going ------------------
kc create execution --launchplan w.nap --name e-kill $P --input n=8
ok $rc "keeld restart: launched"
wait_file "$data/local-agent/runs/lx/development/e-kill/nodes/n0/0/started"
ok $? "keeld restart: the task is running"
stop_keeld KILL
kill -0 "$a1" 2>/dev/null
ok $? "keeld restart: the agent outlived keeld"
start_keeld "$data" "$tmp/keel.ini"
ok $? "keeld restart: keeld is back"
like "$(cat "$data/keeld.log")" "already answers on" \
	"keeld restart: the new keeld adopted the running agent"
wait_for e-kill
is "$rc" 0 "keeld restart: the execution still SUCCEEDED"
like "$out" "o = 8" "keeld restart: with its output"

# --- the agent SIGKILLed mid-run: keeld restarts it, the run fails ----------
kc create execution --launchplan w.long --name e-agentkill $P
ok $rc "agent restart: launched"
wait_file "$data/local-agent/runs/lx/development/e-agentkill/nodes/n0/0/started"
ok $? "agent restart: the task is running"
a1=$(agent_pid)
kill -KILL "$a1"
wait_for e-agentkill
is "$rc" 1 "agent restart: the execution did not stay RUNNING"
like "$out" "AgentRestarted" "agent restart: error code AgentRestarted"
like "$out" "SYSTEM" "agent restart: a system error"
is "$(node_col n0 3)" FAILED "agent restart: its node FAILED too, not left RUNNING"
a2=$(agent_pid)
[ -n "$a2" ] && [ "$a2" != "$a1" ] && kill -0 "$a2" 2>/dev/null
ok $? "agent restart: keeld started a new agent ($a1 -> ${a2:-?})"
# The new agent kills it while it recovers; on a busy machine that may
# come a little after the execution is already marked failed.
i=0
while pgrep -f 'sleep 32\.5' > /dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
pgrep -f 'sleep 32\.5' > /dev/null
is "$?" 1 "agent restart: the orphaned task was killed"

# --- the agent loses a run's state: keeld's reconciler ends it -------------
kc create execution --launchplan w.long --name e-lost $P
ok $rc "lost run: launched"
wait_file "$data/local-agent/runs/lx/development/e-lost/nodes/n0/0/started"
ok $? "lost run: the task is running"
a2=$(agent_pid)
kill -KILL "$a2"
rm -rf "$data/local-agent/runs/lx/development/e-lost"
pkill -KILL -f 'sleep 32\.5'
wait_for e-lost
is "$rc" 1 "lost run: the execution did not stay RUNNING"
like "$out" "LostByDataPlane" "lost run: error code LostByDataPlane"
like "$out" "has no record of this execution" "lost run: the message says why"
like "$(cat "$data/keeld.log")" "e-lost (RUNNING): the data plane of cluster local" \
	"lost run: keeld's log names it"
a2=$(agent_pid)

stop_keeld TERM
sleep 0.2
kill -0 "$a2" 2>/dev/null
is "$?" 1 "a clean keeld stop stops its agent"

# --- the agent over tcp ----------------------------------------------------
up=1
for try in 1 2 3; do
	port=$((20000 + ($$ * 7 + try * 101) % 40000))
	printf '%s\n' '[grpc]' 'listen = off' '[http]' 'listen = off' \
		'[executor.local]' "listen = tcp://127.0.0.1:$port" \
		> "$tmp/tcp.ini"
	dbs_test_ini >>"$tmp/tcp.ini" || exit 99
	if start_keeld "$tmp/data-tcp" "$tmp/tcp.ini"; then
		up=0
		break
	fi
	stop_keeld KILL
done
ok $up "tcp: keeld with the agent on tcp://127.0.0.1:$port"
if [ $up = 0 ]; then
	kc create project --id lx --name "Local executor"
	kc register files $(ls "$tmp"/reg/*.json | grep -v '32_child') $P \
		--version v2
	"$keelctl" --endpoint "$sock" update launchplan w.par $P --version v2 \
		--activate > /dev/null 2>&1
	run par e-tcp --input n=1
	is "$rc" 0 "tcp: the parallel workflow SUCCEEDED"
	like "$out" "o = 6" "tcp: its output"
	stop_keeld TERM
fi

done_testing
