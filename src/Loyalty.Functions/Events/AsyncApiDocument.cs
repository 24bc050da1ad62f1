using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using Loyalty.Adapters.Events;
using Loyalty.Adapters.Json;
using Loyalty.Domain.Events;

namespace Loyalty.Functions.Events;

/// <summary>The AsyncAPI 3.0 catalogue of the events, generated from <see cref="EventCatalog"/> and the data records as
/// they are serialised, so that it cannot drift from what is published (a test checks every event the tests publish
/// against it). Served at <c>GET /api/asyncapi.json</c>.</summary>
public static class AsyncApiDocument
{
    public const string Route = "/asyncapi.json";

    // As the outbox writes the data (StorageJson.Web): numbers as numbers (Web reads them from text too, which is no
    // part of what is written).
    private static readonly JsonSerializerOptions Written = new(StorageJson.Web) { NumberHandling = JsonNumberHandling.Strict };

    private static readonly JsonSchemaExporterOptions SchemaOptions = new()
    {
        TreatNullObliviousAsNonNullable = true,
        // Formats as in the OpenAPI document, so that a generated client reads money and rates as decimals (exact, not
        // doubles) and points as 64-bit integers.
        TransformSchemaNode = (context, node) =>
        {
            var format = (Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type) switch
            {
                var t when t == typeof(decimal) => "decimal",
                var t when t == typeof(long) => "int64",
                var t when t == typeof(int) => "int32",
                _ => null,
            };
            if (format is not null && node is JsonObject schema)
            {
                schema["format"] = format;
            }

            return node;
        },
    };

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet(Route, (EventDispatcher dispatcher) => TypedResults.Text(Build(dispatcher.Source).ToJsonString(), "application/json"))
            .WithName("AsyncApi")
            .ExcludeFromDescription();
        return api;
    }

    /// <summary>The message name of an event type: <c>loyalty.points.earned</c> → <c>PointsEarned</c>.</summary>
    public static string MessageName(string type) =>
        string.Concat(type.Split('.').Skip(1).Select(part => string.Concat(part.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))));

    /// <summary>The JSON schema of an event's data as the outbox serialises it: the one source of the data's shape for this
    /// document and for the OpenAPI document's export of a member's events.</summary>
    public static JsonNode DataSchema(Type data) => Written.GetJsonSchemaAsNode(data, SchemaOptions);

    public static JsonObject Build(string source)
    {
        var messages = new JsonObject();
        var schemas = new JsonObject();
        foreach (var kind in EventCatalog.All)
        {
            schemas[kind.Data.Name] ??= DataSchema(kind.Data);
            messages[MessageName(kind.Type)] = new JsonObject
            {
                ["name"] = kind.Type,
                ["title"] = kind.Type,
                ["summary"] = kind.Summary,
                ["contentType"] = "application/cloudevents+json",
                ["payload"] = Envelope(kind, source),
            };
        }

        var refs = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject { ["$ref"] = $"#/channels/memberEvents/messages/{m.Key}" })]);
        return new JsonObject
        {
            ["asyncapi"] = "3.0.0",
            ["info"] = new JsonObject
            {
                ["title"] = "Loyalty Functions events",
                ["version"] = "1.0.0",
                ["description"] = "Every change to a member, published as CloudEvents 1.0 to an Event Grid topic (CloudEvents input schema), at least once, " +
                    "in order per member. De-duplicate by source + id; order by the sequence extension (per member). Data carries ids and figures only.",
            },
            ["defaultContentType"] = "application/cloudevents+json",
            ["servers"] = new JsonObject
            {
                ["eventGrid"] = new JsonObject
                {
                    ["host"] = "{topic}.{region}-1.eventgrid.azure.net",
                    ["pathname"] = "/api/events",
                    ["protocol"] = "https",
                    ["description"] = "The Event Grid custom topic of the deployment (Events__TopicEndpoint); subscribe webhooks, Service Bus queues, Event Hubs or functions to it.",
                    ["variables"] = new JsonObject
                    {
                        ["topic"] = new JsonObject { ["description"] = "The topic's name." },
                        ["region"] = new JsonObject { ["description"] = "The topic's Azure region." },
                    },
                },
            },
            ["channels"] = new JsonObject
            {
                ["memberEvents"] = new JsonObject
                {
                    ["address"] = "members/{memberId}",
                    ["description"] = "The events of one member; the address is the CloudEvents subject.",
                    ["parameters"] = new JsonObject { ["memberId"] = new JsonObject { ["description"] = "The member's id." } },
                    ["messages"] = new JsonObject([.. messages.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)new JsonObject { ["$ref"] = $"#/components/messages/{m.Key}" }))]),
                },
            },
            ["operations"] = new JsonObject
            {
                ["publishMemberEvents"] = new JsonObject
                {
                    ["action"] = "send",
                    ["channel"] = new JsonObject { ["$ref"] = "#/channels/memberEvents" },
                    ["messages"] = refs,
                },
            },
            ["components"] = new JsonObject { ["messages"] = messages, ["schemas"] = schemas },
        };
    }

    // The CloudEvents envelope (structured JSON mode) of one event type, with its data's schema.
    private static JsonObject Envelope(EventKind kind, string source) => new()
    {
        ["type"] = "object",
        ["required"] = new JsonArray("specversion", "id", "source", "type", "subject", "time", "sequence", "datacontenttype", "data"),
        ["properties"] = new JsonObject
        {
            ["specversion"] = new JsonObject { ["const"] = "1.0" },
            ["id"] = new JsonObject { ["type"] = "string", ["description"] = "{memberId}:{sequence number}: the same on every delivery." },
            ["source"] = new JsonObject { ["type"] = "string", ["examples"] = new JsonArray(source) },
            ["type"] = new JsonObject { ["const"] = kind.Type },
            ["subject"] = new JsonObject { ["type"] = "string", ["pattern"] = "^members/[A-Za-z0-9_-]{1,64}$" },
            ["time"] = new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "When the change committed." },
            ["sequence"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]{19}$", ["description"] = "The member's sequence number (CloudEvents sequence extension), zero-padded so that it sorts as text: 1, 2, … without gaps per member." },
            ["datacontenttype"] = new JsonObject { ["const"] = "application/json" },
            ["data"] = new JsonObject { ["$ref"] = $"#/components/schemas/{kind.Data.Name}" },
        },
    };
}
