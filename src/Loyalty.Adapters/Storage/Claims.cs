using Azure;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>Ids that are unique in the whole program although they live in one member's partition (an order id, a
/// return id): a claim row per id in the <c>claims</c> table names the member it belongs to. It is written before the
/// member transaction and is idempotent by the same id, so a retry finds its own claim and another member's request
/// finds the first member's. A claim whose transaction never committed still holds the id: the id was used.</summary>
public sealed class Claims(TableServiceClient service)
{
    private TableClient Table { get; } = service.GetTableClient(Tables.Claims);

    /// <summary>Claims <paramref name="key"/> for <paramref name="member"/>; false when another member holds it.</summary>
    public async Task<bool> ClaimAsync(OperationKey key, MemberId member, DateTimeOffset now, CancellationToken ct) =>
        await TakeAsync(key, member, now, ct) is not null;

    /// <summary>Claims <paramref name="key"/> for <paramref name="member"/>: null when another member holds it. A claim the
    /// member already holds is taken up (written again under its ETag), so that the request that wrote it can no longer
    /// withdraw it (<see cref="WithdrawAsync"/>) from under this one.</summary>
    public async Task<Claim?> TakeAsync(OperationKey key, MemberId member, DateTimeOffset now, CancellationToken ct)
    {
        var partition = PartitionOf(key);
        for (var attempt = 1; attempt <= Contention.DefaultMaxAttempts; attempt++)
        {
            if (await AddAsync(key, member, now, ct) is { } added)
            {
                return added;
            }

            var existing = await Table.GetEntityIfExistsAsync<TableEntity>(partition, "", ["Member"], ct);
            if (!existing.HasValue)
            {
                continue;
            }

            if (existing.Value!.GetString("Member") != member.Value)
            {
                return null;
            }

            try
            {
                var taken = await Table.UpdateEntityAsync(new TableEntity(partition, "") { ["TakenUpAt"] = now }, existing.Value.ETag, TableUpdateMode.Merge, ct);
                return new Claim(partition, taken.Headers.ETag, Written: false);
            }
            catch (RequestFailedException t) when (t.Status is 404 or 412)
            {
                // Withdrawn or taken up meanwhile: claim it again.
            }
        }

        throw new ConcurrencyExhaustedException(partition, Contention.DefaultMaxAttempts);
    }

    /// <summary>Writes the claim of <paramref name="key"/> for <paramref name="member"/> when nobody holds it; null when a
    /// claim is there already (whoever holds it: <see cref="TakeAsync"/> finds out, and takes up the member's own). A
    /// request may write its claim before it has decided, since it withdraws what it wrote when it does not go ahead; it
    /// must not take up a claim before it has decided, since a claim taken up is no longer withdrawn by its writer.</summary>
    public async Task<Claim?> AddAsync(OperationKey key, MemberId member, DateTimeOffset now, CancellationToken ct)
    {
        var partition = PartitionOf(key);
        try
        {
            var added = await Table.AddEntityAsync(new TableEntity(partition, "") { ["Member"] = member.Value, ["ClaimedAt"] = now }, ct);
            return new Claim(partition, added.Headers.ETag, Written: true);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    /// <summary>Gives up a claim this request wrote (<see cref="Claim.Written"/>) for a request that did not go ahead,
    /// unless another request of the same member took it up since: that one may be committing under it.</summary>
    public async Task WithdrawAsync(Claim claim, CancellationToken ct)
    {
        if (!claim.Written || claim.ETag is not { } etag)
        {
            return;
        }

        try
        {
            await Table.DeleteEntityAsync(claim.Partition, "", etag, ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    /// <summary>The member who holds <paramref name="key"/>, if any.</summary>
    public async Task<MemberId?> HolderAsync(OperationKey key, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(key), "", ["Member"], ct);
        return row.HasValue && MemberId.TryParse(row.Value!.GetString("Member"), out var id) ? id : null;
    }

    /// <summary>Gives up a claim that <paramref name="member"/> holds (a card taken off a profile or erased); a claim that
    /// another member holds, or none, is left alone.</summary>
    public Task ReleaseAsync(OperationKey key, MemberId member, CancellationToken ct) => ReleaseAsync(PartitionOf(key), member, ct);

    /// <summary>As <see cref="ReleaseAsync(OperationKey, MemberId, CancellationToken)"/>, by the claim's partition.</summary>
    public async Task ReleaseAsync(string partition, MemberId member, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(partition, "", ["Member"], ct);
        if (!row.HasValue || row.Value!.GetString("Member") != member.Value)
        {
            return;
        }

        try
        {
            await Table.DeleteEntityAsync(partition, "", row.Value.ETag, ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    public static string PartitionOf(OperationKey key) => $"{key.Kind}|{key.Id.Value}";
}

/// <summary>A claim as a request holds it: <see cref="Written"/> when this request wrote it (rather than found it its
/// member's), with the ETag it left.</summary>
public sealed record Claim(string Partition, ETag? ETag, bool Written);
