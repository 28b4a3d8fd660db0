#!/usr/bin/env bash
# The test suite (README's test command): sets up what is missing (fast when already done), then runs xunit.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Models").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash environment/setup.sh >/tmp/resnetlab-setup.log 2>&1 || { cat /tmp/resnetlab-setup.log; exit 1; }
dotnet test ResNetNotebooks.sln -c Release --nologo --logger "console;verbosity=normal" "$@"
