using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResNetLab.Training;

/// <summary>The JSON conventions of run records: snake_case names, enums as lower-case strings, indented.</summary>
public static class RunJson
{
    /// <summary>The options every run.json is written and read with.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,   // NaN before the first batch of an interval
        RespectNullableAnnotations = true,   // a damaged file's "name": null is refused when read, not an NRE later
    };
}
