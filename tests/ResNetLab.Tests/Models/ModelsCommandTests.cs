using System.Text.Json;
using ResNetLab.Cli.Commands;
using Spectre.Console.Cli;

namespace ResNetLab.Tests.Models;

public class ModelsCommandTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(c => { c.PropagateExceptions(); c.AddCommand<ModelsCommand>("models"); });
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            return (app.Run(args), output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }

    [Fact]
    public void Json_lists_the_matching_models_with_their_measured_size()
    {
        var (code, output) = Run("models", "*20", "--json");
        Assert.Equal(0, code);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(["resnet20", "plain20"], rows.Select(r => r.GetProperty("Name").GetString()));
        Assert.Equal(269_722, rows[0].GetProperty("Parameters").GetInt64());
        Assert.Equal("A", rows[0].GetProperty("Shortcut").GetString());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("Shortcut").ValueKind);
        Assert.True(rows[0].GetProperty("MultiplyAdds").GetInt64() > 40_000_000);
    }

    [Fact]
    public void Unknown_patterns_and_options_are_errors()
    {
        Assert.Throws<ArgumentException>(() => Run("models", "vgg*"));
        Assert.Throws<ArgumentException>(() => Run("models", "resnet20", "--shortcut", "D"));
    }
}
