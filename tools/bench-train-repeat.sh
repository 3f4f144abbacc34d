#!/usr/bin/env bash
# Runs `course bench train` N times back to back (separate processes) and says how stable MFU was: each run's median
# MFU per variant, then min / median / max over runs and the largest deviation from the median of runs (the issue's
# "within ±10 %" check). Any run that refused its MFU (a step faster than the probed peak) is counted as such.
# Usage: tools/bench-train-repeat.sh N [extra bench train options...]   e.g.  tools/bench-train-repeat.sh 10 --threads 2 --no-attention
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:?usage: tools/bench-train-repeat.sh N [bench train options]}"; shift
out="artifacts/bench/repeat-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
command -v jq >/dev/null 2>&1 || { echo "jq is needed (apt-get install jq)" >&2; exit 1; }
dotnet build tools/CourseKit.Cli -c Release -v q -nologo >/dev/null
for i in $(seq 1 "$runs"); do
  dotnet tools/CourseKit.Cli/bin/Release/net10.0/course.dll bench train --profile full --out "$out/run-$i" "$@" > "$out/run-$i.log" 2>&1 \
    || { cat "$out/run-$i.log"; echo "run $i failed" >&2; exit 1; }
  jq -r --arg i "$i" '.variants[] | "run \($i)  \(.name)  tokens/s \(.tokens_per_second.median)  " +
        (if .mfu.reliable then "MFU \(.mfu.mfu.median * 100 | . * 10 | round / 10) %" else "MFU refused: \(.mfu.warning)" end) +
        "  peak \(.mfu.peak_gflops) GFLOP/s"' "$out/run-$i/bench.json"
done
echo "--- over $runs runs (fp32 variants; MFU = each run's median step against that run's highest probed peak)"
jq -s -r '[.[] | .variants[] | select(.precision == "fp32")] | group_by(.name)[] |
  (map(select(.mfu.reliable) | .mfu.mfu.median) | sort) as $m | ($m | length) as $n |
  (if $n == 0 then "\(.[0].name): no run gave a reliable MFU" else
    (($m[($n - 1) / 2 | floor] + $m[$n / 2 | floor]) / 2) as $med |
    "\(.[0].name): MFU min / median / max \($m[0] * 1000 | round / 10) / \($med * 1000 | round / 10) / \($m[-1] * 1000 | round / 10) %; " +
    "largest deviation from the median \(([$m[] | (. - $med) / $med | fabs] | max) * 1000 | round / 10) %; " +
    "refused \(length - $n) of \(length); above 100 %: \([$m[] | select(. > 1)] | length)" end)' "$out"/run-*/bench.json
echo "load at the end: $(cat /proc/loadavg 2>/dev/null || echo unknown); logs and JSON in $out"
