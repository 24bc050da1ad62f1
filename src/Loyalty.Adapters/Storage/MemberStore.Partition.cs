using Azure;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;

namespace Loyalty.Adapters.Storage;

/// <summary>Everything stored in a member's partition, for a data export.</summary>
/// <param name="Ledger">Every ledger entry, oldest first.</param>
/// <param name="Operations">Every operation row (purchases, redemptions, returns, …) in row-key order.</param>
/// <param name="OtherRows">Rows of any other kind, as stored (without the partition key and ETag), so that an export
/// stays complete when a feature adds rows this code does not know.</param>
public sealed record MemberPartition(
    StoredMember Member,
    IReadOnlyList<LedgerEntry> Ledger,
    IReadOnlyList<PartitionOperation> Operations,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> OtherRows);

public sealed record PartitionOperation(StoredOperation Operation, DateTimeOffset? RecordedAt);

/// <summary>The outcome of an erasure: the member as stored after it, and whether this request erased them.</summary>
public sealed record Erasure(StoredMember Member, bool ErasedNow);

public sealed partial class MemberStore
{
    /// <summary>The member's operations of one kind (e.g. every redemption), in row-key order.</summary>
    public async Task<IReadOnlyList<StoredOperation>> ListOperationsAsync(MemberId id, string kind, CancellationToken ct)
    {
        var prefix = $"{MemberRows.OperationPrefix}{kind}|";
        var end = $"{MemberRows.OperationPrefix}{kind}}}";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id.Value} and RowKey gt {prefix} and RowKey lt {end}");
        var operations = new List<StoredOperation>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            operations.Add(ToOperation(new OperationKey(kind, OperationId.Parse(row.RowKey[prefix.Length..])), row));
        }

        return operations;
    }

    /// <summary>Reads the member's whole partition, or null when there is no such member.</summary>
    public async Task<MemberPartition?> ReadPartitionAsync(MemberId id, CancellationToken ct)
    {
        StoredMember? member = null;
        var ledger = new List<LedgerEntry>();
        var operations = new List<PartitionOperation>();
        var other = new List<IReadOnlyDictionary<string, object?>>();
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
            else
            {
                other.Add(row.Where(p => p.Key is not ("PartitionKey" or "odata.etag")).ToDictionary(p => p.Key, p => (object?)p.Value));
            }
        }

        return member is null ? null : new MemberPartition(member, [.. ledger.OrderBy(e => e.Seq)], operations, other);
    }

    /// <summary>Erases the member's personal data: the profile is reset to defaults (no name, phone, birthday or referrer;
    /// <c>en</c>, <c>UTC</c>, not opted in), <see cref="StoredMember.ErasedAt"/> is set, and the index hints that would
    /// lead a nightly job to them are deleted. The account and the ledger stay, anonymised, for accounting. Idempotent: on
    /// an erased member it deletes the hints again and changes nothing else. Null when there is no such member.</summary>
    public async Task<Erasure?> EraseAsync(MemberId id, CancellationToken ct)
    {
        using var turn = await TakeTurnAsync(id, ct);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var current = await GetAsync(id, ct);
            if (current is null)
            {
                return null;
            }

            // Hints go first, while the birthday is still known. A change that lands in between adds its hints before it
            // commits, so it fails the ETag below and its hints are deleted on the next round.
            await indexes.RemoveHintsAsync(id, current.Profile, current.Account, ct);
            if (current.IsErased)
            {
                return new Erasure(current, ErasedNow: false);
            }

            var now = time.GetUtcNow();
            var erased = current with { Profile = new MemberProfile(), ErasedAt = now };
            try
            {
                var response = await Table.UpdateEntityAsync(MemberRows.ToRow(erased, now), current.ETag, TableUpdateMode.Replace, ct);
                return new Erasure(erased with { ETag = response.Headers.ETag ?? default }, ErasedNow: true);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // The member changed since we read them (a purchase committed): read again.
            }
        }

        throw new ConcurrencyExhaustedException(id, MaxAttempts);
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
