using ResNetLab.Runtime;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResNetLab.Notebooks.Reports;

/// <summary>A failing cell in an executed notebook: which notebook, which cell (1-based), what it said.</summary>
public sealed record CellError(string Notebook, int Cell, string FirstLine, string Error)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Notebook}, cell {Cell} ({FirstLine}): {Error}";
}

/// <summary>
/// An executed .ipynb (as dotnet-repl writes it), cleaned for publishing: package-install progress and extension
/// banners removed, execution counts set in order, chart outputs and cell errors found.
/// </summary>
public sealed class ExecutedNotebook
{
    readonly JsonObject root;
    /// <summary>The notebook's name (file name without .ipynb), used in error messages and the index.</summary>
    public string Name { get; }

    ExecutedNotebook(string name, JsonObject root) { Name = name; this.root = root; }

    /// <summary>Read an executed .ipynb; anything that is not a Jupyter notebook is an error naming the file.</summary>
    public static ExecutedNotebook Load(string path, string? name = null)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a notebook (JSON): {e.Message}"); }
        if (node is not JsonObject obj || obj["cells"] is not JsonArray)
            throw new InvalidDataException($"{path} is not a Jupyter notebook: no 'cells' array");
        return new ExecutedNotebook(name ?? Path.GetFileNameWithoutExtension(path), obj);
    }

    JsonArray Cells => (JsonArray)root["cells"]!;
    IEnumerable<JsonObject> CodeCells => Cells.OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code");

    static string Text(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(x => (string?)x)),
        JsonValue v => (string?)v ?? "",
        _ => "",
    };

    /// <summary>Outputs that only say a package is being installed or an extension loaded (noise in a report).</summary>
    public static bool IsNoise(JsonObject output)
    {
        if ((string?)output["output_type"] != "display_data") return false;
        var data = output["data"] as JsonObject;
        var text = Text(data?["text/html"]) + Text(data?["text/plain"]);
        return text.Contains("<strong>Installing Packages</strong>", StringComparison.Ordinal)
               || text.Contains("<strong>Installed Packages</strong>", StringComparison.Ordinal)
               || text.StartsWith("Loading extensions from", StringComparison.Ordinal)
               || text.Contains("<strong>Restore sources</strong>", StringComparison.Ordinal)
               // Jupyter engine: dotnet-interactive's bootstrap script probes the kernel's HTTP port (--http-port-range)
               // to connect its JavaScript API — dead in a published page (and a blocked request offline)
               || (text.Contains("dotnet-interactive-this-cell-", StringComparison.Ordinal) && text.Contains("probeAddresses", StringComparison.Ordinal));
    }

    /// <summary>Remove noise outputs and number the code cells 1, 2, … in order (dotnet-repl leaves them empty).</summary>
    public ExecutedNotebook Clean()
    {
        var count = 0;
        foreach (var cell in CodeCells)
        {
            cell["execution_count"] = ++count;
            if (cell["outputs"] is not JsonArray outputs) continue;
            for (var i = outputs.Count - 1; i >= 0; i--)
                if (outputs[i] is JsonObject o && IsNoise(o)) outputs.RemoveAt(i);
            foreach (var o in outputs.OfType<JsonObject>())
                if ((string?)o["output_type"] == "execute_result") o["execution_count"] = count;
        }
        return this;
    }

    /// <summary>Errors raised by cells, in order; cell numbers count all cells (markdown too), 1-based.</summary>
    public IReadOnlyList<CellError> Errors()
    {
        var errors = new List<CellError>();
        for (var i = 0; i < Cells.Count; i++)
        {
            if (Cells[i] is not JsonObject cell || cell["outputs"] is not JsonArray outputs) continue;
            foreach (var o in outputs.OfType<JsonObject>().Where(o => (string?)o["output_type"] == "error"))
            {
                var first = Text(cell["source"]).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)) ?? "";
                var message = $"{(string?)o["ename"]}: {(string?)o["evalue"]}".Split('\n')[0];
                errors.Add(new CellError(Name, i + 1, first.Length > 80 ? first[..80] + "…" : first, message));
            }
        }
        return errors;
    }

    /// <summary>Number of Plotly chart outputs (what the browser check must find drawn).</summary>
    public int ChartCount() => CodeCells.SelectMany(c => (c["outputs"] as JsonArray ?? []).OfType<JsonObject>())
        .Count(o => Text((o["data"] as JsonObject)?["text/html"]).Contains("renderPlotly_", StringComparison.Ordinal));

    /// <summary>
    /// Code cells (1-based, all cells counted) that call the chart library (<c>Figures.</c>) but show no chart: a chart
    /// that silently did not come out. Independent of the engine that executed the notebook.
    /// </summary>
    public IReadOnlyList<(int Cell, string FirstLine)> DrawingCellsWithoutChart()
    {
        var missing = new List<(int, string)>();
        for (var i = 0; i < Cells.Count; i++)
        {
            if (Cells[i] is not JsonObject cell || (string?)cell["cell_type"] != "code") continue;
            var source = Text(cell["source"]);
            if (!source.Contains("Figures.", StringComparison.Ordinal)) continue;
            var charts = (cell["outputs"] as JsonArray ?? []).OfType<JsonObject>()
                .Count(o => Text((o["data"] as JsonObject)?["text/html"]).Contains("renderPlotly_", StringComparison.Ordinal));
            if (charts == 0) missing.Add((i + 1, source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)) ?? ""));
        }
        return missing;
    }

    /// <summary>Write the notebook to <paramref name="path"/> (temporary file, then rename).</summary>
    public void Save(string path)
    {
        AtomicFile.WriteText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), "the executed notebook");
    }
}
