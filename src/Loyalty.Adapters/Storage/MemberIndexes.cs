using System.Globalization;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;

namespace Loyalty.Adapters.Storage;

/// <summary>The hint tables that let nightly jobs find the members who are due without scanning everyone.
/// A hint is written before the member change that needs it commits, so a committed change always has its
/// hint; a hint whose change did not commit, or that a later change made stale, is harmless: jobs re-read
/// the member and drop hints that no longer hold.</summary>
public sealed class MemberIndexes(TableServiceClient service)
{
    private readonly TableClient birthdays = service.GetTableClient(Tables.Birthdays);
    private readonly TableClient lastPurchase = service.GetTableClient(Tables.LastPurchase);
    private readonly TableClient lotExpiry = service.GetTableClient(Tables.LotExpiry);
    private readonly TableClient tierReview = service.GetTableClient(Tables.TierReview);

    public static string DayKey(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Writes the hints that the change from the old state to the new one adds; usually none.</summary>
    public Task AddHintsAsync(MemberId id, MemberProfile? oldProfile, Account? oldAccount, MemberProfile newProfile, Account newAccount, CancellationToken ct)
    {
        var writes = new List<Task>();
        if (newProfile.Birthday is { } birthday && birthday.MonthDay != oldProfile?.Birthday?.MonthDay)
        {
            writes.Add(Upsert(birthdays, birthday.MonthDay, id, ct));
        }

        if (newAccount.LastPurchaseAt is { } last && DayOf(last) != (oldAccount?.LastPurchaseAt is { } old ? DayOf(old) : null))
        {
            writes.Add(Upsert(lastPurchase, DayKey(DayOf(last)), id, ct));
        }

        var oldExpiries = oldAccount?.Lots.Select(l => l.ExpiresOn).ToHashSet() ?? [];
        foreach (var lot in newAccount.Lots.Where(l => l.ExpiresOn is not null && !oldExpiries.Contains(l.ExpiresOn)))
        {
            writes.Add(Upsert(lotExpiry, DayKey(lot.ExpiresOn!.Value), id, ct));
        }

        if (newAccount.TierReviewOn is { } review && review != oldAccount?.TierReviewOn)
        {
            writes.Add(Upsert(tierReview, DayKey(review), id, ct));
        }

        return Task.WhenAll(writes);
    }

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

    /// <summary>Deletes every hint the member's current state implies (birthday, last purchase, each lot's expiry day,
    /// tier review), for an erased member whom no job should find any more. Hints left by earlier states are found by
    /// nobody but the job of their day, which re-reads the member and drops them.</summary>
    public Task RemoveHintsAsync(MemberId id, MemberProfile profile, Account account, CancellationToken ct)
    {
        var deletes = new List<Task>();
        if (profile.Birthday is { } birthday)
        {
            deletes.Add(birthdays.DeleteEntityAsync(birthday.MonthDay, id.Value, cancellationToken: ct));
        }

        if (account.LastPurchaseAt is { } last)
        {
            deletes.Add(lastPurchase.DeleteEntityAsync(DayKey(DayOf(last)), id.Value, cancellationToken: ct));
        }

        foreach (var day in account.Lots.Select(l => l.ExpiresOn).OfType<DateOnly>().Distinct())
        {
            deletes.Add(lotExpiry.DeleteEntityAsync(DayKey(day), id.Value, cancellationToken: ct));
        }

        if (account.TierReviewOn is { } review)
        {
            deletes.Add(tierReview.DeleteEntityAsync(DayKey(review), id.Value, cancellationToken: ct));
        }

        return Task.WhenAll(deletes);
    }

    private static DateOnly DayOf(DateTimeOffset t) => DateOnly.FromDateTime(t.UtcDateTime);

    private static Task Upsert(TableClient table, string partition, MemberId id, CancellationToken ct) =>
        table.UpsertEntityAsync(new TableEntity(partition, id.Value), TableUpdateMode.Replace, ct);
}

/// <summary>A row of a hint table, as read.</summary>
public sealed record Hint(string Table, string Partition, MemberId Member, Azure.ETag ETag);
