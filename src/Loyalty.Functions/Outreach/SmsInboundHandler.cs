using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;

using Loyalty.Functions.Invocations;

namespace Loyalty.Functions.Outreach;

/// <summary>ACS SMS events from Event Grid: a reply with a STOP or START keyword changes the sender's consent (every
/// member with that phone number), and a delivery report updates the outbox row its tag names. Events arrive as the
/// Functions host passes them: an object or a JSON string, one event or an array, camelCase or PascalCase members.
/// Phone numbers and message texts are never logged.</summary>
public sealed partial class SmsInboundHandler(MemberStore store, MemberIndexes indexes, Outbox outbox, TimeProvider time, ILogger<SmsInboundHandler> logger)
{
    public const string Received = "Microsoft.Communication.SMSReceived";
    public const string DeliveryReport = "Microsoft.Communication.SMSDeliveryReportReceived";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    /// <summary>Handles the events in <paramref name="json"/>; what was done with each, for the invocation log. Null
    /// when the payload is not an event or a list of them.</summary>
    public async Task<IReadOnlyList<string>?> HandleAsync(byte[] json, CancellationToken ct)
    {
        if (Parse(json) is not { } root)
        {
            return null;
        }

        var events = root.ValueKind == JsonValueKind.Array ? [.. root.EnumerateArray().Select(Unwrap)] : new List<JsonElement> { root };
        if (events.Count == 0 || events.Any(e => e.ValueKind != JsonValueKind.Object))
        {
            return null;
        }

        var done = new List<string>();
        foreach (var e in events)
        {
            done.Add(await HandleEventAsync(e, ct));
        }

        return done;
    }

    private async Task<string> HandleEventAsync(JsonElement e, CancellationToken ct)
    {
        var type = Text(e, "eventType") ?? Text(e, "type");
        var id = Text(e, "id") ?? "";
        var data = Member(e, "data") is { } d ? Unwrap(d) : default;
        if (data.ValueKind != JsonValueKind.Object)
        {
            return $"event {id}: no data; ignored";
        }

        if (string.Equals(type, Received, StringComparison.OrdinalIgnoreCase))
        {
            return await ReceivedAsync(id, data, Time(e, "eventTime"), ct);
        }

        if (string.Equals(type, DeliveryReport, StringComparison.OrdinalIgnoreCase))
        {
            return await DeliveryAsync(id, data, ct);
        }

        return $"event {id}: type {type ?? "(none)"} is not an SMS event; ignored";
    }

    private async Task<string> ReceivedAsync(string eventId, JsonElement data, DateTimeOffset? eventTime, CancellationToken ct)
    {
        var request = ConsentKeywords.Parse(Text(data, "message"));
        if (request == ConsentRequest.None)
        {
            LogNotKeyword(logger, eventId);
            return $"event {eventId}: a reply without a consent keyword; nothing to do";
        }

        var from = Normalize(Text(data, "from"));
        if (from is null || !E164().IsMatch(from))
        {
            return $"event {eventId}: the sender is not an E.164 number; ignored";
        }

        var optIn = request == ConsentRequest.OptIn;
        var at = Time(data, "receivedTimestamp") ?? eventTime ?? time.GetUtcNow();
        var source = SourceId(Text(data, "messageId") ?? eventId);
        var now = time.GetUtcNow();
        var changed = 0;
        var matched = 0;
        var hints = indexes.PhonePartitions(from).ToAsyncEnumerable().SelectMany(partition => indexes.PartitionAsync(Tables.Phones, partition, ct));
        await foreach (var hint in hints)
        {
            var member = await store.GetAsync(hint.Member, ct);
            if (member is null || member.IsErased || member.Profile.Phone != from)
            {
                // The member has another number now (or is gone): the hint is stale.
                if (hint.WrittenAt is { } written && written < now - OutreachPlanner.HintSettle)
                {
                    await indexes.RemoveAsync(hint, ct);
                }

                continue;
            }

            matched++;
            var outcome = await store.SetSmsOptInAsync(member.Id, optIn, at, source, "sms", ct);
            if (outcome == ConsentOutcome.Changed)
            {
                changed++;
            }

            LogConsent(logger, member.Id.Value, optIn, outcome);
        }

        var what = optIn ? "START" : "STOP";
        return matched == 0
            ? $"event {eventId}: {what} from a number no member has; nothing to do"
            : $"event {eventId}: {what} for {matched} member(s), consent changed for {changed}";
    }

    private async Task<string> DeliveryAsync(string eventId, JsonElement data, CancellationToken ct)
    {
        if (!OutboxKey.TryParseTag(Text(data, "tag"), out var key))
        {
            return $"event {eventId}: a delivery report without an outbox tag; ignored";
        }

        var status = Text(data, "deliveryStatus");
        var recorded = await outbox.RecordDeliveryAsync(key, status, Text(data, "deliveryStatusDetails"), Time(data, "receivedTimestamp"), ct);
        LogDelivery(logger, key.Campaign.Name(), key.Period, key.Member.Value, status, recorded);
        return recorded
            ? $"event {eventId}: {key.Campaign.Name()} {key.Period} for {key.Member.Value} {status}"
            : $"event {eventId}: no outbox row {key.Campaign.Name()} {key.Period} for {key.Member.Value}; ignored";
    }

    // ACS sends E.164; the documentation's samples also show the digits alone ("15555555555").
    private static string? Normalize(string? number)
    {
        if (string.IsNullOrWhiteSpace(number))
        {
            return null;
        }

        var digits = new string([.. number.Where(char.IsAsciiDigit)]);
        return "+" + digits;
    }

    // ACS message ids are GUID-like; anything else is reduced to a hash so that it fits a row key.
    private static string SourceId(string id)
    {
        var kept = new string([.. id.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')]);
        return kept.Length is > 0 and <= Ids.MaxLength && kept.Length == id.Length
            ? kept
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
    }

    private static JsonElement? Parse(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return Unwrap(document.RootElement.Clone());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // A value the host passed as a JSON string that holds JSON.
    private static JsonElement Unwrap(JsonElement value)
    {
        for (var i = 0; i < 4 && value.ValueKind == JsonValueKind.String; i++)
        {
            var text = value.GetString()!.AsSpan().Trim();
            if (text.IsEmpty || text[0] is not ('{' or '['))
            {
                break;
            }

            try
            {
                using var document = JsonDocument.Parse(value.GetString()!, DocumentOptions);
                value = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                break;
            }
        }

        return value;
    }

    private static JsonElement? Member(JsonElement element, string name) => FunctionInvocation.Member(element, name);

    private static string? Text(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        DateTimeOffset.TryParse(Text(element, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    [System.Text.RegularExpressions.GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial System.Text.RegularExpressions.Regex E164();

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS event {EventId}: a reply without a consent keyword")]
    private static partial void LogNotKeyword(ILogger logger, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS consent of {MemberId} set to {SmsOptIn} by a reply: {Outcome}")]
    private static partial void LogConsent(ILogger logger, string memberId, bool smsOptIn, ConsentOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery report for {Campaign} {Period} of {MemberId}: {DeliveryStatus} (recorded: {Recorded})")]
    private static partial void LogDelivery(ILogger logger, string campaign, string period, string memberId, string? deliveryStatus, bool recorded);
}
