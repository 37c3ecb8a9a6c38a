#!/bin/sh
# bench/run.sh -- one benchmark run: start keeld on 127.0.0.1, run fabench's
# suite against it (each cell interleaved with its limit probe), stop
# keeld, write JSON lines and print the table.  Builds nothing.
#
#   bench/run.sh [--smoke] [--out FILE] [--builddir DIR] [-- FABENCH-OPTIONS]
#   bench/run.sh --registry [--rows N] [--base-rows N] [--cache-dir DIR] ...
#   bench/run.sh --executions [--config KEEL.INI] [--db postgres|mysql] ...
#
# The build tree is --builddir, else $KEEL_BUILDDIR, else the current
# directory when it holds bench/fabench, else the tree this script sits
# in; $KEELD names another keeld binary (its plugins beside it in .libs/).
# keeld runs on a scratch data directory with its doors on free loopback
# ports and is stopped by PID (SIGTERM, then SIGKILL after 15 s), also
# when this script fails or is interrupted.
#
# --registry runs the registry cells instead: two keelds at once, one on
# a database of --rows tasks (default 1000000), one on --base-rows
# (default 10000); with --smoke 2400 and 1200.  The databases are made by
# `fabench populate` and kept under --cache-dir (default
# BUILDDIR/bench/registry-cache), keyed by schema version, layout and
# size, so a rerun starts at once.
#
# --executions runs the executions cells instead (CreateExecution and node
# events against one SQLite commit beside keeld's database): one keeld on
# a scratch data directory, with the shipped defaults written out to a
# keel.ini (local blob store, SQLite, [executions] target = none, outbox
# workers on), or with --config FILE; the env line records its settings.
# (--config FILE gives keeld that keel.ini in the other modes too.)
#
# --executions --db postgres|mysql runs them on a database server instead
# of SQLite (default: sqlite): a throw-away server from
# tests/common/dbserver.sh with durable commits (PostgreSQL fsync,
# synchronous_commit and full_page_writes on; MariaDB
# innodb_flush_log_at_trx_commit=1), a database for keeld, whose keel.ini
# gets the server's [db] section, and fabench's own insert and select
# probes on the same server.  The server is stopped by PID with keeld, also
# on failure.  When the server, keeld's driver or fabench's client library
# is missing, every cell is reported as skipped, with the reason.
#
# Output: --out FILE (default bench/results-DATE.jsonl under the current
# directory): an "env" line, one "cell" line per cell, an "env" line at the
# end (registry runs: a "populate" line per database after the first).
# The table goes to stderr.  Exit status: 0 ok, 1 a cell failed or keeld
# did not stop cleanly, 2 usage, 69 keeld did not come up.

smoke=
out=
builddir=
registry=
executions=
config=
db=
rows=
base_rows=
cache=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=--smoke ;;
	--out) out=$2; shift ;;
	--out=*) out=${1#--out=} ;;
	--builddir) builddir=$2; shift ;;
	--builddir=*) builddir=${1#--builddir=} ;;
	--registry) registry=yes ;;
	--executions) executions=yes ;;
	--config) config=$2; shift ;;
	--db) db=$2; shift ;;
	--db=*) db=${1#--db=} ;;
	--rows) rows=$2; shift ;;
	--base-rows) base_rows=$2; shift ;;
	--cache-dir) cache=$2; shift ;;
	--) shift; break ;;
	-h | --help)
		sed -n '2,46s/^# \{0,1\}//p' "$0"
		exit 0 ;;
	*) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$registry" ] && [ -n "$executions" ]; then
	echo "run.sh: --registry and --executions are separate runs" >&2
	exit 2
fi
case $db in
sqlite) db= ;;
'' | postgres | mysql) ;;
*) echo "run.sh: --db takes sqlite, postgres or mysql, not '$db'" >&2; exit 2 ;;
esac
if [ -n "$db" ] && [ -z "$executions" ]; then
	echo "run.sh: --db goes with --executions" >&2
	exit 2
fi
if [ -n "$config" ] && [ ! -r "$config" ]; then
	echo "run.sh: cannot read --config $config" >&2
	exit 2
fi
for n in "$rows" "$base_rows"; do
	case $n in
	*[!0-9]*) echo "run.sh: not a row count: $n" >&2; exit 2 ;;
	esac
done

if [ -z "$builddir" ]; then
	if [ -n "$KEEL_BUILDDIR" ]; then
		builddir=$KEEL_BUILDDIR
	elif [ -x ./bench/fabench ]; then
		builddir=.
	else
		builddir=$(dirname "$0")/..
	fi
fi
fabench=$builddir/bench/fabench
keeld=${KEELD:-$builddir/keeld}
[ -x "$keeld" ] || keeld=$builddir/core/keeld
for f in "$fabench" "$keeld"; do
	if [ ! -x "$f" ]; then
		echo "run.sh: $f is not built (build first, or pass --builddir)" >&2
		exit 2
	fi
done
plugins=$(dirname "$keeld")/.libs
[ -d "$plugins" ] || plugins=$builddir/.libs
[ -n "$out" ] || out=bench/results-$(date -u +%Y%m%d-%H%M%S).jsonl
mkdir -p "$(dirname "$out")" || exit 2

pid=
base_pid=
fpid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench.XXXXXX") || exit 2

. "$(dirname "$0")/../tests/common/proc.sh"
. "$(dirname "$0")/../tests/common/dbserver.sh"
DBS_DIR=
DBS_PID=
db_start=
dbskip=
conn=

# alive PID: not exited, and still the process started under that PID
# (its start time is recorded in start_PID when it is launched).
alive() {
	eval "proc_alive \"\$1\" \"\${start_$1:-}\""
}

# stop_keeld PID: SIGTERM, up to 15 s, then SIGKILL; its status in $stopped.
stop_keeld() {
	stopped=
	[ -n "$1" ] || return 0
	# Never signal a process that merely reuses the PID.
	alive "$1" && kill -TERM "$1" 2>/dev/null
	i=0
	while alive "$1" && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$1"; then
		echo "run.sh: keeld (pid $1) ignored SIGTERM for 15 s; killing it" >&2
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1"
	stopped=$?
}

# stop_db: the database server (dbserver.sh: pg_ctl stop -m fast for the
# postmaster of its data directory, SIGTERM to mariadbd), and SIGKILL to
# its PID if it is still that process afterwards; its directory goes.
stop_db() {
	[ -n "$DBS_DIR" ] || return 0
	p=$DBS_PID
	dbs_stop >/dev/null 2>&1
	if [ -n "$p" ] && proc_alive "$p" "$db_start"; then
		echo "run.sh: the $db server (pid $p) did not stop; killing it" >&2
		kill -KILL "$p" 2>/dev/null
		rc=1
	fi
	DBS_DIR=
	DBS_PID=
}

cleanup() {
	if [ -n "$fpid" ]; then
		kill -TERM "$fpid" 2>/dev/null
		wait "$fpid"
	fi
	stop_keeld "$pid"
	stop_keeld "$base_pid"
	stop_db
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

set -- $smoke "$@"

if "$keeld" --help 2>/dev/null | grep -q -- '--http-listen'; then
	have_http=yes
else
	have_http=
	http_skip="keeld has no --http-listen (REST door not in this build)"
fi

# start_keeld VAR DATADIR LOG: keeld on DATADIR with its doors on free
# loopback ports, its pid in $VAR at once (so cleanup stops it), up when
# the project registers and every door answers, within 15 s.  Sets
# k_nng, k_grpc and k_http_opt (fabench's --http option, or empty).
start_keeld() {
	ports=$("$fabench" ports 3) || exit 2
	p_nng=${ports%% *}
	rest=${ports#* }
	p_grpc=${rest%% *}
	p_http=${rest#* }
	k_nng=tcp://127.0.0.1:$p_nng
	k_grpc=127.0.0.1:$p_grpc
	http_args=
	k_http_opt=
	if [ -n "$have_http" ]; then
		http_args="--http-listen 127.0.0.1:$p_http"
		k_http_opt="--http 127.0.0.1:$p_http"
	fi
	# shellcheck disable=SC2086 # http_args, config_args: empty or two words
	"$keeld" $config_args --data-dir "$2" --plugin-dir "$plugins" \
		--listen "$k_nng" --grpc-listen "$k_grpc" $http_args \
		--log-level warn >"$3" 2>&1 &
	eval "$1=\$!"
	k_pid=$!
	eval "start_$k_pid=\$(proc_start $k_pid)"
	echo "run.sh: keeld pid $k_pid: nng $k_nng, grpc $k_grpc${k_http_opt:+, http ${k_http_opt#--http }} ($2)" >&2
	i=0
	# shellcheck disable=SC2086
	until "$fabench" --nng "$k_nng" --grpc "$k_grpc" $k_http_opt ready \
		2>"$tmp/ready.err"; do
		if ! alive "$k_pid"; then
			echo "run.sh: keeld exited early; its log:" >&2
			sed 's/^/  /' "$3" >&2
			exit 69
		fi
		i=$((i + 1))
		if [ $i -ge 75 ]; then
			echo "run.sh: keeld did not answer within 15 s:" >&2
			sed 's/^/  /' "$tmp/ready.err" "$3" >&2
			exit 69
		fi
		sleep 0.2
	done
}

# populated ROWS: the data directory of a populated database of ROWS
# tasks, made once under $cache and reused while its key holds.  A
# directory without populate's marker (an interrupted run) is made again.
populated() {
	key=$("$fabench" populate-key) || exit 1
	dir=$cache/$key-$1
	if [ ! -f "$dir/fabench-populate.json" ]; then
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$cache" || exit 1
		echo "run.sh: populating $dir with $1 tasks ..." >&2
		"$fabench" --data-dir "$dir.tmp" --plugin-dir "$plugins" \
			--rows "$1" populate >/dev/null || exit 1
		mv "$dir.tmp" "$dir" || exit 1
	fi
	echo "$dir"
}

# check_log LOG: keeld's log holds no errors.
check_log() {
	if grep -E 'ERROR|runtime error|Sanitizer' "$1" >/dev/null; then
		echo "run.sh: keeld's log has errors ($1):" >&2
		tail -n 40 "$1" | sed 's/^/  /' >&2
		rc=1
	fi
}

kv=$("$keeld" --version 2>/dev/null | head -n 1)
rc=0
config_args=
[ -z "$config" ] || config_args="--config $config"

if [ -n "$registry" ]; then
	# --- the registry cells: two keelds, a big and a small database ---
	[ -n "$rows" ] || rows=${smoke:+2400}
	[ -n "$rows" ] || rows=1000000
	[ -n "$base_rows" ] || base_rows=${smoke:+1200}
	[ -n "$base_rows" ] || base_rows=10000
	[ -n "$cache" ] || cache=$builddir/bench/registry-cache
	big=$(populated "$rows") || exit 1
	small=$(populated "$base_rows") || exit 1
	start_keeld pid "$big" "$tmp/keeld.log"
	nng=$k_nng
	grpc=$k_grpc
	start_keeld base_pid "$small" "$tmp/keeld-base.log"
	"$fabench" "$@" --keeld-version "$kv" \
		--note "registry: $rows tasks against $base_rows" env \
		>"$tmp/env-start.jsonl" || exit 1
	cat "$big/fabench-populate.json" "$small/fabench-populate.json" \
		>>"$tmp/env-start.jsonl" || exit 1
	# In the background, so a signal to this script is handled at once.
	"$fabench" "$@" --nng "$nng" --grpc "$grpc" --server-pid "$pid" \
		--base-nng "$k_nng" --base-grpc "$k_grpc" --base-pid "$base_pid" \
		--data-dir "$big" --plugin-dir "$plugins" --rows "$rows" \
		--base-rows "$base_rows" registry >"$tmp/cells.jsonl" &
	what="fabench registry"
elif [ -n "$executions" ] && [ -n "$db" ]; then
	# --- the executions cells on a database server --------------------
	dbskip=
	if ! "$fabench" db-probes | grep -qw "$db"; then
		dbskip="fabench was built without the $db client library"
	elif [ ! -f "$plugins/db_$db.so" ]; then
		dbskip="keeld was built without the $db driver (no $plugins/db_$db.so)"
	else
		# Durable commits: later -c settings and options win over
		# dbserver.sh's test defaults (fsync off).
		DBS_PG_OPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
		DBS_MY_OPTS="--innodb-flush-log-at-trx-commit=1 --sync-binlog=0"
		dbs_start "$db" >"$tmp/dbs.out" 2>&1
		st=$?
		[ -z "$DBS_PID" ] || db_start=$(proc_start "$DBS_PID")
		case $st in
		0) ;;
		2) dbskip=$(sed -n '1s/^# //p' "$tmp/dbs.out") ;;
		*)
			echo "run.sh: the $db server did not start:" >&2
			sed 's/^/  /' "$tmp/dbs.out" >&2
			exit 69 ;;
		esac
	fi
	if [ -n "$dbskip" ]; then
		echo "run.sh: $db cells skipped: $dbskip" >&2
		"$fabench" "$@" --keeld-version "$kv" --probe-db "$db" \
			--skip-db "$dbskip" --note "executions on $db: skipped" \
			env >"$tmp/env-start.jsonl" || exit 1
		"$fabench" "$@" --probe-db "$db" --skip-db "$dbskip" \
			executions >"$tmp/cells.jsonl" &
	else
		case $db in
		postgres) dbopts=$DBS_PG_OPTS ;;
		mysql) dbopts=$DBS_MY_OPTS ;;
		esac
		echo "run.sh: $db server pid $DBS_PID on 127.0.0.1:$DBS_PORT ($dbopts)" >&2
		dbname=keel_bench
		dbs_createdb "$dbname" >"$tmp/dbs.out" 2>&1 || {
			echo "run.sh: cannot create the database $dbname:" >&2
			sed 's/^/  /' "$tmp/dbs.out" >&2
			exit 69
		}
		conn=$(dbs_args "$dbname")
		ini=$tmp/keel.ini
		if [ -n "$config" ]; then
			# The file's settings without its [db] section.
			awk '/^[ \t]*\[/ { skip = ($0 ~ /^[ \t]*\[db\]/) }
				!skip' "$config" >"$ini" || exit 2
		else
			cat >"$ini" <<-'EOF'
			[executions]
			target = none
			outbox_workers = 2
			[blob]
			driver = local
			fsync = true
			EOF
		fi
		dbs_ini "$dbname" >>"$ini"
		config_args="--config $ini"
		mkdir -p "$tmp/data"
		start_keeld pid "$tmp/data" "$tmp/keeld.log"
		"$fabench" "$@" --keeld-version "$kv" --keel-ini "$ini" \
			--probe-db "$db" --probe-conn "$conn" \
			--note "executions on $db (server options: $dbopts): CreateExecution, node events and GetExecution against its insert and select probes" \
			env >"$tmp/env-start.jsonl" || exit 1
		"$fabench" "$@" --nng "$k_nng" --grpc "$k_grpc" \
			--server-pid "$pid" --data-dir "$tmp/data" \
			--probe-db "$db" --probe-conn "$conn" \
			--db-pid "$DBS_PID" executions >"$tmp/cells.jsonl" &
	fi
	what="fabench executions"
elif [ -n "$executions" ]; then
	# --- the executions cells: one keeld as shipped, on scratch data --
	ini=$config
	if [ -z "$ini" ]; then
		ini=$tmp/keel.ini
		# The defaults the cells are about, written out so the env
		# line shows them (keeld's built-in defaults are the same).
		cat >"$ini" <<-'EOF'
		[executions]
		target = none
		outbox_workers = 2
		[blob]
		driver = local
		fsync = true
		[db]
		driver = sqlite
		synchronous = normal
		EOF
		config_args="--config $ini"
	fi
	# The probe commits with keeld's [db] synchronous (default normal).
	sync=$(awk -F= '/^[ \t]*\[/ { sec = $0; gsub(/[ \t]/, "", sec) }
		sec == "[db]" && $1 ~ /^[ \t]*synchronous[ \t]*$/ {
			v = $2; gsub(/[ \t]/, "", v); print tolower(v) }' "$ini" |
		tail -n 1)
	mkdir -p "$tmp/data"
	start_keeld pid "$tmp/data" "$tmp/keeld.log"
	"$fabench" "$@" --keeld-version "$kv" --keel-ini "$ini" \
		--note "executions: CreateExecution and node events against sqlite-commit" \
		env >"$tmp/env-start.jsonl" || exit 1
	"$fabench" "$@" --nng "$k_nng" --grpc "$k_grpc" --server-pid "$pid" \
		--data-dir "$tmp/data" ${sync:+--synchronous "$sync"} \
		executions >"$tmp/cells.jsonl" &
	what="fabench executions"
else
	# --- the suite: one keeld on a scratch data directory -------------
	mkdir -p "$tmp/data"
	start_keeld pid "$tmp/data" "$tmp/keeld.log"
	"$fabench" "$@" --keeld-version "$kv" ${http_skip:+--note "$http_skip"} \
		env >"$tmp/env-start.jsonl" || exit 1
	# shellcheck disable=SC2086
	"$fabench" "$@" --nng "$k_nng" --grpc "$k_grpc" $k_http_opt \
		${http_skip:+--skip-http "$http_skip"} --server-pid "$pid" \
		suite >"$tmp/cells.jsonl" &
	what="fabench suite"
fi
fpid=$!
wait "$fpid"
st=$?
fpid=
if [ $st -ne 0 ]; then
	echo "run.sh: $what exited $st" >&2
	rc=1
fi
"$fabench" "$@" --keeld-version "$kv" --phase end \
	${db:+--probe-db "$db"} ${dbskip:+--skip-db "$dbskip"} \
	${conn:+--probe-conn "$conn"} env >"$tmp/env-end.jsonl" || rc=1

for v in pid base_pid; do
	eval "p=\$$v"
	[ -n "$p" ] || continue
	stop_keeld "$p"
	eval "$v="
	if [ "$stopped" != 0 ]; then
		echo "run.sh: keeld (pid $p) exited $stopped after SIGTERM" >&2
		rc=1
	fi
done
# After keeld: its pool's connections close first.
stop_db
[ ! -f "$tmp/keeld.log" ] || check_log "$tmp/keeld.log"
[ -z "$registry" ] || check_log "$tmp/keeld-base.log"
cat "$tmp/env-start.jsonl" "$tmp/cells.jsonl" "$tmp/env-end.jsonl" >"$out" ||
	rc=1
echo "run.sh: wrote $out" >&2
exit $rc
