using Azure;
using Azure.Data.Tables;
using Loyalty.Adapters.Events;
using Loyalty.Domain;
using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>Everything stored in a member's partition, for a data export.</summary>
/// <param name="Ledger">Every ledger entry, oldest first.</param>
/// <param name="Operations">Every operation row (purchases, redemptions, returns, …) in row-key order.</param>
/// <param name="Events">The member's events still in the outbox (pending, or published and not yet past retention), in order.</param>
/// <param name="OtherRows">Rows of any other kind, as stored (without the partition key and ETag), so that an export
/// stays complete when a feature adds rows this code does not know.</param>
public sealed record MemberPartition(
    StoredMember Member,
    IReadOnlyList<LedgerEntry> Ledger,
    IReadOnlyList<PartitionOperation> Operations,
    IReadOnlyList<StoredEvent> Events,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> OtherRows)
{
    /// <summary>The member's consent record, oldest first.</summary>
    public IReadOnlyList<ConsentRecord> Consents { get; init; } = [];
}

public sealed record PartitionOperation(StoredOperation Operation, DateTimeOffset? RecordedAt);

/// <summary>The outcome of an erasure: the member as stored after it, and whether this request erased them.</summary>
public sealed record Erasure(StoredMember Member, bool ErasedNow);

public sealed partial class MemberStore
{
    /// <summary>The member's operations of one kind (e.g. every redemption), in row-key order.</summary>
    public Task<IReadOnlyList<StoredOperation>> ListOperationsAsync(MemberId id, string kind, CancellationToken ct)
    {
        var prefix = $"{MemberRows.OperationPrefix}{kind}|";
        return Table.ReadPrefixAsync(id, prefix, row => ToOperation(new OperationKey(kind, OperationId.Parse(row.RowKey[prefix.Length..])), row), ct);
    }

    /// <summary>Reads the member's whole partition, or null when there is no such member.</summary>
    public async Task<MemberPartition?> ReadPartitionAsync(MemberId id, CancellationToken ct)
    {
        StoredMember? member = null;
        var ledger = new List<LedgerEntry>();
        var operations = new List<PartitionOperation>();
        var events = new List<StoredEvent>();
        var other = new List<IReadOnlyDictionary<string, object?>>();
        var consents = new List<ConsentRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id.Value}");
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            if (row.RowKey == MemberRows.MemberRowKey)
            {
                member = MemberRows.ToMember(row);
            }
            else if (row.RowKey.StartsWith(MemberRows.EntryPrefix, StringComparison.Ordinal))
            {
                ledger.Add(MemberRows.ToEntry(row));
            }
            else if (ParseOperationKey(row.RowKey) is { } key)
            {
                operations.Add(new PartitionOperation(ToOperation(key, row), row.GetDateTimeOffset("RecordedAt")));
            }
            else if (row.RowKey.StartsWith(EventOutbox.EventPrefix, StringComparison.Ordinal))
            {
                events.Add(EventOutbox.ToEvent(row));
            }
            else if (row.RowKey.StartsWith(ConsentPrefix, StringComparison.Ordinal))
            {
                consents.Add(ToConsentRecord(row));
            }
            else if (row.RowKey == EventOutbox.CursorRowKey)
            {
                continue;
            }
            else
            {
                other.Add(row.Where(p => p.Key is not ("PartitionKey" or "odata.etag")).ToDictionary(p => p.Key, p => (object?)p.Value));
            }
        }

        return member is null ? null : new MemberPartition(member, [.. ledger.OrderBy(e => e.Seq)], operations, events, other) { Consents = consents };
    }

    /// <summary>Creates the member or replaces their profile with <paramref name="profile"/> (erasure stays final).</summary>
    public Task<ProfileSave> SaveProfileAsync(MemberId id, MemberProfile profile, CancellationToken ct) =>
        SaveProfileAsync(id, current => current is { IsErased: true } ? new MemberErased() : ProfileDecision.Store(profile), ct);

    /// <summary>Creates the member or replaces their profile: <paramref name="decide"/> sees the member as stored (null
    /// when new) on every attempt and returns the profile to store, or a refusal. The personal hints an attempt writes are
    /// recorded on the member row when it commits; those of attempts that did not commit (the member was erased
    /// meanwhile, or changed) are deleted again, and so are the member's previous phone and birthday hints.</summary>
    public Task<ProfileSave> SaveProfileAsync(MemberId id, Func<StoredMember?, ProfileDecision> decide, CancellationToken ct) =>
        SaveProfileAsync(id, decide, new ConsentSource("api", Guid.NewGuid().ToString("N")), ct);

    /// <summary>As <see cref="SaveProfileAsync(MemberId, Func{StoredMember?, ProfileDecision}, CancellationToken)"/>; a
    /// change of SMS consent is added to the member's consent record, in the same transaction, as coming from
    /// <paramref name="source"/>.</summary>
    public async Task<ProfileSave> SaveProfileAsync(MemberId id, Func<StoredMember?, ProfileDecision> decide, ConsentSource source, CancellationToken ct)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        var save = await contention.RunAsync(id.Value, async _ =>
        {
            var now = time.GetUtcNow();
            var current = await GetAsync(id, ct);
            var decision = decide(current);
            if (decision.Profile is not { } profile)
            {
                return new ProfileSave(false, current, decision.Refusal);
            }

            var was = current?.Profile.Sms ?? SmsConsent.None;
            if (profile.Sms.State != was.State && profile.Sms.Since is null)
            {
                profile = profile with { Sms = profile.Sms with { Since = now } };
            }

            profile = profile with { PhoneSince = profile.Phone == current?.Profile.Phone ? current?.Profile.PhoneSince : profile.Phone is null ? null : now };

            var account = current?.Account ?? new Account { EnrolledAt = now };
            if (await ClaimCardsAsync(id, current, profile, written, now, ct) is { } taken)
            {
                return new ProfileSave(false, current, taken);
            }

            written.UnionWith(await indexes.AddHintsAsync(id, current, profile, account, ct));
            var hints = Union(current?.PersonalHints ?? new HashSet<string>(), indexes.PersonalHintsOf(profile));
            var events = EventOutbox.Number(id, current?.EventSeq ?? 0, Profiles.Saved(current, profile, account.EnrolledAt, source.Channel), now, "profile");
            var saved = new StoredMember(id, profile, account, default, null, hints, (current?.EventSeq ?? 0) + events.Count);
            try
            {
                var row = MemberRows.ToRow(saved, now);
                var write = current is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, row)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, current.ETag);
                var consent = ConsentAction(id, was, profile.Sms, source, now);
                var response = await CommitAsync(id, consent is null ? [write] : [write, consent], events, ct);
                return new ProfileSave(current is null, saved with { ETag = response.Value[0].Headers.ETag ?? default }, null);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone else created or changed the member since we read it: read again.
                return Attempt<ProfileSave>.Retry;
            }
        }, ct);

        var needed = save.Member is { IsErased: false } m ? indexes.PersonalHintsOf(m.Profile) : new HashSet<string>();
        await indexes.RemovePersonalAsync(id, (save.Member?.PersonalHints ?? written).Union(written).Where(h => !needed.Contains(h)), ct);
        return save;
    }

    /// <summary>Erases the member's personal data (<see cref="Profiles.Erase"/>) and then every hint that leads to the
    /// person: the row keeps the list of those hints until they are all deleted, so a repeated request completes an
    /// erasure that stopped part-way. A profile change racing the erasure either commits first (its hints are on the
    /// list) or fails on the ETag and deletes its own. Idempotent; null when there is no such member.</summary>
    public Task<Erasure?> EraseAsync(MemberId id, CancellationToken ct) => EraseAsync(id, null, ct);

    /// <summary>As <see cref="EraseAsync(MemberId, CancellationToken)"/>; consent the member had ends with an entry in
    /// their consent record (channel <c>erasure</c>, by <paramref name="actor"/>). The consent record itself stays: it
    /// holds no name, phone or message text, and it is what shows that the messages sent before were consented to.</summary>
    public async Task<Erasure?> EraseAsync(MemberId id, string? actor, CancellationToken ct)
    {
        var erasure = await contention.RunAsync(id.Value, async _ =>
        {
            if (await GetAsync(id, ct) is not { } current)
            {
                return null;
            }

            if (current.IsErased)
            {
                return new Erasure(current, ErasedNow: false);
            }

            var now = time.GetUtcNow();
            var erased = (StoredMember)Profiles.Erase(current, now) with
            {
                Hints = Union(current.PersonalHints, indexes.PersonalHintsOf(current.Profile)),
                EventSeq = current.EventSeq + 1,
            };
            try
            {
                var source = new ConsentSource("erasure", "erasure", actor);
                var consent = ConsentAction(id, current.Profile.Sms, erased.Profile.Sms, source, now);
                List<DomainEvent> domainEvents = consent is null ? [Profiles.Erased(now)] : [Profiles.Erased(now), Profiles.ConsentChanged(erased.Profile.Sms, source.Channel)];
                erased = erased with { EventSeq = current.EventSeq + domainEvents.Count };
                var write = new TableTransactionAction(TableTransactionActionType.UpdateReplace, MemberRows.ToRow(erased, now), current.ETag);
                var response = await CommitAsync(
                    id, consent is null ? [write] : [write, consent], EventOutbox.Number(id, current.EventSeq, domainEvents, now, "erase"), ct);
                return new Erasure(erased with { ETag = response.Value[0].Headers.ETag ?? default }, ErasedNow: true);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // The member changed since we read them (a purchase committed): read again.
                return Attempt<Erasure?>.Retry;
            }
        }, ct);

        if (erasure is null)
        {
            return null;
        }

        await indexes.RemoveHintsAsync(id, erasure.Member.PersonalHints, erasure.Member.Account, ct);
        var cleared = await contention.RunAsync(id.Value, async _ =>
        {
            var current = (await GetAsync(id, ct))!;
            if (current.PersonalHints.Count == 0)
            {
                return current;
            }

            try
            {
                var row = new TableEntity(id.Value, MemberRows.MemberRowKey) { ["Hints"] = "" };
                cache.Remove(id);
                var response = await Table.UpdateEntityAsync(row, current.ETag, TableUpdateMode.Merge, ct);
                return current with { Hints = new HashSet<string>(), ETag = response.Headers.ETag ?? default };
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                return Attempt<StoredMember>.Retry;
            }
        }, ct);
        return erasure with { Member = cleared };
    }

    // "op|{kind}|{id}": kinds and ids never contain '|'.
    private static OperationKey? ParseOperationKey(string rowKey)
    {
        if (!rowKey.StartsWith(MemberRows.OperationPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = rowKey[MemberRows.OperationPrefix.Length..];
        var bar = rest.IndexOf('|', StringComparison.Ordinal);
        return bar > 0 && OperationId.TryParse(rest[(bar + 1)..], out var opId) ? new OperationKey(rest[..bar], opId) : null;
    }
}
