#!/usr/bin/env bash
# "Three ways, same figures", checked: a training chapter run as a .NET 10 file-based app must print the same token
# report (per-tag precision/recall/F1, micro avg, conlleval's entity report, entity F1) as the executed notebook that
# `course run` wrote. Both use the quick profile, the notebook's seed and the same torch threads (THREADS, default
# nproc, as .ci/run gives `course run`; this report also came out identical at 1 and 2 threads). On 2 shared cores
# (load 8) 2 threads took 5 min against 1 at 1 thread: run it where nothing else does, or set THREADS=1.
# Usage: .ci/compare-app-report.sh [EXECUTED_NOTEBOOKS_DIR]   (default artifacts/ci-notebooks, what .ci/run writes)
set -euo pipefail
cd "$(dirname "$0")/.."
chapter=06-ner-conll2003
threads="${THREADS:-$(nproc)}"
executed="${1:-artifacts/ci-notebooks}/$chapter.ipynb"
fail() { echo "APP REPORT CHECK FAILED: $*" >&2; exit 1; }
[ -f "$executed" ] || fail "no executed notebook $executed (run course run notebooks/ --out ${executed%/*} first)"
command -v jq >/dev/null 2>&1 || fail "jq is needed to read $executed"

# The block the report cell prints: from the table's header to "entity F1 (conlleval) <number>". The last such block
# wins; the library's own display of the table (training cell) ends differently ("...; outputs in DIR") and is skipped.
token_report() {
  awk '/^ +precision +recall +f1-score +support$/ { block = ""; inside = 1 }
       inside { block = block $0 "\n" }
       inside && /^entity F1 \(conlleval\) [0-9.]+$/ { inside = 0; report = block }
       END { printf "%s", report }'
}

# The notebook's console text: every code cell's stdout stream, in order.
notebook_report=$(jq -r '.cells[] | select(.cell_type == "code") | .outputs[]?
                         | select(.output_type == "stream" and .name == "stdout")
                         | .text | if type == "array" then join("") else . end' "$executed" | token_report)
[ -n "$notebook_report" ] || fail "no token report (table ... entity F1) in the stdout of $executed"

app_log=$(mktemp)
started=$(date +%s)
dotnet run "apps/$chapter.cs" -- --profile quick --threads "$threads" >"$app_log" 2>&1 || { cat "$app_log"; fail "dotnet run apps/$chapter.cs failed"; }
app_seconds=$(( $(date +%s) - started ))
app_report=$(token_report <"$app_log")
[ -n "$app_report" ] || { cat "$app_log"; fail "no token report (table ... entity F1) in the output of apps/$chapter.cs"; }

if [ "$notebook_report" != "$app_report" ]; then
  echo "== token report of the notebook ($executed)"; echo "$notebook_report"
  echo "== token report of the app (dotnet run apps/$chapter.cs -- --profile quick --threads $threads)"; echo "$app_report"
  echo "== diff (notebook vs app)"; diff <(echo "$notebook_report") <(echo "$app_report") || true
  fail "apps/$chapter.cs and notebooks/$chapter.ipynb print different token reports (if only the last digits differ, compare at the same --threads first)"
fi
echo "$app_report"
echo "apps/$chapter.cs prints the notebook's token report ($(echo "$app_report" | wc -l) lines identical; app run ${app_seconds} s)"
