using System.Globalization;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>The hint tables that let nightly jobs find the members who are due without scanning everyone, and that
/// find a member by phone. A hint is written before the member change that needs it commits, so a committed change
/// always has its hint; a hint whose change did not commit, or that a later change made stale, is harmless: readers
/// re-read the member and drop hints that no longer hold. Hints that lead to the person (phone, birthday) are also
/// listed on the member row (<see cref="StoredMember.Hints"/>), so that erasure can delete every one of them.</summary>
public sealed class MemberIndexes(TableServiceClient service, PhoneKeys phoneKeys)
{
    private readonly TableClient birthdays = service.GetTableClient(Tables.Birthdays);
    private readonly TableClient lastPurchase = service.GetTableClient(Tables.LastPurchase);
    private readonly TableClient lotExpiry = service.GetTableClient(Tables.LotExpiry);
    private readonly TableClient tierReview = service.GetTableClient(Tables.TierReview);
    private readonly TableClient phones = service.GetTableClient(Tables.Phones);
    private readonly Claims claims = new(service);

    /// <summary>The claim kind of loyalty card numbers: a claim per card, keyed like phone hints (a keyed HMAC of the
    /// number), is both what makes a card unique in the program and the hint that finds its member.</summary>
    public const string CardKind = "card";

    /// <summary>The property in which the outreach planners mark a hint as acted on (<c>campaign:period</c>), so that
    /// the next night's run skips it without reading the member.</summary>
    public const string OutreachMark = "Outreach";

    public static string DayKey(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>The phone index's partitions an E.164 number may have hints in (see <see cref="PhoneKeys"/>).</summary>
    public IEnumerable<string> PhonePartitions(string e164) => phoneKeys.All(e164);

    /// <summary>The claims a card number may be held under, the current key's first (see <see cref="PhoneKeys"/>).</summary>
    public IEnumerable<OperationKey> CardClaims(string card) =>
        phoneKeys.All("card:" + card).Select(k => new OperationKey(CardKind, OperationId.Parse(k)));

    /// <summary>The personal hint a card's claim is listed under on the member row.</summary>
    public static string CardHint(OperationKey claim) => $"{Tables.Claims}:{Claims.PartitionOf(claim)}";

    /// <summary>The personal hints (<c>table:partition</c>) the profile needs: its phone's, its birthday's and its cards'.</summary>
    public IReadOnlySet<string> PersonalHintsOf(MemberProfile profile)
    {
        var hints = profile.Cards.Select(c => CardHint(CardClaims(c).First())).ToHashSet(StringComparer.Ordinal);
        if (profile.Phone is { Length: > 0 } phone)
        {
            hints.Add($"{Tables.Phones}:{phoneKeys.Current(phone)}");
        }

        if (profile.Birthday is { } birthday)
        {
            hints.Add($"{Tables.Birthdays}:{birthday.MonthDay}");
        }

        return hints;
    }

    /// <summary>Writes the hints that the change from the old state to the new one adds (usually none) and returns the
    /// personal ones among them, which the change must record on the member row.</summary>
    public async Task<IReadOnlySet<string>> AddHintsAsync(
        MemberId id, StoredMember? old, MemberProfile newProfile, Account newAccount, CancellationToken ct)
    {
        var (personal, writes) = HintsOf(old, newProfile, newAccount);
        await Task.WhenAll(writes.Select(h => Upsert(h, id, ct)));
        return personal;
    }

    /// <summary>The hints (<c>table:partition</c>) that the change from the old state to the new one adds, and the personal
    /// ones among them, without writing anything: for a caller that writes many members' hints at once (<see cref="AddAllAsync"/>).</summary>
    public (IReadOnlySet<string> Personal, IReadOnlyList<string> Writes) HintsOf(StoredMember? old, MemberProfile newProfile, Account newAccount)
    {
        // Compared with the hints of the old profile, not with the row's list of hints (which keeps every hint the member
        // ever had until erasure): a phone given again after another one had its hint deleted, and must have it back.
        var had = old is null ? new HashSet<string>() : PersonalHintsOf(old.Profile);
        var personal = PersonalHintsOf(newProfile).Where(h => !had.Contains(h)).ToHashSet(StringComparer.Ordinal);

        // Card claims are written (and refused) by the profile save itself, before this.
        var writes = personal.Where(h => !IsClaim(h)).ToList();
        var oldAccount = old?.Account;
        if (newAccount.LastPurchaseAt is { } last && DayOf(last) != (oldAccount?.LastPurchaseAt is { } previous ? DayOf(previous) : null))
        {
            writes.Add($"{Tables.LastPurchase}:{DayKey(DayOf(last))}");
        }

        var oldExpiries = oldAccount?.Lots.Select(l => l.ExpiresOn).ToHashSet() ?? [];
        foreach (var lot in newAccount.Lots.Where(l => l.ExpiresOn is not null && !oldExpiries.Contains(l.ExpiresOn)))
        {
            writes.Add($"{Tables.LotExpiry}:{DayKey(lot.ExpiresOn!.Value)}");
        }

        // A voucher's expiry day is a lot-expiry hint too: the nightly expiry marks it expired, the expiry warning names it.
        var oldCodes = oldAccount?.Vouchers.Select(v => v.Code).ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var day in newAccount.Vouchers.Where(v => v.ExpiresOn is not null && !oldCodes.Contains(v.Code)).Select(v => v.ExpiresOn!.Value).Distinct())
        {
            writes.Add($"{Tables.LotExpiry}:{DayKey(day)}");
        }

        if (newAccount.TierReviewOn is { } review && review != oldAccount?.TierReviewOn)
        {
            writes.Add($"{Tables.TierReview}:{DayKey(review)}");
        }

        return (personal, [.. writes.Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>Writes many members' hints (<c>table:partition</c> each), those of one partition together in batch
    /// transactions of up to 100 rows: the hints of a day or a birthday that many members share cost one request.</summary>
    public Task AddAllAsync(IEnumerable<(MemberId Member, string Hint)> hints, int parallel, CancellationToken ct) =>
        Parallel.ForEachAsync(
            hints.Distinct()
                .Select(h => (h.Member, Where: Split(h.Hint)))
                .GroupBy(h => h.Where)
                .SelectMany(g => g.Chunk(Batches.MaxActions).Select(rows => (g.Key.Table, g.Key.Partition, Members: rows.Select(r => r.Member).ToList()))),
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (batch, token) => await Batches.UpsertAsync(
                service.GetTableClient(batch.Table), batch.Members.Select(m => new TableEntity(batch.Partition, m.Value)), token));

    /// <summary>Deletes personal hints (<c>table:partition</c>) of the member, and gives up their card claims; those already
    /// gone are fine.</summary>
    public Task RemovePersonalAsync(MemberId id, IEnumerable<string> hints, CancellationToken ct) =>
        Task.WhenAll(hints.Select(Split).Select(h => h.Table == Tables.Claims
            ? claims.ReleaseAsync(h.Partition, id, ct)
            : Delete(service.GetTableClient(h.Table), h.Partition, id, ct)));

    private static bool IsClaim(string hint) => hint.StartsWith(Tables.Claims + ":", StringComparison.Ordinal);

    /// <summary>The hints of a day-keyed index for every day up to and including <paramref name="day"/>: what a
    /// nightly job has to look at. Processed hints are removed, so this reads what is due, not the whole index.</summary>
    public async IAsyncEnumerable<Hint> DueAsync(string table, DateOnly day, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey le {DayKey(day)}");
        await foreach (var row in service.GetTableClient(table).QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct))
        {
            if (MemberId.TryParse(row.RowKey, out var id))
            {
                yield return new Hint(table, row.PartitionKey, id, row.ETag);
            }
        }
    }

    /// <summary>The hints of one partition of an index (one birthday <c>MMdd</c>, one phone).</summary>
    public IAsyncEnumerable<Hint> PartitionAsync(string table, string partition, CancellationToken ct) =>
        QueryAsync(table, TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), ct);

    /// <summary>The hints of the partitions from <paramref name="fromPartition"/> to <paramref name="toPartition"/>
    /// (inclusive, in key order): for day-keyed indexes, every day of a range in one query.</summary>
    public IAsyncEnumerable<Hint> RangeAsync(string table, string fromPartition, string toPartition, CancellationToken ct) =>
        QueryAsync(table, TableClient.CreateQueryFilter($"PartitionKey ge {fromPartition} and PartitionKey le {toPartition}"), ct);

    /// <summary>Marks a hint as acted on for <paramref name="mark"/>, unless it changed since it was read (then the next
    /// run looks at the member again, which is harmless).</summary>
    public async Task MarkAsync(Hint hint, string mark, CancellationToken ct)
    {
        try
        {
            var row = new TableEntity(hint.Partition, hint.Member.Value) { [OutreachMark] = mark };
            await service.GetTableClient(hint.Table).UpdateEntityAsync(row, hint.ETag, TableUpdateMode.Merge, ct);
        }
        catch (Azure.RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    /// <summary>Removes a hint once acted on, unless it was written again since it was read (a change that needs
    /// it committed meanwhile): then it stays for the next run.</summary>
    public async Task RemoveAsync(Hint hint, CancellationToken ct)
    {
        try
        {
            await service.GetTableClient(hint.Table).DeleteEntityAsync(hint.Partition, hint.Member.Value, hint.ETag, ct);
        }
        catch (Azure.RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    /// <summary>Deletes the hints that lead to an erased member (the personal ones the row lists, and the last-purchase
    /// and tier-review hints of the account), so that no greeting, win-back, inbound SMS or lookup finds them any more.
    /// Lot-expiry hints stay: the erased member's anonymised points still expire in the nightly job, which keeps the
    /// books right (it needs no personal data).</summary>
    public Task RemoveHintsAsync(MemberId id, IEnumerable<string> personal, Account account, CancellationToken ct)
    {
        var deletes = new List<Task> { RemovePersonalAsync(id, personal, ct) };
        if (account.LastPurchaseAt is { } last)
        {
            deletes.Add(Delete(lastPurchase, DayKey(DayOf(last)), id, ct));
        }

        if (account.TierReviewOn is { } review)
        {
            deletes.Add(Delete(tierReview, DayKey(review), id, ct));
        }

        return Task.WhenAll(deletes);
    }

    private async IAsyncEnumerable<Hint> QueryAsync(string table, string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var columns = new[] { "PartitionKey", "RowKey", "Timestamp", OutreachMark };
        await foreach (var row in service.GetTableClient(table).QueryAsync<TableEntity>(filter, select: columns, cancellationToken: ct))
        {
            if (MemberId.TryParse(row.RowKey, out var id))
            {
                yield return new Hint(table, row.PartitionKey, id, row.ETag, row.Timestamp, row.GetString(OutreachMark));
            }
        }
    }

    private static DateOnly DayOf(DateTimeOffset t) => DateOnly.FromDateTime(t.UtcDateTime);

    private static Task Upsert(TableClient table, string partition, MemberId id, CancellationToken ct) =>
        table.UpsertEntityAsync(new TableEntity(partition, id.Value), TableUpdateMode.Replace, ct);

    private Task Upsert(string hint, MemberId id, CancellationToken ct)
    {
        var (table, partition) = Split(hint);
        return Upsert(service.GetTableClient(table), partition, id, ct);
    }

    // "phones:<key>" → (phones, <key>).
    private static (string Table, string Partition) Split(string hint)
    {
        var colon = hint.IndexOf(':', StringComparison.Ordinal);
        return (hint[..colon], hint[(colon + 1)..]);
    }

    private static async Task Delete(TableClient table, string partition, MemberId id, CancellationToken ct)
    {
        try
        {
            await table.DeleteEntityAsync(partition, id.Value, cancellationToken: ct);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
        }
    }
}

/// <summary>A row of a hint table, as read: when it was last written, and the outreach planners' mark, if any.</summary>
public sealed record Hint(string Table, string Partition, MemberId Member, Azure.ETag ETag, DateTimeOffset? WrittenAt = null, string? Mark = null);
