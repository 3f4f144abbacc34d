#!/usr/bin/env bash
# The kit's test command (README): build, fill the data cache, run every test.
# The cache is filled from a local mirror when there is one (COURSEKIT_DATA_MIRROR, or ../shared/datasets beside the
# clone), otherwise downloaded from the data sets' public URLs. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."

mirror="${COURSEKIT_DATA_MIRROR:-}"
if [ -z "$mirror" ] && [ -d ../shared/datasets ]; then mirror="$(cd ../shared/datasets && pwd)"; fi

dotnet build Course.sln -c Release -v q -nologo
course() { dotnet run --project tools/CourseKit.Cli -c Release --no-build -- "$@"; }
if [ -n "$mirror" ]; then
  course data fetch --all --from "$mirror"
else
  course data fetch --all
fi
# --blame: if the test host dies (TorchSharp 0.107's finalizer race, README), the log names the tests that were running.
dotnet test Course.sln -c Release --no-build --blame "$@"
