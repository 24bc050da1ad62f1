using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Loyalty.Adapters.Events;
using Loyalty.Adapters.Json;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Adapters.Storage;

/// <summary>A member's partition in the members table: the member row (profile and account), the ledger rows and the
/// operation rows. The domain decides every operation (<see cref="MemberOperation{TResult}"/>); this class only runs
/// the one read–decide–commit loop for all of them: read the member (and the operation it refers to), decide, then
/// one transaction that adds the operation row, the ledger entries and the events and replaces the member row under its
/// ETag, decided again when another writer got there first. What a commit wrote is counted once, after it commits
/// (<see cref="LedgerMetrics"/>).</summary>
public sealed partial class MemberStore(
    TableServiceClient service,
    MemberIndexes indexes,
    Claims claims,
    Contention contention,
    ProgramDefinition program,
    VoucherCodes codes,
    EventOutbox outbox,
    TimeProvider time,
    MemberCache cache,
    LedgerMetrics? metrics = null)
{
    /// <summary>A transaction holds at most 100 operations; a posting that would not fit is a bug in the rules.</summary>
    private const int MaxTransaction = 100;

    private static readonly JsonSerializerOptions Json = StoredOperation.Json;

    private TableClient Table { get; } = service.GetTableClient(Tables.Members);

    /// <summary>The outreach outbox, for the transactional messages an operation plans in its transaction.</summary>
    private readonly Outbox outreach = new(service);

    /// <summary>A store with its own helpers, for tools that run outside the app (the CLI, benchmarks, tests).</summary>
    public static MemberStore Create(
        TableServiceClient tables, ProgramDefinition program, PhoneKeys phoneKeys, TimeProvider time, Random? jitter = null, LedgerMetrics? metrics = null, MemberCache? cache = null) =>
        new(tables, new MemberIndexes(tables, phoneKeys), new Claims(tables), new Contention(jitter ?? Random.Shared), program,
            new VoucherCodes(System.Security.Cryptography.RandomNumberGenerator.Create()), new EventOutbox(tables, time, new EventSettings()), time,
            cache ?? new MemberCache(new MemberCacheSettings()), metrics);

    /// <summary>The member as stored now (always a read); the row is kept in the <see cref="MemberCache"/> for an
    /// operation that follows.</summary>
    public async Task<StoredMember?> GetAsync(MemberId id, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(id.Value, MemberRows.MemberRowKey, cancellationToken: ct);
        if (!row.HasValue)
        {
            return null;
        }

        var member = MemberRows.ToMember(row.Value!);
        cache.Set(member);
        return member;
    }

    /// <summary>Runs an operation: decides it on the member as stored and commits what it decided, once. A replay
    /// (same key, same fingerprint) returns the first result unchanged; the same key with another fingerprint, or an
    /// id unique in the program that another member holds, is a conflict. Erased members refuse every operation that
    /// does not allow them. The first attempt decides on the member row this instance holds in its <see cref="MemberCache"/>,
    /// when it holds one: it commits under that row's ETag, and anything but a commit (a refusal, a replay, a conflict, a
    /// lost ETag race) is decided again on a fresh read, so that every answer but a commit comes from storage as it is.
    /// An id unique in the program is claimed while the member is read when nobody holds it yet (one round trip instead
    /// of two before the transaction), and the hints of a request that goes ahead do not wait for that claim; a request
    /// that does not go ahead (no such member, refused) withdraws the claim it wrote; an id claimed already is taken up,
    /// or found another member's, only once the request goes ahead.</summary>
    public async Task<OperationResult<T>> RunAsync<T>(MemberOperation<T> operation, CancellationToken ct)
    {
        var claimed = !operation.ClaimsId;
        Claim? claim = null;
        var done = await contention.RunAsync(operation.MemberId.Value, async attempt =>
        {
            var cached = attempt == 1 ? cache.Get(operation.MemberId) : null;
            var result = await AttemptAsync(cached);
            if (cached is not null && result is { IsDone: true, Value.Status: not OperationStatus.Created })
            {
                cache.Remove(operation.MemberId);
                return Attempt<OperationResult<T>>.Retry;
            }

            return result;
        }, ct);

        // A request that did not go ahead claims nothing: the claim it wrote while reading the member is given up again
        // (unless another request of the member took it up since, to commit under it).
        if (claim is not null && done.Status is OperationStatus.Refused or OperationStatus.RelatedNotFound or OperationStatus.MemberNotFound)
        {
            await claims.WithdrawAsync(claim, ct);
        }

        return done;

        async Task<Attempt<OperationResult<T>>> AttemptAsync(StoredMember? cached)
        {
            var id = operation.MemberId;
            var memberRead = cached is null ? GetAsync(id, ct) : Task.FromResult<StoredMember?>(cached);
            var relatedRead = operation.RelatedKey is { } r ? GetOperationAsync(id, r, ct) : Task.FromResult<StoredOperation?>(null);
            var claimWrite = claimed ? Task.CompletedTask : WriteClaimAsync(id);
            try
            {
                await Task.WhenAll(memberRead, relatedRead);
            }
            catch
            {
                // Nothing left running behind the failure.
                await claimWrite.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }

            var member = await memberRead;
            var related = await relatedRead;
            if (member is null)
            {
                await claimWrite;
                return new OperationResult<T>(OperationStatus.MemberNotFound);
            }

            if (operation.RelatedKey is not null && related is null)
            {
                await claimWrite;
                return await ReplayAsync(operation, member, ct) ?? new OperationResult<T>(OperationStatus.RelatedNotFound, Member: member);
            }

            var context = new OperationContext(program, time.GetUtcNow(), codes.Next);
            var outcome = member.IsErased && !operation.AllowsErased ? new MemberErased() : Decide(operation, member, related, context);
            if (outcome.Refusal is { } refusal)
            {
                // A refused request may have been done before (a redemption that spent the points it now lacks).
                await claimWrite;
                return await ReplayAsync(operation, member, ct) ?? new OperationResult<T>(OperationStatus.Refused, Refusal: refusal, Member: member);
            }

            var posting = outcome.Posting!;
            var events = EventOutbox.Number(id, member.EventSeq, operation.EventsOf(outcome, program), posting.RecordedAt, operation.Key.ToString());
            var messages = Outbox.Planned(id, operation.MessagesOf(outcome, member, program), posting.RecordedAt);
            // The index hints, the messages' sending hints and the pending-events hint go together with the claim, which
            // is still on its way when the member came from the cache or answered first: they are independent, and a
            // member's first purchase of the day needs both the index hints and (more than a minute after the member's
            // last change in this instance) the pending-events hint. After a lookup that is one round trip before the
            // transaction, not two. A hint written for a request that then finds its id another member's is harmless,
            // as a hint written before a commit that fails is: every index is checked against the member row, and a
            // planned message whose send job a crash lost after the commit is found by the reconciliation. The commit's
            // own check for the pending-events hint then finds it written.
            var hintsWrite = indexes.AddHintsAsync(id, member, member.Profile, posting.Account, ct);
            var sendingWrite = outreach.PrepareAsync([.. messages.Select(m => m.Key)], posting.RecordedAt, ct);
            var pendingWrite = events.Count > 0 ? outbox.PrepareAsync(id, ct) : Task.CompletedTask;
            var claimTaken = TakeClaimAsync(claimWrite, id, context.Now);
            await Task.WhenAll(hintsWrite, sendingWrite, pendingWrite, claimTaken);
            if (!await claimTaken)
            {
                return new OperationResult<T>(OperationStatus.Conflict, Member: member);
            }

            if (!await ClaimVoucherCodesAsync(member, posting.Account, context.Now, ct))
            {
                return Attempt<OperationResult<T>>.Retry;
            }

            var hints = await hintsWrite;
            var sendingHints = await sendingWrite;
            var after = member with { Account = posting.Account, Hints = Union(member.PersonalHints, hints), EventSeq = member.EventSeq + events.Count };
            var actions = Actions(operation, outcome, posting, member, after, related, events.Count + messages.Count);
            try
            {
                var response = await CommitAsync(id, [.. actions, .. messages.Select(Outbox.Add)], events, ct);
                cache.Written((TableEntity)actions[^1].Entity, response.Value[actions.Count - 1].Headers.ETag);
                metrics?.Committed(operation.Key, posting);
                var planned = messages.Select((m, i) => m with { ETag = response.Value[actions.Count + i].Headers.ETag ?? default, Hint = sendingHints[i] });
                return new OperationResult<T>(OperationStatus.Created, outcome.Result, Member: after, Record: outcome.Record) { Planned = [.. planned] };
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && e.FailedTransactionActionIndex == 0)
            {
                return await ReplayAsync(operation, member, ct)
                    ?? throw new InvalidOperationException("The operation row conflicted but cannot be read.", e);
            }
            catch (TableTransactionFailedException e) when (e.Status == 412 || (e.Status == 409 && e.FailedTransactionActionIndex > 0))
            {
                // The member changed since we read it: another writer committed first (the service reports either the
                // member row's ETag or the ledger row it added under the same sequence number). Decide again.
                return Attempt<OperationResult<T>>.Retry;
            }
        }

        // An id unique in the program that nobody holds yet is claimed while the member is read.
        async Task WriteClaimAsync(MemberId id)
        {
            if (await claims.AddAsync(operation.Key, id, time.GetUtcNow(), ct) is { } written)
            {
                (claim, claimed) = (written, true);
            }
        }

        // The id was claimed already (by this member's earlier try, or by another member): take it up now that the
        // request goes ahead; false when another member holds it.
        async Task<bool> TakeClaimAsync(Task claimWrite, MemberId id, DateTimeOffset now)
        {
            await claimWrite;
            if (!claimed && await claims.TakeAsync(operation.Key, id, now, ct) is { } taken)
            {
                (claim, claimed) = (taken, true);
            }

            return claimed;
        }
    }

    // Points are checked arithmetic: a total that no longer fits is refused with its reason, never an error.
    private static Outcome<T> Decide<T>(MemberOperation<T> operation, StoredMember member, StoredOperation? related, OperationContext context)
    {
        try
        {
            return operation.Decide(member, related?.Record(operation.RelatedRecordType!), context);
        }
        catch (OverflowException)
        {
            return new PointsOutOfRange();
        }
    }

    public async Task<StoredOperation?> GetOperationAsync(MemberId id, OperationKey key, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(id.Value, MemberRows.OperationRowKey(key), cancellationToken: ct);
        return row.HasValue ? ToOperation(key, row.Value!) : null;
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

    /// <summary>The one way a change to a member commits: the pending-events hint first when it adds events, then its
    /// one transaction (the change's rows, then its event rows), then the dispatcher is told. The cached row goes first:
    /// whatever the outcome, it is no longer the row as stored.</summary>
    private async Task<Response<IReadOnlyList<Response>>> CommitAsync(
        MemberId id, IEnumerable<TableTransactionAction> change, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        if (events.Count > 0)
        {
            await outbox.PrepareAsync(id, ct);
        }

        cache.Remove(id);
        var response = await Table.SubmitTransactionAsync([.. change, .. EventOutbox.Rows(events)], ct);
        if (events.Count > 0)
        {
            outbox.Committed(events);
        }

        return response;
    }

    private List<TableTransactionAction> Actions<T>(
        MemberOperation<T> operation, Outcome<T> outcome, Posting posting, StoredMember member, StoredMember after, StoredOperation? related, int added)
    {
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, OperationRow(operation, outcome, posting)),
        };
        actions.AddRange(posting.Entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, MemberRows.ToRow(member.Id, e))));
        if (outcome.RelatedRecord is { } record)
        {
            var update = new TableEntity(member.Id.Value, MemberRows.OperationRowKey(related!.Key)) { ["Details"] = Serialize(record) };
            actions.Add(new(TableTransactionActionType.UpdateMerge, update, related.ETag));
        }

        actions.Add(new(TableTransactionActionType.UpdateReplace, MemberRows.ToRow(after, posting.RecordedAt), member.ETag));
        if (actions.Count + added > MaxTransaction)
        {
            throw new InvalidOperationException($"{operation.Key} makes {posting.Entries.Count} entries and {added} events and messages, more than one transaction holds.");
        }

        return actions;
    }

    /// <summary>Before anything is refused: the operation done before (a replay, or a conflict when its content differs),
    /// or an id another member holds (a conflict comes first: retrying it can never work). Null when neither.</summary>
    private async Task<OperationResult<T>?> ReplayAsync<T>(MemberOperation<T> operation, StoredMember member, CancellationToken ct)
    {
        var op = await GetOperationAsync(operation.MemberId, operation.Key, ct);
        if (op is null)
        {
            return operation.ClaimsId && await claims.HolderAsync(operation.Key, ct) is { } holder && holder != operation.MemberId
                ? new OperationResult<T>(OperationStatus.Conflict, Member: member)
                : null;
        }

        return op.RequestHash == operation.Fingerprint
            ? new OperationResult<T>(OperationStatus.Replayed, op.Result<T>(), Member: member, Stored: op)
            : new OperationResult<T>(OperationStatus.Conflict, Member: member);
    }

    private static TableEntity OperationRow<T>(MemberOperation<T> operation, Outcome<T> outcome, Posting posting) =>
        new(operation.MemberId.Value, MemberRows.OperationRowKey(operation.Key))
        {
            ["Kind"] = operation.Key.Kind,
            ["Hash"] = operation.Fingerprint,
            ["Result"] = JsonSerializer.Serialize(outcome.Result, Json.For<T?>()),
            ["Details"] = outcome.Record is { } record ? Serialize(record) : null,
            ["Entries"] = string.Join(',', posting.Entries.Select(e => e.Seq.ToString(CultureInfo.InvariantCulture))),
            ["RecordedAt"] = posting.RecordedAt,
        };

    private static StoredOperation ToOperation(OperationKey key, TableEntity r)
    {
        var entries = (r.GetString("Entries") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        return new StoredOperation(key, r.GetString("Hash") ?? "", r.GetString("Result") ?? "null", r.GetString("Details"), entries, r.ETag);
    }

    private static IReadOnlySet<string> Union(IReadOnlySet<string> a, IReadOnlySet<string> b) =>
        b.Count == 0 ? a : a.Union(b).ToHashSet(StringComparer.Ordinal);

    private static string Serialize(object value) => JsonSerializer.Serialize(value, Json.GetTypeInfo(value.GetType()));
}
