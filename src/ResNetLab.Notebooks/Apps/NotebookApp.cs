using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ResNetLab.Notebooks.Apps;

/// <summary>
/// Turns a notebook into a .NET 10 file-based app (`dotnet run app.cs`) that needs no notebook kernel: the engine-
/// independent path Microsoft points C# users to after the .NET Interactive deprecation. Cells become top-level
/// statements in order; `#r`/`#load` become one <c>#:project</c> directive; `using`s move to the top; a cell's trailing
/// expression (what a kernel would display) becomes <c>page.Result(() =&gt; …)</c>; markdown cells are rendered too.
/// The app writes everything to one offline HTML page (<see cref="NotebookPage"/>).
/// </summary>
public static class NotebookApp
{
    static readonly CSharpParseOptions Script = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>The app's source for <paramref name="notebookPath"/>, to be written at <paramref name="appPath"/>.</summary>
    public static string Generate(string notebookPath, string appPath, string repoRoot)
    {
        var name = Path.GetFileNameWithoutExtension(notebookPath);
        JsonNode? doc;
        try { doc = JsonNode.Parse(File.ReadAllText(notebookPath)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{notebookPath} is not a notebook (JSON): {e.Message}"); }
        if (doc?["cells"] is not JsonArray cells) throw new InvalidDataException($"{notebookPath} is not a Jupyter notebook: no 'cells' array");

        var usings = new List<string>();
        var types = new StringBuilder();   // a cell's class declarations: a file-based app wants them after every statement
        var body = new StringBuilder();
        var number = 0;
        foreach (var cell in cells.OfType<JsonObject>())
        {
            number++;
            var source = cell["source"] is JsonArray a ? string.Concat(a.Select(x => (string?)x)) : (string?)cell["source"] ?? "";
            switch ((string?)cell["cell_type"])
            {
                case "markdown":
                    body.Append("page.Markdown(").Append(RawString(source)).Append(");\n\n");
                    break;
                case "code":
                    body.Append($"// ── cell {number} ──\npage.Cell({number});\n");
                    body.Append(Code(source, usings, types, $"{notebookPath}, cell {number}")).Append('\n');
                    break;
            }
        }
        var appDir = Path.GetDirectoryName(Path.GetFullPath(appPath))!;
        var project = Path.GetRelativePath(appDir, Path.Combine(repoRoot, "src", "ResNetLab.Notebooks", "ResNetLab.Notebooks.csproj")).Replace('\\', '/');
        var relNotebook = Path.GetRelativePath(repoRoot, Path.GetFullPath(notebookPath)).Replace('\\', '/');
        var head = new StringBuilder($"""
            #!/usr/bin/env dotnet
            // Generated from {relNotebook} by `environment/resnet notebook export {name} --as-app`: re-export instead of editing.
            // Run with the .NET 10 SDK, no notebook kernel needed:  dotnet run {Path.GetFileName(appPath)}   (or: environment/resnet notebook run {name})
            // It executes the cells in order and writes {name}.html beside this file (or the path given as first argument).
            #:project {project}
            #:property UsesTorchNatives=true
            #:property PublishAot=false

            """);
        head.Append('\n');
        foreach (var u in usings.Distinct()) head.Append(u).Append('\n');
        head.Append("using ResNetLab.Notebooks.Apps;\n\n");
        head.Append($"using var page = NotebookPage.Start({Literal(name)}, args);\n\n");
        head.Append(body);
        if (types.Length > 0) head.Append("// ── types declared in the notebook's cells ──\n").Append(types);
        return head.ToString();
    }

    /// <summary>A code cell as statements: kernel directives dropped, usings hoisted, the trailing expression shown.</summary>
    static string Code(string source, List<string> usings, StringBuilder types, string where)
    {
        // #r "nuget: …" / #r "x.dll" / #load: the app gets all of it through its #:project directive.
        var lines = source.Split('\n').Select(l => l.TrimStart().StartsWith("#r ", StringComparison.Ordinal) || l.TrimStart().StartsWith("#load ", StringComparison.Ordinal) || l.TrimStart().StartsWith("#!", StringComparison.Ordinal) ? "" : l);
        var text = string.Join('\n', lines);
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(text, Script).GetRoot();
        var errors = root.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidDataException($"{where}: {errors[0]}");
        usings.AddRange(root.Usings.Select(u => u.ToString().Trim()));
        var members = root.Members;
        var sb = new StringBuilder();
        for (var i = 0; i < members.Count; i++)
        {
            var m = members[i];
            if (m is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax)
            {
                types.Append(m.ToFullString().Trim('\n', '\r')).Append("\n\n");
                continue;
            }
            if (i == members.Count - 1 && m is GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
            {
                sb.Append(m.GetLeadingTrivia().ToFullString());
                sb.Append("page.Result(() => ").Append(last.Expression.WithoutTrivia().ToFullString()).Append(");").Append('\n');
            }
            else sb.Append(m.ToFullString());
        }
        var code = sb.ToString().Trim('\n', '\r');
        return code.Length == 0 ? "" : code + "\n";
    }

    static string Literal(string s) => SymbolDisplay.FormatLiteral(s, quote: true);

    /// <summary>A C# raw string literal holding <paramref name="text"/> exactly (quotes longer than any run inside).</summary>
    static string RawString(string text)
    {
        var longest = 0;
        for (int i = 0, run = 0; i < text.Length; i++) { run = text[i] == '"' ? run + 1 : 0; longest = Math.Max(longest, run); }
        var quotes = new string('"', Math.Max(3, longest + 1));
        var indented = string.Join('\n', text.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')));
        return $"{quotes}\n{indented}\n{quotes}";
    }
}
