#!/usr/bin/env bash
# One-command environment for ResNetNotebooks (idempotent; safe to re-run; a second run changes nothing).
#   bash environment/setup.sh            # everything: packages, natives fix, kernel tools, report tools, build, data, reference nets
#   bash environment/setup.sh --no-data  # skip data preparation (CIFAR-10 and the reference nets)
# Tool versions live in environment/versions.env; the SDK floor in global.json.
# Each step prints what it did. Traps handled here are described in environment/README.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
with_data=1
for arg in "$@"; do
  case $arg in --no-data) with_data=0 ;; *) echo "setup.sh: unknown argument $arg (known: --no-data)" >&2; exit 2 ;; esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
step() { printf '\n== %s\n' "$*"; }
ok() { printf '  %s\n' "$*"; }

# shellcheck source=versions.env
source environment/versions.env
REPL_VERSION=$DOTNET_REPL_VERSION
INTERACTIVE_VERSION=$DOTNET_INTERACTIVE_VERSION
FSHARP_CORE_VERSION=$(sed -n 's/.*PackageVersion Include="FSharp.Core" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}

step "1/9 .NET SDK"
# (Filters read whole outputs — no `grep -q` on a pipe: with pipefail its early exit fails the pipeline.)
if ! command -v dotnet >/dev/null || ! grep -q '^10\.' <<<"$(dotnet --list-sdks)"; then
  echo "  the .NET 10 SDK is required (https://dot.net/download); found: $(dotnet --list-sdks 2>/dev/null | tr '\n' ' ')" >&2
  exit 1
fi
sdk=$(dotnet --version)   # the one global.json selects
ok "SDK $sdk$([[ $sdk == "$DOTNET_SDK_TESTED" ]] || echo " (tested with $DOTNET_SDK_TESTED; fine within 10.0, doctor will note it)")"

step "2/9 system packages (Jupyter, report rendering, native fix, data)"
need=()
command -v patchelf >/dev/null || need+=(patchelf)
command -v g++ >/dev/null || need+=(g++)
command -v jupyter-nbconvert >/dev/null || need+=(jupyter-nbconvert)
command -v jupyter-kernelspec >/dev/null || need+=(jupyter-client)
command -v jupyter-notebook >/dev/null || need+=(jupyter-notebook)
/usr/bin/python3 -c 'import nbclient' 2>/dev/null || need+=(python3-nbclient)
command -v chromium >/dev/null || need+=(chromium)
/usr/bin/python3 -c 'import PIL, numpy' 2>/dev/null || need+=(python3-pil python3-numpy)
if [[ ${#need[@]} -eq 0 ]]; then
  ok "present: patchelf g++ jupyter-nbconvert jupyter-client jupyter-notebook python3-nbclient chromium python3-pil python3-numpy"
elif command -v apt-get >/dev/null; then
  sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
  ok "installing with apt: ${need[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  ok "installed"
else
  echo "  please install: ${need[*]} (no apt-get here)" >&2
  exit 1
fi

step "3/9 NuGet packages"
dotnet restore ResNetNotebooks.sln --verbosity quiet
ok "restored ResNetNotebooks.sln"

step "4/9 TorchSharp native library (libstdc++ compatibility, ENVIRONMENT Trap 1)"
rid=$(bash environment/rid.sh)
if [[ $rid == linux-* ]]; then
  bash environment/fix-torchsharp-native.sh "$packages/torchsharp/0.107.0/runtimes/$rid/native"
else
  ok "$rid: not Linux, nothing to fix"
fi
if ls /usr/lib/x86_64-linux-gnu/libtorch_cpu.so* >/dev/null 2>&1; then
  ok "note: a system libtorch is installed (python3-torch); the project loads the NuGet natives by full path (Trap 2)"
fi

step "5/9 notebook kernel tools in .tools/ (dotnet-repl $REPL_VERSION, dotnet-interactive $INTERACTIVE_VERSION)"
install_tool() { # package version command
  if [[ -x .tools/$3 ]] && grep -qi "^$1 *$2 " <<<"$(dotnet tool list --tool-path .tools)"; then
    ok "$1 $2 already installed"
  else
    dotnet tool install "$1" --version "$2" --tool-path .tools >/dev/null
    ok "installed $1 $2"
  fi
}
install_tool dotnet-repl "$REPL_VERSION" dotnet-repl
install_tool Microsoft.dotnet-interactive "$INTERACTIVE_VERSION" dotnet-interactive
# Trap 3: Plotly.NET 6 needs FSharp.Core 10.1; the tools bundle 10.0. Replace their copy with the package's.
fsharp_core=$packages/fsharp.core/$FSHARP_CORE_VERSION/lib/netstandard2.1/FSharp.Core.dll
[[ -f $fsharp_core ]] || { echo "  $fsharp_core missing: restore failed?" >&2; exit 1; }
replaced=0
while IFS= read -r -d '' dll; do
  if ! cmp -s "$dll" "$fsharp_core"; then cp "$fsharp_core" "$dll.tmp" && mv -f "$dll.tmp" "$dll"; replaced=$((replaced + 1)); fi
done < <(find .tools/.store -path '*/tools/*' -name FSharp.Core.dll -print0)
ok "kernel FSharp.Core = $FSHARP_CORE_VERSION ($replaced copies replaced)"

step "6/9 build (Release) and the notebook library folder"
build_log=$(mktemp)
if ! dotnet build ResNetNotebooks.sln -c Release --verbosity quiet --nologo >"$build_log" 2>&1; then
  cat "$build_log"; rm -f "$build_log"; echo "  build failed" >&2; exit 1
fi
rm -f "$build_log"
# The CLI's RID publish folder is also what notebooks #load: natives beside TorchSharp.dll (Traps 2 and 4).
dotnet publish src/ResNetLab.Cli -c Release -r "$rid" --self-contained false -o artifacts/resnet --verbosity quiet --nologo
ok "built; CLI and notebook library in artifacts/resnet/ (run it with environment/resnet)"

step "7/9 Jupyter kernel (.NET (C#), this checkout's .tools/dotnet-interactive)"
bash environment/jupyter-kernel.sh

step "8/9 CIFAR-10 data"
if [[ $with_data == 0 ]]; then
  ok "skipped (--no-data)"
else
  data_dir=${RESNET_DATA:-$root/data}
  if info=$(environment/resnet data info --data "$data_dir" 2>&1); then
    ok "CIFAR-10 present and whole: $(echo "$info" | tail -1 | sed 's/^whole: //')"
  elif environment/resnet data download --data "$data_dir"; then
    ok "downloaded the official CIFAR-10 archive into $data_dir"
  elif [[ -z ${RESNET_DATA:-} && -x $root/../shared/data/cifar10/build.sh ]]; then
    ok "offline: building the lossy CIFAR-10 mirror from ../shared (charts will say so)"
    bash "$root/../shared/data/cifar10/build.sh" "$root/data"
  else
    echo "  no CIFAR-10 data: download failed and no mirror is available; see data/README.md" >&2
    exit 1
  fi
fi
step "9/9 reference nets (fully trained ResNet-20/32/44/56, akamaster, BSD 2-Clause) in data/pretrained/"
if [[ $with_data == 0 ]]; then
  ok "skipped (--no-data)"
else
  # Download and verify (sha256, registry in src/ResNetLab/Models/Pretrained/ReferenceNets.cs); offline, the copy in ../shared.
  offline=()
  [[ -d $root/../shared/pretrained/akamaster ]] && offline=(--from "$root/../shared/pretrained/akamaster")
  environment/resnet data pretrained "${offline[@]}" | sed 's/^/  /'
fi
printf '\nsetup complete. Next: environment/resnet doctor\n'
