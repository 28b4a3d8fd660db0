#!/usr/bin/env bash
# The test suite (README's test command): sets up what is missing (fast when already done), then runs xunit.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Models").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "test.sh: environment/setup.sh (log: only on failure)"
bash environment/setup.sh >"$log" 2>&1 || { cat "$log"; echo "test.sh: setup failed" >&2; exit 1; }
set +e
dotnet test ResNetNotebooks.sln -c Release --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One plain summary line for CI: "N passed, N failed[, N skipped]".
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
