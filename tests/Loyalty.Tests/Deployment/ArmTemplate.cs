using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Deployment;

/// <summary>infra/main.bicep compiled to ARM JSON by eng/bicep.sh (eng/test.sh runs it before the tests).</summary>
public sealed class ArmTemplate
{
    public static readonly string FilePath = Path.Combine(RepoRoot.Path, "artifacts", "infra", "main.json");

    private static readonly Lazy<ArmTemplate> Compiled = new(() =>
    {
        if (!File.Exists(FilePath))
        {
            throw new InvalidOperationException($"{FilePath} does not exist: run 'bash eng/bicep.sh' (eng/test.sh does) to compile infra/main.bicep.");
        }

        return new ArmTemplate(File.ReadAllText(FilePath));
    });

    private ArmTemplate(string text)
    {
        Text = text;
        Root = JsonNode.Parse(text)!.AsObject();
    }

    public static ArmTemplate Load() => Compiled.Value;

    public string Text { get; }

    public JsonObject Root { get; }

    public IEnumerable<JsonObject> Resources => Root["resources"]!.AsArray().Select(r => r!.AsObject());

    public JsonObject Resource(string type) => Resources.Single(r => (string?)r["type"] == type);

    public IEnumerable<JsonObject> ResourcesOfType(string type) => Resources.Where(r => (string?)r["type"] == type);

    public IReadOnlyList<string> VariableList(string name) =>
        [.. Root["variables"]![name]!.AsArray().Select(v => (string)v!)];

    public string Variable(string name) => (string)Root["variables"]![name]!;

    /// <summary>The function app's app settings, name to value (a literal, or an ARM expression in brackets).</summary>
    public IReadOnlyDictionary<string, string> AppSettings =>
        Resource("Microsoft.Web/sites")["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => s!["value"]!.GetValueKind() == JsonValueKind.String ? (string)s["value"]! : s["value"]!.ToJsonString(), StringComparer.Ordinal);

    /// <summary>Whether a connection named <paramref name="prefix"/> is configured: as one setting, or in the
    /// identity-based form <c>prefix__property</c>.</summary>
    public bool HasConnection(string prefix) =>
        AppSettings.Keys.Any(k => k == prefix || k.StartsWith(prefix + "__", StringComparison.Ordinal));
}
