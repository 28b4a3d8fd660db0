using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using ResNetLab.Models;
using ResNetLab.Notebooks;
using ResNetLab.Training;

namespace ResNetLab.Tests.Runtime;

/// <summary>
/// The XML docs ship beside the DLLs (the build output here; artifacts/resnet for the notebooks), where the notebook
/// kernel and editors read them: .NET Interactive's <c>#r "X.dll"</c> loads X.xml from the same folder.
/// </summary>
public class ApiDocsTests
{
    static XDocument DocsBeside(Assembly assembly)
    {
        var xml = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(xml), $"{xml} is missing: GenerateDocumentationFile must stay on for {assembly.GetName().Name}");
        return XDocument.Load(xml);
    }

    static Dictionary<string, XElement> Members(XDocument doc) =>
        doc.Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m);

    static string Summary(Dictionary<string, XElement> members, string id)
    {
        Assert.True(members.TryGetValue(id, out var member), $"no documentation for {id}");
        return string.Join(" ", member.Element("summary")?.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? []);
    }

    [Fact]
    public void Library_docs_sit_beside_ResNetLab_dll_and_document_the_entry_points()
    {
        var members = Members(DocsBeside(typeof(ModelZoo).Assembly))                      // ResNetLab.Core.xml
            .Concat(Members(DocsBeside(typeof(Experiment).Assembly))).ToDictionary();   // ResNetLab.xml
        Assert.Contains("registry", Summary(members, "T:ResNetLab.Models.ModelZoo"));
        const string runOrLoad = "M:ResNetLab.Training.Experiment.RunOrLoad(ResNetLab.Training.RunConfig,ResNetLab.Training.ExperimentOptions," +
                                 "System.IProgress{ResNetLab.Training.TrainingProgress},System.Threading.CancellationToken)";
        Assert.Contains("reused", Summary(members, runOrLoad));
        Assert.NotNull(members[runOrLoad].Elements("param").SingleOrDefault(p => (string?)p.Attribute("name") == "config"));
        Assert.Contains("§3.3", Summary(members, "T:ResNetLab.Models.ShortcutOption"));
    }

    [Fact]
    public void Notebook_glue_docs_sit_beside_ResNetLab_Notebooks_dll()
    {
        var members = Members(DocsBeside(typeof(Lab).Assembly));
        Assert.Contains("entry point", Summary(members, "T:ResNetLab.Notebooks.Lab"));
        Assert.NotEmpty(Summary(members, "M:ResNetLab.Notebooks.Lab.Setup(System.String,System.String,System.String,System.Nullable{System.Int32},System.String,System.String)"));
    }

    [Theory]
    [InlineData("ResNetLab.Core")]
    [InlineData("ResNetLab")]
    [InlineData("ResNetLab.Notebooks")]
    public void Every_public_type_and_member_has_an_entry_in_the_shipped_file(string assemblyName)
    {
        var assembly = assemblyName switch
        {
            "ResNetLab.Core" => typeof(ModelZoo).Assembly,
            "ResNetLab" => typeof(Experiment).Assembly,
            _ => typeof(Lab).Assembly,
        };
        Assert.Equal(assemblyName, assembly.GetName().Name);
        var documented = Members(DocsBeside(assembly)).Keys.Select(WithoutSignature).ToHashSet();
        var missing = assembly.GetTypes().Where(t => t.IsVisible && !IsCompilerGenerated(t))
            .SelectMany(t => Expected(t).Where(id => !documented.Contains(id)))
            .ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} public API(s) of {assemblyName} without docs: {string.Join(", ", missing.Take(20))}");
    }

    /// <summary>"M:N.T.Name(args)" → "M:N.T.Name"; generic method arity dropped, so overloads share one id.</summary>
    static string WithoutSignature(string id)
    {
        var cut = id.IndexOf('(');
        var name = cut < 0 ? id : id[..cut];
        var arity = name.IndexOf("``", StringComparison.Ordinal);
        return arity < 0 ? name : name[..arity];
    }

    static string TypeId(Type t) => t.FullName!.Replace('+', '.');

    static bool IsCompilerGenerated(MemberInfo m) => m.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);

    static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    /// <summary>
    /// The ids CS1591 asks docs for. Left aside: what the compiler writes itself (record Equals/ToString/Clone, accessors,
    /// operators, enum value__), parameterless constructors (implicit ones need none) and a record's positional
    /// properties (documented by the record's summary and param tags).
    /// </summary>
    static IEnumerable<string> Expected(Type t)
    {
        yield return "T:" + TypeId(t);
        if (typeof(Delegate).IsAssignableFrom(t)) yield break;
        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var isRecord = t.GetMethod("<Clone>$") is not null || t.GetMethod("PrintMembers", declared) is not null;
        var positional = isRecord ? t.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.Name).ToHashSet() : [];
        foreach (var m in t.GetMembers(declared))
        {
            if (IsCompilerGenerated(m)) continue;
            switch (m)
            {
                case ConstructorInfo c when Visible(c) && !c.IsStatic && c.GetParameters().Length > 0:
                    if (isRecord && c.GetParameters() is [var only] && only.ParameterType == t) break;   // copy constructor
                    yield return $"M:{TypeId(t)}.#ctor";
                    break;
                case MethodInfo method when Visible(method) && !method.IsSpecialName:
                    yield return $"M:{TypeId(t)}.{method.Name}";
                    break;
                case PropertyInfo p when (p.GetMethod ?? p.SetMethod) is { } accessor && Visible(accessor):
                    if (isRecord && (positional.Contains(p.Name) || p.Name == "EqualityContract")) break;
                    yield return $"P:{TypeId(t)}.{p.Name}";
                    break;
                case FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName:
                    yield return $"F:{TypeId(t)}.{f.Name}";
                    break;
                case EventInfo e when e.AddMethod is { } add && Visible(add):
                    yield return $"E:{TypeId(t)}.{e.Name}";
                    break;
            }
        }
    }
}
