using System.Collections.Concurrent;
using Azure.Data.Tables;
using Loyalty.Domain;

namespace Loyalty.Adapters.Storage;

/// <summary>The state of one redemption's hold on a unit of stock.</summary>
public enum ReservationStatus
{
    /// <summary>Holds a unit while its redemption is being committed in the member's partition.</summary>
    Pending,

    /// <summary>Holds a unit for a committed redemption.</summary>
    Confirmed,

    /// <summary>The redemption was cancelled and the unit returned; kept so the redemption is never reserved again.</summary>
    Cancelled,
}

public enum ReserveOutcome
{
    /// <summary>A unit is held for this attempt (<see cref="Reservation.Holder"/>); commit before
    /// <see cref="RewardStock.CommitWindow"/> has passed, then confirm, or release.</summary>
    Reserved,

    OutOfStock,

    /// <summary>Another attempt of the same redemption holds the unit and may still commit.</summary>
    InProgress,

    /// <summary>The redemption holds or held a unit already (confirmed or cancelled): it was done before.</summary>
    Settled,
}

public sealed record Reservation(ReserveOutcome Outcome, string? Holder = null, DateTimeOffset ReservedAt = default);

/// <summary>What the member's partition says about a redemption, for reconciling a reservation left pending.</summary>
public enum RedemptionFate
{
    NotRedeemed,
    Redeemed,
    Cancelled,
}

/// <summary>Stock of limited rewards, shared by every member, so it cannot live in a member's partition. The
/// <c>rewards</c> table has one partition per reward: a <c>stock</c> row whose <c>Taken</c> counts the units held,
/// and one reservation row per redemption (<c>r|{memberId}|{redemptionId}</c>). Every change of <c>Taken</c> is in the
/// same transaction as the reservation row it counts, under the ETags of both rows, so <c>Taken</c> always equals the
/// number of reservations that hold a unit, and a reservation is added only while <c>Taken</c> is below the stock the
/// program sets (which may change; the remaining stock is their difference).
///
/// <para>A redemption is two transactions in two partitions: reserve here, then commit in the member's partition.
/// Nothing can make them atomic, so a reservation is a lease. The attempt that reserved commits only within
/// <see cref="CommitWindow"/>; a reservation still pending after <see cref="Lease"/> (much longer) belongs to an attempt
/// that crashed or gave up, and <see cref="ReconcileAsync"/> settles it from what the member's partition says: the unit
/// is freed if the redemption was never committed, confirmed if it was. Units are therefore never oversold, and a crash
/// at worst holds one unit until the lease ends.</para></summary>
public sealed class RewardStock(TableServiceClient service, TimeProvider time, Contention contention)
{
    /// <summary>How long after reserving an attempt may still start committing the redemption.</summary>
    public static readonly TimeSpan CommitWindow = TimeSpan.FromSeconds(30);

    /// <summary>How long a pending reservation is left to its attempt. Far longer than <see cref="CommitWindow"/> plus the
    /// storage client's timeouts, so that nothing an attempt sent can still land once its lease has ended.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(3);

    /// <summary>How often one instance reconciles one reward at most: it reads the reward's partition.</summary>
    public static readonly TimeSpan ReconcileEvery = TimeSpan.FromMinutes(1);

    private const string StockRowKey = "stock";

    private readonly ConcurrentDictionary<string, DateTimeOffset> lastReconciled = new(StringComparer.Ordinal);

    private TableClient Table { get; } = service.GetTableClient(Tables.Rewards);

    public static string ReservationRowKey(MemberId member, OperationId redemption) => $"r|{member.Value}|{redemption.Value}";

    /// <summary>The units of the reward held now (reserved or redeemed, not cancelled).</summary>
    public async Task<int> TakenAsync(string rewardId, CancellationToken ct) =>
        (await ReadAsync(rewardId, StockRowKey, ct))?.GetInt32("Taken") ?? 0;

    /// <summary>The state of a redemption's reservation, or null when it has none.</summary>
    public async Task<ReservationStatus?> StatusAsync(string rewardId, MemberId member, OperationId redemption, CancellationToken ct) =>
        await ReadAsync(rewardId, ReservationRowKey(member, redemption), ct) is { } row ? StatusOf(row) : null;

    /// <summary>Holds a unit for the redemption, unless none is left. Idempotent by redemption: a redemption that holds or
    /// held a unit is <see cref="ReserveOutcome.Settled"/> or <see cref="ReserveOutcome.InProgress"/>, never reserved twice.</summary>
    public async Task<Reservation> ReserveAsync(string rewardId, int stock, MemberId member, OperationId redemption, CancellationToken ct)
    {
        var rowKey = ReservationRowKey(member, redemption);
        return await contention.RunAsync<Reservation>(TurnKey(rewardId), async _ =>
        {
            var now = time.GetUtcNow();
            var holder = Guid.NewGuid().ToString("N");
            var stockRead = ReadAsync(rewardId, StockRowKey, ct);
            var reservation = await ReadAsync(rewardId, rowKey, ct);
            var stockRow = await stockRead;
            if (reservation is not null)
            {
                if (StatusOf(reservation) != ReservationStatus.Pending)
                {
                    return new Reservation(ReserveOutcome.Settled);
                }

                if (reservation.GetDateTimeOffset("ReservedAt") + Lease > now)
                {
                    return new Reservation(ReserveOutcome.InProgress);
                }

                // Its attempt can no longer commit (its window has passed): this attempt takes the unit over. The ETag
                // makes a concurrent reconciliation, which would free the unit, fail and look again.
                reservation["Holder"] = holder;
                reservation["ReservedAt"] = now;
                if (await TrySubmitAsync([new(TableTransactionActionType.UpdateReplace, reservation, reservation.ETag)], ct))
                {
                    return new Reservation(ReserveOutcome.Reserved, holder, now);
                }
            }
            else
            {
                var taken = stockRow?.GetInt32("Taken") ?? 0;
                if (taken >= stock)
                {
                    return new Reservation(ReserveOutcome.OutOfStock);
                }

                var row = new TableEntity(rewardId, rowKey)
                {
                    ["Status"] = Text(ReservationStatus.Pending),
                    ["Holder"] = holder,
                    ["ReservedAt"] = now,
                    ["MemberId"] = member.Value,
                    ["RedemptionId"] = redemption.Value,
                };
                TableTransactionAction count = stockRow is null
                    ? new(TableTransactionActionType.Add, StockRow(rewardId, 1))
                    : new(TableTransactionActionType.UpdateMerge, StockRow(rewardId, checked(taken + 1)), stockRow.ETag);
                if (await TrySubmitAsync([new(TableTransactionActionType.Add, row), count], ct))
                {
                    return new Reservation(ReserveOutcome.Reserved, holder, now);
                }
            }

            // Another instance changed the stock or the reservation since we read them: read again.
            return Attempt<Reservation>.Retry;
        }, ct);
    }

    /// <summary>Marks the reservation of a committed redemption as confirmed. Returns false when the redemption holds no
    /// reservation at all.</summary>
    public async Task<bool> ConfirmAsync(string rewardId, MemberId member, OperationId redemption, CancellationToken ct)
    {
        var rowKey = ReservationRowKey(member, redemption);
        return await contention.RunAsync<bool>(TurnKey(rewardId), async _ =>
        {
            var row = await ReadAsync(rewardId, rowKey, ct);
            if (row is null)
            {
                return false;
            }

            if (StatusOf(row) != ReservationStatus.Pending)
            {
                return true;
            }

            var update = new TableEntity(rewardId, rowKey) { ["Status"] = Text(ReservationStatus.Confirmed), ["ConfirmedAt"] = time.GetUtcNow() };
            if (await TrySubmitAsync([new(TableTransactionActionType.UpdateMerge, update, row.ETag)], ct))
            {
                return true;
            }
            return Attempt<bool>.Retry;
        }, ct);
    }

    /// <summary>Frees the unit an attempt reserved and did not commit (the member transaction refused it), if that
    /// attempt still holds it. Returns whether a unit was freed.</summary>
    public Task<bool> ReleaseAsync(string rewardId, MemberId member, OperationId redemption, string holder, CancellationToken ct) =>
        FreeUnitAsync(rewardId, ReservationRowKey(member, redemption), row =>
            StatusOf(row) == ReservationStatus.Pending && row.GetString("Holder") == holder
                ? new TableTransactionAction(TableTransactionActionType.Delete, row, row.ETag)
                : null,
            ct);

    /// <summary>Returns the unit of a cancelled redemption to stock; the reservation stays, marked cancelled, so that the
    /// redemption can never take a unit again. Idempotent. Returns whether a unit was returned now.</summary>
    public Task<bool> ReturnAsync(string rewardId, MemberId member, OperationId redemption, CancellationToken ct) =>
        FreeUnitAsync(rewardId, ReservationRowKey(member, redemption), row =>
            StatusOf(row) == ReservationStatus.Cancelled
                ? null
                : new TableTransactionAction(
                    TableTransactionActionType.UpdateMerge,
                    new TableEntity(rewardId, row.RowKey) { ["Status"] = Text(ReservationStatus.Cancelled), ["CancelledAt"] = time.GetUtcNow() },
                    row.ETag),
            ct);

    /// <summary>Settles the reward's reservations that are still pending after their lease: frees the unit when the
    /// member's partition has no such redemption (the attempt crashed or gave up before committing), returns it when the
    /// redemption was cancelled, confirms it otherwise. Runs at most once per <see cref="ReconcileEvery"/> per reward in
    /// this instance. Returns the number of units freed.</summary>
    public async Task<int> ReconcileAsync(
        string rewardId, Func<MemberId, OperationId, CancellationToken, Task<RedemptionFate>> fateOf, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (lastReconciled.TryGetValue(rewardId, out var last) && now - last < ReconcileEvery)
        {
            return 0;
        }

        lastReconciled[rewardId] = now;
        var cutoff = now - Lease;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {rewardId} and RowKey gt {"r|"} and RowKey lt {"r}"} and Status eq {Text(ReservationStatus.Pending)} and ReservedAt le {cutoff}");
        var stale = new List<TableEntity>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            stale.Add(row);
        }

        var freed = 0;
        foreach (var row in stale)
        {
            var member = MemberId.Parse(row.GetString("MemberId"));
            var redemption = OperationId.Parse(row.GetString("RedemptionId"));
            switch (await fateOf(member, redemption, ct))
            {
                case RedemptionFate.NotRedeemed:
                    // Only while it is still the same stale lease: an attempt that took it over since may commit.
                    var free = await FreeUnitAsync(rewardId, row.RowKey, r =>
                        StatusOf(r) == ReservationStatus.Pending && r.GetDateTimeOffset("ReservedAt") <= cutoff
                            ? new TableTransactionAction(TableTransactionActionType.Delete, r, r.ETag)
                            : null,
                        ct);
                    freed += free ? 1 : 0;
                    break;
                case RedemptionFate.Cancelled:
                    freed += await ReturnAsync(rewardId, member, redemption, ct) ? 1 : 0;
                    break;
                case RedemptionFate.Redeemed:
                    await ConfirmAsync(rewardId, member, redemption, ct);
                    break;
            }
        }

        return freed;
    }

    private async Task<bool> FreeUnitAsync(string rewardId, string rowKey, Func<TableEntity, TableTransactionAction?> change, CancellationToken ct)
    {
        return await contention.RunAsync<bool>(TurnKey(rewardId), async _ =>
        {
            var stockRead = ReadAsync(rewardId, StockRowKey, ct);
            var reservation = await ReadAsync(rewardId, rowKey, ct);
            var stockRow = await stockRead;
            if (reservation is null || change(reservation) is not { } action)
            {
                return false;
            }

            // The stock row is created with the first reservation, so it exists whenever a reservation does.
            var taken = stockRow?.GetInt32("Taken") ?? 1;
            List<TableTransactionAction> actions = [action];
            if (stockRow is not null)
            {
                actions.Add(new(TableTransactionActionType.UpdateMerge, StockRow(rewardId, Math.Max(0, checked(taken - 1))), stockRow.ETag));
            }

            if (await TrySubmitAsync(actions, ct))
            {
                return true;
            }
            return Attempt<bool>.Retry;
        }, ct);
    }

    private static string TurnKey(string rewardId) => "reward|" + rewardId;

    private async Task<TableEntity?> ReadAsync(string rewardId, string rowKey, CancellationToken ct)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(rewardId, rowKey, cancellationToken: ct);
        return row.HasValue ? row.Value : null;
    }

    private async Task<bool> TrySubmitAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken ct)
    {
        try
        {
            await Table.SubmitTransactionAsync(actions, ct);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return false;
        }
    }

    private static TableEntity StockRow(string rewardId, int taken) => new(rewardId, StockRowKey) { ["Taken"] = taken };

    private static ReservationStatus StatusOf(TableEntity row) => Enum.Parse<ReservationStatus>(row.GetString("Status"), ignoreCase: true);

    private static string Text(ReservationStatus status) => status.ToString().ToLowerInvariant();
}
