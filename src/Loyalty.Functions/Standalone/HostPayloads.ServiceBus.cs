using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;

namespace Loyalty.Functions.Standalone;

public static partial class HostPayloads
{
    /// <summary>A received Service Bus message as the Service Bus trigger (extension v5) passes it: the body as text in
    /// <c>Data.&lt;binding&gt;</c>, and the message's binding data in <c>Metadata</c> under the extension's names
    /// (<c>MessageId</c>, <c>DeliveryCount</c>, <c>EnqueuedTimeUtc</c>, <c>ExpiresAtUtc</c>, <c>SequenceNumber</c>,
    /// <c>LockToken</c>, <c>ApplicationProperties</c>, …), encoded as the host encodes them: scalars through Json.NET
    /// (times in UTC with <c>Z</c>), objects as they are. Null properties are left out, as the host leaves them.</summary>
    public static JsonObject ServiceBus(string function, string binding, ServiceBusReceivedMessage message, DateTimeOffset now)
    {
        var properties = new JsonObject();
        foreach (var (key, value) in message.ApplicationProperties)
        {
            properties[key] = JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        var metadata = new JsonObject
        {
            ["DeliveryCount"] = Encoded(message.DeliveryCount),
            ["LockToken"] = Encoded(message.LockToken),
            ["ExpiresAtUtc"] = Encoded(Utc(message.ExpiresAt)),
            ["EnqueuedTimeUtc"] = Encoded(Utc(message.EnqueuedTime)),
            ["MessageId"] = Encoded(message.MessageId),
            ["SequenceNumber"] = Encoded(message.SequenceNumber),
        };
        AddText(metadata, "ContentType", message.ContentType);
        AddText(metadata, "CorrelationId", message.CorrelationId);
        AddText(metadata, "Subject", message.Subject);
        AddText(metadata, "Label", message.Subject);
        AddText(metadata, "SessionId", message.SessionId);
        AddText(metadata, "ReplyTo", message.ReplyTo);
        AddText(metadata, "To", message.To);
        metadata["ApplicationProperties"] = properties;
        metadata["UserProperties"] = properties.DeepClone();
        metadata["sys"] = Sys(function, now);
        return new JsonObject
        {
            ["Data"] = new JsonObject { [binding] = Encoded(message.Body.ToString()) },
            ["Metadata"] = metadata,
        };
    }

    // The extension's *Utc values are DateTime in UTC, which Json.NET writes with a Z.
    private static string Utc(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static void AddText(JsonObject metadata, string key, string? value)
    {
        if (value is not null)
        {
            metadata[key] = Encoded(value);
        }
    }
}
