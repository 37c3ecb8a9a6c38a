#!/bin/sh
# test.sh -- install what the tests need, then build and run the whole
# suite three ways:
#   1. a -Werror build: make check (unit, ABI, conformance, repository,
#      end-to-end);
#   2. an AddressSanitizer + UBSan build: make check again;
#   3. valgrind (memcheck) over the C test programs of build 1;
# then `make distcheck` (tarball build, install/uninstall, DESTDIR).
# The last line is "N passed, N failed", counting every TAP assertion.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

./scripts/install-deps.sh --test || exit 1
[ -x configure ] || ./autogen.sh >/dev/null || exit 1

passed=0
failed=0
summary=""

# count LOGFILE LABEL: add a test-suite.log's totals.
count() {
	if [ ! -f "$1" ]; then
		failed=$((failed + 1))
		summary="$summary
  $2: no test results (build failed?)"
		return
	fi
	p=$(sed -n 's/^# PASS: *//p' "$1" | head -n1)
	f=$(sed -n 's/^# FAIL: *//p' "$1" | head -n1)
	e=$(sed -n 's/^# ERROR: *//p' "$1" | head -n1)
	x=$(sed -n 's/^# XPASS: *//p' "$1" | head -n1)
	s=$(sed -n 's/^# SKIP: *//p' "$1" | head -n1)
	n=$(( ${f:-0} + ${e:-0} + ${x:-0} ))
	passed=$((passed + ${p:-0}))
	failed=$((failed + n))
	summary="$summary
  $2: ${p:-0} passed, $n failed, ${s:-0} skipped"
}

# build DIR CONFIGURE-ARGS...: configure (once) and make.
build() {
	d=$1
	shift
	mkdir -p "$d"
	(cd "$d" && { [ -f Makefile ] || "$top/configure" "$@" >configure.out 2>&1 ||
		{ cat configure.out; exit 1; }; } && make -j"$jobs" >make.out 2>&1 ||
		{ tail -n 60 make.out; exit 1; })
}

echo "== 1/4 build with warnings as errors, make check"
if build build/check --enable-werror; then
	(cd build/check && make -j"$jobs" check >check.out 2>&1)
	grep -aE '^(PASS|FAIL|ERROR|XPASS|SKIP):' build/check/check.out | grep -v '^PASS' || true
	count build/check/test-suite.log "werror build"
else
	count /nonexistent "werror build"
fi

echo "== 2/4 AddressSanitizer + UBSan build, make check"
if build build/asan --enable-werror --enable-sanitizers; then
	(cd build/asan && make -j"$jobs" check >check.out 2>&1)
	grep -aE '^(PASS|FAIL|ERROR|XPASS|SKIP):' build/asan/check.out | grep -v '^PASS' || true
	count build/asan/test-suite.log "sanitizer build"
else
	count /nonexistent "sanitizer build"
fi

echo "== 3/4 valgrind over the C tests"
if [ -d build/check ] && command -v valgrind >/dev/null 2>&1; then
	vg_tests=$(cd build/check && make -s print-c-tests 2>/dev/null)
	(cd build/check && rm -f test-suite.log &&
		make check TESTS="$vg_tests" \
			LOG_COMPILER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no" \
			>valgrind.out 2>&1)
	grep -aE '^(FAIL|ERROR|XPASS):' build/check/valgrind.out || true
	cp build/check/test-suite.log build/check/valgrind-suite.log 2>/dev/null
	count build/check/valgrind-suite.log "valgrind"
else
	summary="$summary
  valgrind: not run (valgrind missing)"
fi

echo "== 4/4 make distcheck"
if (cd build/check && make -j"$jobs" distcheck >distcheck.out 2>&1); then
	passed=$((passed + 1))
	summary="$summary
  distcheck: passed"
else
	tail -n 40 build/check/distcheck.out
	failed=$((failed + 1))
	summary="$summary
  distcheck: FAILED (see build/check/distcheck.out)"
fi

echo "== summary$summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
