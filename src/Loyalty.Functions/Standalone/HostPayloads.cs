using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Standalone;

/// <summary>The invocation bodies the Functions host sends a custom handler, built the way the host builds them:
/// values that are not JSON objects pass through Json.NET's <c>SerializeObject</c> first, so a string becomes a
/// JSON string holding a quoted string and a number becomes its text. The runner sends exactly this, so that
/// functions see the same thing in both modes.</summary>
public static partial class HostPayloads
{
    /// <summary>A Storage queue message, as the queue trigger passes it.</summary>
    public static JsonObject Queue(string function, string binding, QueueMessageInfo message, DateTimeOffset now)
    {
        // The host leaves out binding data that is null.
        var metadata = new JsonObject { ["DequeueCount"] = Encoded(message.DequeueCount) };
        AddTime(metadata, "ExpirationTime", message.ExpiresOn);
        metadata["Id"] = Encoded(message.Id);
        AddTime(metadata, "InsertionTime", message.InsertedOn);
        AddTime(metadata, "NextVisibleTime", message.NextVisibleOn);
        metadata["PopReceipt"] = Encoded(message.PopReceipt);
        metadata["sys"] = Sys(function, now);
        return new JsonObject
        {
            ["Data"] = new JsonObject { [binding] = Encoded(message.Text) },
            ["Metadata"] = metadata,
        };
    }

    /// <summary>A Service Bus message as the trigger passes it; only the admin endpoint makes these here.</summary>
    public static JsonObject ServiceBus(string function, string binding, string text, string messageId, DateTimeOffset now) => new()
    {
        ["Data"] = new JsonObject { [binding] = Encoded(text) },
        ["Metadata"] = new JsonObject
        {
            ["DeliveryCount"] = Encoded(1),
            ["MessageId"] = Encoded(messageId),
            ["EnqueuedTimeUtc"] = Encoded(now),
            ["SequenceNumber"] = Encoded(0),
            ["sys"] = Sys(function, now),
        },
    };

    /// <summary>A timer tick: <c>TimerInfo</c> is an object, so it is not re-encoded. <c>ScheduleStatus</c> is null:
    /// the runner keeps no schedule monitor.</summary>
    public static JsonObject Timer(string function, string binding, bool isPastDue, DateTimeOffset now) => new()
    {
        ["Data"] = new JsonObject
        {
            [binding] = new JsonObject
            {
                ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                ["ScheduleStatus"] = null,
                ["IsPastDue"] = isPastDue,
            },
        },
        ["Metadata"] = new JsonObject { ["sys"] = Sys(function, now) },
    };

    /// <summary>Any other trigger run from the admin endpoint: the input as its value, no trigger metadata.</summary>
    public static JsonObject Other(string function, string binding, string input, DateTimeOffset now) => new()
    {
        ["Data"] = new JsonObject { [binding] = Encoded(input) },
        ["Metadata"] = new JsonObject { ["sys"] = Sys(function, now) },
    };

    private static JsonObject Sys(string function, DateTimeOffset now) => new()
    {
        ["MethodName"] = function,
        ["UtcNow"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        ["RandGuid"] = Guid.NewGuid().ToString(),
    };

    private static JsonNode Encoded(string? text) => JsonValue.Create(JsonSerializer.Serialize(text, ApiJson.Default.String));

    private static JsonNode Encoded(long number) => JsonValue.Create(number.ToString(CultureInfo.InvariantCulture));

    // Json.NET writes DateTimeOffset as ISO 8601 with its offset.
    private static JsonNode Encoded(DateTimeOffset time) =>
        Encoded(time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture));

    private static void AddTime(JsonObject metadata, string key, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            metadata[key] = Encoded(t);
        }
    }
}

/// <summary>The parts of a received queue message that the trigger passes on.</summary>
public sealed record QueueMessageInfo(string Id, string PopReceipt, string Text, long DequeueCount, DateTimeOffset? InsertedOn, DateTimeOffset? ExpiresOn, DateTimeOffset? NextVisibleOn);
