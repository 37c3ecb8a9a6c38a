#!/bin/sh
# grpc_conformance.sh -- keeld's gRPC door driven by a stock client: the
# official flyteidl IDL through Node's @grpc/grpc-js (conformance.mjs).
#
# Installs the pinned client (package-lock.json, npm ci through npm's
# configured registry) into $KEEL_BUILDDIR/tests/grpc/node -- the source
# tree may be read-only -- and reuses it while the lockfile is unchanged.
# Starts keeld on a scratch data directory with --grpc-listen on a free
# 127.0.0.1 port, runs conformance.mjs against it, stops keeld with SIGTERM
# and checks its exit status and log.  One TAP stream: this script's
# checks, then conformance.mjs's (numbered on from here, no plan of their
# own), then the shutdown checks and the plan.
# No node: skipped.  npm ci failing: an ERROR (Bail out!) with npm's output.
. "$KEEL_SRCDIR/tests/common/tap.sh"

src="$KEEL_SRCDIR/tests/grpc"
work="$KEEL_BUILDDIR/tests/grpc/node"
keeld="$KEEL_BUILDDIR/keeld"
pid=
tmp=

cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

bail() {
	echo "Bail out! $*"
	exit 99
}

if ! command -v node >/dev/null 2>&1; then
	echo "1..0 # SKIP node is not installed"
	exit 0
fi
[ -x "$keeld" ] || bail "$keeld not built"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-grpc.XXXXXX") || bail "mktemp failed"

# --- the client: npm ci once per lockfile ---------------------------
mkdir -p "$work" || bail "cannot create $work"
if cmp -s "$src/package-lock.json" "$work/.installed-lock" &&
	cmp -s "$src/package.json" "$work/package.json" &&
	[ -f "$work/node_modules/@grpc/grpc-js/package.json" ]; then
	diag "reusing the client installed in $work"
else
	rm -f "$work/.installed-lock"
	cp -f "$src/package.json" "$src/package-lock.json" "$work/" ||
		bail "cannot copy package.json to $work"
	# protobufjs's postinstall only checks its optional CLI's deps.
	if ! (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts) \
		>"$tmp/npm.log" 2>&1; then
		sed 's/^/# npm: /' "$tmp/npm.log"
		bail "npm ci failed in $work"
	fi
	cp -f "$src/package-lock.json" "$work/.installed-lock"
fi
cp -f "$src/conformance.mjs" "$src/health.proto" "$work/" ||
	bail "cannot copy conformance.mjs to $work"
versions=$(cd "$work" && node -e '
	const v = (p) => require(p + "/package.json").version;
	console.log(v("@grpc/grpc-js"), v("@grpc/proto-loader"))' 2>&1)
is "$versions" "1.14.7 0.8.1" "npm ci installed @grpc/grpc-js 1.14.7, @grpc/proto-loader 0.8.1"

# --- the IDL the build used -------------------------------------------
# make_var NAME: a value configure substituted into the build's Makefile.
make_var() {
	sed -n "s/^$1 = //p" "$KEEL_BUILDDIR/Makefile" 2>/dev/null | head -n 1
}
protos="$KEEL_BUILDDIR/flyteidl-1.16.5/protos"
if [ ! -f "$protos/flyteidl/service/admin.proto" ]; then
	protos="$(make_var FLYTEIDL_DIR)/protos" # configure --with-flyteidl
fi
googleapis=$(make_var GOOGLEAPIS_DIR)
pbinclude=$(make_var PROTOBUF_INCLUDE)
: "${googleapis:=/usr/share/gocode/src/github.com/gogo/googleapis}"
: "${pbinclude:=/usr/include}"
[ -f "$protos/flyteidl/service/admin.proto" ]
ok $? "flyteidl protos found in $protos"

# --- keeld on a free port ---------------------------------------------
port=$(node -e '
	const s = require("net").createServer();
	s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
mkdir -p "$tmp/data"
"$keeld" --data-dir "$tmp/data" --plugin-dir "$KEEL_BUILDDIR/.libs" \
	--grpc-listen "127.0.0.1:$port" >"$tmp/keeld.log" 2>&1 &
pid=$!
# Poll the port for up to 10 s; give up early if keeld exits.
node -e '
	const net = require("net");
	const [port, pid] = process.argv.slice(1).map(Number);
	const end = Date.now() + 10000;
	(function attempt() {
		try { process.kill(pid, 0); } catch { process.exit(2); }
		const s = net.connect(port, "127.0.0.1");
		s.on("connect", () => { s.destroy(); process.exit(0); });
		s.on("error", () => {
			if (Date.now() > end) process.exit(1);
			setTimeout(attempt, 100);
		});
	})();' "$port" "$pid"
up=$?
ok $up "keeld --grpc-listen 127.0.0.1:$port accepts connections"
if [ $up -ne 0 ]; then
	[ $up -eq 2 ] && diag "keeld exited early; its log:" ||
		diag "keeld did not listen within 10 s; its log:"
	sed 's/^/#   /' "$tmp/keeld.log"
	done_testing
	exit 1
fi

# --- the conformance run ------------------------------------------------
node "$work/conformance.mjs" --first $((tap_n + 1)) --no-plan \
	-I "$protos" -I "$KEEL_SRCDIR/proto/stub" -I "$googleapis" -I "$pbinclude" \
	"127.0.0.1:$port" >"$tmp/node.out" 2>"$tmp/node.err"
rc=$?
cat "$tmp/node.out"
sed 's/^/# conformance.mjs stderr: /' "$tmp/node.err"
ran=$(grep -c '^\(not \)\{0,1\}ok [0-9]' "$tmp/node.out")
bad=$(grep -c '^not ok [0-9]' "$tmp/node.out")
tap_n=$((tap_n + ran))
tap_failed=$((tap_failed + bad))
finished=1
grep -q '^# conformance.mjs: [0-9]* checks' "$tmp/node.out" &&
	{ { [ $rc -eq 0 ] && [ "$bad" -eq 0 ]; } ||
		{ [ $rc -eq 1 ] && [ "$bad" -gt 0 ]; }; } && finished=0
ok $finished "conformance.mjs ran to the end (exit $rc, $ran checks, $bad failed)"

# --- shutdown ----------------------------------------------------------
# alive PID: not exited (a zombie counts as exited).
alive() {
	if [ -r "/proc/$1/stat" ]; then
		! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
	else
		kill -0 "$1" 2>/dev/null
	fi
}
alive "$pid"
ok $? "keeld still running after the run"
kill -TERM "$pid"
i=0
while alive "$pid" && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
if alive "$pid"; then
	ok 1 "keeld stops within 15 s of SIGTERM"
	kill -KILL "$pid"
else
	ok 0 "keeld stops within 15 s of SIGTERM"
fi
wait "$pid"
is "$?" 0 "keeld exits 0 after SIGTERM"
pid=
problems=$(grep -E 'ERROR|runtime error|LeakSanitizer' "$tmp/keeld.log")
is "$problems" "" "keeld's log has no ERROR, runtime error or LeakSanitizer lines"
if [ "$tap_failed" -gt 0 ]; then
	diag "keeld's log (last 60 lines):"
	tail -n 60 "$tmp/keeld.log" | sed 's/^/#   /'
fi
done_testing
