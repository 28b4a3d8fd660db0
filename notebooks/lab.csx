// Loaded by every notebook's first cell (`#load "lab.csx"`): references the ResNetLab library that
// environment/setup.sh publishes to artifacts/resnet/ (natives beside TorchSharp.dll — ENVIRONMENT Traps 2 and 4).
// Paths are relative to the kernel's working directory, which is this folder (VS Code, Jupyter and dotnet-repl alike).
// (using directives here would not reach the notebook: the setup cell has its own.)
// "Metadata file ... could not be found" below means: run `bash environment/setup.sh` first.
#r "../artifacts/resnet/TorchSharp.dll"
#r "../artifacts/resnet/ResNetLab.Core.dll"
#r "../artifacts/resnet/ResNetLab.dll"
#r "../artifacts/resnet/ResNetLab.Notebooks.dll"
#r "../artifacts/resnet/Plotly.NET.dll"
#r "../artifacts/resnet/Plotly.NET.CSharp.dll"
#r "../artifacts/resnet/Microsoft.Data.Analysis.dll"
