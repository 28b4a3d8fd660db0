#!/usr/bin/env bash
# ENVIRONMENT Trap 1: make TorchSharp 0.107's libLibTorchSharp.so load on hosts whose libstdc++ lacks GLIBCXX_3.4.32
# (Debian 12, Ubuntu 22.04). Patches the NuGet package copy in place, idempotently; hosts with GCC >= 13 need nothing.
#   1. build libresnetlab_glibcxx_shim.so (defines std::ios_base_library_init(), the one 3.4.32 symbol used);
#   2. mark the GLIBCXX_3.4.32 requirement weak (VER_FLG_WEAK) in libLibTorchSharp.so;
#   3. add the shim as a DT_NEEDED of libLibTorchSharp.so (found beside it through its $ORIGIN runpath).
# Usage: fix-torchsharp-native.sh [--quiet] [--check] [NATIVE_DIR]
#   --check: report only; exit 0 when nothing is needed or the fix is in place, 1 when the fix is missing.
# Called by environment/setup.sh and, before every build of a project that runs torch, by Directory.Build.targets.
set -euo pipefail
quiet=0; check=0
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in --quiet) quiet=1 ;; --check) check=1 ;; *) echo "fix-torchsharp-native: unknown flag $1" >&2; exit 2 ;; esac
  shift
done
say() { [[ $quiet == 1 ]] || echo "  $*"; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkgs=${NUGET_PACKAGES:-$HOME/.nuget/packages}
dir=${1:-$pkgs/torchsharp/0.107.0/runtimes/linux-x64/native}
dir=${dir%/}
lib=$dir/libLibTorchSharp.so
shim_name=libresnetlab_glibcxx_shim.so

[[ $(uname -s) == Linux ]] || { say "not Linux: nothing to do"; exit 0; }
if [[ ! -f $lib ]]; then
  echo "fix-torchsharp-native: $lib not found; restore packages first (dotnet restore ResNetNotebooks.sln)" >&2
  exit 1
fi

# (No early exit in the filters below: with pipefail, a reader that quits early fails the pipeline with SIGPIPE.)
libstdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !p {p = $NF} END {print p}')
if [[ -n $libstdcxx ]] && grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  say "host libstdc++ ($libstdcxx) has GLIBCXX_3.4.32: no fix needed"
  exit 0
fi

needs_fix() {
  [[ -f $dir/$shim_name ]] && command -v patchelf >/dev/null || return 0
  local needed
  needed=$(patchelf --print-needed "$lib")
  ! grep -qx "$shim_name" <<<"$needed"
}
if ! needs_fix; then say "libLibTorchSharp.so already patched ($dir)"; exit 0; fi
if [[ $check == 1 ]]; then
  echo "fix-torchsharp-native: $lib is not patched for this host's libstdc++ (lacks GLIBCXX_3.4.32); run environment/setup.sh" >&2
  exit 1
fi

# Builds may run this concurrently (several projects at once): one patcher at a time, then re-check.
exec 9>"$dir/.resnetlab-fix.lock"
flock 9
if ! needs_fix; then say "libLibTorchSharp.so already patched ($dir)"; exit 0; fi

for tool in patchelf g++ python3; do
  if ! command -v $tool >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      pkg=$tool; [[ $tool == python3 ]] && pkg=python3-minimal
      say "installing $pkg (apt)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
    else
      echo "fix-torchsharp-native: '$tool' is required (Debian/Ubuntu: sudo apt-get install $tool)" >&2; exit 1
    fi
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g++ -shared -fPIC -O2 -o "$tmp/$shim_name" "$here/native/glibcxx_shim.cpp"
cp "$lib" "$tmp/lib.so"
python3 "$here/native/weaken_verneed.py" "$tmp/lib.so" GLIBCXX_3.4.32 || { rc=$?; [[ $rc == 3 ]] || exit $rc; }
patchelf --add-needed "$shim_name" "$tmp/lib.so"
# Shim first, then the library, each by rename: a reader never sees a half-written file.
cp "$tmp/$shim_name" "$dir/.$shim_name.tmp" && mv -f "$dir/.$shim_name.tmp" "$dir/$shim_name"
cp "$tmp/lib.so" "$dir/.libLibTorchSharp.so.tmp" && mv -f "$dir/.libLibTorchSharp.so.tmp" "$lib"
say "patched $lib (weak GLIBCXX_3.4.32 + $shim_name)"
