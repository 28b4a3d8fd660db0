#!/usr/bin/env bash
# Registers the notebooks' C# kernel with Jupyter (idempotent): kernel spec `.net-csharp`, display name ".NET (C#)"
# (the name the notebooks' metadata asks for), running THIS checkout's .tools/dotnet-interactive by absolute path —
# the copy whose FSharp.Core lets Plotly.NET 6 draw charts (ENVIRONMENT Trap 3). Called by setup.sh.
#   bash environment/jupyter-kernel.sh              # for the current user (~/.local/share/jupyter/kernels)
#   bash environment/jupyter-kernel.sh --dir DIR    # write DIR/.net-csharp only (CI: JUPYTER_PATH=<parent of DIR>)
#   bash environment/jupyter-kernel.sh --print      # print the kernel.json this checkout wants, change nothing
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYDEVD_DISABLE_FILE_VALIDATION=1   # Debian's jupyter prints a debugger warning on every call otherwise
name=.net-csharp
mode=user dir=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --dir) [[ $# -ge 2 ]] || { echo "jupyter-kernel.sh: --dir needs a folder" >&2; exit 2; }; mode=dir dir=$2; shift 2 ;;
    --print) mode=print; shift ;;
    *) echo "jupyter-kernel.sh: unknown argument $1 (known: --dir DIR, --print)" >&2; exit 2 ;;
  esac
done
tool=$root/.tools/dotnet-interactive
[[ -x $tool ]] || { echo "jupyter-kernel.sh: $tool not found: run bash environment/setup.sh (installs the kernel tools)" >&2; exit 1; }
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")

# The tool writes its own spec (logos included); `--path` because its default (~/.local/share/jupyter/kernels) may
# not exist yet, and its argv runs `dotnet interactive` (a global tool), which we replace with our copy's path.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tool" jupyter install --path "$work" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; exit 1; }
[[ -f $work/$name/kernel.json ]] || { cat "$work/install.log" >&2; echo "jupyter-kernel.sh: the tool wrote no $name spec" >&2; exit 1; }
/usr/bin/env python3 - "$work/$name/kernel.json" "$tool" "$dotnet_root" "$root" <<'PY'
import json, sys
path, tool, dotnet_root, root = sys.argv[1:]
spec = json.load(open(path))
spec["argv"] = [tool, "jupyter", "--default-kernel", "csharp", "{connection_file}", "--http-port-range", "2048-3000"]
spec["display_name"] = ".NET (C#)"
# the tool's hint for the (deprecated) Polyglot extension; VS Code's Jupyter extension should just list this kernel
spec.pop("metadata", None)
spec["env"] = {
    # the tool is an apphost: tell it where the runtime is (Jupyter may start it with a minimal PATH)
    "DOTNET_ROOT": dotnet_root,
    # Trap 2: a system libtorch (python3-torch) must not shadow the natives in artifacts/resnet/
    "LD_LIBRARY_PATH": root + "/artifacts/resnet",
    "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1",
}
json.dump(spec, open(path, "w"), indent=2)
open(path, "a").write("\n")
PY

case $mode in
  print) cat "$work/$name/kernel.json" ;;
  dir)
    mkdir -p "$dir"
    rm -rf "$dir/$name.tmp" && cp -r "$work/$name" "$dir/$name.tmp" && rm -rf "$dir/$name" && mv "$dir/$name.tmp" "$dir/$name"
    echo "  kernel spec $name written to $dir/$name" ;;
  user)
    command -v jupyter-kernelspec >/dev/null || { echo "jupyter-kernel.sh: jupyter-kernelspec not found (apt-get install jupyter-client)" >&2; exit 1; }
    current=$(jupyter kernelspec list --json | python3 -c "import json,sys; k=json.load(sys.stdin)['kernelspecs'].get('$name'); print(k['resource_dir'] if k else '')")
    if [[ -n $current ]] && cmp -s "$current/kernel.json" "$work/$name/kernel.json"; then
      echo "  Jupyter kernel $name (.NET (C#)) already registered: $current"
    else
      [[ -n $current ]] && echo "  replacing kernel spec $name at $current (it ran: $(python3 -c "import json; print(json.load(open('$current/kernel.json'))['argv'][0])"))"
      jupyter kernelspec install --user --replace --name "$name" "$work/$name" >/dev/null 2>&1 \
        || jupyter kernelspec install --user --replace --name "$name" "$work/$name"
      echo "  Jupyter kernel $name (.NET (C#)) registered for $(id -un): runs $tool"
    fi ;;
esac
