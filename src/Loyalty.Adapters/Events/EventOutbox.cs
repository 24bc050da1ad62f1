using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Loyalty.Adapters.Json;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Events;

namespace Loyalty.Adapters.Events;

/// <summary>An event as the outbox keeps it: a row in the member's partition, written in the transaction of the change
/// it describes, numbered by the member's own sequence (1, 2, … without gaps, in commit order).</summary>
/// <param name="Cause">The operation that made it (<c>purchase order-1001</c>, <c>profile</c>): for people reading the table.</param>
public sealed record StoredEvent(MemberId Member, long Seq, string Type, DateTimeOffset Time, string DataJson, string Cause)
{
    /// <summary>Stable across every delivery of the event: the member and their sequence number.</summary>
    public string Id => $"{Member.Value}:{Seq.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The CloudEvents <c>subject</c>.</summary>
    public string Subject => $"members/{Member.Value}";

    /// <summary>The CloudEvents <c>sequence</c> extension: a string that sorts lexicographically as the numbers do.</summary>
    public string Sequence => EventOutbox.SequenceText(Seq);
}

/// <summary>What a member has not published yet, and how far their publication got.</summary>
/// <param name="Published">The sequence number of the last event published (0 when none).</param>
/// <param name="More">Whether more events are pending than were read.</param>
public sealed record PendingEvents(MemberId Member, long Published, ETag? CursorETag, IReadOnlyList<StoredEvent> Events, bool More);

/// <summary>A member who may have events to publish: written before every change that adds events, so a committed event
/// always has its hint (a crash between the commit and the publication leaves it to the sweep).</summary>
public sealed record PendingHint(MemberId Member, ETag ETag, DateTimeOffset WrittenAt);

/// <summary>The transactional outbox of the members table. The store adds a change's events as rows of the member's own
/// partition in the change's transaction (<see cref="Rows"/>), so there is no change without its events and no event
/// without its change. Publication state lives in a cursor row of the partition, never on the member row, so that
/// publishing does not make concurrent operations on the member lose their ETag race.
/// <list type="bullet">
/// <item><c>event|{seq:D19}</c>: one row per event, in sequence order.</item>
/// <item><c>eventcursor</c>: the sequence number of the last event published; publication is in order, so everything
/// after it is pending.</item>
/// </list>
/// The <c>eventspending</c> table lists the members who may have pending events, so that the sweep reads only those;
/// the <c>eventcleanup</c> table (day-keyed, like the nightly jobs' hints) lists members whose published rows become
/// old enough to delete on that day.</summary>
public sealed class EventOutbox(TableServiceClient service, TimeProvider time, EventSettings settings)
{
    public const string EventPrefix = "event|";
    public const string CursorRowKey = "eventcursor";
    private const string PendingPartition = "pending";

    private static readonly JsonSerializerOptions Json = StorageJson.Web;

    private readonly TableClient members = service.GetTableClient(Tables.Members);
    private readonly TableClient pending = service.GetTableClient(Tables.EventsPending);
    private readonly TableClient cleanup = service.GetTableClient(Tables.EventCleanup);

    // When this instance last wrote each member's pending hint: a hint younger than a quarter of the settle time cannot
    // have been removed (the sweep removes only hints older than the settle time), so it is not written again.
    private readonly ConcurrentDictionary<string, DateTimeOffset> hinted = new(StringComparer.Ordinal);
    private Action<IReadOnlyList<StoredEvent>>? committed;

    public static string RowKey(long seq) => EventPrefix + SequenceText(seq);

    public static string SequenceText(long seq) => seq.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Calls <paramref name="handler"/> with the events of each commit that added some (the dispatcher publishes
    /// them at once).</summary>
    public void OnCommitted(Action<IReadOnlyList<StoredEvent>> handler) => committed += handler;

    /// <summary>A change's events as the outbox keeps them, numbered after the member's <paramref name="lastSeq"/>.</summary>
    public static IReadOnlyList<StoredEvent> Number(MemberId member, long lastSeq, IReadOnlyList<DomainEvent> events, DateTimeOffset at, string cause) =>
        [.. events.Select((e, i) => new StoredEvent(member, lastSeq + i + 1, e.Type, at, JsonSerializer.Serialize(e.Data, Json.GetTypeInfo(e.Kind.Data)), cause))];

    /// <summary>The transaction actions that add the events' rows.</summary>
    public static IEnumerable<TableTransactionAction> Rows(IEnumerable<StoredEvent> events) =>
        events.Select(e => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(e.Member.Value, RowKey(e.Seq))
        {
            ["Seq"] = e.Seq,
            ["Type"] = e.Type,
            ["Time"] = e.Time,
            ["Data"] = e.DataJson,
            ["Cause"] = e.Cause,
        }));

    /// <summary>Makes sure the member's pending hint exists before a change with events commits.</summary>
    public async Task PrepareAsync(MemberId member, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (hinted.TryGetValue(member.Value, out var at) && now - at < settings.HintSettle / 4 && at <= now)
        {
            return;
        }

        await pending.UpsertEntityAsync(new TableEntity(PendingPartition, member.Value) { ["WrittenAt"] = now }, TableUpdateMode.Replace, ct);
        hinted[member.Value] = now;
    }

    /// <summary>As <see cref="PrepareAsync"/> for many members at once (an import): their pending hints share one
    /// partition, so they are written in batch transactions.</summary>
    public async Task PrepareAllAsync(IReadOnlyCollection<MemberId> members, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await Batches.UpsertAsync(pending, members.Select(m => new TableEntity(PendingPartition, m.Value) { ["WrittenAt"] = now }), ct);
        foreach (var member in members)
        {
            hinted[member.Value] = now;
        }
    }

    /// <summary>Tells the dispatcher that a change committed these events.</summary>
    public void Committed(IReadOnlyList<StoredEvent> events) => committed?.Invoke(events);

    /// <summary>The members who may have events to publish.</summary>
    public async Task<IReadOnlyList<PendingHint>> PendingHintsAsync(CancellationToken ct)
    {
        var hints = new List<PendingHint>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PendingPartition}");
        await foreach (var row in pending.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            if (MemberId.TryParse(row.RowKey, out var id))
            {
                hints.Add(new PendingHint(id, row.ETag, row.GetDateTimeOffset("WrittenAt") ?? default));
            }
        }

        return hints;
    }

    /// <summary>Up to <paramref name="max"/> of the member's events after the last published one, in order.</summary>
    public async Task<PendingEvents> ReadPendingAsync(MemberId member, int max, CancellationToken ct)
    {
        var cursor = await members.GetEntityIfExistsAsync<TableEntity>(member.Value, CursorRowKey, ["Published"], ct);
        var published = cursor.HasValue ? cursor.Value!.GetInt64("Published") ?? 0 : 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {member.Value} and RowKey gt {RowKey(published)} and RowKey lt {"event}"}");
        var events = new List<StoredEvent>();
        var more = false;
        await foreach (var row in members.QueryAsync<TableEntity>(filter, Math.Min(max + 1, 1000), cancellationToken: ct))
        {
            if (events.Count == max)
            {
                more = true;
                break;
            }

            events.Add(ToEvent(row));
        }

        return new PendingEvents(member, published, cursor.HasValue ? cursor.Value!.ETag : null, events, more);
    }

    /// <summary>Every event row of the member, oldest first (tests and tools).</summary>
    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(MemberId member, CancellationToken ct) =>
        members.ReadPrefixAsync(member, EventPrefix, ToEvent, ct);

    /// <summary>Records that the member's events up to <paramref name="seq"/> are published. The cursor only moves
    /// forward: another dispatcher that got further first keeps its position. Returns the cursor's new ETag.</summary>
    public async Task<ETag?> MarkPublishedAsync(MemberId member, long seq, ETag? etag, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var row = new TableEntity(member.Value, CursorRowKey) { ["Published"] = seq, ["PublishedAt"] = time.GetUtcNow() };
            try
            {
                var response = etag is { } tag
                    ? await members.UpdateEntityAsync(row, tag, TableUpdateMode.Merge, ct)
                    : await members.AddEntityAsync(row, ct);
                return response.Headers.ETag;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                var current = await members.GetEntityIfExistsAsync<TableEntity>(member.Value, CursorRowKey, ["Published"], ct);
                if (current.HasValue && (current.Value!.GetInt64("Published") ?? 0) >= seq)
                {
                    return current.Value!.ETag;
                }

                etag = current.HasValue ? current.Value!.ETag : null;
            }
        }

        throw new ConcurrencyExhaustedException($"{member.Value} event cursor", 10);
    }

    /// <summary>After the member published everything and their hint is older than the settle time: the published rows
    /// are handed to the cleanup (a hint for the day they are all past the retention period) and the pending hint is
    /// removed, unless a change wrote it again since it was read.</summary>
    public async Task SettleAsync(PendingHint hint, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime((time.GetUtcNow() + settings.Retention).UtcDateTime).AddDays(1);
        await cleanup.UpsertEntityAsync(new TableEntity(MemberIndexes.DayKey(day), hint.Member.Value), TableUpdateMode.Replace, ct);
        try
        {
            await pending.DeleteEntityAsync(PendingPartition, hint.Member.Value, hint.ETag, ct);
            hinted.TryRemove(hint.Member.Value, out _);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    /// <summary>Deletes the member's published event rows older than the retention period; returns how many.</summary>
    public async Task<int> CleanAsync(MemberId member, CancellationToken ct)
    {
        var cursor = await members.GetEntityIfExistsAsync<TableEntity>(member.Value, CursorRowKey, ["Published"], ct);
        var published = cursor.HasValue ? cursor.Value!.GetInt64("Published") ?? 0 : 0;
        var cutoff = time.GetUtcNow() - settings.Retention;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {member.Value} and RowKey gt {EventPrefix} and RowKey le {RowKey(published)} and Time lt {cutoff}");
        var deleted = 0;
        var batch = new List<TableTransactionAction>();
        await foreach (var row in members.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct))
        {
            batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, row));
            if (batch.Count == 100)
            {
                await members.SubmitTransactionAsync(batch, ct);
                (deleted, batch) = (deleted + batch.Count, []);
            }
        }

        if (batch.Count > 0)
        {
            await members.SubmitTransactionAsync(batch, ct);
            deleted += batch.Count;
        }

        return deleted;
    }

    internal static StoredEvent ToEvent(TableEntity row) => new(
        MemberId.Parse(row.PartitionKey),
        row.GetInt64("Seq") ?? 0,
        row.GetString("Type") ?? "",
        row.GetDateTimeOffset("Time") ?? default,
        row.GetString("Data") ?? "{}",
        row.GetString("Cause") ?? "");
}
