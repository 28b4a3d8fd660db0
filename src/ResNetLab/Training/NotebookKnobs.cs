using System.Globalization;
using System.Text.Json.Nodes;
using ResNetLab.Models;
using ResNetLab.Runtime;

namespace ResNetLab.Training;

/// <summary>
/// A notebook's knobs, declared once in its knob cell and read by everything that plans its runs: the notebook itself
/// (the cell is C# the kernel runs), the reports planner (<c>resnet reports --dry-run</c>), sweeps and the defaults of
/// <see cref="Experiments"/>. The knob cell is the first code cell whose first line is <see cref="Marker"/>; below it
/// only comments, blank lines and declarations of one fixed shape, parsed here (not evaluated, not pattern-matched):
/// <code>
/// TYPE name = VALUE;                               // comment
/// TYPE name = lab.Budget.IsFull ? VALUE : VALUE;   // one value at the full budget, another below it
/// </code>
/// TYPE is int, long, bool, string, ShortcutOption or an array of one of them (int[] …); VALUE a literal of that type:
/// 20, true, "resnet20", ShortcutOption.B, or a collection [20, 32, 44, 56]. Anything else is an error naming the line,
/// so a knob the planner cannot read is never silently ignored.
/// </summary>
public sealed class NotebookKnobs
{
    /// <summary>The first line of a knob cell.</summary>
    public const string Marker = "// Knobs";

    /// <summary>The condition a knob may choose on: the budget is the paper's full schedule.</summary>
    public const string FullCondition = "lab.Budget.IsFull";

    static readonly string[] ScalarTypes = ["int", "long", "bool", "string", "ShortcutOption"];

    readonly Dictionary<string, (string Type, object Value)> values;

    NotebookKnobs(Dictionary<string, (string Type, object Value)> values, string where) { this.values = values; Where = where; }

    /// <summary>Where the knobs were read (a notebook path), for messages.</summary>
    public string Where { get; }

    /// <summary>The knobs' names, in the cell's order.</summary>
    public IReadOnlyList<string> Names => [.. values.Keys];

    /// <summary>No knob cell.</summary>
    public static NotebookKnobs None(string where) => new([], where);

    /// <summary>The knobs of the checkout's notebooks/&lt;<paramref name="notebook"/>&gt;.ipynb at <paramref name="budget"/>.</summary>
    public static NotebookKnobs Of(string notebook, Budget budget)
    {
        var root = RepoPaths.TryRoot() ?? throw new DirectoryNotFoundException(
            $"no checkout found to read notebooks/{notebook}.ipynb's knobs from: pass the plan's knobs as arguments");
        return Read(Path.Combine(root, "notebooks", notebook + ".ipynb"), budget);
    }

    /// <summary>The knobs of a notebook file at <paramref name="budget"/>; <see cref="None"/> when it has no knob cell.</summary>
    public static NotebookKnobs Read(string notebookPath, Budget budget)
    {
        var doc = JsonNode.Parse(File.ReadAllText(notebookPath)) ?? throw new InvalidDataException($"{notebookPath}: not a notebook");
        var cells = doc["cells"]?.AsArray() ?? throw new InvalidDataException($"{notebookPath}: no cells");
        foreach (var cell in cells)
        {
            if ((string?)cell?["cell_type"] != "code") continue;
            var source = cell["source"] switch
            {
                JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
                JsonValue text => (string?)text ?? "",
                _ => "",
            };
            if (source.TrimStart().StartsWith(Marker, StringComparison.Ordinal)) return Parse(source, budget, notebookPath);
        }
        return None(notebookPath);
    }

    /// <summary>Parse a knob cell's source at <paramref name="budget"/>; <paramref name="where"/> names it in errors.</summary>
    public static NotebookKnobs Parse(string source, Budget budget, string where)
    {
        var values = new Dictionary<string, (string Type, object Value)>(StringComparer.Ordinal);
        var lines = source.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var text = WithoutComment(lines[i]).Trim();
            if (text.Length == 0) continue;
            var at = $"{where}, knob cell line {i + 1} ({lines[i].Trim()})";
            var (type, name, value) = Declaration(text, budget, at);
            if (!values.TryAdd(name, (type, value))) throw new InvalidDataException($"{at}: the knob {name} is declared twice");
        }
        return new NotebookKnobs(values, where);
    }

    /// <summary>A list of whole numbers (int[]).</summary>
    public IReadOnlyList<int> Ints(string name) => [.. ((IReadOnlyList<object>)Get(name, "int[]")).Select(v => checked((int)(long)v))];
    /// <summary>A list of long numbers (long[]).</summary>
    public IReadOnlyList<long> Longs(string name) => [.. ((IReadOnlyList<object>)Get(name, "long[]")).Cast<long>()];
    /// <summary>A list of strings (string[]).</summary>
    public IReadOnlyList<string> Strings(string name) => [.. ((IReadOnlyList<object>)Get(name, "string[]")).Cast<string>()];
    /// <summary>A list of shortcut options (ShortcutOption[]).</summary>
    public IReadOnlyList<ShortcutOption> Shortcuts(string name) => [.. ((IReadOnlyList<object>)Get(name, "ShortcutOption[]")).Cast<ShortcutOption>()];
    /// <summary>A long number (long).</summary>
    public long Long(string name) => (long)Get(name, "long");
    /// <summary>A shortcut option.</summary>
    public ShortcutOption Shortcut(string name) => (ShortcutOption)Get(name, "ShortcutOption");

    /// <summary>The value of knob <paramref name="name"/>, declared with type <paramref name="type"/> (else an error naming both).</summary>
    object Get(string name, string type)
    {
        if (!values.TryGetValue(name, out var knob))
            throw new InvalidDataException($"{Where}: its knob cell declares no knob named {name} (it has: {string.Join(", ", values.Keys)})");
        return knob.Type == type ? knob.Value : throw new InvalidDataException($"{Where}: the knob {name} must be declared {type} (it is {knob.Type})");
    }

    static (string Type, string Name, object Value) Declaration(string text, Budget budget, string at)
    {
        if (!text.EndsWith(';')) throw Bad(at, "a knob is one declaration ending in ';'");
        var eq = text.IndexOf('=');
        if (eq < 0) throw Bad(at, "expected TYPE name = value;");
        var head = text[..eq].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (head.Length != 2) throw Bad(at, "expected TYPE name = value;");
        var (type, name) = (head[0], head[1]);
        if (!(name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c == '_')))
            throw Bad(at, $"{name} is not a knob name");
        var array = type.EndsWith("[]", StringComparison.Ordinal);
        var element = array ? type[..^2] : type;
        if (!ScalarTypes.Contains(element)) throw Bad(at, $"a knob's type is one of {string.Join(", ", ScalarTypes)} or an array of one ({type} is not)");
        var expression = text[(eq + 1)..^1].Trim();
        if (expression.StartsWith(FullCondition, StringComparison.Ordinal))
        {
            var rest = expression[FullCondition.Length..].TrimStart();
            if (!rest.StartsWith('?')) throw Bad(at, $"expected {FullCondition} ? VALUE : VALUE");
            var (atFull, tail) = Value(rest[1..], element, array, at);
            tail = tail.TrimStart();
            if (!tail.StartsWith(':')) throw Bad(at, $"expected {FullCondition} ? VALUE : VALUE");
            var (below, end) = Value(tail[1..], element, array, at);
            if (end.Trim().Length > 0) throw Bad(at, $"unexpected '{end.Trim()}'");
            return (type, name, budget.IsFull ? atFull : below);
        }
        var (value, left) = Value(expression, element, array, at);
        if (left.Trim().Length > 0) throw Bad(at, $"unexpected '{left.Trim()}'");
        return (type, name, value);
    }

    /// <summary>One VALUE at the start of <paramref name="text"/>, and what follows it.</summary>
    static (object Value, string After) Value(string text, string element, bool array, string at)
    {
        text = text.TrimStart();
        if (!array) return Scalar(text, element, at);
        if (!text.StartsWith('[')) throw Bad(at, $"a {element}[] knob is written [a, b, …]");
        var items = new List<object>();
        text = text[1..].TrimStart();
        if (text.StartsWith(']')) return (items, text[1..]);
        while (true)
        {
            var (item, rest) = Scalar(text, element, at);
            items.Add(item);
            rest = rest.TrimStart();
            if (rest.StartsWith(']')) return (items, rest[1..]);
            if (!rest.StartsWith(',')) throw Bad(at, "expected ',' or ']' in the list");
            text = rest[1..].TrimStart();
        }
    }

    static (object Value, string After) Scalar(string text, string type, string at)
    {
        if (type == "string")
        {
            if (!text.StartsWith('"')) throw Bad(at, "a string knob is written \"…\"");
            var close = text.IndexOf('"', 1);
            if (close < 0 || text[1..close].Contains('\\')) throw Bad(at, "a string knob is a plain \"…\" without escapes");
            return (text[1..close], text[(close + 1)..]);
        }
        var length = 0;
        while (length < text.Length && (char.IsLetterOrDigit(text[length]) || text[length] is '.' or '_' or '-')) length++;
        var token = text[..length];
        var rest = text[length..];
        switch (type)
        {
            case "int" or "long":
                var digits = token.Replace("_", "", StringComparison.Ordinal);
                if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                    || (type == "int" && number is < int.MinValue or > int.MaxValue))
                    throw Bad(at, $"'{token}' is not a whole number ({type})");
                return (number, rest);
            case "bool":
                return token switch { "true" => (true, rest), "false" => (false, rest), _ => throw Bad(at, $"'{token}' is not true or false") };
            default:   // ShortcutOption
                const string prefix = "ShortcutOption.";
                if (token.StartsWith(prefix, StringComparison.Ordinal) && Enum.TryParse<ShortcutOption>(token[prefix.Length..], out var option)
                    && Enum.IsDefined(option) && !token[prefix.Length..].All(char.IsDigit))
                    return (option, rest);
                throw Bad(at, $"'{token}' is not one of {string.Join(", ", Enum.GetNames<ShortcutOption>().Select(n => prefix + n))}");
        }
    }

    /// <summary>The line without a trailing // comment (a // inside a "string" is kept).</summary>
    static string WithoutComment(string line)
    {
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"') quoted = !quoted;
            else if (!quoted && line[i] == '/' && i + 1 < line.Length && line[i + 1] == '/') return line[..i];
        }
        return line;
    }

    static InvalidDataException Bad(string at, string why) => new($"{at}: {why}");
}
