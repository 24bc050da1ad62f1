using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Loyalty.Domain.Events;
using Loyalty.Functions.Events;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Events;

/// <summary>The AsyncAPI catalogue and the README's examples agree with the code: one example per event type, each a
/// valid CloudEvent of its message.</summary>
public sealed partial class EventCatalogueTests
{
    [Fact]
    public void ReadmeExamples_AreOneOfEachEvent_AndMatchTheCatalogue()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));
        var block = ExampleBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```json events-catalogue block");
        using var examples = JsonDocument.Parse(block.Groups[1].Value);
        var document = AsyncApiDocument.Build("/programs/corner-cafe-rewards");

        Assert.Equal(EventCatalog.All.Select(k => k.Type).Order(), examples.RootElement.EnumerateArray().Select(e => e.GetProperty("type").GetString()!).Order());
        foreach (var example in examples.RootElement.EnumerateArray())
        {
            AssertMatches(document, example);
        }
    }

    [Fact]
    public void Catalogue_IsAsyncApi3_WithOneMessagePerEventType_OnTheMemberChannel()
    {
        var document = AsyncApiDocument.Build("/programs/x");
        var messages = document["components"]!["messages"]!.AsObject();

        Assert.Equal("3.0.0", (string?)document["asyncapi"]);
        Assert.Equal("members/{memberId}", (string?)document["channels"]!["memberEvents"]!["address"]);
        Assert.Equal(EventCatalog.All.Count, messages.Count);
        Assert.Equal(EventCatalog.All.Select(k => k.Type).Order(), messages.Select(m => (string)m.Value!["name"]!).Order());
        Assert.Equal("send", (string?)document["operations"]!["publishMemberEvents"]!["action"]);
        Assert.Equal(EventCatalog.All.Count, document["operations"]!["publishMemberEvents"]!["messages"]!.AsArray().Count);
    }

    /// <summary>Fails unless <paramref name="cloudEvent"/> is valid against its type's message in <paramref name="document"/>.</summary>
    internal static void AssertMatches(JsonNode document, JsonElement cloudEvent)
    {
        var type = cloudEvent.GetProperty("type").GetString()!;
        var payload = document["components"]!["messages"]![AsyncApiDocument.MessageName(type)]!["payload"]!.DeepClone();
        var schemaName = ((string)payload["properties"]!["data"]!["$ref"]!).Split('/')[^1];
        payload["properties"]!["data"] = document["components"]!["schemas"]![schemaName]!.DeepClone();
        var result = JsonSchema.FromText(payload.ToJsonString()).Evaluate(cloudEvent, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{type} {cloudEvent.GetRawText()} does not match the catalogue: {JsonSerializer.Serialize(result)}");
    }

    [GeneratedRegex("```json events-catalogue\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();
}
