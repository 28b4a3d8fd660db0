#!/usr/bin/env bash
# CI: a real Slurm sweep on the one-node cluster of environment/slurm.sh (started here, stopped at the end):
#  1. `resnet sweep --engine slurm`: 2 models × 2 seeds at the smoke budget; wait; every record finished
#     (`sweep status --json`), `resnet results --json` gives mean ± std over the two seeds;
#  2. preemption: a run is requeued mid-run (`scontrol requeue`), resumes from its checkpoint (run.json sessions ≥ 2)
#     and ends with metrics identical to the same run trained uninterrupted with `resnet train` in another folder;
#     while it waits to restart, `sweep status` shows Slurm's pending reason;
#  3. fit: a sweep asking for more CPUs than the node has is refused at submit (nothing queued), and the default
#     --cpus fits the node.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${RESNET_SLURM_CHECK_DIR:-$root/artifacts/slurm-check}
resnet=environment/resnet
start=$SECONDS
fail() { echo "slurm-check: FAILED: $*" >&2; for f in "$out"/runs*/*/sweep.log; do [[ -f $f ]] && { echo "--- $f"; tail -20 "$f"; }; done >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_job() {   # wait_job JOBID SECONDS
  local deadline=$((SECONDS + $2))
  while squeue -h -j "$1" 2>/dev/null | grep -q .; do
    (( SECONDS < deadline )) || { squeue; fail "job $1 still queued/running after $2 s"; }
    sleep 2
  done
}

bash environment/slurm.sh start
rm -rf "$out" && mkdir -p "$out"
$resnet doctor >/dev/null 2>&1 || true   # builds artifacts/resnet once, before any task starts
sel=(--models resnet20,plain20 --budget smoke --seeds 2 --runs "$out/runs")

echo "== slurm-check: sweep of 4 runs through sbatch"
t=$SECONDS
job=$($resnet sweep "${sel[@]}" --engine slurm --cpus 1 --mem 3G --time 00:30:00 | awk '/^job /{print $2}')
[[ -n $job ]] || fail "sweep printed no job id"
wait_job "$job" 900
status=$($resnet sweep status "${sel[@]}" --json)
read -r total finished <<<"$(json "d['total'], d['finished']" <<<"$status" | tr -d '(),')"
[[ $total == 4 && $finished == 4 ]] || { echo "$status"; fail "expected 4 of 4 runs finished, got $finished of $total"; }
results=$($resnet results "${sel[@]}" --json)
json "all(m['n'] == 2 and m['std'] is not None and m['mean'] is not None for m in d['models']) and len(d['models']) == 2" <<<"$results" | grep -q True \
  || { echo "$results"; fail "results: expected 2 models with n = 2 and mean ± std"; }
echo "slurm-check: 4/4 finished through Slurm in $((SECONDS - t)) s; results:"
$resnet results "${sel[@]}"

echo "== slurm-check: preempt a running task (scontrol requeue) and resume it"
t=$SECONDS
pre=(--models resnet20 --budget smoke --seeds 1 --runs "$out/runs-preempt")
run=$out/runs-preempt/resnet20-A-cifar10-smoke-s0
job=$($resnet sweep "${pre[@]}" --engine slurm --cpus 1 --mem 3G --time 00:30:00 | awk '/^job /{print $2}')
deadline=$((SECONDS + 600))
until [[ -f $run/checkpoint.bin ]]; do (( SECONDS < deadline )) || fail "no checkpoint within 600 s"; sleep 0.2; done
squeue -h -j "${job}_0" -o %t | grep -q R || fail "task ${job}_0 is not running when its first checkpoint appeared"
scontrol requeue "${job}_0"
# A requeued job waits ~2 minutes (BeginTime) before it may start again; once it is pending, let it start now.
for _ in $(seq 120); do [[ $(squeue -h -j "${job}_0" -o %t 2>/dev/null) == PD ]] && break; sleep 0.5; done
status=$($resnet sweep status "${pre[@]}")
grep -q "pending in Slurm: BeginTime" <<<"$status" || { echo "$status"; fail "sweep status does not show the requeued task's pending reason"; }
echo "slurm-check: sweep status while requeued: $(grep 'pending in Slurm' <<<"$status")"
scontrol update jobid="${job}_0" StartTime=now || true
wait_job "$job" 900
python3 - "$run/run.json" <<'PY' || fail "the requeued run did not resume and finish"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "finished" and r["iteration"] == 40, (r["status"], r["iteration"])
assert r["sessions"] >= 2, f"sessions {r['sessions']}: it did not resume from its checkpoint"
print(f"slurm-check: requeued run finished at iteration {r['iteration']} over {r['sessions']} sessions")
PY
grep -q "interrupted at iteration" "$run/sweep.log" || fail "the task's log does not show the interruption"
echo "== slurm-check: the same run uninterrupted, trained locally in another folder"
$resnet train --model resnet20 --budget smoke --seed 0 --threads 1 --runs "$out/runs-local" >/dev/null
cut -d, -f1-6 "$run/metrics.csv" >"$out/preempted.csv"
cut -d, -f1-6 "$out/runs-local/resnet20-A-cifar10-smoke-s0/metrics.csv" >"$out/uninterrupted.csv"
diff "$out/preempted.csv" "$out/uninterrupted.csv" || fail "metrics after requeue differ from the uninterrupted run"
echo "slurm-check: requeued run's metrics (iteration, lr, train/test loss and error) identical to the uninterrupted one ($((SECONDS - t)) s)"

echo "== slurm-check: a sweep that cannot fit is refused at submit; the default --cpus fits"
too_many=$(( $(nproc) + 1 ))
before=$(squeue -h | wc -l)
if refusal=$(COLUMNS=400 $resnet sweep --models resnet20 --budget smoke --seeds 1 --runs "$out/runs-unfit" --engine slurm --cpus "$too_many" 2>&1); then
  fail "a sweep asking for $too_many CPUs per task on a $(nproc)-CPU node was submitted"
fi
grep -q "refused: a task asks for $too_many CPUs, the largest node of partition" <<<"$refusal" || { echo "$refusal"; fail "the refusal does not say why"; }
[[ $(squeue -h | wc -l) == "$before" ]] || fail "the refused sweep queued a job"
$resnet sweep --models resnet20 --budget smoke --seeds 1 --runs "$out/runs-unfit" --engine slurm --dry-run 2>/dev/null \
  | grep -q -- "--cpus-per-task=$(( $(nproc) < 4 ? $(nproc) : 4 ))" || fail "the default --cpus does not fit the node"
reason=${refusal#*refused: }
echo "slurm-check: refused at submit: ${reason%% — *}"

bash environment/slurm.sh stop
echo "slurm-check: passed in $((SECONDS - start)) s"
