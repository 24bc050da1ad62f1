using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Deployment;

/// <summary><c>azure.yaml</c> (what <c>azd up</c> reads) against azd's published schema (a copy in eng/schemas), and
/// against the template and the package script it has to agree with.</summary>
public sealed class AzureYamlTests
{
    private static readonly string RepoFile = Path.Combine(RepoRoot.Path, "azure.yaml");

    [Fact]
    public void AzureYaml_IsValidAgainstAzdsPublishedSchema()
    {
        var results = Validate(File.ReadAllText(RepoFile));

        Assert.True(results.IsValid, Describe(results));
    }

    [Theory]
    [InlineData("name: Loyalty_Functions\nservices:\n  api:\n    project: .\n    host: function\n", "/name")]
    [InlineData("name: loyalty\nservices:\n  api:\n    project: .\n", "/services/api")]
    [InlineData("name: loyalty\nservices:\n  api:\n    host: function\n", "/services/api")]
    [InlineData("name: loyalty\nservices:\n  api:\n    project: .\n    host: function\n    hooks:\n      prepackage:\n        shell: cmd\n        run: x\n", "/services/api/hooks/prepackage")]
    public void AzureYaml_TheSchemaCopy_RejectsWhatAzdWouldRefuse(string yaml, string where)
    {
        var results = Validate(yaml);

        Assert.False(results.IsValid);
        Assert.Contains(where, Describe(results), StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYaml_DeploysWhatThePackageScriptBuilds_ToTheAppTheTemplateTags()
    {
        var (name, service) = Yaml.ToJson(File.ReadAllText(RepoFile))!["services"]!.AsObject().Single();
        var packageScript = File.ReadAllText(Path.Combine(RepoRoot.Path, "eng", "package.sh"));
        var site = ArmTemplate.Load().Resource("Microsoft.Web/sites");

        Assert.Equal("custom", (string?)service!["language"]);
        Assert.Equal("function", (string?)service["host"]);
        Assert.Equal("bash eng/package.sh", (string?)service["hooks"]!["prepackage"]!["run"]);
        Assert.Contains($"publish=\"$repo_root/{(string?)service["dist"]}\"", packageScript, StringComparison.Ordinal);

        // azd finds the app to deploy a service to by the tag azd-service-name = the service's name.
        Assert.Contains($"createObject('azd-service-name', '{name}')", (string?)site["tags"], StringComparison.Ordinal);
    }

    [Fact]
    public void PurchasesQueue_HasDuplicateDetection_WithTheDocumentedWindow()
    {
        var template = ArmTemplate.Load();
        var queue = template.Resource("Microsoft.ServiceBus/namespaces/queues")["properties"]!;

        Assert.True((bool)queue["requiresDuplicateDetection"]!);
        Assert.Equal("[parameters('duplicateDetectionWindow')]", (string?)queue["duplicateDetectionHistoryTimeWindow"]);
        Assert.Equal("PT1H", (string?)template.Root["parameters"]!["duplicateDetectionWindow"]!["defaultValue"]);
    }

    private static EvaluationResults Validate(string yaml)
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };

        // The schema names six more by URL, for the AI hosts only; they are not copied (see eng/schemas/README.md).
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, "eng", "schemas", "azure.yaml.json"));
        foreach (var reference in JsonNode.Parse(text)!.ToJsonString().Split("\"$ref\":\"").Skip(1).Select(s => s[..s.IndexOf('"', StringComparison.Ordinal)]).Where(r => r.StartsWith("https://", StringComparison.Ordinal)).Distinct())
        {
            options.SchemaRegistry.Register(new Uri(reference), JsonSchema.FromText("{}", options, new Uri(reference)));
        }

        var schema = JsonSchema.FromText(text, options);
        using var instance = JsonDocument.Parse(Yaml.ToJson(yaml)!.ToJsonString());
        return schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults results) =>
        string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
}
