#!/bin/sh
# keelctl_e2e.sh -- keeld and keelctl end to end over the internal API.
#
# Starts keeld on a fresh data directory (SQLite, local blobs, listening on
# ipc://DATA_DIR/keeld.sock) and drives it with keelctl: version, create /
# get / list / update projects, the project file, paging, output formats,
# validation errors and their exit statuses, keeld unreachable, a restart
# on the same data, and a clean shutdown with an error-free log; then the
# registry: register files (pyflyte-style archives built here with
# cli/pb_pack, .pb and .json files, bad inputs, dry runs, re-registration),
# get task / workflow / launchplan, update launchplan.
#
# Workflow and launch-plan checks are TAP TODO tests while keeld answers
# UNIMPLEMENTED for what they need (see `pending` below).
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR (set by `make check`).
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"
. "${KEEL_SRCDIR:-.}/tests/common/dbserver.sh"

builddir=${KEEL_BUILDDIR:-.}
keeld="$builddir/keeld"
keelctl="$builddir/keelctl"
pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-e2e.XXXXXX") || exit 99
sock="ipc://$tmp/data/keeld.sock"
# Empty on SQLite; a fresh database under the server suites.
dbs_test_ini >"$tmp/keel.ini" || exit 99

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP


if [ ! -x "$keeld" ] || [ ! -x "$keelctl" ]; then
	echo "1..0 # SKIP keeld or keelctl not built"
	exit 0
fi

# kc ARGS...: run keelctl against our keeld; sets rc, out, err.
kc() {
	"$keelctl" --endpoint "$sock" --timeout 10s "$@" \
		> "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# start_keeld LOG: start keeld in the background, wait until it answers.
start_keeld() {
	"$keeld" -c "$tmp/keel.ini" --data-dir "$tmp/data" \
		--plugin-dir "$builddir/.libs" \
		--grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
		2> "$1" &
	pid=$!
	i=0
	while [ $i -lt 50 ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			diag "keeld exited early; its log:"
			sed 's/^/#   /' "$1"
			pid=
			return 1
		fi
		if "$keelctl" --endpoint "$sock" --timeout 2s version \
			> /dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	diag "keeld did not answer within 10 s; its log:"
	sed 's/^/#   /' "$1"
	return 1
}

# stop_keeld: SIGTERM, wait, keeld's exit status in $stopped.
stop_keeld() {
	kill -TERM "$pid"
	wait "$pid"
	stopped=$?
	pid=
}

# clean_log LOG NAME: no error-level lines, no sanitizer reports.
clean_log() {
	bad=$(grep -E -i '^[^ ]+ +error |"level": *"error"' "$1";
	      grep -E 'ERROR|runtime error|Sanitizer' "$1")
	is "$bad" "" "$2 has no errors or sanitizer reports"
}

# ids: the ID column of a keelctl table in $out.
ids() {
	col 1
}

# col N: column N of a keelctl table in $out, space-separated.
col() {
	printf '%s\n' "$out" | awk -F'|' -v c=$(($1 + 1)) 'NR > 3 && /^\|/ {
		gsub(/^ +| +$/, "", $c); printf "%s ", $c }'
}

# pending STEP_PENDING COND "description": a check of a server part still
# being written.  While keeld answers UNIMPLEMENTED for it (STEP_PENDING is
# "yes" when an earlier step it needs did, and the last kc's own error
# counts too) it is a TAP TODO: an expected failure that does not fail the
# script.  Once the server lands it is a plain check, with no edit here.
pending() {
	if [ "$1" = yes ] || printf '%s' "$err" | grep -q UNIMPLEMENTED; then
		tap_n=$((tap_n + 1))
		if [ "$2" -eq 0 ]; then
			echo "ok $tap_n - $3 # TODO server side pending"
		else
			echo "not ok $tap_n - $3 # TODO server side pending"
		fi
	else
		ok "$2" "$3"
	fi
}
pending_is() {
	[ "$2" = "$3" ]
	pending "$1" $? "$4"
	[ "$2" = "$3" ] || { echo "#   got:  '$2'"; echo "#   want: '$3'"; }
}
pending_like() {
	case "$2" in
	*"$3"*) pending "$1" 0 "$4" ;;
	*) pending "$1" 1 "$4"; echo "#   '$2'"; echo "#   does not contain '$3'" ;;
	esac
}

have_python=no
command -v python3 > /dev/null 2>&1 && have_python=yes
# json_ok: $out parses as JSON
json_ok() {
	printf '%s' "$out" | python3 -m json.tool > /dev/null 2>&1
}

mkdir -p "$tmp/data"
start_keeld "$tmp/keeld.log"
ok $? "keeld starts and answers on $sock"
if [ -z "$pid" ]; then
	done_testing
	exit
fi

# --- version ---------------------------------------------------------------
kc version
is "$rc" 0 "version: exit 0"
like "$out" "keelctl: " "version: client version"
like "$out" "Version: " "version: server Version line"
like "$out" "BuildTime: " "version: server BuildTime line"
kc -o json version
like "$out" '"controlPlaneVersion"' "version -o json: the response message"

# --- create ----------------------------------------------------------------
kc create project --id alpha --name Alpha --description "first one" \
	--labels team=ml,env=dev
is "$rc" 0 "create project alpha: exit 0"
like "$out" "alpha" "create project: names the project"

kc create project --id alpha --name Again
is "$rc" 1 "duplicate create: exit 1"
like "$err" "already exists" "duplicate create: 'already exists'"
like "$err" "(ALREADY_EXISTS)" "duplicate create: ALREADY_EXISTS"

long64=aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggg
for bad in Bad "$long64" a_b; do
	kc create project --id "$bad" --name x
	is "$rc" 1 "create --id '$bad': exit 1"
	like "$err" "(INVALID_ARGUMENT)" "create --id '$bad': INVALID_ARGUMENT"
	like "$err" "$bad" "create --id '$bad': the message names the value"
done

name65=$(printf '%065d' 0)
kc create project --id longname --name "$name65"
is "$rc" 1 "name of 65 characters: exit 1"
like "$err" "(INVALID_ARGUMENT)" "name of 65 characters: INVALID_ARGUMENT"

desc301=$(printf '%0301d' 0)
kc create project --id longdesc --name x --description "$desc301"
is "$rc" 1 "description of 301 characters: exit 1"
like "$err" "(INVALID_ARGUMENT)" "description of 301 characters: INVALID_ARGUMENT"

labels17=k1=v,k2=v,k3=v,k4=v,k5=v,k6=v,k7=v,k8=v,k9=v,k10=v,k11=v,k12=v
labels17=$labels17,k13=v,k14=v,k15=v,k16=v,k17=v
kc create project --id manylabels --name x --labels "$labels17"
is "$rc" 1 "17 labels: exit 1"
like "$err" "(INVALID_ARGUMENT)" "17 labels: INVALID_ARGUMENT"

kc create project --name "no id"
is "$rc" 2 "create without --id: usage error, exit 2"

# flytectl's project file
cat > "$tmp/project.yaml" <<'EOF'
# a project file as flytectl takes it
id: "delta"
name: Delta
description: 'from a file'
labels:
  values:
    team: data
EOF
kc create project --file "$tmp/project.yaml"
is "$rc" 0 "create project --file: exit 0"
printf 'id: x\nowner: me\n' > "$tmp/bad.yaml"
kc create project --file "$tmp/bad.yaml"
is "$rc" 2 "bad project file: exit 2"
like "$err" "bad.yaml:2: unknown key 'owner'" "bad project file: file:line"

kc create project --id gamma --name Gamma
is "$rc" 0 "create project gamma"
kc create project --id beta --name Beta
is "$rc" 0 "create project beta"

# --- get -------------------------------------------------------------------
kc get project alpha
is "$rc" 0 "get project alpha: exit 0"
like "$out" "| alpha" "get project alpha: table row"
like "$out" "| ID " "get project alpha: table header"
like "$out" "1 rows" "get project alpha: row count"

kc get project
is "$rc" 0 "list projects: exit 0"
is "$(ids)" "alpha beta delta gamma " "list projects: sorted by id"

kc get project delta -o json
is "$rc" 0 "get -o json: exit 0"
like "$out" '"id": "delta"' "get -o json: lowerCamelCase, tab-indented object"
like "$out" '"team": "data"' "get -o json: labels from the file"
if [ "$have_python" = yes ]; then
	json_ok
	ok $? "get -o json: valid JSON"
	kc get projects -o JSON
	json_ok
	ok $? "list -o JSON: valid JSON"
	first=$(printf '%s' "$out" | python3 -c \
		'import json,sys; d=json.load(sys.stdin); print(type(d).__name__, d[0]["id"])')
	is "$first" "list alpha" "list -o json: an array of projects"
else
	skip "get -o json: valid JSON" "no python3"
	skip "list -o JSON: valid JSON" "no python3"
	skip "list -o json: an array of projects" "no python3"
fi

kc get project alpha -o yaml
like "$out" "id: alpha" "get -o yaml"

kc get project nosuch
is "$rc" 1 "get unknown project: exit 1"
like "$err" "(NOT_FOUND)" "get unknown project: NOT_FOUND"

# paging: flytectl's token = (page-1)*limit
kc get project --filter.limit 1 --filter.page 2
is "$(ids)" "beta " "page 2 of size 1"
kc get project --filter.limit 3 --all
is "$(ids)" "alpha beta delta gamma " "--all follows the tokens"
kc get project --filter.sortBy identifier
is "$(ids)" "gamma delta beta alpha " "--filter.sortBy, descending by default"
kc get project --filter.sortBy identifier --filter.asc
is "$(ids)" "alpha beta delta gamma " "--filter.asc"
kc get project --filter.fieldSelector "name contains a"
is "$rc" 0 "--filter.fieldSelector: exit 0"
kc get project --filter.fieldSelector "project.nosuch=1"
is "$rc" 1 "--filter.fieldSelector on an unknown field: exit 1"
like "$err" "'project.nosuch' is invalid filter" "and the server names the field"

kc get domain
if [ "$rc" -eq 1 ] && printf '%s' "$err" | grep -q UNIMPLEMENTED; then
	skip "get domain" "GetDomains not implemented"
else
	is "$rc" 0 "get domain: exit 0"
	like "$out" "development" "get domain: lists development"
fi

# --- update ----------------------------------------------------------------
kc update project beta --archive
is "$rc" 0 "archive beta: exit 0"
like "$out" "archived" "archive beta: says so"
kc get project
is "$(ids)" "alpha delta gamma " "list hides the archived project"
kc get project --filter.fieldSelector "state=1"
is "$(ids)" "beta " "--filter.fieldSelector state=1 lists the archived project"
kc get project beta
is "$rc" 0 "get an archived project still works"
like "$out" "ARCHIVED" "and shows its state"

kc update project beta --activate
is "$rc" 0 "activate beta: exit 0"
like "$out" "activated" "activate beta: says so"
kc get project
is "$(ids)" "alpha beta delta gamma " "activated project listed again"

kc update project alpha --description "changed"
is "$rc" 0 "update description: exit 0"
kc get project alpha -o json
like "$out" '"description": "changed"' "description changed"

kc update project nosuch --archive
is "$rc" 1 "update unknown project: exit 1"
like "$err" "(NOT_FOUND)" "update unknown project: NOT_FOUND"

kc update project alpha --archive --activate
is "$rc" 2 "--archive with --activate: exit 2"

kc get project --no-such-flag
is "$rc" 2 "unknown flag: exit 2"
like "$err" "Run 'keelctl" "unknown flag: hint"

# --- register files --------------------------------------------------------
pb_pack="$builddir/cli/pb_pack"
reg="$tmp/reg"
mkdir -p "$reg/pkg" "$reg/full"
P="-p alpha -d development"

# task_json NAME [IMAGE]: an admin.TaskSpec the way pyflyte serializes it,
# with registration placeholders in its id.
task_json() {
	cat <<EOF
{"template": {"id": {"resourceType": "TASK",
   "project": "{{ registration.project }}",
   "domain": "{{ registration.domain }}", "name": "$1",
   "version": "{{ registration.version }}"},
 "type": "python-task",
 "metadata": {"runtime": {"type": "FLYTE_SDK", "version": "1.10.0"},
   "discoverable": true, "discoveryVersion": "1"},
 "interface": {
   "inputs": {"variables": {"name": {"type": {"simple": "STRING"}}}},
   "outputs": {"variables": {"o0": {"type": {"simple": "STRING"}}}}},
 "container": {"image": "${2-ghcr.io/keel/hello:1}",
   "args": ["pyflyte-execute", "--inputs", "{{.input}}"]}}}
EOF
}

# pack TYPE OUT: JSON on stdin to serialized protobuf.
pack() {
	"$pb_pack" "flyteidl.admin.$1" > "$2"
}

if [ ! -x "$pb_pack" ]; then
	skip "register files" "cli/pb_pack not built"
else
task_json hello.say | pack TaskSpec "$reg/pkg/0_hello.say_1.pb"
ok $? "pb_pack: a serialized TaskSpec"
task_json hello.greet | pack TaskSpec "$reg/pkg/1_hello.greet_1.pb"
(cd "$reg/pkg" && tar -czf "$reg/pkg.tgz" 1_hello.greet_1.pb \
	0_hello.say_1.pb && tar -cf "$reg/pkg.tar" 0_hello.say_1.pb \
	1_hello.greet_1.pb)
ok $? "a pyflyte-style package: .tgz and .tar"

kc register files "$reg/pkg.tgz" $P --version v1
is "$rc" 0 "register files .tgz: exit 0"
like "$out" "hello.say  " "register files: a line for hello.say"
is "$(printf '%s\n' "$out" | grep -c '  registered$')" 2 \
	"register files: one 'registered' line per task"
like "$out" "2 registered, 0 already existed, 0 failed" \
	"register files: the summary"
is "$err" "" "register files: nothing on stderr"

kc register files "$reg/pkg.tgz" $P --version v1
is "$rc" 0 "re-register: exit 0 (ALREADY_EXISTS is success)"
is "$(printf '%s\n' "$out" | grep -c '  already exists$')" 2 \
	"re-register: 'already exists' for each task"
like "$out" "0 registered, 2 already existed, 0 failed" \
	"re-register: the summary"

kc register files "$reg/pkg.tar" $P --version v2
is "$rc" 0 "register files .tar, version v2: exit 0"
like "$out" "2 registered" "register .tar: both tasks registered"

kc register files "$reg/pkg/0_hello.say_1.pb" $P --version v2
is "$rc" 0 "a single .pb file: exit 0"
like "$out" "already exists" "a single .pb file: already there"

task_json hello.fromjson > "$reg/hello.fromjson_1.json"
kc register files "$reg/hello.fromjson_1.json" $P --version v1
is "$rc" 0 "a .json file: exit 0"
like "$out" "hello.fromjson" "a .json file: registered by name"

# --- get task ----------------------------------------------------------------
kc get task $P
is "$rc" 0 "get task (names): exit 0"
like "$out" "| DOMAIN " "get task (names): flytectl's columns"
is "$(col 2)" "hello.fromjson hello.greet hello.say " \
	"get task without NAME lists the names"

kc get task $P hello.say
is "$rc" 0 "get task NAME: exit 0"
like "$out" "| VERSION | NAME " "get task NAME: flytectl's columns"
like "$out" "CREATED AT" "get task NAME: created at"
is "$(col 1)" "v2 v1 " "get task NAME: versions, newest first"
is "$(col 3)" "python-task python-task " "get task NAME: the type"
is "$(col 4)" "name name " "get task NAME: the inputs"

kc get task $P hello.say --version v1 -o json
is "$rc" 0 "get task --version -o json: exit 0"
like "$out" '"version": "v1"' "get task --version: that version"
like "$out" '"project": "alpha"' "the template's project was hydrated"
if [ "$have_python" = yes ]; then
	json_ok
	ok $? "get task -o json: valid JSON"
	kc get task $P hello.say -o json
	got=$(printf '%s' "$out" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(type(d).__name__, len(d), d[0]["id"]["version"])')
	is "$got" "list 2 v2" "get task NAME -o json: an array, newest first"
	got=$(printf '%s' "$out" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(d[1]["closure"]["compiledTask"]["template"]["container"]["args"][2])')
	is "$got" "{{.input}}" "other placeholders are left alone"
else
	skip "get task -o json: valid JSON" "no python3"
	skip "get task NAME -o json: an array" "no python3"
	skip "other placeholders are left alone" "no python3"
fi

kc get task $P hello.say -o yaml
like "$out" "name: hello.say" "get task -o yaml"

kc get task $P hello.say --latest
is "$(col 1)" "v2 " "get task --latest: the newest version"
kc get task $P hello.say --filter.limit 1
is "$(col 1)" "v2 " "get task --filter.limit 1"
kc get task $P hello.say --filter.limit 1 --filter.page 2
is "$(col 1)" "v1 " "get task --filter.limit 1 --filter.page 2"
kc get task $P hello.say --filter.limit 1 --all
is "$(col 1)" "v2 v1 " "get task --all follows keeld's tokens"
kc get task $P hello.say --filter.fieldSelector "version=v1"
is "$(col 1)" "v1 " "get task --filter.fieldSelector version=v1"
kc get task $P hello.say --filter.fieldSelector "task.version!=v1"
is "$(col 1)" "v2 " "get task --filter.fieldSelector task.version!=v1"
kc get task $P hello.say --filter.sortBy version --filter.asc
is "$(col 1)" "v1 v2 " "get task --filter.sortBy version --filter.asc"
kc get task $P --filter.limit 2
is "$(col 2)" "hello.fromjson hello.greet " "get task (names) --filter.limit"
kc get task $P hello.say --filter.fieldSelector "nosuch=1"
is "$rc" 1 "get task with a filter on an unknown field: exit 1"

kc get task $P hello.say --version v9
is "$rc" 1 "get task of an unknown version: exit 1"
like "$err" "(NOT_FOUND)" "get task of an unknown version: NOT_FOUND"
kc get task $P nosuch --latest
is "$rc" 1 "get task --latest of an unknown name: exit 1"
kc get task hello.say
is "$rc" 2 "get task without -p/-d: usage error"
kc get task $P --version v1
is "$rc" 2 "get task --version without NAME: usage error"
kc get task $P hello.say --filter.limit 0
is "$rc" 2 "get task --filter.limit 0: usage error"

# --- register files: bad inputs ----------------------------------------------
# bad_input FILE WANT WHAT: registering FILE is refused with exit 2 and an
# error containing WANT.
bad_input() {
	kc register files "$1" $P --version v1
	is "$rc" 2 "$3: exit 2"
	like "$err" "$2" "$3: says so"
}

printf 'hello\n' > "$reg/notes.txt"
bad_input "$reg/notes.txt" "notes.txt: unknown file type" "unknown file type"

cp "$reg/pkg.tar" "$reg/corrupt.tar"
printf 'X' | dd of="$reg/corrupt.tar" bs=1 seek=10 conv=notrunc 2>/dev/null
bad_input "$reg/corrupt.tar" \
	"corrupt.tar: bad tar header checksum at offset 0" "corrupt tar"
like "$err" "Nothing was registered" "corrupt tar: nothing registered"

head -c 700 "$reg/pkg.tar" > "$reg/short.tar"
bad_input "$reg/short.tar" "short.tar: truncated tar" "truncated tar"

printf 'not gzip' > "$reg/bad.tgz"
bad_input "$reg/bad.tgz" "bad.tgz: not a valid gzip file" "corrupt .tgz"

cp "$reg/pkg.tgz" "$reg/zipped.tar"
bad_input "$reg/zipped.tar" "gzip-compressed" "gzip data named .tar"

printf 'garbage' > "$reg/junk_2.pb"
bad_input "$reg/junk_2.pb" "junk_2.pb: not a task, workflow or launch plan" \
	"garbage .pb"

kc register files "$reg/pkg.tgz" $P
is "$rc" 2 "placeholders without --version: exit 2"
like "$err" "has no version: give --version" \
	"placeholders without --version: says which flag"

kc register files "$reg/pkg.tgz" -d development --version v1
is "$rc" 2 "register without -p: usage error"

kc register files "$reg/notes.txt" "$reg/pkg.tgz" $P --version v1 \
	--continue-on-error
is "$rc" 2 "--continue-on-error with a bad file: still exit 2"
like "$out" "0 registered, 2 already existed" \
	"--continue-on-error: the good file is registered"

# dry run: everything read and checked, nothing sent
kc register files "$reg/pkg.tgz" $P --version v3 --dry-run
is "$rc" 0 "--dry-run: exit 0"
like "$out" "would register (dry run)" "--dry-run: says what it would do"
like "$out" "nothing registered" "--dry-run: the summary"
kc get task $P hello.say
is "$(col 1)" "v2 v1 " "--dry-run registered nothing"

# keeld refuses one: the error names the file and the entity; without
# --continue-on-error the rest is not tried
task_json hello.noimage "" > "$reg/0_hello.noimage_1.json"
task_json hello.after > "$reg/1_hello.after_1.json"
kc register files "$reg/0_hello.noimage_1.json" "$reg/1_hello.after_1.json" \
	$P --version v1
is "$rc" 1 "keeld refuses a task: exit 1"
like "$err" "0_hello.noimage_1.json: task hello.noimage version v1: " \
	"the error names the file and the entity"
like "$err" "(INVALID_ARGUMENT)" "and the code"
like "$out" "1 not tried" "the first failure stops the rest"
kc register files "$reg/0_hello.noimage_1.json" "$reg/1_hello.after_1.json" \
	$P --version v1 --continueOnError
is "$rc" 1 "--continueOnError: still exit 1"
like "$out" "1 registered, 0 already existed, 1 failed" \
	"--continueOnError: the rest registered"

# --- workflows and launch plans (server side in progress) -------------------
cat > "$reg/wf.json" <<'EOF'
{"template": {"id": {"resourceType": "WORKFLOW", "name": "hello.wf"},
  "metadata": {},
  "interface": {
    "inputs": {"variables": {"name": {"type": {"simple": "STRING"}}}},
    "outputs": {"variables": {"o0": {"type": {"simple": "STRING"}}}}},
  "nodes": [{"id": "n0",
    "inputs": [{"var": "name", "binding": {"promise":
      {"nodeId": "start-node", "var": "name"}}}],
    "taskNode": {"referenceId": {"resourceType": "TASK",
      "project": "{{ registration.project }}",
      "domain": "{{ registration.domain }}", "name": "hello.say",
      "version": "{{ registration.version }}"}}}],
  "outputs": [{"var": "o0", "binding": {"promise":
    {"nodeId": "n0", "var": "o0"}}}]}}
EOF
cat > "$reg/lp.json" <<'EOF'
{"id": {"resourceType": "LAUNCH_PLAN", "name": "hello.wf"},
 "spec": {"workflowId": {"resourceType": "WORKFLOW", "name": "hello.wf"},
   "entityMetadata": {}, "defaultInputs": {}, "fixedInputs": {}}}
EOF
cp "$reg/pkg/0_hello.say_1.pb" "$reg/full/"
pack WorkflowSpec "$reg/full/1_hello.wf_2.pb" < "$reg/wf.json"
pack LaunchPlan "$reg/full/2_hello.wf_3.pb" < "$reg/lp.json"
# launch plan first in the archive: keelctl sorts
(cd "$reg/full" && tar --format=pax -czf "$reg/full.tgz" 2_hello.wf_3.pb \
	1_hello.wf_2.pb 0_hello.say_1.pb)
ok $? "a package with a task, a workflow and a launch plan (pax)"

kc register files "$reg/full.tgz" $P --version v1 --continue-on-error
kinds=$(printf '%s\n' "$out" | awk 'NF > 3 && $1 !~ /^[0-9]/ {
	printf "%s ", $1 }')
is "$kinds" "task workflow launch " "tasks, then workflows, then launch plans"
wf_pending=no
lp_pending=no
printf '%s\n' "$out" | grep '^workflow' | grep -q UNIMPLEMENTED &&
	wf_pending=yes
printf '%s\n' "$out" | grep '^launch plan' | grep -q UNIMPLEMENTED &&
	lp_pending=yes
[ $lp_pending = yes ] || [ $wf_pending = yes ] && lp_pending=yes
diag "workflows pending: $wf_pending, launch plans pending: $lp_pending"
full_out=$out
pending_is $lp_pending "$rc" 0 "full package: exit 0"
out=$full_out
pending_like $wf_pending "$(printf '%s\n' "$out" | grep '^workflow')" \
	"registered" "full package: the workflow registered"
pending_like $lp_pending "$(printf '%s\n' "$out" | grep '^launch plan')" \
	"registered" "full package: the launch plan registered"

kc register files "$reg/full.tgz" $P --version v1
pending_is $lp_pending "$rc" 0 "full package again: exit 0"
pending_like $lp_pending "$out" "0 registered, 3 already existed" \
	"full package again: everything already exists"

kc get workflow $P
pending_is $wf_pending "$(col 2)" "hello.wf " "get workflow: the names"
kc get workflow $P hello.wf
pending_is $wf_pending "$(col 1)" "v1 " "get workflow NAME: its versions"
pending_like $wf_pending "$out" "| VERSION | NAME     | INPUTS | OUTPUTS |" \
	"get workflow NAME: flytectl's columns"
kc get workflow $P hello.wf --version v1 -o json
pending_is $wf_pending "$rc" 0 "get workflow --version -o json: exit 0"
pending_like $wf_pending "$out" '"name": "hello.wf"' \
	"get workflow --version: the workflow"
kc get workflow $P hello.wf --latest
pending_is $wf_pending "$(col 1)" "v1 " "get workflow --latest"

kc get launchplan $P
pending_is $lp_pending "$(col 2)" "hello.wf " "get launchplan: the names"
kc get launchplan $P hello.wf
pending_is $lp_pending "$(col 1)" "v1 " "get launchplan NAME: its versions"
pending_is $lp_pending "$(col 3)" "INACTIVE " \
	"a registered launch plan starts inactive"
kc update launchplan $P hello.wf --version v1 --activate
pending_is $lp_pending "$rc" 0 "update launchplan --activate: exit 0"
pending_like $lp_pending "$out" "activated" "update launchplan: says so"
kc get launchplan $P hello.wf --version v1
pending_is $lp_pending "$(col 3)" "ACTIVE " "the launch plan is active"
kc get launchplan $P hello.wf --latest -o yaml
pending_like $lp_pending "$out" "state: ACTIVE" "get launchplan -o yaml"
kc update launchplan $P hello.wf --version v1 --deactivate
pending_is $lp_pending "$rc" 0 "update launchplan --deactivate: exit 0"
kc get launchplan $P hello.wf --latest
pending_is $lp_pending "$(col 3)" "INACTIVE " "the launch plan is inactive"
kc update launchplan $P hello.wf --version v9 --activate
[ "$rc" = 1 ] && printf '%s' "$err" | grep -q '(NOT_FOUND)'
pending $lp_pending $? \
	"update launchplan of an unknown version: exit 1, NOT_FOUND"

kc update launchplan $P hello.wf --activate
is "$rc" 2 "update launchplan without --version: usage error"
kc update launchplan $P hello.wf --version v1 --activate --deactivate
is "$rc" 2 "update launchplan --activate --deactivate: usage error"
kc update launchplan $P hello.wf --version v1
is "$rc" 2 "update launchplan without a state: usage error"
fi

# --- keeld unreachable -----------------------------------------------------
"$keelctl" --endpoint "ipc://$tmp/nothing-here.sock" get project \
	> /dev/null 2> "$tmp/err"
is "$?" 3 "wrong endpoint: exit 3"
like "$(cat "$tmp/err")" "(UNAVAILABLE)" "wrong endpoint: UNAVAILABLE"

# --- restart on the same data ----------------------------------------------
stop_keeld
is "$stopped" 0 "keeld exits 0 on SIGTERM"
clean_log "$tmp/keeld.log" "first keeld log"

start_keeld "$tmp/keeld2.log"
ok $? "keeld restarts on the same data directory"
if [ -n "$pid" ]; then
	kc get project
	is "$(ids)" "alpha beta delta gamma " "projects survive the restart"
	kc get project alpha -o json
	like "$out" '"description": "changed"' "updates survive the restart"
	if [ -x "$pb_pack" ]; then
		kc get task -p alpha -d development hello.say
		is "$(col 1)" "v2 v1 " "tasks survive the restart"
	fi
	stop_keeld
	is "$stopped" 0 "restarted keeld exits 0 on SIGTERM"
	clean_log "$tmp/keeld2.log" "second keeld log"
fi

done_testing
