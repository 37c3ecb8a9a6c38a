#!/bin/sh
# bench/run.sh -- one benchmark run: start keeld on 127.0.0.1, run fabench's
# suite against it (each cell interleaved with its limit probe), stop
# keeld, write JSON lines and print the table.  Builds nothing.
#
#   bench/run.sh [--smoke] [--out FILE] [--builddir DIR] [-- FABENCH-OPTIONS]
#
# The build tree is --builddir, else $KEEL_BUILDDIR, else the current
# directory when it holds bench/fabench, else the tree this script sits
# in; $KEELD names another keeld binary (its plugins beside it in .libs/).
# keeld runs on a scratch data directory with its doors on free loopback
# ports and is stopped by PID (SIGTERM, then SIGKILL after 15 s), also
# when this script fails or is interrupted.
#
# Output: --out FILE (default bench/results-DATE.jsonl under the current
# directory): an "env" line, one "cell" line per cell, an "env" line at the
# end.  The table goes to stderr.  Exit status: 0 ok, 1 a cell failed or
# keeld did not stop cleanly, 2 usage, 69 keeld did not come up.

smoke=
out=
builddir=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=--smoke ;;
	--out) out=$2; shift ;;
	--out=*) out=${1#--out=} ;;
	--builddir) builddir=$2; shift ;;
	--builddir=*) builddir=${1#--builddir=} ;;
	--) shift; break ;;
	-h | --help)
		sed -n '2,18s/^# \{0,1\}//p' "$0"
		exit 0 ;;
	*) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
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
fpid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench.XXXXXX") || exit 2

# alive PID: not exited (a zombie counts as exited).
alive() {
	if [ -r "/proc/$1/stat" ]; then
		! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# stop_keeld: SIGTERM, up to 15 s, then SIGKILL; keeld's status in $stopped.
stop_keeld() {
	stopped=
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	i=0
	while alive "$pid" && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$pid"; then
		echo "run.sh: keeld (pid $pid) ignored SIGTERM for 15 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	stopped=$?
	pid=
}

cleanup() {
	if [ -n "$fpid" ]; then
		kill -TERM "$fpid" 2>/dev/null
		wait "$fpid"
	fi
	stop_keeld
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

set -- $smoke "$@"

# --- keeld on free loopback ports ---------------------------------------
ports=$("$fabench" ports 3) || exit 2
p_nng=${ports%% *}
rest=${ports#* }
p_grpc=${rest%% *}
p_http=${rest#* }
nng=tcp://127.0.0.1:$p_nng
grpc=127.0.0.1:$p_grpc
http=127.0.0.1:$p_http

if "$keeld" --help 2>/dev/null | grep -q -- '--http-listen'; then
	http_args="--http-listen $http"
	http_opt="--http $http"
else
	http_args=
	http_opt=
	http_skip="keeld has no --http-listen (REST door not in this build)"
fi

mkdir -p "$tmp/data"
# shellcheck disable=SC2086 # http_args is empty or two words
"$keeld" --data-dir "$tmp/data" --plugin-dir "$plugins" \
	--listen "$nng" --grpc-listen "$grpc" $http_args \
	--log-level warn >"$tmp/keeld.log" 2>&1 &
pid=$!
echo "run.sh: keeld pid $pid: nng $nng, grpc $grpc${http_opt:+, http $http}" >&2

# Up when the project registers and every door answers, within 15 s.
i=0
# shellcheck disable=SC2086
until "$fabench" --nng "$nng" --grpc "$grpc" $http_opt ready \
	2>"$tmp/ready.err"; do
	if ! alive "$pid"; then
		echo "run.sh: keeld exited early; its log:" >&2
		sed 's/^/  /' "$tmp/keeld.log" >&2
		exit 69
	fi
	i=$((i + 1))
	if [ $i -ge 75 ]; then
		echo "run.sh: keeld did not answer within 15 s:" >&2
		sed 's/^/  /' "$tmp/ready.err" "$tmp/keeld.log" >&2
		exit 69
	fi
	sleep 0.2
done

# --- the run --------------------------------------------------------------
kv=$("$keeld" --version 2>/dev/null | head -n 1)
"$fabench" "$@" --keeld-version "$kv" ${http_skip:+--note "$http_skip"} \
	env >"$tmp/env-start.jsonl" || exit 1
rc=0
# shellcheck disable=SC2086
# In the background, so a signal to this script is handled at once.
"$fabench" "$@" --nng "$nng" --grpc "$grpc" $http_opt \
	${http_skip:+--skip-http "$http_skip"} --server-pid "$pid" \
	suite >"$tmp/cells.jsonl" &
fpid=$!
wait "$fpid"
st=$?
fpid=
if [ $st -ne 0 ]; then
	echo "run.sh: fabench suite exited $st" >&2
	rc=1
fi
"$fabench" "$@" --keeld-version "$kv" --phase end env \
	>"$tmp/env-end.jsonl" || rc=1

stop_keeld
if [ "$stopped" != 0 ]; then
	echo "run.sh: keeld exited $stopped after SIGTERM" >&2
	rc=1
fi
if grep -E 'ERROR|runtime error|Sanitizer' "$tmp/keeld.log" >/dev/null; then
	echo "run.sh: keeld's log has errors:" >&2
	tail -n 40 "$tmp/keeld.log" | sed 's/^/  /' >&2
	rc=1
fi
cat "$tmp/env-start.jsonl" "$tmp/cells.jsonl" "$tmp/env-end.jsonl" >"$out" ||
	rc=1
echo "run.sh: wrote $out" >&2
exit $rc
