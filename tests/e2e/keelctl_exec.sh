#!/bin/sh
# keelctl_exec.sh -- keelctl's executions end to end: create execution
# (--launchplan, --task, --input parsed as the declared types, usage
# errors), get execution (the list, one execution's node tree and outputs,
# -o json|yaml), --wait following an execution to SUCCEEDED and FAILED,
# and delete execution.
#
# keeld runs with [executions] target = none, so nothing runs what is
# launched: the script plays the data plane itself and reports workflow,
# node and task events through keeld's REST door (curl, JSON).
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR (set by `make check`).
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"
. "${KEEL_SRCDIR:-.}/tests/common/proc.sh"
. "${KEEL_SRCDIR:-.}/tests/common/dbserver.sh"

builddir=${KEEL_BUILDDIR:-.}
keeld="$builddir/keeld"
keelctl="$builddir/keelctl"
pid=
pid_start=
waiter=
tmp=

cleanup() {
	if [ -n "$waiter" ] && kill -0 "$waiter" 2>/dev/null; then
		kill -TERM "$waiter" 2>/dev/null
		wait "$waiter" 2>/dev/null
	fi
	if [ -n "$pid" ] && proc_alive "$pid" "$pid_start"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ ! -x "$keeld" ] || [ ! -x "$keelctl" ]; then
	echo "1..0 # SKIP keeld or keelctl not built"
	exit 0
fi
if ! command -v curl > /dev/null 2>&1; then
	echo "1..0 # SKIP curl is not installed (events go through REST)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-exec.XXXXXX") || exit 99
sock="ipc://$tmp/data/keeld.sock"
mkdir -p "$tmp/data" "$tmp/reg"
printf '%s\n' '[grpc]' 'listen = off' '[http]' 'listen = 127.0.0.1:0' \
	'[executions]' 'target = none' > "$tmp/keel.ini"
dbs_test_ini >>"$tmp/keel.ini" || exit 99

# kc ARGS...: run keelctl against our keeld; sets rc, out, err.
kc() {
	"$keelctl" --endpoint "$sock" --timeout 10s "$@" \
		> "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

"$keeld" -c "$tmp/keel.ini" --data-dir "$tmp/data" \
	--plugin-dir "$builddir/.libs" 2> "$tmp/keeld.log" &
pid=$!
pid_start=$(proc_start "$pid")
up=1
i=0
until "$keelctl" --endpoint "$sock" --timeout 2s version > /dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! proc_alive "$pid" "$pid_start"; then
		up=0
		break
	fi
	sleep 0.2
done
port=$(sed -n 's/.*REST serving on .*(port \([0-9]*\).*/\1/p' \
	"$tmp/keeld.log" | head -n 1)
[ $up = 1 ] && [ -n "$port" ]
ok $? "keeld answers on $sock, REST on port ${port:-?}"
if [ $up = 0 ] || [ -z "$port" ]; then
	diag "keeld's log:"
	sed 's/^/#   /' "$tmp/keeld.log"
	done_testing
	exit
fi

# --- the registry: a project, two tasks, a workflow, a launch plan --------
P="-p exq -d development"
kc create project --id exq --name "Executions"
is "$rc" 0 "create project exq"

# task_json NAME IN OUT TYPE: an admin.TaskSpec, one input, one output.
task_json() {
	cat <<EOF
{"template": {"id": {"resourceType": "TASK", "name": "$1"},
 "type": "python-task", "metadata": {"retries": {"retries": 2}},
 "interface": {
   "inputs": {"variables": {"$2": {"type": {"simple": "$4"}}}},
   "outputs": {"variables": {"$3": {"type": {"simple": "$4"}}}}},
 "container": {"image": "ghcr.io/keel/exq:1", "args": ["run"]}}}
EOF
}
task_json exq.square x o0 INTEGER > "$tmp/reg/0_exq.square_1.json"
task_json exq.greet name o0 STRING > "$tmp/reg/1_exq.greet_1.json"
cat > "$tmp/reg/2_exq.wf_2.json" <<'EOF'
{"template": {"id": {"resourceType": "WORKFLOW", "name": "exq.wf"},
  "metadata": {},
  "interface": {
    "inputs": {"variables": {"x": {"type": {"simple": "INTEGER"}},
                             "name": {"type": {"simple": "STRING"}}}},
    "outputs": {"variables": {"o0": {"type": {"simple": "INTEGER"}},
                              "o1": {"type": {"simple": "STRING"}}}}},
  "nodes": [
   {"id": "n0", "metadata": {"name": "square"},
    "inputs": [{"var": "x", "binding": {"promise":
      {"nodeId": "start-node", "var": "x"}}}],
    "taskNode": {"referenceId": {"resourceType": "TASK", "name": "exq.square"}}},
   {"id": "n1",
    "inputs": [{"var": "name", "binding": {"promise":
      {"nodeId": "start-node", "var": "name"}}}],
    "taskNode": {"referenceId": {"resourceType": "TASK", "name": "exq.greet"}}}],
  "outputs": [
   {"var": "o0", "binding": {"promise": {"nodeId": "n0", "var": "o0"}}},
   {"var": "o1", "binding": {"promise": {"nodeId": "n1", "var": "o0"}}}]}}
EOF
cat > "$tmp/reg/3_exq.wf_3.json" <<'EOF'
{"id": {"resourceType": "LAUNCH_PLAN", "name": "exq.wf"},
 "spec": {"workflowId": {"resourceType": "WORKFLOW", "name": "exq.wf"},
   "entityMetadata": {},
   "defaultInputs": {"parameters": {
     "x": {"var": {"type": {"simple": "INTEGER"}}, "required": true},
     "name": {"var": {"type": {"simple": "STRING"}},
              "default": {"scalar": {"primitive": {"stringValue": "world"}}}}}},
   "fixedInputs": {}}}
EOF
kc register files "$tmp"/reg/*.json $P --version v1
is "$rc" 0 "register two tasks, a workflow and a launch plan"
[ "$rc" = 0 ] || diag "$out $err"

# --- create execution: resolution and usage errors ------------------------
kc create execution $P --launchplan exq.wf --input x=3
is "$rc" 1 "create from a launch plan with no active version: exit 1"
like "$err" "(NOT_FOUND)" "... NOT_FOUND"
like "$err" "--activate" "... with a hint to activate one"

kc update launchplan $P exq.wf --version v1 --activate
is "$rc" 0 "activate the launch plan"

kc create execution $P --launchplan exq.wf --input x=abc
is "$rc" 2 "--input x=abc for an integer: exit 2"
like "$err" "invalid --input x: " "... the message names the input"
kc create execution $P --launchplan exq.wf --input nope=1
is "$rc" 2 "an unknown input: exit 2"
like "$err" 'has no input named "nope"' "... the message names it"
like "$err" "its inputs are: name, x" "... and lists the inputs"
kc create execution $P --launchplan exq.wf --input x
is "$rc" 2 "--input without '=': exit 2"
kc create execution $P --input x=1
is "$rc" 2 "neither --launchplan nor --task: exit 2"
kc create execution $P --launchplan exq.wf --task exq.square
is "$rc" 2 "both --launchplan and --task: exit 2"
kc create execution --launchplan exq.wf --input x=1
is "$rc" 2 "no -p/-d: exit 2"
kc create execution $P --launchplan exq.wf
is "$rc" 1 "a required input missing: keeld refuses, exit 1"
like "$err" "(INVALID_ARGUMENT)" "... INVALID_ARGUMENT"
like "$err" "x" "... naming the input"
kc create execution $P --launchplan nosuch --version v1
is "$rc" 1 "an unknown launch plan version: exit 1"

kc create execution $P --launchplan exq.wf --input x=3 --name e1
is "$rc" 0 "create execution --launchplan --input x=3 --name e1: exit 0"
is "$out" "e1" "... prints the execution's name"
kc create execution $P --launchplan exq.wf --version v1 --input x=4 \
	--input name=keel --cluster-label gpu
is "$rc" 0 "create execution with --version, two inputs, a cluster label"
e2=$out
case "$e2" in
[a-z]*) ok 0 "... keeld named it ($e2)" ;;
*) ok 1 "... keeld named it ('$e2')" ;;
esac
kc get execution $P "$e2" -o json
like "$out" '"executionClusterLabel": {' "... the cluster label is kept"
like "$out" '"value": "gpu"' "... as given"
kc create execution $P --task exq.square --input x=5 -o json
is "$rc" 0 "create execution --task (newest version) -o json: exit 0"
like "$out" '"project": "exq"' "... prints the id as JSON"
etask=$(printf '%s\n' "$out" | sed -n 's/.*"name": "\(.*\)".*/\1/p')
kc create execution $P --task exq.square --input y=5
is "$rc" 2 "--task with an unknown input: exit 2"
like "$err" "task exq.square has no input named \"y\"; its inputs are: x" \
	"... lists the task's inputs"

# --- get execution (list) ---------------------------------------------------
kc get execution $P
is "$rc" 0 "get execution: exit 0"
like "$out" "| NAME " "... a table"
like "$out" "| LAUNCH PLAN " "... with the launch plan column"
names=$(printf '%s\n' "$out" | awk -F'|' 'NR > 3 && /^\|/ {
	gsub(/ /, "", $2); printf "%s ", $2 }')
is "$names" "$etask $e2 e1 " "... newest first"
like "$(printf '%s\n' "$out" | grep '| e1 ')" "| exq.wf " \
	"... e1 from launch plan exq.wf"
like "$(printf '%s\n' "$out" | grep '| e1 ')" "QUEUED" "... e1 QUEUED"
kc get execution $P --filter.limit 1
like "$out" "1 rows" "get execution --filter.limit 1"
kc get execution $P e1 -o json
like "$out" '"phase": "QUEUED"' "get execution e1 -o json"
kc get execution $P nosuch
is "$rc" 1 "get execution of an unknown name: exit 1"
like "$err" "(NOT_FOUND)" "... NOT_FOUND"
kc get execution $P --wait
is "$rc" 2 "get execution --wait without a name: exit 2"

# --- the data plane ---------------------------------------------------------
now() {
	date -u +%Y-%m-%dT%H:%M:%S.%NZ
}
# post PATH JSON: one event through REST; "ok" or curl's complaint.
post() {
	curl -sS -o "$tmp/post.out" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' \
		--data "$2" "http://127.0.0.1:$port/api/v1/events/$1" \
		> "$tmp/post.code" 2> "$tmp/post.err"
	if [ "$(cat "$tmp/post.code")" = 200 ]; then
		echo ok
	else
		echo "HTTP $(cat "$tmp/post.code"): $(cat "$tmp/post.out" \
			"$tmp/post.err")"
	fi
}
xid() {
	echo "{\"project\": \"exq\", \"domain\": \"development\", \"name\": \"$1\"}"
}
# wf EXEC PHASE [EXTRA]
wf() {
	post workflows "{\"event\": {\"executionId\": $(xid "$1"),
		\"producerId\": \"test\", \"phase\": \"$2\",
		\"occurredAt\": \"$(now)\"${3:+, $3}}}"
}
# node EXEC NODE PHASE [EXTRA]
node() {
	post nodes "{\"event\": {\"id\": {\"nodeId\": \"$2\",
		\"executionId\": $(xid "$1")}, \"producerId\": \"test\",
		\"phase\": \"$3\", \"occurredAt\": \"$(now)\",
		\"inputUri\": \"file:///dev/null\"${4:+, $4}}}"
}
# task EXEC NODE TASK ATTEMPT PHASE [EXTRA]
task() {
	post tasks "{\"event\": {\"taskId\": {\"resourceType\": \"TASK\",
		\"project\": \"exq\", \"domain\": \"development\",
		\"name\": \"$3\", \"version\": \"v1\"},
		\"parentNodeExecutionId\": {\"nodeId\": \"$2\",
		\"executionId\": $(xid "$1")}, \"retryAttempt\": $4,
		\"producerId\": \"test\", \"phase\": \"$5\",
		\"occurredAt\": \"$(now)\"${6:+, $6}}}"
}
int_out() {
	echo "{\"literals\": {\"o0\": {\"scalar\": {\"primitive\":
		{\"integer\": \"$1\"}}}, \"o1\": {\"scalar\": {\"primitive\":
		{\"stringValue\": \"$2\"}}}}}"
}

# run_ok EXEC X GREETING: the whole run of a successful execution.
run_ok() {
	r=$(wf "$1" RUNNING)
	r="$r $(node "$1" start-node SUCCEEDED)"
	r="$r $(node "$1" n0 RUNNING '"specNodeId": "n0"')"
	r="$r $(task "$1" n0 exq.square 0 RUNNING)"
	r="$r $(task "$1" n0 exq.square 0 FAILED '"error": {"code": "OOM",
		"message": "attempt 0 ran out of memory", "kind": "SYSTEM"}')"
	r="$r $(task "$1" n0 exq.square 1 RUNNING)"
	sleep "${4:-0}"
	r="$r $(task "$1" n0 exq.square 1 SUCCEEDED)"
	r="$r $(node "$1" n0 SUCCEEDED)"
	r="$r $(node "$1" n1 RUNNING '"specNodeId": "n1", "isParent": true,
		"isDynamic": true')"
	r="$r $(node "$1" n1-0-dn0 RUNNING '"specNodeId": "dn0",
		"parentNodeMetadata": {"nodeId": "n1"}')"
	r="$r $(task "$1" n1-0-dn0 exq.greet 0 RUNNING)"
	sleep "${4:-0}"
	r="$r $(task "$1" n1-0-dn0 exq.greet 0 SUCCEEDED)"
	r="$r $(node "$1" n1-0-dn0 SUCCEEDED)"
	r="$r $(node "$1" n1 SUCCEEDED)"
	r="$r $(node "$1" end-node SUCCEEDED)"
	r="$r $(wf "$1" SUCCEEDED "\"outputData\": $(int_out "$2" "$3")")"
	echo $r
}

# all_ok WORDS...: every event was accepted
all_ok() {
	for w in "$@"; do
		[ "$w" = ok ] || return 1
	done
}
res=$(run_ok e1 9 "hello world")
all_ok $res
ok $? "the events of e1 are accepted"
all_ok $res || diag "$res"

# --- get execution NAME: the node tree --------------------------------------
kc get execution $P e1
is "$rc" 0 "get execution e1: exit 0"
like "$out" "Phase:       SUCCEEDED" "... the phase"
like "$out" "Launch plan: exq.wf (version v1)" "... the launch plan"
row() {
	printf '%s\n' "$out" | grep -E "^ *$1 " | tr -s ' '
}
like "$(row NODE)" "NODE NAME PHASE DURATION ATTEMPTS ERROR" "... the tree's header"
like "$(row n0)" "n0 square SUCCEEDED " "... n0, named from the workflow"
is "$(row n0 | awk '{print $(NF)}')" "2" "... n0 took 2 attempts"
like "$(row n1)" "n1 exq.greet SUCCEEDED" "... n1"
is "$(printf '%s\n' "$out" | grep -c 'n1-0-dn0')" 1 "... the child once"
like "$(printf '%s\n' "$out" | grep 'n1-0-dn0')" "  n1-0-dn0 " \
	"... the child indented under its parent"
like "$(row n1-0-dn0)" "exq.greet SUCCEEDED" "... named by its task"
is "$(printf '%s\n' "$out" | grep -c -e start-node -e end-node)" 0 \
	"... no start-node or end-node"
like "$out" "Outputs:
  o0 = 9
  o1 = hello world" "... then the outputs"
diag "get execution e1:"
printf '%s\n' "$out" | sed 's/^/#   /'

kc get execution $P e1 -o yaml
like "$out" "phase: SUCCEEDED" "get execution e1 -o yaml"
kc get execution $P e1 --wait
is "$rc" 0 "get execution e1 --wait on a SUCCEEDED execution: exit 0"
like "$out" "Execution e1 SUCCEEDED" "... says so"
like "$out" "o1 = hello world" "... with the outputs"
kc get execution $P e1 --wait -o json
is "$rc" 0 "get execution --wait -o json: exit 0"
like "$out" '"phase": "SUCCEEDED"' "... the final execution"
is "$(printf '%s\n' "$out" | grep -c RUNNING)" 0 "... and no progress lines"

# --- create --wait ------------------------------------------------------------
# first_line FILE: wait (5 s at most) for FILE's first line.
first_line() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	head -n 1 "$1"
}
"$keelctl" --endpoint "$sock" --timeout 10s create execution $P \
	--launchplan exq.wf --input x=4 --wait > "$tmp/w.out" 2> "$tmp/w.err" &
waiter=$!
ew=$(first_line "$tmp/w.out")
ok $? "create --wait prints the name first ($ew)"
sleep 0.4
res=$(run_ok "$ew" 16 "hello keel" 0.4)
all_ok $res
ok $? "the events of $ew are accepted"
wait "$waiter"
is "$?" 0 "create --wait: exit 0 once SUCCEEDED"
waiter=
wout=$(cat "$tmp/w.out")
diag "create --wait:"
sed 's/^/#   /' "$tmp/w.out"
like "$wout" " $ew " "... a line for the execution"
like "$(printf '%s\n' "$wout" | grep ' n0 square ' | head -n 1)" "RUNNING" \
	"... n0 RUNNING"
like "$(printf '%s\n' "$wout" | grep ' n0 square ' | tail -n 1)" "SUCCEEDED" \
	"... then n0 SUCCEEDED"
like "$wout" "  n1-0-dn0" "... the child node, indented"
is "$(printf '%s\n' "$wout" | grep -c -e start-node -e end-node)" 0 \
	"... no start-node or end-node"
like "$wout" "Execution $ew SUCCEEDED in " "... the phase and duration"
like "$wout" "o0 = 16" "... and the outputs"
is "$(cat "$tmp/w.err")" "" "... nothing on stderr"

# --- a failed execution ---------------------------------------------------
"$keelctl" --endpoint "$sock" --timeout 10s create execution $P \
	--launchplan exq.wf --input x=5 --wait > "$tmp/f.out" 2> "$tmp/f.err" &
waiter=$!
ef=$(first_line "$tmp/f.out")
res="$(wf "$ef" RUNNING) $(node "$ef" n0 RUNNING)"
res="$res $(node "$ef" n0 FAILED '"error": {"code": "USER:Boom",
	"message": "square failed: boom", "kind": "USER"}')"
res="$res $(wf "$ef" FAILED '"error": {"code": "USER:Boom",
	"message": "square failed: boom", "kind": "USER"}')"
is "$res" "ok ok ok ok" "the events of $ef are accepted"
wait "$waiter"
is "$?" 1 "create --wait on a FAILED execution: exit 1"
waiter=
like "$(cat "$tmp/f.out")" "Execution $ef FAILED" "... says so"
like "$(cat "$tmp/f.out")" "square failed: boom" "... with the error"
like "$(cat "$tmp/f.err")" "Error: execution $ef ended FAILED" \
	"... and an error on stderr"
kc get execution $P "$ef"
like "$(row n0)" "n0 square FAILED" "get execution: the failed node"
like "$(row n0)" "square failed: boom" "... with its error"
like "$out" "Error (USER, USER:Boom):
  square failed: boom" "... and the execution's error"
diag "get execution $ef:"
printf '%s\n' "$out" | sed 's/^/#   /'
kc get execution $P
diag "get execution:"
printf '%s\n' "$out" | sed 's/^/#   /'

# --- delete execution -------------------------------------------------------
kc delete execution $P "$e2" --cause "not needed"
is "$rc" 0 "delete execution: exit 0"
like "$out" "$e2" "... names it"
kc get execution $P "$e2"
# ABORTING until a data plane confirms; with target = none keeld may
# settle it as ABORTED itself
case "$out" in
*"Phase:       ABORTING"* | *"Phase:       ABORTED"*) ok 0 "the execution is ABORTING (or ABORTED)" ;;
*) ok 1 "the execution is ABORTING (or ABORTED)"; diag "$out" ;;
esac
like "$out" "not needed" "... with the cause"
kc delete execution $P e1
is "$rc" 1 "delete a SUCCEEDED execution: exit 1"
like "$err" "(FAILED_PRECONDITION)" "... FAILED_PRECONDITION"
kc delete execution $P
is "$rc" 2 "delete execution without a name: exit 2"

# --- unreachable ---------------------------------------------------------------
"$keelctl" --endpoint "ipc://$tmp/nothing.sock" get execution $P \
	> /dev/null 2>&1
is "$?" 3 "keeld unreachable: exit 3"

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "keeld exits 0 on SIGTERM"
pid=
bad=$(grep -E 'runtime error|Sanitizer' "$tmp/keeld.log")
is "$bad" "" "no sanitizer reports in keeld's log"
done_testing
