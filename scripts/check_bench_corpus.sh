#!/usr/bin/env bash
# Reads the bench corpus of ../shared/bench with parkstat and checks every
# record against the generator's answer key (truth.parquet) with its check.py:
# the xlsx, the months-as-columns xlsx and the GBK long CSV.
#   scripts/check_bench_corpus.sh [small|medium|large]
# Uses ../shared/bench when present; makes a Python venv for the generator.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-small}
bench=../shared/bench
[ -f "$bench/gen_corpus.py" ] || { echo "../shared/bench is not present: nothing to check"; exit 0; }
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

[[sources]]
kind = "csv"
paths = ["csv/*.csv"]
TOML
cargo build --release -q
./target/release/parkstat run "$work/corpus/pipelines/bench.toml" || [ $? -eq 3 ]
"$venv/bin/python" scripts/to_bench_records.py "$work/out/bench/current/observations" "$work/records.parquet"
"$venv/bin/python" "$bench/check.py" "$work/corpus" "$work/records.parquet" --kinds park_xlsx,wide_xlsx,long_csv
