using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;
using Loyalty.Functions.Invocations;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Outreach;

/// <summary>ACS SMS events from Event Grid. A message with a keyword (<see cref="SmsKeywords"/>) from a member's number:
/// STOP, START and YES change the consent of every member with that number (and are confirmed once, where the program
/// confirms and the sender takes replies); HELP is answered with the program's name, contact and how to stop; a balance
/// request is answered when exactly one member has the number, a few times a day at most. Every answer is an outbox
/// message, sent as every message is. A number no member has gets an answer to HELP (and a STOP confirmation), from its
/// own partition, a few a day at most; nothing else. A delivery report updates the outbox row its tag names. Events arrive as the
/// Functions host passes them: an object or a JSON string, one event or an array, camelCase or PascalCase members.
/// Phone numbers and message texts are never logged.</summary>
public sealed partial class SmsInboundHandler(
    MemberStore store,
    MemberIndexes indexes,
    Outbox outbox,
    OutreachPlanner planner,
    ProgramDefinition program,
    IOptions<AcsSmsOptions> smsOptions,
    TimeProvider time,
    ILogger<SmsInboundHandler> logger)
{
    public const string Received = "Microsoft.Communication.SMSReceived";
    public const string DeliveryReport = "Microsoft.Communication.SMSDeliveryReportReceived";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    private OutreachDefinition Rules => program.Outreach;

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
        var (keyword, word) = SmsKeywords.Recognise(Text(data, "message"));
        if (keyword == SmsKeyword.None)
        {
            LogNotKeyword(logger, eventId);
            return $"event {eventId}: a reply without a keyword; nothing to do";
        }

        var from = Normalize(Text(data, "from"));
        if (from is null || !E164().IsMatch(from))
        {
            return $"event {eventId}: the sender is not an E.164 number; ignored";
        }

        var at = Time(data, "receivedTimestamp") ?? eventTime ?? time.GetUtcNow();
        var source = SourceId(Text(data, "messageId") ?? eventId);
        var holders = await MembersWithAsync(from, ct);
        if (holders.Count == 0)
        {
            return await StrangerAsync(eventId, from, keyword, word!, source, ct);
        }

        // A text delivered again (or late) after the number changed hands was the previous holder's: nobody's to answer.
        var members = holders.Where(m => m.Profile.MayHaveSent(from, at)).ToList();
        if (members.Count == 0)
        {
            return $"event {eventId}: received before the number's members were given it; nothing to do";
        }

        return keyword switch
        {
            SmsKeyword.Help => $"event {eventId}: HELP from {members.Count} member(s); {await ReplyAsync(members[0], Campaign.Help, source, ct)}",
            SmsKeyword.Balance when members.Count > 1 => $"event {eventId}: {word} from a number {members.Count} members share; not answered",
            SmsKeyword.Balance => $"event {eventId}: {word}; {await ReplyAsync(members[0], Campaign.Balance, source, ct)}",
            _ => await ConsentAsync(eventId, members, from, keyword, word!, at, source, ct),
        };
    }

    /// <summary>Applies STOP, START or YES to every member with the number, and confirms it once (to the first of
    /// them) where the program confirms and the sender takes replies.</summary>
    private async Task<string> ConsentAsync(
        string eventId, IReadOnlyList<StoredMember> members, string from, SmsKeyword keyword, string word, DateTimeOffset at, string source, CancellationToken ct)
    {
        var changed = 0;
        var applied = 0;
        foreach (var member in members)
        {
            var consent = new ConsentSource("sms", source, "member", Wording(member, keyword), word);
            var outcome = await store.ApplyKeywordAsync(member.Id, from, keyword, at, consent, ct);
            changed += outcome == ConsentOutcome.Changed ? 1 : 0;
            applied += outcome is ConsentOutcome.Changed or ConsentOutcome.Unchanged or ConsentOutcome.AlreadyRecorded ? 1 : 0;
            LogConsent(logger, member.Id.Value, keyword, outcome);
        }

        var confirmation = keyword == SmsKeyword.OptOut ? Campaign.StopConfirmation : Campaign.StartConfirmation;
        var reply = applied == 0 ? "nothing to confirm"
            : !Rules.Confirmations ? "confirmations are off"
            : await ReplyAsync(members[0], confirmation, source, ct);
        return $"event {eventId}: {word} for {members.Count} member(s), consent changed for {changed}; {reply}";
    }

    /// <summary>Plans a reply to the member's message (its period is the message's id, so a redelivery plans nothing
    /// more) through the outbox, as every message goes; balance answers count against the day's limit.</summary>
    private async Task<string> ReplyAsync(StoredMember member, Campaign campaign, string source, CancellationToken ct)
    {
        if (!smsOptions.Value.TakesReplies)
        {
            return "the sender takes no replies, so none is sent";
        }

        var now = time.GetUtcNow();
        var row = new OutboxRow { Key = new OutboxKey(member.Id, campaign, source), Status = MessageStatus.Planned, PlannedAt = now, PlannedFor = now };
        var planned = campaign == Campaign.Balance
            ? await planner.PlanMessageAsync(row, ct, BalanceCounter(SendingWindows.LocalDay(now, member.Profile.Zone)), Rules.BalanceRepliesPerDay)
            : await planner.PlanMessageAsync(row, ct);
        return planned ? $"{campaign.Name()} reply planned" : $"{campaign.Name()} reply not planned (the day's limit is reached)";
    }

    /// <summary>A keyword from a number no member has. HELP (and INFO) is answered (<c>help-stranger</c>: no balance line,
    /// since BAL does nothing for such a number), as carriers expect of any number;
    /// STOP is confirmed (where the program confirms), since carriers expect that whether or not the number was
    /// subscribed, and records nothing: there is no consent to change. Anything else gets nothing. The answer is an
    /// outbox row in the number's own partition (<see cref="NumberPartition"/>), holding the number only until it is
    /// sent, in the keyword's language, at most <see cref="StrangerRepliesPerDay"/> a UTC day per number.</summary>
    private async Task<string> StrangerAsync(string eventId, string from, SmsKeyword keyword, string word, string source, CancellationToken ct)
    {
        var campaign = keyword switch
        {
            SmsKeyword.Help => Campaign.StrangerHelp,
            SmsKeyword.OptOut when Rules.Confirmations => Campaign.StopConfirmation,
            _ => (Campaign?)null,
        };
        if (campaign is not { } reply)
        {
            return $"event {eventId}: {word} from a number no member has; nothing to do";
        }

        if (!smsOptions.Value.TakesReplies)
        {
            return $"event {eventId}: {word} from a number no member has; the sender takes no replies, so none is sent";
        }

        var now = time.GetUtcNow();
        var key = new OutboxKey(NumberPartition(from), reply, source);
        var row = new OutboxRow { Key = key, Status = MessageStatus.Planned, PlannedAt = now, PlannedFor = now, To = from, Locale = SmsKeywords.LocaleOf(word) };

        // The hint first: a row that holds a number is always found again by the reconciliation if its send job is lost.
        // Once the job is on the queue the hint goes (unless the sender has begun the message and written it again).
        var hint = await outbox.PrepareAsync([key], now, ct);
        var planned = await planner.PlanMessageAsync(row, ct, StrangerCounter(DateOnly.FromDateTime(now.UtcDateTime)), StrangerRepliesPerDay);
        if (planned)
        {
            await outbox.ForgetSendingAsync(key, ct, hint[0]);
        }

        return planned
            ? $"event {eventId}: {word} from a number no member has; {reply.Name()} reply planned"
            : $"event {eventId}: {word} from a number no member has; {reply.Name()} reply not planned (the day's limit is reached)";
    }

    /// <summary>Replies a number no member has gets in a UTC day at most: enough for a person asking for help, too few
    /// for a stranger to use the program to flood someone else's phone.</summary>
    public const int StrangerRepliesPerDay = 3;

    /// <summary>The partition of the members table that holds the replies to a number no member has: <c>number-</c> and a
    /// keyed HMAC of the number (<see cref="PhoneKeys"/>), so that neither the key nor the table shows the number.
    /// Member ids are chosen by storefronts but cannot be guessed to collide: the HMAC's secret is the program's.</summary>
    public MemberId NumberPartition(string e164) => MemberId.Parse(Outbox.NumberPrefix + indexes.PhonePartitions(e164).First()[..57]);

    /// <summary>The row counting the replies to a number no member has on a UTC day.</summary>
    public static string StrangerCounter(DateOnly day) => Outbox.NumberCounter(day);

    /// <summary>The row counting a member's balance answers on their local day.</summary>
    public static string BalanceCounter(DateOnly day) => $"replies|balance|{day:yyyy-MM-dd}";

    // The program's wording the member answered: the opt-out hint for STOP, the request for a YES.
    private string? Wording(StoredMember member, SmsKeyword keyword) => keyword switch
    {
        SmsKeyword.OptOut => Rules.OptOutHints()[Locales.Resolve(member.Profile.Locale, Rules.OptOutHints().Keys)],
        SmsKeyword.Confirm => Rules.Render(Campaign.OptInRequest, member.Profile.Locale, new TemplateValues { ProgramName = program.Name, Contact = Rules.ContactIn(member.Profile.Locale) }).Text,
        _ => null,
    };

    /// <summary>The members whose phone is <paramref name="from"/>, by id, found through the keyed hints; stale hints
    /// (the member has another number now, or is gone) are dropped once they have settled.</summary>
    private async Task<IReadOnlyList<StoredMember>> MembersWithAsync(string from, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var found = new List<StoredMember>();
        var hints = indexes.PhonePartitions(from).ToAsyncEnumerable().SelectMany(partition => indexes.PartitionAsync(Tables.Phones, partition, ct));
        await foreach (var hint in hints)
        {
            var member = await store.GetAsync(hint.Member, ct);
            if (member is null || member.IsErased || member.Profile.Phone != from)
            {
                if (hint.WrittenAt is { } written && written < now - OutreachPlanner.HintSettle)
                {
                    await indexes.RemoveAsync(hint, ct);
                }

                continue;
            }

            if (found.All(m => m.Id != member.Id))
            {
                found.Add(member);
            }
        }

        return [.. found.OrderBy(m => m.Id.Value, StringComparer.Ordinal)];
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

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS consent of {MemberId} after a {Keyword} reply: {Outcome}")]
    private static partial void LogConsent(ILogger logger, string memberId, SmsKeyword keyword, ConsentOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery report for {Campaign} {Period} of {MemberId}: {DeliveryStatus} (recorded: {Recorded})")]
    private static partial void LogDelivery(ILogger logger, string campaign, string period, string memberId, string? deliveryStatus, bool recorded);
}
