using Azure.Data.Tables;
using Loyalty.Adapters.Events;
using Loyalty.Domain;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>What a consent request did.</summary>
public enum ConsentOutcome
{
    /// <summary>The member's consent changed, and the request is in their consent record.</summary>
    Changed,

    /// <summary>It already was as asked; the request is in their consent record.</summary>
    Unchanged,

    /// <summary>The same request (same source id) was recorded before: nothing changed now.</summary>
    AlreadyRecorded,

    /// <summary>The reply asks for nothing here (YES with no request pending), or it is not the member's (received before
    /// they were given the number): nothing is recorded.</summary>
    NotApplicable,

    MemberNotFound,

    /// <summary>The member's data was erased: nothing is recorded.</summary>
    Erased,
}

public sealed partial class MemberStore
{
    /// <summary>Row keys of the consent record in a member's partition: <c>consent|{yyyyMMddTHHmmssfffZ}|{source id}</c>.</summary>
    public const string ConsentPrefix = "consent|";

    /// <summary>Applies an SMS keyword (STOP, START, YES) to the member's consent as <see cref="Consents.OnKeyword"/>
    /// decides and records the request in their consent record, in one transaction. The source's id identifies the
    /// request (the inbound message), so a redelivery of it changes nothing, even after a later request changed the
    /// consent back. A text from <paramref name="from"/> received before the member was given that number is not theirs
    /// (<see cref="MemberProfile.MayHaveSent"/>): nothing is recorded.</summary>
    public async Task<ConsentOutcome> ApplyKeywordAsync(
        MemberId id, string from, SmsKeyword keyword, DateTimeOffset requestedAt, ConsentSource source, CancellationToken ct)
    {
        var rowKey = ConsentRowKey(requestedAt, source.Id);
        return await contention.RunAsync<ConsentOutcome>(id.Value, async _ =>
        {
            var member = await GetAsync(id, ct);
            if (member is null)
            {
                return ConsentOutcome.MemberNotFound;
            }

            if (member.IsErased)
            {
                return ConsentOutcome.Erased;
            }

            var now = time.GetUtcNow();
            var before = member.Profile.Sms;
            if (!member.Profile.MayHaveSent(from, requestedAt) || Consents.OnKeyword(before, keyword, requestedAt, now) is not { } after)
            {
                return ConsentOutcome.NotApplicable;
            }

            var record = Consents.Record(before, after, source, requestedAt, now);
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, ConsentRow(id, rowKey, record)) };
            var events = record.Changed ? EventOutbox.Number(id, member.EventSeq, [Profiles.ConsentChanged(after, source.Channel)], now, $"consent {source.Id}") : [];
            if (record.Changed)
            {
                var updated = member with { Profile = member.Profile with { Sms = after }, EventSeq = member.EventSeq + 1 };
                actions.Add(new(TableTransactionActionType.UpdateReplace, MemberRows.ToRow(updated, now), member.ETag));
            }

            try
            {
                await CommitAsync(id, actions, events, ct);
                return record.Changed ? ConsentOutcome.Changed : ConsentOutcome.Unchanged;
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex == 0)
            {
                return ConsentOutcome.AlreadyRecorded;
            }
            catch (TableTransactionFailedException e) when (e.Status == 412)
            {
                // The member changed since we read them: read again.
                return Attempt<ConsentOutcome>.Retry;
            }
        }, ct);
    }

    /// <summary>The member's consent record, oldest first.</summary>
    public Task<IReadOnlyList<ConsentRecord>> GetConsentRecordAsync(MemberId id, CancellationToken ct) =>
        Table.ReadPrefixAsync(id, ConsentPrefix, ToConsentRecord, ct);

    private static string ConsentRowKey(DateTimeOffset requestedAt, string sourceId) =>
        Ids.IsValid(sourceId)
            ? $"{ConsentPrefix}{requestedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}|{sourceId}"
            : throw new ArgumentException("The source id must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'.", nameof(sourceId));

    /// <summary>The action that adds a consent-record entry, for the transaction that changes the consent; null when
    /// <paramref name="before"/> and <paramref name="after"/> are the same.</summary>
    private static TableTransactionAction? ConsentAction(MemberId id, SmsConsent before, SmsConsent after, ConsentSource source, DateTimeOffset now)
    {
        if (!Consents.Differ(before, after))
        {
            return null;
        }

        var record = Consents.Record(before, after, source, now, now);
        return new TableTransactionAction(TableTransactionActionType.Add, ConsentRow(id, ConsentRowKey(now, source.Id), record));
    }

    // No phone, name or message text: the record keeps what was decided, when, how, by whom, and the program's wording.
    private static TableEntity ConsentRow(MemberId id, string rowKey, ConsentRecord record) => new(id.Value, rowKey)
    {
        ["Consent"] = record.Consent,
        ["SmsOptIn"] = record.Consent == "granted",
        ["PendingUntil"] = record.PendingUntil,
        ["Transactional"] = record.Transactional,
        ["Changed"] = record.Changed,
        ["Channel"] = record.Channel,
        ["Actor"] = record.Actor,
        ["Keyword"] = record.Keyword,
        ["Wording"] = record.Wording,
        ["RequestedAt"] = record.RequestedAt,
        ["RecordedAt"] = record.RecordedAt,
    };

    private static ConsentRecord ToConsentRecord(TableEntity row) => new(
        row.GetDateTimeOffset("RequestedAt") ?? default,
        row.GetDateTimeOffset("RecordedAt") ?? default,
        row.GetString("Channel") ?? "",
        row.GetString("Actor"),
        row.GetString("Consent") ?? (row.GetBoolean("SmsOptIn") == true ? "granted" : "revoked"),
        row.GetDateTimeOffset("PendingUntil"),
        row.GetBoolean("Transactional") ?? false,
        row.GetBoolean("Changed") ?? false,
        row.GetString("Keyword"),
        row.GetString("Wording"));
}
