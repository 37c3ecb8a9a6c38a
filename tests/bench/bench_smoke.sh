#!/bin/sh
# bench_smoke.sh -- bench/run.sh --smoke end to end, with very short
# rounds: keeld comes up on loopback, every cell of the suite is run and
# written, keeld is stopped; then the same for run.sh --registry --smoke
# (two small populated databases, two keelds), and for run.sh --executions
# --smoke (CreateExecution and node events against sqlite-commit), and
# for run.sh --executions --db postgres and --db mysql --smoke (the same on
# a throw-away server, with GetExecution, against fabench's insert and
# select probes; all cells skipped, with the reason, where the server is
# not installed).  Checks the shape of the output only (every expected cell present, numbers that
# parse, ops > 0, a ratio), never a timing: a benchmark on a shared CI
# machine is not a test.
#
# Environment: KEEL_BUILDDIR, KEEL_SRCDIR (set by `make check`).
. "${KEEL_SRCDIR:-.}/tests/common/tap.sh"
. "${KEEL_SRCDIR:-.}/tests/common/proc.sh"

builddir=${KEEL_BUILDDIR:-.}
fabench="$builddir/bench/fabench"
keeld=${KEELD:-$builddir/keeld} # run.sh honours KEELD too
tmp=
kpid=

cleanup() {
	# run.sh stops its keeld; this only catches a run.sh that did not.
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill -KILL "$kpid" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ ! -x "$fabench" ] || [ ! -x "$keeld" ]; then
	echo "1..0 # SKIP fabench or keeld not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-smoke.XXXXXX") || exit 99
out="$tmp/out.jsonl"

KEEL_BUILDDIR=$builddir sh "$KEEL_SRCDIR/bench/run.sh" --smoke --out "$out" \
	-- --secs 0.05 --warmup 0.01 >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
kpid=$(sed -n 's/^run\.sh: keeld pid \([0-9]*\):.*/\1/p' "$tmp/stderr")
is "$rc" 0 "bench/run.sh --smoke exits 0"
if [ "$rc" -ne 0 ]; then
	sed 's/^/#   /' "$tmp/stderr"
fi
[ -s "$out" ]
ok $? "it wrote the JSON lines to --out"
if [ ! -s "$out" ]; then
	done_testing
	exit 1
fi

# --- keeld stopped -----------------------------------------------------
[ -n "$kpid" ]
ok $? "run.sh named the keeld it started"
gone=0
if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
	gone=1
fi
ok $gone "keeld (pid $kpid) is no longer running"

# --- the table -----------------------------------------------------------
table=$(grep -c '^transport  *workload  *c  *ops/s' "$tmp/stderr")
is "$table" 1 "the table is printed on stderr"

# --- environment lines --------------------------------------------------
first=$(head -n 1 "$out")
last=$(tail -n 1 "$out")
like "$first" '"record":"env","phase":"start"' "the first line records the environment"
like "$first" '"nproc":' "... with nproc"
like "$first" '"kernel":' "... and the kernel"
like "$first" '"keeld":"keeld ' "... and keeld's version"
like "$last" '"record":"env","phase":"end"' "the last line records it again"

# --- cells ---------------------------------------------------------------
# cell TRANSPORT WORKLOAD CLIENTS: its line, empty when missing.
cell() {
	grep -F "\"record\":\"cell\",\"workload\":\"$2\",\"transport\":\"$1\",\"clients\":$3," "$out"
}
# num LINE KEY: KEY's value when it is a JSON number, else empty.
num() {
	printf '%s\n' "$1" |
		sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9]*\(\.[0-9]*\)\{0,1\}\)[,}].*/\1/p"
}
# present LINE NAME: a test that the cell's line was found; its status.
present() {
	[ -n "$1" ]
	ok $? "$2: present"
	[ -n "$1" ]
}
# check_measured LINE NAME: a measured product cell with its limit.
check_measured() {
	ops=$(num "$1" ops)
	[ -n "$ops" ] && [ "$ops" -gt 0 ]
	ok $? "$2: ops > 0 ($ops)"
	bad=
	for k in secs ops_per_s p50_us p90_us p99_us p999_us limit_value \
		ratio ratio_min ratio_max server_cpu_us_per_op; do
		[ -n "$(num "$1" $k)" ] || bad="$bad $k"
	done
	is "$bad" "" "$2: numbers parse"
	like "$1" '"limit_name":"' "$2: names its limit"
	is "$(num "$1" rounds)" 2 "$2: 2 rounds"
	case $1 in
	*'"error":'*) ok 1 "$2: no error" ;;
	*) ok 0 "$2: no error" ;;
	esac
}

if "$keeld" --help 2>/dev/null | grep -q -- '--http-listen'; then
	have_http=yes
else
	have_http=no
fi
for t in nng grpc http http-json; do
	for w in GetVersion GetProject; do
		for c in 1 16; do
			line=$(cell $t $w $c)
			name="$t $w c=$c"
			present "$line" "$name" || continue
			case "$t:$have_http:$line" in
			http*:no:*'"skipped":'*)
				skip "$name: measured" "keeld has no REST door"
				continue ;;
			esac
			check_measured "$line" "$name"
		done
	done
done

for t in pb-codec json-codec; do
	for w in GetVersion GetProject; do
		line=$(cell $t $w 1)
		name="$t $w"
		[ -n "$line" ]
		ok $? "$name: present"
		ops=$(num "$line" ops)
		[ -n "$ops" ] && [ "$ops" -gt 0 ]
		ok $? "$name: ops > 0 ($ops)"
		# The ratio divides by the door's server CPU per request,
		# which a smoke window on a busy machine may read as 0 (the
		# kernel counts CPU in clock ticks).
		if [ "$t" = json-codec ]; then lim=http-json; else lim=grpc; fi
		lcpu=$(num "$(cell $lim $w 1)" server_cpu_us_per_op)
		if [ "$t" = json-codec ] && [ "$have_http" = no ]; then
			skip "$name: ratio" "no http-json cell to compare with"
		elif [ -z "$lcpu" ] || [ "$(printf '%s' "$lcpu" | tr -d '0.')" = "" ]; then
			skip "$name: ratio" "the $lim cell read no server CPU in its window"
		else
			[ -n "$(num "$line" ratio)" ]
			ok $? "$name: ratio"
		fi
	done
done
for w in GetVersion GetProject; do
	for c in 1 16; do
		line=$(cell json-share $w $c)
		[ -n "$line" ]
		ok $? "json-share $w c=$c: present"
		if [ "$have_http" = yes ]; then
			like "$line" '"ratio":' "json-share $w c=$c: ratio"
		fi
	done
done

n=$(grep -c '"record":"cell"' "$out")
is "$n" 24 "24 cells in all"

# --- the registry cells: run.sh --registry --smoke ----------------------
# Two small databases populated into a scratch cache, two keelds at once.
rout="$tmp/registry.jsonl"
KEEL_BUILDDIR=$builddir sh "$KEEL_SRCDIR/bench/run.sh" --registry --smoke \
	--cache-dir "$tmp/cache" --out "$rout" \
	-- --secs 0.05 --warmup 0.01 >"$tmp/rstdout" 2>"$tmp/rstderr"
rc=$?
is "$rc" 0 "bench/run.sh --registry --smoke exits 0"
if [ "$rc" -ne 0 ]; then
	sed 's/^/#   /' "$tmp/rstderr"
fi
pids=$(sed -n 's/^run\.sh: keeld pid \([0-9]*\):.*/\1/p' "$tmp/rstderr")
is "$(echo $pids | wc -w)" 2 "run.sh started two keelds"
for p in $pids; do
	gone=0
	kill -0 "$p" 2>/dev/null && gone=1
	ok $gone "keeld (pid $p) is no longer running"
done
[ -s "$rout" ]
ok $? "it wrote the JSON lines to --out"
key=$("$fabench" populate-key)
case $key in
s[0-9]*-l[0-9]*) ok 0 "populate-key names schema and layout ($key)" ;;
*) ok 1 "populate-key names schema and layout ($key)" ;;
esac
for r in 2400 1200; do
	[ -f "$tmp/cache/$key-$r/fabench-populate.json" ]
	ok $? "the $r-task database is cached with its marker"
	line=$(grep -F "\"record\":\"populate\",\"rows\":$r," "$rout")
	[ -n "$(num "$line" rows_per_s)" ] && [ -n "$(num "$line" closure_bytes)" ]
	ok $? "a populate line for $r tasks, with its rate and closure size"
done
table=$(grep -c '^door  *workload  *vs  *rows' "$tmp/rstderr")
is "$table" 1 "the registry table is printed on stderr"

# rcell TRANSPORT WORKLOAD COMPARE: its line, empty when missing.
rcell() {
	grep -F "\"record\":\"cell\",\"workload\":\"$2\",\"transport\":\"$1\",\"clients\":1,\"compare\":\"$3\"," "$rout"
}
for w in ListTasks GetTask ListWorkflows GetWorkflow; do
	for t in grpc nng; do
		for v in size floor; do
			line=$(rcell $t $w $v)
			name="$t $w vs $v"
			present "$line" "$name" || continue
			case "$w:$line" in
			*Workflow*:*'"skipped":'*)
				# Until keeld has them, or populate writes them.
				like "$line" '"skipped":"' \
					"$name: skipped, with the reason"
				continue ;;
			esac
			check_measured "$line" "$name"
			case $v in
			size)
				is "$(num "$line" limit_rows)" 1200 \
					"$name: names the small database" ;;
			floor)
				[ -n "$(num "$line" floor_diff_us)" ]
				ok $? "$name: floor_diff_us"
				case $w in
				Get*)
					[ -n "$(num "$line" door_p50_us)" ] &&
						[ -n "$(num "$line" server_diff_us)" ]
					ok $? "$name: door_p50_us and server_diff_us" ;;
				esac
				like "$line" '"floor_sql":"SELECT ' \
					"$name: the captured SQL" ;;
			esac
		done
	done
done
n=$(grep -c '"record":"cell"' "$rout")
is "$n" 16 "16 registry cells in all"

# --- the executions cells: run.sh --executions --smoke ------------------
eout="$tmp/executions.jsonl"
KEEL_BUILDDIR=$builddir sh "$KEEL_SRCDIR/bench/run.sh" --executions --smoke \
	--out "$eout" -- --secs 0.05 --warmup 0.01 >"$tmp/estdout" 2>"$tmp/estderr"
rc=$?
is "$rc" 0 "bench/run.sh --executions --smoke exits 0"
if [ "$rc" -ne 0 ]; then
	sed 's/^/#   /' "$tmp/estderr"
fi
epid=$(sed -n 's/^run\.sh: keeld pid \([0-9]*\):.*/\1/p' "$tmp/estderr")
[ -n "$epid" ]
ok $? "run.sh named the keeld it started"
gone=0
[ -n "$epid" ] && kill -0 "$epid" 2>/dev/null && gone=1
ok $gone "keeld (pid $epid) is no longer running"
[ -s "$eout" ]
ok $? "it wrote the JSON lines to --out"
first=$(head -n 1 "$eout")
like "$first" '"keel_ini":"' "the env line records keeld's keel.ini"
like "$first" 'target = none' "... with [executions] target = none"
like "$first" '"sqlite":"' "... and SQLite's version"
table=$(grep -c '^door  *workload  *c  *ops/s  *p50_us' "$tmp/estderr")
is "$table" 1 "the executions table is printed on stderr"

# ecell TRANSPORT WORKLOAD CLIENTS [GOAL_ON]: its line, empty when missing.
ecell() {
	grep -F "\"record\":\"cell\",\"workload\":\"$2\",\"transport\":\"$1\",\"clients\":$3," "$eout" |
		grep -F "${4:+\"goal_on\":\"$4\"}"
}
for t in nng grpc; do
	for c in 1 16; do
		line=$(ecell $t CreateExecution $c)
		name="$t CreateExecution c=$c"
		present "$line" "$name" || continue
		check_measured "$line" "$name"
		like "$line" '"limit_name":"sqlite-commit.ops_per_s"' \
			"$name: a throughput ratio to sqlite-commit"
	done
	for g in ratio p99_ratio; do
		line=$(ecell $t CreateNodeEvent 16 $g)
		name="$t CreateNodeEvent c=16 ($g)"
		present "$line" "$name" || continue
		check_measured "$line" "$name"
		[ -n "$(num "$line" p99_ratio)" ]
		ok $? "$name: p99_ratio"
	done
done
line=$(ecell sqlite-commit commit 1)
present "$line" "sqlite-commit probe" &&
	[ "$(num "$line" ops)" -gt 0 ] 2>/dev/null &&
	[ -n "$(num "$line" ops_per_s)" ] && [ -n "$(num "$line" p50_us)" ]
ok $? "sqlite-commit probe: ops, commits/s and p50"
n=$(grep -c '"record":"cell"' "$eout")
is "$n" 9 "9 executions cells in all"

# --- on a database server: run.sh --executions --db KIND --smoke --------
# Without the server (or keeld's driver, or fabench's client library)
# every cell is there, skipped with the reason; nothing else is checked.
for kind in postgres mysql; do
	case $kind in
	postgres) probe=pg ;;
	mysql) probe=mysql ;;
	esac
	dout="$tmp/exec-$kind.jsonl"
	KEEL_BUILDDIR=$builddir sh "$KEEL_SRCDIR/bench/run.sh" --executions \
		--db $kind --smoke --out "$dout" -- --secs 0.05 --warmup 0.01 \
		>"$tmp/dstdout" 2>"$tmp/dstderr"
	rc=$?
	is "$rc" 0 "bench/run.sh --executions --db $kind --smoke exits 0"
	if [ "$rc" -ne 0 ]; then
		sed 's/^/#   /' "$tmp/dstderr"
	fi
	[ -s "$dout" ]
	ok $? "$kind: it wrote the JSON lines to --out"
	n=$(grep -c '"record":"cell"' "$dout")
	is "$n" 11 "$kind: 11 cells in all"
	first=$(head -n 1 "$dout")
	like "$first" "\"db\":\"$kind\"" "$kind: the env line names the server kind"
	why=$(sed -n 's/^run\.sh: [a-z]* cells skipped: //p' "$tmp/dstderr")
	if [ -n "$why" ]; then
		skipped=$(grep -c "\"skipped\":\"" "$dout")
		is "$skipped" 11 "$kind: every cell skipped, with the reason"
		skip "$kind: the measured cells" "$why"
		continue
	fi
	# The server and keeld started, and are gone.
	for who in keeld "$kind server"; do
		p=$(sed -n "s/^run\.sh: $who pid \([0-9]*\).*/\1/p" "$tmp/dstderr")
		[ -n "$p" ]
		ok $? "$kind: run.sh named the $who it started"
		# proc_alive: the postmaster is no child of ours, and an
		# exited one may linger as a zombie until init reaps it.
		gone=0
		[ -n "$p" ] && proc_alive "$p" && gone=1
		ok $gone "$kind: the $who (pid $p) is no longer running"
	done
	like "$first" '"db_server":"' "$kind: the env line records the server's version"
	case $kind in
	postgres) like "$first" 'fsync=on synchronous_commit=on' \
		"$kind: ... and its durability settings" ;;
	mysql) like "$first" 'innodb_flush_log_at_trx_commit=1' \
		"$kind: ... and its durability settings" ;;
	esac
	like "$first" 'driver = '"$kind" "$kind: keeld's keel.ini has the server's [db] section"
	table=$(grep -c '^door  *workload  *c  *ops/s  *p50_us.*db_us/op' "$tmp/dstderr")
	is "$table" 1 "$kind: the table is printed on stderr"
	# dcell TRANSPORT WORKLOAD CLIENTS: its line, empty when missing.
	dcell() {
		grep -F "\"record\":\"cell\",\"workload\":\"$2\",\"transport\":\"$1\",\"clients\":$3," "$dout"
	}
	for t in nng grpc; do
		for c in 1 16; do
			line=$(dcell $t CreateExecution $c)
			name="$kind $t CreateExecution c=$c"
			present "$line" "$name" || continue
			check_measured "$line" "$name"
			like "$line" "\"limit_name\":\"$probe-insert.ops_per_s\"" \
				"$name: a throughput ratio to $probe-insert"
			[ -n "$(num "$line" db_cpu_us_per_op)" ]
			ok $? "$name: the server's CPU per op"
		done
		line=$(dcell $t CreateNodeEvent 16)
		name="$kind $t CreateNodeEvent c=16"
		if present "$line" "$name"; then
			check_measured "$line" "$name"
			like "$line" "\"limit_name\":\"$probe-insert.ops_per_s\"" \
				"$name: a throughput ratio to $probe-insert"
		fi
		line=$(dcell $t GetExecution 16)
		name="$kind $t GetExecution c=16"
		if present "$line" "$name"; then
			check_measured "$line" "$name"
			like "$line" "\"limit_name\":\"$probe-select.p99_us\"" \
				"$name: a p99 ratio to $probe-select"
			case $t in
			nng) rtt=nng-echo ;;
			grpc) rtt=raw-pingpong ;;
			esac
			like "$line" "\"rtt_limit\":\"$rtt\"" "$name: the round trip of $rtt"
			[ -n "$(num "$line" select_p99_us)" ] &&
				[ -n "$(num "$line" rtt_p99_us)" ]
			ok $? "$name: select_p99_us and rtt_p99_us"
		fi
	done
	for pc in insert:1 insert:16 select:16; do
		w=${pc%:*}
		c=${pc#*:}
		line=$(dcell $probe-$w $w $c)
		present "$line" "$probe-$w c=$c probe" &&
			[ "$(num "$line" ops)" -gt 0 ] 2>/dev/null &&
			[ -n "$(num "$line" ops_per_s)" ] &&
			[ -n "$(num "$line" p99_us)" ]
		ok $? "$probe-$w c=$c probe: ops, ops/s and p99"
	done
done
done_testing
