#!/bin/sh
# quickstart.sh -- install, build, and start keeld on the embedded default
# (SQLite, local blobs and the local executor in ./keel-data), then run the
# example workflow end to end with keelctl: register it, launch it, follow
# it to SUCCEEDED and print its outputs and node tree.
# keeld keeps running afterwards; the script prints how to stop it.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

./scripts/install-deps.sh
mkdir -p build
log="$top/build/build.log"
: >"$log"
# step WHAT COMMAND...: run quietly into the log; show it on failure.
step() {
	what=$1
	shift
	echo "$what (log: build/build.log)"
	"$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "quickstart: $what failed" >&2; exit 1; }
}
[ -x configure ] || step "generating the build system" ./autogen.sh
cd build
[ -f Makefile ] || step "configuring" ../configure --prefix="$top/build/prefix"
step "building (fetches flyteidl 1.16.5 from npm the first time)" make -j"$(nproc)"
cd "$top"

data="$top/keel-data"
endpoint="ipc://$data/keeld.sock"
keelctl() { "$top/build/keelctl" --endpoint "$endpoint" "$@"; }

if [ -f "$data/keeld.pid" ] && kill -0 "$(cat "$data/keeld.pid")" 2>/dev/null; then
	echo "keeld is already running (pid $(cat "$data/keeld.pid"))"
else
	mkdir -p "$data"
	"$top/build/keeld" --data-dir "$data" --plugin-dir "$top/build/.libs" \
		--pid-file "$data/keeld.pid" >"$data/keeld.log" 2>&1 &
	# Wait until it answers.
	i=0
	until keelctl version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $! 2>/dev/null; then
			echo "keeld did not start; its log:" >&2
			cat "$data/keeld.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "keeld started (pid $(cat "$data/keeld.pid")), data in $data"
fi

echo
echo "\$ keelctl version"
keelctl version
echo
# The example: three shell tasks that fan out and join, run as local
# processes by keel-local-agent, which keeld started (examples/quickstart).
echo "\$ keelctl create project --id quickstart --name 'Quick start'"
keelctl create project --id quickstart --name "Quick start" \
	--description "the quick-start example" ||
	echo "(it already existed: this is not the first run)"
echo
echo "\$ keelctl register files examples/quickstart/*.json -p quickstart -d development --version v1"
keelctl register files "$top"/examples/quickstart/*.json -p quickstart \
	-d development --version v1
echo
echo "\$ keelctl update launchplan quickstart.fanout -p quickstart -d development --version v1 --activate"
keelctl update launchplan quickstart.fanout -p quickstart -d development \
	--version v1 --activate
echo
echo "\$ keelctl create execution --launchplan quickstart.fanout -p quickstart -d development --input n=7 --wait"
keelctl create execution --launchplan quickstart.fanout -p quickstart \
	-d development --input n=7 --wait >"$data/last-run.txt" || {
	cat "$data/last-run.txt"
	echo "quickstart: the example execution did not succeed; keeld's log is $data/keeld.log" >&2
	exit 1
}
cat "$data/last-run.txt"
name=$(sed -n 1p "$data/last-run.txt")
echo
echo "\$ keelctl get execution $name -p quickstart -d development"
keelctl get execution "$name" -p quickstart -d development
echo
echo "keeld is running on $endpoint (log: $data/keeld.log)."
echo "Try:   build/keelctl --endpoint $endpoint get execution -p quickstart -d development"
echo "       build/keelctl --endpoint $endpoint get project quickstart -o yaml"
echo "       curl -s http://127.0.0.1:8088/api/v1/projects/quickstart    (REST)"
echo "       gRPC clients: 127.0.0.1:8089"
echo "Stop:  kill \$(cat $data/keeld.pid)"
