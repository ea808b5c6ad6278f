#!/usr/bin/env bash
# Incremental rerun against a full run on a bench corpus (../shared/bench's generator):
#   scripts/bench_rerun.sh [small|medium|large]
# Runs the pipeline once to fill the cache, then times a full parse (--full) and a
# rerun after one workbook's figure was changed; prints both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-medium}
bench=../shared/bench
[ -f "$bench/gen_corpus.py" ] || { echo "../shared/bench is not present: no corpus generator"; exit 0; }
venv=${BENCH_VENV:-/tmp/parkstat-benchvenv}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$bench/requirements.txt"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" "$bench/gen_corpus.py" --scale "$scale" --out "$work/corpus" > /dev/null
mkdir -p "$work/corpus/pipelines"
cat > "$work/corpus/pipelines/bench.toml" <<TOML
[pipeline]
name = "bench"
root = ".."
output = "../out"
open_entities = true

[[sources]]
kind = "sheet"
paths = ["xlsx/**/*.xlsx", "wide/*.xlsx"]
TOML
cargo build --release -q
pipeline="$work/corpus/pipelines/bench.toml"
timed() { local t0 t1; t0=$(date +%s.%N); target/release/parkstat run -q "$@" "$pipeline" || [ $? -eq 3 ]; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
timed > /dev/null                      # fills the cache
full=$(timed --full)
victim=$(find "$work/corpus/xlsx" -name '*.xlsx' | sort | awk 'NR==1')
"$venv/bin/python" - "$victim" <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
for row in ws.iter_rows():
    for c in row:
        if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
            c.value = c.value + 1
            wb.save(sys.argv[1])
            sys.exit(0)
PY
rerun=$(timed)
parsed=$(python3 -c "import json,sys; r=json.load(open('$work/out/bench/current/run.json')); print(sum(not i['cached'] for i in r['inputs']), len(r['inputs'])); print(json.dumps(r['timings_ms']))")
echo "full run (--full): ${full} s"
echo "rerun after one changed workbook: ${rerun} s (inputs parsed / all: ${parsed%%$'\n'*})"
echo "rerun stages (ms): ${parsed#*$'\n'}"
echo "ratio: $(echo "scale=3; $rerun / $full" | bc)"
