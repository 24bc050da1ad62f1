using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;

namespace Loyalty.Adapters.Storage;

/// <summary>A member's partition in the members table: the member row (profile and account), the ledger rows
/// and the operation rows. Every change is read–decide–commit: one transaction that adds the operation row
/// and the ledger entries and replaces the member row under its ETag, retried when another writer got there first.</summary>
public sealed partial class MemberStore(TableServiceClient service, MemberIndexes indexes, TimeProvider time)
{
    /// <summary>The rejection of any operation on an erased member.</summary>
    public const string MemberErased = "member-erased";

    // Writers in this process take turns (the stripes below), so a lost ETag race means another instance wrote.
    // The loser waits a random few milliseconds before reading again: without it, a loser can keep losing to an
    // instance that has a queue of writes for the same member. 30 attempts outlast such a burst by far.
    private const int MaxAttempts = 30;

    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    // Writers to one member in this process take turns instead of racing for the ETag; writers in other
    // instances still meet the ETag check. Striped so that there is nothing to clean up.
    private readonly SemaphoreSlim[] stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private TableClient Table { get; } = service.GetTableClient(Tables.Members);

    public async Task<StoredMember?> GetAsync(MemberId id, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(id.Value, MemberRows.MemberRowKey, cancellationToken: ct);
        return row.HasValue ? MemberRows.ToMember(row.Value!) : null;
    }

    /// <summary>Creates the member or replaces their profile with <paramref name="profile"/>.</summary>
    public Task<ProfileSave> SaveProfileAsync(MemberId id, MemberProfile profile, CancellationToken ct) =>
        SaveProfileAsync(id, _ => ProfileDecision.Store(profile), ct);

    /// <summary>Creates the member or replaces their profile: <paramref name="decide"/> sees the member as stored
    /// (null when new) on every attempt and returns the profile to store, or a refusal. An erased member is refused
    /// with <see cref="MemberErased"/> without asking: erasure is final.</summary>
    public async Task<ProfileSave> SaveProfileAsync(MemberId id, Func<StoredMember?, ProfileDecision> decide, CancellationToken ct)
    {
        using var turn = await TakeTurnAsync(id, ct);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var current = await GetAsync(id, ct);
            var decision = current is { IsErased: true } ? ProfileDecision.Refuse(MemberErased) : decide(current);
            if (decision.Profile is not { } profile)
            {
                return new ProfileSave(false, current, decision.Refusal);
            }

            var account = current?.Account ?? new Account { EnrolledAt = now };
            await indexes.AddHintsAsync(id, current?.Profile, current?.Account, profile, account, ct);
            var row = MemberRows.ToRow(id, profile, account, now);
            try
            {
                var response = current is null
                    ? await Table.AddEntityAsync(row, ct)
                    : await Table.UpdateEntityAsync(row, current.ETag, TableUpdateMode.Replace, ct);
                return new ProfileSave(current is null, new StoredMember(id, profile, account, response.Headers.ETag ?? default), null);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone else created or changed the member since we read it: read again.
                await BackOffAsync(attempt, ct);
            }
        }

        throw new ConcurrencyExhaustedException(id, MaxAttempts);
    }

    /// <summary>Runs an idempotent operation on a member: <paramref name="decide"/> sees the member as stored and
    /// returns the posting to commit; the result is stored with the operation row so that a replay with the
    /// same <paramref name="requestHash"/> returns it unchanged, and a different request under the same key
    /// is a conflict. Erased members refuse every operation (<c>member-erased</c>) unless <paramref name="allowErased"/>.</summary>
    public Task<OperationResult<T>> ExecuteAsync<T>(
        MemberId id, OperationKey key, string requestHash, Func<StoredMember, Decision<T>> decide, CancellationToken ct, bool allowErased = false) =>
        ExecuteAsync<T>(id, key, requestHash, related: null, (member, _) => decide(member), ct, allowErased);

    /// <summary>As the other overload, with a related operation of the same member (the purchase a return returns,
    /// the redemption a cancellation cancels) read on every attempt and given to <paramref name="decide"/>; the
    /// decision may replace its details in the same transaction, under its ETag, so that two returns of one
    /// purchase cannot both see the same returnable amount.</summary>
    public async Task<OperationResult<T>> ExecuteAsync<T>(
        MemberId id,
        OperationKey key,
        string requestHash,
        OperationKey? related,
        Func<StoredMember, StoredOperation?, Decision<T>> decide,
        CancellationToken ct,
        bool allowErased = false)
    {
        using var turn = await TakeTurnAsync(id, ct);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var memberRead = GetAsync(id, ct);
            var relatedRead = related is { } r ? GetOperationAsync(id, r, ct) : Task.FromResult<StoredOperation?>(null);
            var member = await memberRead;
            var relatedOp = await relatedRead;
            if (member is null)
            {
                return new OperationResult<T>(OperationStatus.MemberNotFound);
            }

            if (related is not null && relatedOp is null)
            {
                return await ReplayAsync<T>(id, key, requestHash, ct) ?? new OperationResult<T>(OperationStatus.RelatedNotFound);
            }

            var decision = member.IsErased && !allowErased ? Decision<T>.Reject(MemberErased) : decide(member, relatedOp);
            if (decision.Rejection is not null)
            {
                // A rejected request may have been done before (e.g. a redemption that spent the points).
                return await ReplayAsync<T>(id, key, requestHash, ct) ?? new OperationResult<T>(OperationStatus.Rejected, Rejection: decision.Rejection);
            }

            var posting = decision.Posting!;
            await indexes.AddHintsAsync(id, member.Profile, member.Account, member.Profile, posting.Account, ct);
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Add, OperationRow(id, key, requestHash, decision, posting)),
            };
            actions.AddRange(posting.Entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, MemberRows.ToRow(id, e))));
            if (decision.RelatedDetails is { } details)
            {
                var update = new TableEntity(id.Value, relatedOp!.Key.RowKey) { ["Details"] = Serialize(details) };
                actions.Add(new(TableTransactionActionType.UpdateMerge, update, relatedOp.ETag));
            }

            actions.Add(new(TableTransactionActionType.UpdateReplace, MemberRows.ToRow(member with { Account = posting.Account }, posting.RecordedAt), member.ETag));
            try
            {
                await Table.SubmitTransactionAsync(actions, ct);
                return new OperationResult<T>(OperationStatus.Created, decision.Result);
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex == 0)
            {
                return await ReplayAsync<T>(id, key, requestHash, ct)
                    ?? throw new InvalidOperationException("The operation row conflicted but cannot be read.", e);
            }
            catch (TableTransactionFailedException e) when (e.Status == 412 || (e.Status == 409 && e.FailedTransactionActionIndex > 0))
            {
                // The member changed since we read it: another writer committed first (the service reports either
                // the member row's ETag or the ledger row it added under the same sequence number). Decide again.
                await BackOffAsync(attempt, ct);
            }
        }

        throw new ConcurrencyExhaustedException(id, MaxAttempts);
    }

    public async Task<StoredOperation?> GetOperationAsync(MemberId id, OperationKey key, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(id.Value, key.RowKey, cancellationToken: ct);
        if (!row.HasValue)
        {
            return null;
        }

        return ToOperation(key, row.Value!);
    }

    private static StoredOperation ToOperation(OperationKey key, TableEntity r)
    {
        var entries = (r.GetString("Entries") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        return new StoredOperation(key, r.GetString("Hash") ?? "", r.GetString("Result") ?? "null", r.GetString("Details"), entries, r.ETag);
    }

    /// <summary>Every operation row of the member (their idempotency keys and the entries each produced).</summary>
    public async Task<IReadOnlyList<StoredOperation>> GetOperationsAsync(MemberId id, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id.Value} and RowKey ge {MemberRows.OperationPrefix} and RowKey lt {"op}"}");
        var operations = new List<StoredOperation>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var parts = row.RowKey.Split('|', 3);
            operations.Add(ToOperation(new OperationKey(parts[1], OperationId.Parse(parts[2])), row));
        }

        return operations;
    }

    /// <summary>A page of the ledger, newest first: at most <paramref name="limit"/> entries older than
    /// <paramref name="beforeSeq"/> (all when null), and the cursor of the next page when there is one.</summary>
    public async Task<(IReadOnlyList<LedgerEntry> Entries, long? NextBefore)> GetLedgerAsync(
        MemberId id, int limit, long? beforeSeq, CancellationToken ct)
    {
        // Entry row keys invert the sequence, so "older than beforeSeq" is "row key greater than its key".
        var from = beforeSeq is { } before ? MemberRows.EntryRowKey(before) : MemberRows.EntryPrefix;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id.Value} and RowKey gt {from} and RowKey lt {"entry}"}");
        var entries = new List<LedgerEntry>(limit);
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, Math.Min(limit, 1000), cancellationToken: ct))
        {
            entries.Add(MemberRows.ToEntry(row));
            if (entries.Count == limit)
            {
                break;
            }
        }

        // Sequence numbers are dense from 1, so a full page whose last entry is not the first has a next page.
        return (entries, entries.Count == limit && entries[^1].Seq > 1 ? entries[^1].Seq : null);
    }

    private async Task<OperationResult<T>?> ReplayAsync<T>(MemberId id, OperationKey key, string requestHash, CancellationToken ct)
    {
        var op = await GetOperationAsync(id, key, ct);
        if (op is null)
        {
            return null;
        }

        return op.RequestHash == requestHash
            ? new OperationResult<T>(OperationStatus.Replayed, JsonSerializer.Deserialize<T>(op.ResultJson, Json), Stored: op)
            : new OperationResult<T>(OperationStatus.Conflict);
    }

    private static TableEntity OperationRow<T>(MemberId id, OperationKey key, string requestHash, Decision<T> decision, Posting posting) =>
        new(id.Value, key.RowKey)
        {
            ["Kind"] = key.Kind,
            ["Hash"] = requestHash,
            ["Result"] = JsonSerializer.Serialize(decision.Result, Json),
            ["Details"] = decision.Details is null ? null : Serialize(decision.Details),
            ["Entries"] = string.Join(',', posting.Entries.Select(e => e.Seq.ToString(CultureInfo.InvariantCulture))),
            ["RecordedAt"] = posting.RecordedAt,
        };

    private static Task BackOffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, Math.Min(50, 5 * attempt) + 1)), ct);

    private static string Serialize(object value) => JsonSerializer.Serialize(value, value.GetType(), Json);

    private async Task<IDisposable> TakeTurnAsync(MemberId id, CancellationToken ct)
    {
        var stripe = stripes[unchecked((uint)StringComparer.Ordinal.GetHashCode(id.Value)) % stripes.Length];
        await stripe.WaitAsync(ct);
        return new Turn(stripe);
    }

    private sealed class Turn(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
