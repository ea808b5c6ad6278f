#!/usr/bin/env bash
# The full pipeline as a command for ../shared/bench/bench.py:
#   bench.py CORPUS --cmd 'parkstat=scripts/parkstat_bench_cmd.sh {corpus} {out}'
# Writes a pipeline for the corpus's workbooks next to the output and runs every
# stage with the cache off (--full), so each round is a full parse.
set -euo pipefail
corpus=$(realpath "$1"); out=$(realpath -m "$2")
mkdir -p "$out.d"
cat > "$out.d/bench.toml" <<TOML
[pipeline]
name = "bench"
root = "$corpus"
output = "$out.d/out"
open_entities = true

[[sources]]
kind = "sheet"
paths = ["xlsx/**/*.xlsx", "wide/*.xlsx"]
TOML
"$(dirname "$0")/../target/release/parkstat" run -q --full "$out.d/bench.toml" || [ $? -eq 3 ]
