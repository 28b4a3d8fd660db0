#!/usr/bin/env bash
# Prints this host's .NET runtime identifier (linux-x64, linux-arm64, osx-arm64, …) as the SDK reports it — the RID
# that setup.sh and environment/resnet publish for, and that Directory.Build.targets picks the libtorch natives by.
set -euo pipefail
rid=$(dotnet --info | awk '$1 == "RID:" {print $2; exit}')
[[ -n $rid ]] || { echo "rid.sh: could not read the RID from 'dotnet --info'" >&2; exit 1; }
echo "$rid"
