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
    public async Task<bool> ClaimAsync(OperationKey key, MemberId member, DateTimeOffset now, CancellationToken ct)
    {
        var partition = PartitionOf(key);
        try
        {
            await Table.AddEntityAsync(new TableEntity(partition, "") { ["Member"] = member.Value, ["ClaimedAt"] = now }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await Table.GetEntityIfExistsAsync<TableEntity>(partition, "", ["Member"], ct);
            return existing.HasValue && existing.Value!.GetString("Member") == member.Value;
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
