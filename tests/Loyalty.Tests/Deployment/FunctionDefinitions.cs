using System.Text.Json;
using System.Text.RegularExpressions;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Deployment;

/// <summary>The app's function.json files, read the way the Functions host reads them, with the checks a
/// deployment depends on.</summary>
public static partial class FunctionDefinitions
{
    /// <summary>Binding types that extension bundle [4.*, 5.0.0) provides and that a Flex Consumption app can run
    /// (Flex runs no Kafka, SQL or SignalR triggers).</summary>
    public static readonly IReadOnlySet<string> BundleBindingTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "httpTrigger", "http",
        "timerTrigger",
        "queueTrigger", "queue",
        "blobTrigger", "blob",
        "table",
        "serviceBusTrigger", "serviceBus",
        "eventGridTrigger", "eventGrid",
        "eventHubTrigger", "eventHub",
        "cosmosDBTrigger", "cosmosDB",
        "sendGrid", "twilioSms",
    };

    public static string SourceFolder => Path.Combine(RepoRoot.Path, "src", "Loyalty.Functions", "functions");

    /// <summary>Every function in the source tree (functions/&lt;Name&gt;/function.json).</summary>
    public static IReadOnlyList<FunctionDefinition> FromSource() =>
        [.. Directory.EnumerateDirectories(SourceFolder)
            .Select(dir => Parse(Path.GetFileName(dir), File.ReadAllText(Path.Combine(dir, "function.json"))))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];

    public static FunctionDefinition Parse(string name, string json)
    {
        using var document = JsonDocument.Parse(json);
        var bindings = document.RootElement.GetProperty("bindings").EnumerateArray()
            .Select(b => new Binding(
                Text(b, "type") ?? "",
                Text(b, "direction") ?? "",
                Text(b, "name") ?? "",
                b.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.OrdinalIgnoreCase)))
            .ToList();
        return new FunctionDefinition(name, bindings);
    }

    /// <summary>What is wrong with a function definition, as the host would see it at start-up (empty when valid).</summary>
    public static IReadOnlyList<string> Problems(FunctionDefinition f)
    {
        var problems = new List<string>();
        if (f.Bindings.Count == 0)
        {
            problems.Add($"{f.Name}: no bindings");
        }

        var triggers = f.Bindings.Where(b => b.Type.EndsWith("Trigger", StringComparison.Ordinal)).ToList();
        if (triggers.Count != 1)
        {
            problems.Add($"{f.Name}: {triggers.Count} triggers; a function has exactly one");
        }

        foreach (var b in f.Bindings)
        {
            if (!BundleBindingTypes.Contains(b.Type))
            {
                problems.Add($"{f.Name}: binding type '{b.Type}' is not one extension bundle v4 provides on Flex Consumption");
            }

            if (b.Direction is not ("in" or "out" or "inout"))
            {
                problems.Add($"{f.Name}: binding '{b.Name}' has direction '{b.Direction}'");
            }

            if (string.IsNullOrWhiteSpace(b.Name))
            {
                problems.Add($"{f.Name}: a '{b.Type}' binding has no name");
            }
        }

        foreach (var t in triggers)
        {
            switch (t.Type)
            {
                case "httpTrigger" when t.Property("authLevel") is not ("anonymous" or "function" or "admin"):
                    problems.Add($"{f.Name}: httpTrigger authLevel must be anonymous, function or admin");
                    break;
                case "queueTrigger" when string.IsNullOrEmpty(t.Property("queueName")):
                    problems.Add($"{f.Name}: queueTrigger without queueName");
                    break;
                case "serviceBusTrigger" when string.IsNullOrEmpty(t.Property("queueName")) && string.IsNullOrEmpty(t.Property("topicName")):
                    problems.Add($"{f.Name}: serviceBusTrigger without queueName or topicName");
                    break;
                case "timerTrigger" when t.Property("schedule") is not { } schedule
                    || (!AppSetting().IsMatch(schedule) && schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 6):
                    problems.Add($"{f.Name}: timerTrigger schedule must be a six-field NCRONTAB expression or a %setting%");
                    break;
            }
        }

        return problems;
    }

    /// <summary>The app settings a function definition needs: every <c>%NAME%</c> in a binding value.</summary>
    public static IEnumerable<string> ReferencedSettings(FunctionDefinition f) =>
        f.Bindings.SelectMany(b => b.Properties.Values)
            .Where(v => v.ValueKind == JsonValueKind.String)
            .SelectMany(v => AppSetting().Matches(v.GetString()!).Select(m => m.Groups[1].Value));

    /// <summary>The connection each storage, Service Bus or Event Hubs binding uses, with the host's default when
    /// <c>connection</c> is omitted.</summary>
    public static IEnumerable<(string Function, string Connection)> Connections(FunctionDefinition f) =>
        f.Bindings.Select(b => (b, connection: b.Property("connection") is { Length: > 0 } c ? c : DefaultConnection(b.Type)))
            .Where(x => x.connection is not null)
            .Select(x => (f.Name, x.connection!));

    private static string? DefaultConnection(string type) => type switch
    {
        "queueTrigger" or "queue" or "blobTrigger" or "blob" or "table" => "AzureWebJobsStorage",
        "serviceBusTrigger" or "serviceBus" => "AzureWebJobsServiceBus",
        _ => null,
    };

    private static string? Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex AppSetting();
}

public sealed record FunctionDefinition(string Name, IReadOnlyList<Binding> Bindings)
{
    public Binding? Trigger => Bindings.FirstOrDefault(b => b.Type.EndsWith("Trigger", StringComparison.Ordinal));
}

public sealed record Binding(string Type, string Direction, string Name, IReadOnlyDictionary<string, JsonElement> Properties)
{
    public string? Property(string name) =>
        Properties.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
