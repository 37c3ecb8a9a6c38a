#!/bin/sh
# keelctl_e2e.sh -- keeld and keelctl end to end over the internal API.
#
# Starts keeld on a fresh data directory (SQLite, local blobs, listening on
# ipc://DATA_DIR/keeld.sock) and drives it with keelctl: version, create /
# get / list / update projects, the project file, paging, output formats,
# validation errors and their exit statuses, keeld unreachable, a restart
# on the same data, and a clean shutdown with an error-free log.
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR (set by `make check`).
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"

builddir=${KEEL_BUILDDIR:-.}
keeld="$builddir/keeld"
keelctl="$builddir/keelctl"
pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-e2e.XXXXXX") || exit 99
sock="ipc://$tmp/data/keeld.sock"

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
	"$keeld" --data-dir "$tmp/data" --plugin-dir "$builddir/.libs" \
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
	printf '%s\n' "$out" | awk -F'|' 'NR > 3 && /^\|/ {
		gsub(/^ +| +$/, "", $2); printf "%s ", $2 }'
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
	stop_keeld
	is "$stopped" 0 "restarted keeld exits 0 on SIGTERM"
	clean_log "$tmp/keeld2.log" "second keeld log"
fi

done_testing
