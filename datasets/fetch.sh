#!/usr/bin/env bash
# Fetch course data sets into the cache, every file sha256-checked, through the course CLI.
#   datasets/fetch.sh NAME... [--from DIR] [--force]     e.g. datasets/fetch.sh conll2003 sst2-glue --from ../shared/datasets
#   datasets/fetch.sh --all --from ../shared/datasets    every data set present in the mirror
# Without --from (and without $COURSEKIT_DATA_MIRROR) the files are downloaded from their public URLs.
# The cache is $COURSEKIT_DATA, default datasets/.cache/. See datasets/README.md.
set -euo pipefail
if [[ $# -eq 0 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Relative --from paths are meant from where the script was called; dotnet run keeps that working directory.
exec dotnet run --project "$repo_root/tools/CourseKit.Cli" -- data fetch "$@"
