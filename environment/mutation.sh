#!/usr/bin/env bash
# Mutation testing (Stryker.NET) of the core (src/ResNetLab.Core): does a small bug in the code make a test fail?
# Slow (minutes to hours per folder on 2 cores), so it is not part of .ci/run. One folder per run:
#   environment/mutation.sh Data|Training|Models [FILE-GLOB] [-- extra dotnet-stryker options]
# e.g. environment/mutation.sh Training 'Evaluation.cs'. Each folder runs only the tests that cover it (the filters
# below) — fast tests; the CLI/notebook tests are left out. Reports: artifacts/mutation/<folder>/reports/.
# Configuration: stryker-config.json (the core project; interop, the downloader and bench live outside it).
# While it runs, do not build in this tree: Stryker puts its mutated ResNetLab.Core.dll into the test project's bin.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
folder=${1:?usage: environment/mutation.sh Data|Training|Models [FILE-GLOB] [-- dotnet-stryker options]}
shift
glob='*.cs'
if [[ $# -gt 0 && $1 != -- ]]; then glob=$1; shift; fi
[[ ${1:-} == -- ]] && shift
case "$folder" in
  Data)     filter='FullyQualifiedName~ResNetLab.Tests.Data|FullyQualifiedName~LoaderFuzzTests.CIFAR' ;;
  Training) filter='(FullyQualifiedName~ResNetLab.Tests.Training|FullyQualifiedName~LoaderFuzzTests)&FullyQualifiedName!~CliTrainTests' ;;
  Models)   filter='FullyQualifiedName~ResNetLab.Tests.Models&FullyQualifiedName!~ModelsCommandTests&FullyQualifiedName!~PyTorchWeightsTests' ;;
  *) echo "mutation.sh: folder '$folder' is not one of Data, Training, Models" >&2; exit 2 ;;
esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
exclusions=()
[[ $folder == Training ]] && exclusions=('!**/Training/TrainingProgress.cs')
mutate=(--mutate "**/$folder/$glob")
for e in "${exclusions[@]}"; do mutate+=(--mutate "$e"); done
out="$root/artifacts/mutation/$folder"
mkdir -p "$out"
echo "mutation.sh: mutating src/ResNetLab.Core/$folder/$glob, tests: $filter (output: $out)"
cd tests/ResNetLab.Tests  # Stryker runs from the test project (at the root it sees the .sln and wants a solution run)
dotnet stryker --config-file "$root/stryker-config.json" "${mutate[@]}" --test-case-filter "$filter" --output "$out" \
  --skip-version-check "$@"
