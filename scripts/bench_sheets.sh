#!/usr/bin/env bash
# Spreadsheet ingest throughput on a bench corpus (../shared/bench's generator):
#   scripts/bench_sheets.sh [small|medium|large] [--jobs N]
# Prints files/s and MB/s of the ingest stage, the whole run's wall time,
# rows/s and peak RSS, and the per-stage timings run.json records.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-medium}; shift || true
bench=../shared/bench
[ -f "$bench/gen_corpus.py" ] || { echo "../shared/bench is not present: no corpus generator"; exit 0; }
venv=${BENCH_VENV:-/tmp/parkstat-benchvenv}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$bench/requirements.txt"; }
corpus=${CORPUS:-/tmp/parkstat-corpus-$scale}
[ -f "$corpus/manifest.json" ] || { rm -rf "$corpus"; "$venv/bin/python" "$bench/gen_corpus.py" --scale "$scale" --out "$corpus" > /dev/null; }
mkdir -p "$corpus/pipelines"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat > "$corpus/pipelines/bench.toml" <<TOML
[pipeline]
name = "bench"
root = ".."
output = "$out"
open_entities = true

[[sources]]
kind = "sheet"
paths = ["xlsx/**/*.xlsx", "wide/*.xlsx"]
TOML
cargo build --release -q
python3 - "$corpus" "$out" "$@" <<'PY'
import json, os, resource, subprocess, sys, time
corpus, out, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.time()
p = subprocess.run(["target/release/parkstat", "run", "-q", f"{corpus}/pipelines/bench.toml", *extra])
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
run = json.load(open(f"{out}/bench/current/run.json"))
files = [i for i in run["inputs"] if i["kind"] == "sheet"]
nbytes = sum(i["bytes"] for i in files)
rows = sum(i["rows"] for i in files)
ingest = run["timings_ms"]["ingest"] / 1000
print(f"{len(files)} workbooks, {nbytes/1e6:.1f} MB, {rows} observations, exit {p.returncode}")
print(f"ingest: {ingest:.2f} s = {len(files)/ingest:.0f} files/s, {nbytes/1e6/ingest:.1f} MB/s")
print(f"whole run: {wall:.2f} s wall, {rows/wall:.0f} rows/s, peak RSS {rss:.0f} MB")
print("stages (ms):", json.dumps(run["timings_ms"]))
PY
