#!/usr/bin/env bash
# The stress harness for the native crash under load (issue 25, item 5): N identical trainings at once, each under a
# tiny gen-0 budget (a GC every few hundred KiB allocated: finalizers run all the time), beside the in-process
# finalizer stress tests (FinalizerStressTests: threads training while another forces full GCs); optionally the
# parallel test suite as well. Every training must finish, and all N must write identical metrics (same config, seed
# and threads: any Scalar freed mid-call would crash one or change its numbers).
# Usage: environment/stress.sh [--trainings N] [--model NAME] [--seconds S] [--with-tests]
# CI runs the in-process part only (the test step, RESNET_STRESS_SECONDS default 10 s per test).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
trainings=3 model=resnet8 seconds=60 with_tests=0
while (( $# )); do
  case $1 in
    --trainings) trainings=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --with-tests) with_tests=1; shift ;;
    *) echo "usage: environment/stress.sh [--trainings N] [--model NAME] [--seconds S] [--with-tests]" >&2; exit 2 ;;
  esac
done
out=$(mktemp -d -t resnet-stress-XXXXXX)
trap 'rm -rf "$out"' EXIT
start=$SECONDS
environment/resnet doctor >/dev/null 2>&1 || true   # builds artifacts/resnet once; the trainings run that build
dll=$root/artifacts/resnet/resnet.dll
echo "stress: $trainings × $model smoke trainings (DOTNET_GCgen0size=0x40000) beside the finalizer stress tests ($seconds s each)"
pids=()
for i in $(seq "$trainings"); do
  DOTNET_GCgen0size=0x40000 dotnet "$dll" train --model "$model" --budget smoke --threads 1 --device cpu \
    --runs "$out/runs-$i" >"$out/train-$i.log" 2>&1 &
  pids+=($!)
done
tests=(--filter "FullyQualifiedName~FinalizerStressTests")
(( with_tests )) && tests=()
RESNET_STRESS_SECONDS=$seconds dotnet test ResNetNotebooks.sln -c Release --nologo "${tests[@]}" >"$out/tests.log" 2>&1 \
  || { tail -30 "$out/tests.log"; echo "stress: FAILED: tests (log above)" >&2; exit 1; }
grep -E '^(Passed|Failed)!' "$out/tests.log"
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then failed=1; echo "--- training $((i + 1)):"; tail -20 "$out/train-$((i + 1)).log"; fi
done
(( failed == 0 )) || { echo "stress: FAILED: a training did not finish (logs above)" >&2; exit 1; }
first=$(ls "$out"/runs-1/*/metrics.csv)
for i in $(seq 2 "$trainings"); do
  cmp -s <(cut -d, -f1-6 "$first") <(cut -d, -f1-6 "$out/runs-$i"/*/metrics.csv) \
    || { diff <(cut -d, -f1-6 "$first") <(cut -d, -f1-6 "$out/runs-$i"/*/metrics.csv); echo "stress: FAILED: training $i's numbers differ" >&2; exit 1; }
done
echo "stress: passed in $((SECONDS - start)) s — $trainings trainings finished with identical metrics; finalizer stress tests clean"
