#!/bin/sh
# keel_task_test.sh -- keel-task, the helper of local shell tasks: each
# command, each type, the errors, and outputs merged into one file.
# Fixtures (inputs.pb, interface.pb) are made from proto JSON by the
# check program cli/pb_pack.
. "$KEEL_SRCDIR/tests/common/tap.sh"
kt="$KEEL_BUILDDIR/keel-task"
pack="$KEEL_BUILDDIR/cli/pb_pack"
if [ ! -x "$pack" ]; then
	echo "1..0 # SKIP cli/pb_pack is not built"
	exit 0
fi
d=$(mktemp -d "${TMPDIR:-/tmp}/keel_task_test.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
mkdir "$d/out" "$d/out2" "$d/out3"

# What the agent sets; each test starts from a clean environment.
unset KEEL_INPUTS KEEL_OUTPUT_PREFIX KEEL_TASK_INTERFACE

prim() { printf '{"scalar":{"primitive":{%s}}}' "$1"; }
cat >"$d/inputs.json" <<EOF
{"literals": {
  "n": $(prim '"integer":"3"'),
  "big": $(prim '"integer":"-9223372036854775808"'),
  "f": $(prim '"floatValue":0.5'),
  "g": $(prim '"floatValue":1e21'),
  "s": $(prim '"stringValue":"hello world"'),
  "b": $(prim '"boolean":true'),
  "dt": $(prim '"datetime":"2024-01-02T03:04:05.500Z"'),
  "du": $(prim '"duration":"3723.5s"'),
  "file": {"scalar":{"blob":{"metadata":{"type":{"dimensionality":"SINGLE"}},"uri":"/data/f.csv"}}},
  "nothing": {"scalar":{"noneType":{}}},
  "xs": {"collection":{"literals":[$(prim '"integer":"1"'),$(prim '"integer":"2"')]}}
}}
EOF
"$pack" flyteidl.core.LiteralMap <"$d/inputs.json" >"$d/inputs.pb"
ok $? "fixture: inputs.pb"

simple() { printf '{"type":{"simple":"%s"}}' "$1"; }
cat >"$d/interface.json" <<EOF
{"inputs": {"variables": {"n": $(simple INTEGER)}},
 "outputs": {"variables": {
  "o": $(simple INTEGER),
  "p": $(simple FLOAT),
  "q": $(simple STRING),
  "r": $(simple BOOLEAN),
  "t": $(simple DATETIME),
  "u": $(simple DURATION),
  "v": {"type":{"blob":{"format":"csv","dimensionality":"SINGLE"}}},
  "w": {"type":{"unionType":{"variants":[
        {"simple":"INTEGER","structure":{"tag":"int"}},
        {"simple":"NONE","structure":{"tag":"none"}}]}}}
 }}}
EOF
"$pack" flyteidl.core.TypedInterface <"$d/interface.json" >"$d/interface.pb"
ok $? "fixture: interface.pb"

# ---- input, inputs ----------------------------------------------------
export KEEL_INPUTS="$d/inputs.pb"
for pair in "n=3" "big=-9223372036854775808" "f=0.5" "g=1e+21" \
	"s=hello world" "b=true" "dt=2024-01-02T03:04:05.5Z" "du=1h2m3.5s" \
	"file=/data/f.csv" "nothing=" "xs=[1,2]"; do
	name=${pair%%=*}
	want=${pair#*=}
	got=$("$kt" input "$name")
	ok $? "input $name exits 0"
	is "$got" "$want" "input $name prints '$want'"
done
got=$("$kt" input n | od -c | head -1)
like "$got" "3  \\n" "input ends with a newline"

got=$("$kt" inputs)
want="b=true
big=-9223372036854775808
dt=2024-01-02T03:04:05.5Z
du=1h2m3.5s
f=0.5
file=/data/f.csv
g=1e+21
n=3
nothing=
s=hello world
xs=[1,2]"
is "$got" "$want" "inputs: NAME=VALUE sorted by name"

got=$("$kt" input nope 2>&1)
ok $(($? != 1)) "input of an unknown name exits 1"
like "$got" "keel-task: no input named nope in $d/inputs.pb (inputs: b, big, dt, du, f, file, g, n, nothing, s, xs)" \
	"the message lists the inputs"

got=$(env -u KEEL_INPUTS "$kt" input n 2>&1)
ok $(($? != 1)) "input without KEEL_INPUTS exits 1"
like "$got" "no inputs file: set KEEL_INPUTS or give --inputs FILE" \
	"the message says what to set"

printf 'not protobuf\n' >"$d/bad.pb"
got=$(env -u KEEL_INPUTS "$kt" --inputs "$d/inputs.pb" input s)
is "$got" "hello world" "--inputs FILE"
got=$("$kt" input s --inputs="$d/bad.pb" 2>&1)
ok $(($? != 1)) "a file that is not a LiteralMap exits 1"
is "$got" "keel-task: $d/bad.pb: not a serialized flyteidl.core.LiteralMap" \
	"bad file message (--inputs=FILE overrides KEEL_INPUTS)"
got=$("$kt" input s --inputs "$d/missing.pb" 2>&1)
is "$got" "keel-task: $d/missing.pb: No such file or directory" \
	"missing inputs file message"

# ---- output -------------------------------------------------------------
export KEEL_OUTPUT_PREFIX="$d/out" KEEL_TASK_INTERFACE="$d/interface.pb"
"$kt" output o -5
ok $? "output o -5 (a negative number is a value)"
"$kt" output p 2.5 &&
	"$kt" output q "two words" &&
	"$kt" output r false &&
	"$kt" output t 2024-05-06T07:08:09+02:00 &&
	"$kt" output u 1.5h &&
	"$kt" output v "$d/data.csv" &&
	"$kt" output w ""
ok $? "an output of each declared type"
got=$("$kt" dump "$d/out/outputs.pb")
want="o=-5
p=2.5
q=two words
r=false
t=2024-05-06T05:08:09Z
u=1h30m0s
v=$d/data.csv
w="
is "$got" "$want" "all outputs merged into outputs.pb"
"$kt" output w 12 && "$kt" output o 9
ok $? "outputs set again"
got=$("$kt" dump "$d/out/outputs.pb" | grep '^[ow]=')
is "$got" "o=9
w=12" "setting again replaces the value (optional int: 12)"

got=$("$kt" output zz 1 2>&1)
ok $(($? != 1)) "an undeclared output exits 1"
is "$got" "keel-task: the task declares no output named zz in $d/interface.pb (outputs: o, p, q, r, t, u, v, w)" \
	"the message lists the outputs"
got=$("$kt" output o abc 2>&1)
ok $(($? != 1)) "a value of the wrong type exits 1"
is "$got" "keel-task: output o: 'abc' is not an integer" "wrong type message"
got=$("$kt" output o 9223372036854775808 2>&1)
like "$got" "out of the range of a 64-bit integer" "integer overflow refused"
got=$("$kt" output r maybe 2>&1)
like "$got" "output r: 'maybe' is not a boolean" "boolean refused"
got=$("$kt" output t yesterday 2>&1)
like "$got" "output t: 'yesterday' is not a datetime" "datetime refused"
got=$("$kt" output u 5x 2>&1)
like "$got" "output u: '5x' is not a duration" "duration refused"
got=$("$kt" output w abc 2>&1)
like "$got" "output w: 'abc' is not an integer" "optional int refused"
got=$("$kt" output o 1 --type integer 2>&1)
ok $(($? != 1)) "--type with an interface exits 1"
like "$got" "the interface $d/interface.pb declares the outputs' types" \
	"--type with an interface message"
got=$("$kt" output o 1 --interface "$d/bad.pb" 2>&1)
like "$got" "$d/bad.pb: not a serialized flyteidl.core.TypedInterface" \
	"a bad interface file"
got=$(env -u KEEL_OUTPUT_PREFIX "$kt" output o 1 2>&1)
ok $(($? != 1)) "output without KEEL_OUTPUT_PREFIX exits 1"
like "$got" "no output directory: set KEEL_OUTPUT_PREFIX or give --output-prefix DIR" \
	"the message says what to set"
got=$("$kt" output o 1 --output-prefix "$d/nodir" 2>&1)
like "$got" "output directory $d/nodir: No such file or directory" \
	"a missing output directory"

# Without an interface: --type.
unset KEEL_TASK_INTERFACE
"$kt" --output-prefix "$d/out2" output --type integer k 42 &&
	"$kt" --output-prefix "$d/out2" output --type float x 0.1 &&
	"$kt" --output-prefix "$d/out2" output --type=duration y 90 &&
	"$kt" --output-prefix "$d/out2" output --type directory z "$d"
ok $? "output --type WORD without an interface"
got=$("$kt" dump "$d/out2/outputs.pb")
is "$got" "k=42
x=0.1
y=1m30s
z=$d" "--type outputs read back"
got=$("$kt" --output-prefix "$d/out2" output k 1 2>&1)
ok $(($? != 1)) "no interface and no --type exits 1"
like "$got" "no interface to type output k" "no type message"
got=$("$kt" --output-prefix "$d/out2" output --type bignum k 1 2>&1)
ok $(($? != 2)) "an unknown --type word exits 2"
like "$got" "unknown --type bignum" "unknown type message"

# Outputs written at the same time all stay (the directory is locked).
i=0
while [ $i -lt 12 ]; do
	"$kt" --output-prefix "$d/out3" output --type integer "c$i" "$i" &
	i=$((i + 1))
done
wait
got=$("$kt" dump "$d/out3/outputs.pb" | wc -l)
is "$(echo $got)" "12" "12 concurrent outputs all in outputs.pb"

# The README's worked example, as the agent would run it.
mkdir "$d/ex"
got=$(KEEL_INPUTS="$d/inputs.pb" KEEL_OUTPUT_PREFIX="$d/ex" \
	KEEL_TASK_INTERFACE="$d/interface.pb" PATH="$KEEL_BUILDDIR:$PATH" \
	sh -c 'n=$(keel-task input n); keel-task output o $((n * n))' 2>&1)
ok $? "worked example runs"
is "$("$kt" dump "$d/ex/outputs.pb")" "o=9" "worked example: o = n * n"

# ---- fail ---------------------------------------------------------------
"$kt" --output-prefix "$d/out2" fail "disk full: /data"
ok $? "fail exits 0"
got=$("$kt" dump-error "$d/out2/error.pb")
is "$got" "code=USER:TaskFailed
message=disk full: /data
kind=NON_RECOVERABLE
origin=USER" "error.pb: a non-recoverable user error"
"$kt" --output-prefix "$d/out2" fail "try again" --recoverable --code USER:Flaky
got=$("$kt" dump-error "$d/out2/error.pb")
is "$got" "code=USER:Flaky
message=try again
kind=RECOVERABLE
origin=USER" "error.pb: --recoverable, --code"
got=$("$kt" dump-error "$d/bad.pb" 2>&1)
like "$got" "not a serialized flyteidl.core.ErrorDocument" \
	"dump-error of a file that does not decode"
got=$(env -u KEEL_OUTPUT_PREFIX "$kt" fail x 2>&1)
ok $(($? != 1)) "fail without an output directory exits 1"

# ---- usage --------------------------------------------------------------
"$kt" >/dev/null 2>&1
ok $(($? != 2)) "no command: exit 2"
got=$("$kt" frob 2>&1)
ok $(($? != 2)) "unknown command: exit 2"
like "$got" "keel-task: unknown command frob" "unknown command message"
like "$got" "usage: keel-task" "usage shown"
"$kt" input >/dev/null 2>&1
ok $(($? != 2)) "input without NAME: exit 2"
"$kt" output o >/dev/null 2>&1
ok $(($? != 2)) "output without VALUE: exit 2"
"$kt" fail >/dev/null 2>&1
ok $(($? != 2)) "fail without MESSAGE: exit 2"
got=$("$kt" --frob inputs 2>&1)
ok $(($? != 2)) "unknown option: exit 2"
like "$got" "unknown option --frob" "unknown option message"
"$kt" input --inputs >/dev/null 2>&1
ok $(($? != 2)) "option without its value: exit 2"
got=$("$kt" --help)
ok $? "--help exits 0"
like "$got" "dump FILE" "--help lists the commands"
got=$("$kt" input -- --odd 2>&1)
like "$got" "no input named --odd" "-- ends the options"
done_testing
