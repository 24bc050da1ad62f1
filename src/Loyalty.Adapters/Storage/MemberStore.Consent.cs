using Azure.Data.Tables;
using Loyalty.Adapters.Events;
using Loyalty.Domain;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>What a consent request did.</summary>
public enum ConsentOutcome
{
    /// <summary>The member's <c>smsOptIn</c> changed, and the request is in their history.</summary>
    Changed,

    /// <summary>It already was as asked; the request is in their history.</summary>
    Unchanged,

    /// <summary>The same request (same source id) was recorded before: nothing changed now.</summary>
    AlreadyRecorded,

    MemberNotFound,

    /// <summary>The member's data was erased: nothing is recorded.</summary>
    Erased,
}

public sealed partial class MemberStore
{
    /// <summary>Row keys of the consent history in a member's partition: <c>consent|{yyyyMMddTHHmmssfffZ}|{source id}</c>.</summary>
    public const string ConsentPrefix = "consent|";

    /// <summary>Sets the member's SMS consent as they asked (a STOP or START reply) and records the request in their
    /// history, in one transaction. <paramref name="sourceId"/> identifies the request (the inbound message), so a
    /// redelivery of it changes nothing, even after a later request changed the consent back.</summary>
    /// <param name="channel">How the member asked, e.g. <c>sms</c>.</param>
    public async Task<ConsentOutcome> SetSmsOptInAsync(MemberId id, bool optIn, DateTimeOffset requestedAt, string sourceId, string channel, CancellationToken ct)
    {
        if (!Ids.IsValid(sourceId))
        {
            throw new ArgumentException("The source id must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'.", nameof(sourceId));
        }

        var rowKey = $"{ConsentPrefix}{requestedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}|{sourceId}";
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
            var changed = member.Profile.SmsOptIn != optIn;
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Add, new TableEntity(id.Value, rowKey)
                {
                    ["SmsOptIn"] = optIn,
                    ["Changed"] = changed,
                    ["Channel"] = channel,
                    ["RequestedAt"] = requestedAt,
                    ["RecordedAt"] = now,
                }),
            };
            var events = changed ? EventOutbox.Number(id, member.EventSeq, [Profiles.ConsentChanged(optIn, channel)], now, $"consent {sourceId}") : [];
            if (changed)
            {
                var updated = member with { Profile = member.Profile with { SmsOptIn = optIn }, EventSeq = member.EventSeq + 1 };
                actions.Add(new(TableTransactionActionType.UpdateReplace, MemberRows.ToRow(updated, now), member.ETag));
            }

            try
            {
                await CommitAsync(id, actions, events, ct);
                return changed ? ConsentOutcome.Changed : ConsentOutcome.Unchanged;
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
}
