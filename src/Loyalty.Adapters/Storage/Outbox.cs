using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;

namespace Loyalty.Adapters.Storage;

/// <summary>An outbox row: a planned message and what became of it. It holds no phone number and no message text
/// (the text is rendered at send time), only the numbers the text shows (<see cref="Points"/>,
/// <see cref="ExpiringPoints"/>; the expiry date is the period), fixed at the first send attempt so that a retry
/// sends the very same text.</summary>
public sealed record OutboxRow
{
    public required OutboxKey Key { get; init; }

    public required string Status { get; init; }

    public DateTimeOffset PlannedAt { get; init; }

    /// <summary>When the message is next due to go out (the start of a sending window, or when it was deferred to).</summary>
    public DateTimeOffset PlannedFor { get; init; }

    /// <summary>Whether its send job is on the queue. A planner that finds a row still not enqueued a while after it
    /// was planned (the enqueue failed) enqueues it again.</summary>
    public bool Enqueued { get; init; }

    /// <summary>Calls to ACS so far.</summary>
    public int Attempts { get; init; }

    public Guid? RepeatabilityRequestId { get; init; }

    public DateTimeOffset? RepeatabilityFirstSent { get; init; }

    public string? MessageId { get; init; }

    public DateTimeOffset? SentAt { get; init; }

    /// <summary>Why it was skipped, deferred or failed: a short fixed word or ACS's error, never personal data.</summary>
    public string? Reason { get; init; }

    /// <summary>The balance the message shows, fixed at the first send attempt.</summary>
    public long? Points { get; init; }

    /// <summary>The points an expiry warning is about: as planned, then as at the first send attempt.</summary>
    public long? ExpiringPoints { get; init; }

    /// <summary>Vouchers an expiry warning names as expiring by its day, fixed with the points.</summary>
    public int? ExpiringVouchers { get; init; }

    /// <summary>The points the purchase a thank-you is for earned, as it was recorded.</summary>
    public long? Earned { get; init; }

    /// <summary>The number a reply to a number no member has goes to (such a row is in the number's own partition, keyed
    /// by a keyed HMAC of it, never by the number): kept only until the message has its final status, then blanked.
    /// Null for a member's message (it goes to the member's phone).</summary>
    public string? To { get; init; }

    /// <summary>The language of a reply to a number no member has (the keyword's).</summary>
    public string? Locale { get; init; }

    public string? DeliveryStatus { get; init; }

    public string? DeliveryStatusDetails { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>Calls to ACS begun for the message, each recorded before it is made.</summary>
    public int Calls { get; init; }

    /// <summary>Calls ACS refused before looking at the message (credentials): they sent nothing.</summary>
    public int Refused { get; init; }

    /// <summary>When the message was last attempted (begun, called, or its outcome recorded).</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    public ETag ETag { get; init; }

    /// <summary>The ETag of the message's sending hint as this instance wrote it before planning the message in an
    /// operation's transaction (not stored): the hint is removed with it once the send job is on the queue.</summary>
    public ETag? Hint { get; init; }

    /// <summary>This row moved to <paramref name="status"/> (only as <see cref="MessageStatus"/> allows), with the reason.</summary>
    public OutboxRow MoveTo(string status, string? reason) => this with { Status = MessageStatus.Move(Status, status), Reason = reason };

    /// <summary>What a send decision looks at.</summary>
    public MessageState State => new(Key, Status, PlannedFor, Addressed: To is not null);

    /// <summary>What the reconciliation of a message left in sending looks at.</summary>
    public SendingFacts Facts => new(Calls, Refused, LastAttemptAt ?? PlannedAt);
}

/// <summary>A day's marketing-SMS slot of a member (local day): taken in the same transaction that moves an outbox row
/// to <see cref="MessageStatus.Sending"/>, so that two messages can never go out on one day.</summary>
public sealed record SendSlot(DateOnly Day, string? Campaign, string? Period);

/// <summary>What the sender needs to decide, read in one query of the member's partition: the member, their outbox
/// rows and the slots of the recent days.</summary>
public sealed record SendState(StoredMember? Member, IReadOnlyList<OutboxRow> Outbox, IReadOnlyList<SendSlot> Slots)
{
    public OutboxRow? Row(OutboxKey key) => Outbox.FirstOrDefault(r => r.Key == key);
}

/// <summary>A hint of the sending index: a message whose sending is not settled, and when the hint was written (null for
/// hints written before it was recorded).</summary>
public sealed record SendingHint(OutboxKey Key, DateTimeOffset? WrittenAt, ETag ETag);

/// <summary>Rows of a number's partition (<see cref="Outbox.NumberPrefix"/>) that the cleanup deletes.</summary>
public sealed record NumberRows(MemberId Partition, IReadOnlyList<string> RowKeys);

/// <summary>The outreach rows in members' partitions of the members table (so that a member's export and erasure see
/// them): <c>outbox|{campaign}|{period}</c> per message, <c>sent|{yyyy-MM-dd}</c> per day a message went out.</summary>
public sealed class Outbox(TableServiceClient service)
{
    public const string RowPrefix = "outbox|";
    public const string SlotPrefix = "sent|";

    /// <summary>How the partition of the replies to a number no member has begins (then a keyed HMAC of the number).</summary>
    public const string NumberPrefix = "number-";

    /// <summary>How the row counting the replies to a number no member has on a UTC day begins (then the day).</summary>
    public const string NumberCounterPrefix = "replies|number|";

    private TableClient Table { get; } = service.GetTableClient(Tables.Members);

    private TableClient Sending { get; } = service.GetTableClient(Tables.Sending);

    /// <summary>The rows of the messages an operation plans in its own transaction: planned, their send jobs not yet
    /// enqueued.</summary>
    public static IReadOnlyList<OutboxRow> Planned(MemberId member, IEnumerable<PlannedMessage> messages, DateTimeOffset now) =>
        [.. messages.Select(m => new OutboxRow
        {
            Key = new OutboxKey(member, m.Campaign, m.Period),
            Status = MessageStatus.Planned,
            PlannedAt = now,
            PlannedFor = m.PlannedFor,
            Earned = m.Earned,
        })];

    /// <summary>The transaction action that adds <paramref name="row"/> (a second add of its key fails the transaction).</summary>
    public static TableTransactionAction Add(OutboxRow row) => new(TableTransactionActionType.Add, ToEntity(row));

    /// <summary>Writes the sending hints of messages about to be planned in a transaction of their partition, so that the
    /// reconciliation finds one whose send job was never enqueued (a crash right after the commit). One request; the
    /// hints' ETags, in order.</summary>
    public async Task<IReadOnlyList<ETag>> PrepareAsync(IReadOnlyList<OutboxKey> keys, DateTimeOffset now, CancellationToken ct)
    {
        if (keys.Count == 1)
        {
            var response = await Sending.UpsertEntityAsync(Hint(keys[0], now), TableUpdateMode.Replace, ct);
            return [response.Headers.ETag ?? default];
        }

        if (keys.Count == 0)
        {
            return [];
        }

        var responses = await Sending.SubmitTransactionAsync(keys.Select(k => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Hint(k, now))), ct);
        return [.. responses.Value.Select(r => r.Headers.ETag ?? default)];
    }

    /// <summary>Adds the row and returns it as stored; null when a row with its key exists (planned before, by this run
    /// or another).</summary>
    public async Task<OutboxRow?> AddAsync(OutboxRow row, CancellationToken ct)
    {
        try
        {
            var response = await Table.AddEntityAsync(ToEntity(row), ct);
            return row with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
    }

    public async Task<OutboxRow?> GetAsync(OutboxKey key, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(key.Member.Value, RowKeyOf(key), cancellationToken: ct);
        return row.HasValue && ToRow(row.Value!) is { } r ? r : null;
    }

    /// <summary>The member's outbox rows, in key order (campaign, then period).</summary>
    public async Task<IReadOnlyList<OutboxRow>> ListAsync(MemberId member, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {member.Value} and RowKey ge {RowPrefix} and RowKey lt {"outbox}"}");
        var rows = new List<OutboxRow>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            if (ToRow(entity) is { } row)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>The member, their outbox rows and their slots from <paramref name="slotsFrom"/> on, in one request.</summary>
    public async Task<SendState> LoadAsync(MemberId member, DateOnly slotsFrom, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {member.Value} and (RowKey eq {MemberRows.MemberRowKey} or (RowKey ge {RowPrefix} and RowKey lt {"outbox}"}) or (RowKey ge {SlotKey(slotsFrom)} and RowKey lt {"sent}"}))");
        StoredMember? stored = null;
        var rows = new List<OutboxRow>();
        var slots = new List<SendSlot>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            if (entity.RowKey == MemberRows.MemberRowKey)
            {
                stored = MemberRows.ToMember(entity);
            }
            else if (entity.RowKey.StartsWith(SlotPrefix, StringComparison.Ordinal))
            {
                if (DateOnly.TryParseExact(entity.RowKey[SlotPrefix.Length..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    slots.Add(new SendSlot(day, entity.GetString("Campaign"), entity.GetString("Period")));
                }
            }
            else if (ToRow(entity) is { } row)
            {
                rows.Add(row);
            }
        }

        return new SendState(stored, rows, slots);
    }

    /// <summary>Replaces the row if it has not changed since it was read; the row as stored, or null when it had.</summary>
    public async Task<OutboxRow?> UpdateAsync(OutboxRow row, CancellationToken ct)
    {
        try
        {
            var response = await Table.UpdateEntityAsync(ToEntity(row), row.ETag, TableUpdateMode.Replace, ct);
            return row with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>Takes the slot of the member's local <paramref name="day"/> (a marketing message; replies and
    /// transactional messages take none) and stores <paramref name="sending"/> (read with its ETag) in one transaction.
    /// Null when the slot was taken or the row changed meanwhile: decide again.</summary>
    public async Task<OutboxRow?> BeginSendAsync(OutboxRow sending, DateOnly? day, DateTimeOffset now, CancellationToken ct)
    {
        // The hint first, as every index here: a message can be left in sending only with its hint written.
        await Sending.UpsertEntityAsync(Hint(sending.Key, now), TableUpdateMode.Replace, ct);
        if (day is not { } slotDay)
        {
            return await UpdateAsync(sending, ct);
        }

        var slot = new TableEntity(sending.Key.Member.Value, SlotKey(slotDay))
        {
            ["Campaign"] = sending.Key.Campaign.Name(),
            ["Period"] = sending.Key.Period,
            ["TakenAt"] = now,
        };
        try
        {
            var responses = await Table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Add, slot),
                    new TableTransactionAction(TableTransactionActionType.UpdateReplace, ToEntity(sending), sending.ETag),
                ],
                ct);
            return sending with { ETag = responses.Value[1].Headers.ETag ?? default };
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Adds <paramref name="row"/> if fewer than <paramref name="limit"/> rows were added under the same
    /// <paramref name="counter"/> (a row key of the member's partition, e.g. a day's balance answers), counting it in the
    /// same transaction, so that racing requests never exceed the limit. Null when the limit is reached or a row with
    /// the key exists (a redelivered request): nothing is added then.</summary>
    public async Task<OutboxRow?> AddCountedAsync(OutboxRow row, string counter, int limit, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await Table.GetEntityIfExistsAsync<TableEntity>(row.Key.Member.Value, counter, cancellationToken: ct);
            var count = current.HasValue ? current.Value!.GetInt32("Count") ?? 0 : 0;
            if (count >= limit)
            {
                return null;
            }

            var counted = new TableEntity(row.Key.Member.Value, counter) { ["Count"] = count + 1 };
            TableTransactionAction counting = current.HasValue
                ? new(TableTransactionActionType.UpdateReplace, counted, current.Value!.ETag)
                : new(TableTransactionActionType.Add, counted);
            try
            {
                var responses = await Table.SubmitTransactionAsync([new(TableTransactionActionType.Add, ToEntity(row)), counting], ct);
                return row with { ETag = responses.Value[0].Headers.ETag ?? default };
            }
            catch (TableTransactionFailedException e) when (e.FailedTransactionActionIndex == 0 && e.Status == 409)
            {
                return null;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                // Another request counted meanwhile: count again.
            }
        }

        throw new ConcurrencyExhaustedException(row.Key.Member.Value, 10);
    }

    /// <summary>Moves a message that never reached ACS back to planned (<paramref name="planned"/>, read with its ETag)
    /// and gives back the days' slots it took, in one transaction; null when the row changed meanwhile.</summary>
    public async Task<OutboxRow?> ReplanAsync(OutboxRow planned, IEnumerable<DateOnly> slotDays, CancellationToken ct)
    {
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, ToEntity(planned), planned.ETag) };
        actions.AddRange(slotDays.Select(day => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(planned.Key.Member.Value, SlotKey(day)), ETag.All)));
        try
        {
            var responses = await Table.SubmitTransactionAsync(actions, ct);
            return planned with { ETag = responses.Value[0].Headers.ETag ?? default };
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>Records that a call to ACS is about to be made for a message in sending (with the row's ETag, so that
    /// every call is counted); null when the row changed meanwhile.</summary>
    public Task<OutboxRow?> BeginCallAsync(OutboxRow row, DateTimeOffset now, CancellationToken ct) =>
        UpdateAsync(row with { Calls = checked(row.Calls + 1), LastAttemptAt = now }, ct);

    /// <summary>Writes the outcome of a send. Unconditional: only a holder of the row in <see cref="MessageStatus.Sending"/>
    /// writes it, every such holder sent with the same repeatability id and got the same answer, and a merge leaves the
    /// delivery status that a report may have written first; the number of an <paramref name="addressed"/> message is
    /// blanked once its status is final. <paramref name="refused"/> is the row's count of calls ACS
    /// refused unseen, this one included (a count two holders race on can only come out too low: the reconciliation then
    /// asks ACS instead of sending again). A final status removes the message's sending hint.</summary>
    public async Task RecordOutcomeAsync(
        OutboxKey key, string status, int attempts, int refused, string? messageId, DateTimeOffset? sentAt, string? reason, DateTimeOffset now, CancellationToken ct, bool addressed = false)
    {
        MessageStatus.Move(MessageStatus.Sending, status);
        var row = new TableEntity(key.Member.Value, RowKeyOf(key))
        {
            ["Status"] = status,
            ["Attempts"] = attempts,
            ["Refused"] = refused,
            ["LastAttemptAt"] = now,
            ["Reason"] = reason,
        };
        if (addressed && MessageStatus.IsFinal(status))
        {
            // The number of a reply to a stranger is kept only while it may still be needed to send.
            row["To"] = "";
        }

        if (messageId is not null)
        {
            row["MessageId"] = messageId;
            row["SentAt"] = sentAt;
        }

        try
        {
            await Table.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Merge, ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The row is gone (the member's data was erased meanwhile): nothing to record.
        }

        if (MessageStatus.IsFinal(status))
        {
            await ForgetSendingAsync(key, ct);
        }
    }

    /// <summary>The messages whose sending was not settled when last seen (in sending, or planned in an operation's
    /// transaction): every hint of the sending index.</summary>
    public async IAsyncEnumerable<SendingHint> SendingAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var hint in Sending.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey", "WrittenAt"], cancellationToken: ct))
        {
            var parts = hint.RowKey.Split('|');
            if (parts.Length == 2 && OutboxKey.TryCreate(hint.PartitionKey, parts[0], parts[1], out var key))
            {
                yield return new SendingHint(key, hint.GetDateTimeOffset("WrittenAt"), hint.ETag);
            }
        }
    }

    /// <summary>Removes the sending hint of a message that has left sending; one already gone is fine. With the
    /// <paramref name="etag"/> of the hint as read, a hint written again since (the message is being begun) stays.</summary>
    public async Task ForgetSendingAsync(OutboxKey key, CancellationToken ct, ETag? etag = null)
    {
        try
        {
            await Sending.DeleteEntityAsync(key.Member.Value, SendingKey(key), etag ?? ETag.All, ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    /// <summary>The rows of the numbers' partitions (<see cref="NumberPrefix"/>) that may go, partition by partition:
    /// replies with a final status planned before <paramref name="cutoff"/>, and counters of days before
    /// <paramref name="today"/>. One range query over those partitions only (no member's partition is read); a reply still
    /// planned or in sending is never returned, whatever its age: the reconciliation needs it.</summary>
    public async IAsyncEnumerable<NumberRows> NumberRowsDueAsync(
        DateTimeOffset cutoff, DateOnly today, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {NumberPrefix} and PartitionKey lt {"number."} and ((RowKey ge {RowPrefix} and RowKey lt {"outbox}"} and PlannedAt lt {cutoff}) or (RowKey ge {NumberCounterPrefix} and RowKey lt {NumberCounter(today)}))");
        string? partition = null;
        var rows = new List<string>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey", "Status"], cancellationToken: ct))
        {
            if (row.RowKey.StartsWith(RowPrefix, StringComparison.Ordinal) && !MessageStatus.IsFinal(row.GetString("Status") ?? MessageStatus.Planned))
            {
                continue;
            }

            if (partition is not null && !string.Equals(partition, row.PartitionKey, StringComparison.Ordinal))
            {
                yield return new NumberRows(MemberId.Parse(partition), rows);
                rows = [];
            }

            partition = row.PartitionKey;
            rows.Add(row.RowKey);
        }

        if (partition is not null)
        {
            yield return new NumberRows(MemberId.Parse(partition), rows);
        }
    }

    /// <summary>Deletes rows of a number's partition, 100 to a transaction. A final reply never changes back and a past
    /// day's counter never counts again, so they are deleted whatever was written since; rows already gone (another run)
    /// are fine.</summary>
    public async Task DeleteAsync(NumberRows rows, CancellationToken ct)
    {
        foreach (var chunk in rows.RowKeys.Chunk(100))
        {
            try
            {
                await Table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(rows.Partition.Value, k), ETag.All)), ct);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                foreach (var key in chunk)
                {
                    await Table.DeleteEntityAsync(rows.Partition.Value, key, ETag.All, ct);
                }
            }
        }
    }

    /// <summary>The row counting the replies to a number no member has on a UTC day.</summary>
    public static string NumberCounter(DateOnly day) => NumberCounterPrefix + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Records a delivery report on the row; false when there is no such row.</summary>
    public async Task<bool> RecordDeliveryAsync(OutboxKey key, string? status, string? details, DateTimeOffset? at, CancellationToken ct)
    {
        var row = new TableEntity(key.Member.Value, RowKeyOf(key))
        {
            ["DeliveryStatus"] = status,
            ["DeliveryStatusDetails"] = details,
            ["DeliveredAt"] = at,
        };
        try
        {
            await Table.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Merge, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>The row key of a message in the member's partition: <c>outbox|{campaign}|{period}</c>.</summary>
    public static string RowKeyOf(OutboxKey key) => $"{RowPrefix}{key.Campaign.Name()}|{key.Period}";

    private static string SendingKey(OutboxKey key) => $"{key.Campaign.Name()}|{key.Period}";

    private static TableEntity Hint(OutboxKey key, DateTimeOffset now) => new(key.Member.Value, SendingKey(key)) { ["WrittenAt"] = now };

    public static string SlotKey(DateOnly day) => SlotPrefix + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(OutboxRow row) => new(row.Key.Member.Value, RowKeyOf(row.Key))
    {
        ["Campaign"] = row.Key.Campaign.Name(),
        ["Period"] = row.Key.Period,
        ["Status"] = row.Status,
        ["PlannedAt"] = row.PlannedAt,
        ["PlannedFor"] = row.PlannedFor,
        ["Enqueued"] = row.Enqueued,
        ["Attempts"] = row.Attempts,
        ["RepeatabilityRequestId"] = row.RepeatabilityRequestId,
        ["RepeatabilityFirstSent"] = row.RepeatabilityFirstSent,
        ["MessageId"] = row.MessageId,
        ["SentAt"] = row.SentAt,
        ["Reason"] = row.Reason,
        ["Points"] = row.Points,
        ["ExpiringPoints"] = row.ExpiringPoints,
        ["ExpiringVouchers"] = row.ExpiringVouchers,
        ["Earned"] = row.Earned,
        ["To"] = row.To,
        ["Locale"] = row.Locale,
        ["DeliveryStatus"] = row.DeliveryStatus,
        ["DeliveryStatusDetails"] = row.DeliveryStatusDetails,
        ["DeliveredAt"] = row.DeliveredAt,
        ["Calls"] = row.Calls,
        ["Refused"] = row.Refused,
        ["LastAttemptAt"] = row.LastAttemptAt,
    };

    private static OutboxRow? ToRow(TableEntity e)
    {
        if (!OutboxKey.TryCreate(e.PartitionKey, e.GetString("Campaign"), e.GetString("Period"), out var key))
        {
            return null;
        }

        return new OutboxRow
        {
            Key = key,
            Status = e.GetString("Status") ?? MessageStatus.Planned,
            PlannedAt = e.GetDateTimeOffset("PlannedAt") ?? default,
            PlannedFor = e.GetDateTimeOffset("PlannedFor") ?? default,
            Enqueued = e.GetBoolean("Enqueued") ?? false,
            Attempts = e.GetInt32("Attempts") ?? 0,
            RepeatabilityRequestId = e.GetGuid("RepeatabilityRequestId"),
            RepeatabilityFirstSent = e.GetDateTimeOffset("RepeatabilityFirstSent"),
            MessageId = e.GetString("MessageId"),
            SentAt = e.GetDateTimeOffset("SentAt"),
            Reason = e.GetString("Reason"),
            Points = e.GetInt64("Points"),
            ExpiringPoints = e.GetInt64("ExpiringPoints"),
            ExpiringVouchers = e.GetInt32("ExpiringVouchers"),
            Earned = e.GetInt64("Earned"),
            To = e.GetString("To") is { Length: > 0 } to ? to : null,
            Locale = e.GetString("Locale"),
            DeliveryStatus = e.GetString("DeliveryStatus"),
            DeliveryStatusDetails = e.GetString("DeliveryStatusDetails"),
            DeliveredAt = e.GetDateTimeOffset("DeliveredAt"),
            Calls = e.GetInt32("Calls") ?? 0,
            Refused = e.GetInt32("Refused") ?? 0,
            LastAttemptAt = e.GetDateTimeOffset("LastAttemptAt"),
            ETag = e.ETag,
        };
    }
}
