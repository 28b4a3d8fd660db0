#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for CI and for trying `resnet sweep --engine slurm` before a real cluster.
# Usage: environment/slurm.sh start | stop | status     (idempotent; needs root: installs slurm-wlm + munge with apt)
# State, spool, logs and pid files live in $RESNET_SLURM_DIR (default /var/tmp/resnet-slurm); config in /etc/slurm.
set -euo pipefail
cmd=${1:-status}
state=${RESNET_SLURM_DIR:-/var/tmp/resnet-slurm}
conf=/etc/slurm/slurm.conf
host=$(hostname -s)

say() { echo "slurm.sh: $*"; }
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then return; fi
  [[ $(id -u) == 0 ]] || { echo "slurm.sh: slurm-wlm and munge are missing; run as root to install them with apt" >&2; exit 1; }
  say "installing slurm-wlm and munge (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
}

start_munge() {
  if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged --force
  # Remember that this script started it, so `stop` stops exactly this munged (a system one is left alone).
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && { mkdir -p "$state"; cp /run/munge/munged.pid "$state/munged.pid"; return; }; sleep 0.1; done
  echo "slurm.sh: munged did not come up (see /var/log/munge/munged.log)" >&2; exit 1
}

write_conf() {
  local cpus mem tmp
  cpus=$(nproc)
  # RealMemory a little under the total (MiB), so slurmd never finds less than it promises.
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 9 / 10 ))
  mkdir -p /etc/slurm "$state/spool" "$state/ctld"
  tmp=$(mktemp)
  cat >"$tmp" <<EOF
# Written by environment/slurm.sh: a one-node cluster for CI (see environment/README.md).
ClusterName=resnet
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
KillWait=30
DefMemPerCPU=1024
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  if ! cmp -s "$tmp" "$conf"; then mv "$tmp" "$conf"; chmod 644 "$conf"; changed=1; else rm -f "$tmp"; fi
}

node_state() { sinfo -h -n "$host" -o %t 2>/dev/null | head -1; }

start() {
  install
  start_munge
  changed=0
  write_conf
  if [[ $changed == 1 ]] && { alive "$state/slurmctld.pid" || alive "$state/slurmd.pid"; }; then
    say "slurm.conf changed: restarting"; stop_daemons
  fi
  alive "$state/slurmctld.pid" || { say "starting slurmctld"; slurmctld; }
  alive "$state/slurmd.pid" || { say "starting slurmd"; slurmd; }
  local s=""
  for _ in $(seq 60); do
    s=$(node_state)
    case $s in
      idle|mix|alloc) say "up: node $host $s, $(nproc) CPUs (state and logs in $state)"; return 0 ;;
      down*|drain*|drng*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  echo "slurm.sh: node $host did not become idle (state '${s}'); see $state/slurmctld.log and $state/slurmd.log" >&2
  exit 1
}

stop_daemons() {
  local f pid
  for f in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munged.pid"; do
    if alive "$f"; then
      pid=$(cat "$f"); kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$f"
  done
}

case $cmd in
  start) start ;;
  stop)
    if alive "$state/slurmctld.pid" && command -v scancel >/dev/null; then scancel --user=root >/dev/null 2>&1 || true; fi
    stop_daemons
    say "stopped (slurmd, slurmctld, and munged if this script started it)" ;;
  status)
    if alive "$state/slurmctld.pid" && alive "$state/slurmd.pid" && [[ $(node_state) =~ ^(idle|mix|alloc) ]]; then
      sinfo; squeue; exit 0
    fi
    say "not running (start it with: environment/slurm.sh start)"; exit 1 ;;
  *) echo "usage: environment/slurm.sh start|stop|status" >&2; exit 2 ;;
esac
