#!/bin/sh
# keeld_daemon.sh -- keeld as an operator meets it: migrations, exit codes
# and messages for bad configuration, one keeld per data directory, log
# formats, SIGHUP log reopening, SIGTERM.
. "$KEEL_SRCDIR/tests/common/tap.sh"

keeld="$KEEL_BUILDDIR/keeld"
plugins="$KEEL_BUILDDIR/.libs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-daemon.XXXXXX") || exit 99
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# run ARGS...: keeld with output captured; sets rc, out, err.
run() {
	"$keeld" --plugin-dir "$plugins" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# --- migrations ------------------------------------------------------
d="$tmp/m"
run -D "$d" migrate status
is "$rc" 0 "migrate status on an empty database: exit 0"
like "$out" "projects                 pending" "lists migration 1 as pending"
like "$out" "tasks                    pending" "and migration 2"
# Every pending line is one migration to apply; the last is the latest.
npending=$(printf '%s\n' "$out" | grep -c ' pending')
run -D "$d" migrate
is "$rc" 0 "migrate: exit 0"
like "$out" "applied $npending migrations; schema at version $npending" \
	"applies them ($npending)"
run -D "$d" migrate
like "$out" "applied 0 migrations" "running it again applies nothing"
run -D "$d" migrate status
case "$out" in *pending*) ok 1 "status shows the applied time" ;;
*) ok 0 "status shows the applied time" ;; esac
run -D "$d" migrate sideways
is "$rc" 64 "unknown migrate subcommand: exit 64"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$d/keel.db" \
		"INSERT INTO keel_migrations VALUES (999, 'future', 0)"
	run -D "$d" migrate
	is "$rc" 78 "a schema newer than keeld: exit 78"
	like "$err" "schema is at version 999, newer than this keeld knows ($npending)" \
		"and says so"
else
	skip "future schema" "sqlite3 command not installed"
	skip "future schema message" "sqlite3 command not installed"
fi

# --- configuration errors --------------------------------------------
cat >"$tmp/bad1.ini" <<'INI'
[keeld]
workers = 4
[dbb]
driver = sqlite
INI
run -c "$tmp/bad1.ini" -D "$tmp/c" check-config
is "$rc" 78 "unknown section: exit 78"
like "$err" "bad1.ini:3: unknown section [dbb]" "names file, line and section"
printf '[db]\ndriver = sqlite\nbusy_timout = 5s\n' >"$tmp/bad2.ini"
run -c "$tmp/bad2.ini" -D "$tmp/c" check-config
is "$rc" 78 "unknown plugin key: exit 78"
like "$err" "unknown key 'busy_timout' in section [db]; valid keys: driver, path, busy_timeout" \
	"names the key and lists the valid ones"
printf '[db]\ndriver = postgresql\n' >"$tmp/bad3.ini"
run -c "$tmp/bad3.ini" -D "$tmp/c" check-config
is "$rc" 78 "unknown driver: exit 78"
like "$err" "driver = 'postgresql': no plugin" "names the driver"
printf '[api]\nmax_message_size = lots\n' >"$tmp/bad4.ini"
run -c "$tmp/bad4.ini" -D "$tmp/c" check-config
like "$err" "max_message_size = 'lots' is not a size" "bad size value"
printf '[keeld]\n' >"$tmp/long.ini"
printf 'data_dir = /%0250d\n' 0 >>"$tmp/long.ini"
run -c "$tmp/long.ini" check-config
is "$rc" 78 "over-long line: exit 78"
like "$err" "long.ini:2: line is" "names the line"
printf '[domains]\nQA = Quality\n' >"$tmp/bad5.ini"
run -c "$tmp/bad5.ini" -D "$tmp/c" check-config
like "$err" "'QA' is not a valid domain id" "domain ids are DNS labels"
run --no-such-flag
is "$rc" 64 "unknown option: exit 64"
run -D "$tmp/c" frobnicate
is "$rc" 64 "unknown command: exit 64"
printf '[log]\nformat = json\n[domains]\ndev = Development\nprod = Production\n' \
	>"$tmp/good.ini"
run -c "$tmp/good.ini" -D "$tmp/c" check-config
is "$rc" 0 "a valid configuration: exit 0"
like "$out" "configuration OK" "says so"

# --- serving: JSON logs, the data-directory lock, SIGHUP, SIGTERM ----
d="$tmp/s"
mkdir -p "$d"
"$keeld" --plugin-dir "$plugins" -c "$tmp/good.ini" -D "$d" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
	--pid-file "$d/keeld.pid" 2>"$tmp/log1" &
pid=$!
i=0
# The pid file is written once every door is up, after the socket.
while { [ ! -S "$d/keeld.sock" ] || [ ! -s "$d/keeld.pid" ]; } &&
	[ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$d/keeld.sock" ]
ok $? "keeld listens on ipc://$d/keeld.sock"
is "$(cat "$d/keeld.pid" 2>/dev/null)" "$pid" "pid file written"
head -n 1 "$tmp/log1" | grep -q '^{"ts":"[0-9T:.-]*Z","level":"info","src":"[a-z:]*","msg":'
ok $? "[log] format = json writes JSON lines"
grep -q '"msg":"gRPC serving on 127.0.0.1:0 (port [1-9][0-9]*)' "$tmp/log1"
ok $? "gRPC on port 0 logs the port it bound"
run -D "$d"
is "$rc" 73 "a second keeld on the same data directory: exit 73"
like "$err" "another keeld (pid $pid) is using the data directory" \
	"and names the first one's pid"
[ -S "$d/keeld.sock" ]
ok $? "the first keeld's socket is untouched"

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
pid=
[ ! -e "$d/keeld.pid" ]
ok $? "pid file removed"
grep -q '"msg":"stopped' "$tmp/log1"
ok $? "logged the stop"

# Log file, rotated and reopened on SIGHUP.
printf '[log]\nfile = %s/keeld.log\n' "$tmp" >"$tmp/logfile.ini"
"$keeld" --plugin-dir "$plugins" -c "$tmp/logfile.ini" -D "$d" \
	--grpc-listen off --http-listen off 2>"$tmp/log2" &
pid=$!
# The socket exists a moment before "serving on" is logged: wait for the line.
i=0
while ! grep -q 'serving on' "$tmp/keeld.log" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
grep -q 'serving on' "$tmp/keeld.log"
ok $? "logs go to [log] file"
mv "$tmp/keeld.log" "$tmp/keeld.log.1"
kill -HUP "$pid"
i=0
while [ ! -s "$tmp/keeld.log" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q 'SIGHUP: log reopened' "$tmp/keeld.log"
ok $? "SIGHUP reopens the log file"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM after SIGHUP: exit 0"
pid=
grep -E 'ERROR|runtime error|LeakSanitizer' "$tmp/log1" "$tmp/log2" "$tmp/keeld.log" "$tmp/keeld.log.1" >/dev/null
[ $? -ne 0 ]
ok $? "no errors or sanitizer reports in the logs"
done_testing
