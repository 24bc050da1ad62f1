using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Domain.Rules;
using Loyalty.Functions.Purchases;

namespace Loyalty.Functions.Rewards;

/// <summary>Turns points into rewards and back.
///
/// <para>A reward with limited stock is redeemed in two steps, because its stock is shared by all members and a
/// transaction cannot span partitions: (1) reserve a unit in the reward's partition (<see cref="RewardStock"/>), then
/// (2) spend the points in one transaction in the member's partition, then (3) confirm the reservation (or release it
/// if step 2 refused). What a crash leaves behind, and how it heals:</para>
/// <list type="bullet">
/// <item>after (1): a pending reservation and no redemption. The same request retried finds the reservation still
/// pending and answers 409 <c>redemption-in-progress</c> until its lease ends (<see cref="RewardStock.Lease"/>), then
/// takes the unit over and completes. Without a retry, the next time the reward runs out of stock the reservation is
/// reconciled: the member's partition has no such redemption, so the unit is freed. The unit is held, never lost,
/// never sold twice.</item>
/// <item>after (2): a redemption with a pending reservation. The same request retried replays the redemption (same
/// voucher code) and confirms the reservation; otherwise reconciliation finds the redemption and confirms it.</item>
/// <item>a member transaction that fails for the member (insufficient points after a concurrent spend, erased):
/// the attempt releases its own unit at once.</item>
/// </list>
/// <para>Points are never spent twice: the redemption id is the key of the operation row in the member's partition, so a
/// second commit of the same redemption conflicts and replays the first.</para></summary>
public sealed partial class RedemptionRecorder(
    MemberStore store, RewardStock stock, ProgramDefinition program, TimeProvider time, VoucherCodes vouchers, ILogger<RedemptionRecorder> logger)
{
    public const string RedeemKind = "redeem";
    public const string CancelKind = "cancel";
    public const string OutOfStock = "out-of-stock";
    public const string InProgress = "redemption-in-progress";

    // Not a problem a caller sees: the recorder turns it into a transient failure.
    private const string WindowPassed = "commit-window-passed";

    private readonly KeyedTurns turns = new();

    public Reward? Find(string rewardId) => program.Rewards.FirstOrDefault(r => r.Id == rewardId);

    /// <summary>The catalog, with the units left of limited rewards and, given a member, what they can afford now.</summary>
    public async Task<IReadOnlyList<RewardResponse>> CatalogAsync(StoredMember? member, string locale, CancellationToken ct)
    {
        var taken = await Task.WhenAll(program.Rewards.Select(r => r.Stock is null ? Task.FromResult(0) : stock.TakenAsync(r.Id, ct)));
        return [.. program.Rewards.Select((r, i) => new RewardResponse(
            r.Id,
            r.NameIn(locale),
            r.PointsCost,
            KindOf(r),
            r.MinTier,
            r.Stock is { } units ? Math.Max(0, units - taken[i]) : null,
            member is null ? null : !member.IsErased && Redemptions.Refusal(program, member.Account, r) is null))];
    }

    public async Task<OperationResult<RedemptionResult>> RedeemAsync(MemberId memberId, OperationId redemptionId, Reward reward, CancellationToken ct)
    {
        var key = new OperationKey(RedeemKind, redemptionId);
        var hash = Fingerprints.Of($"{memberId.Value}\n{redemptionId.Value}\n{reward.Id}");

        // Attempts of one redemption in this instance take turns: a retry waits for the first and then replays it.
        using var turn = await turns.TakeAsync($"{memberId.Value}|{redemptionId.Value}", ct);
        Reservation? held = null;

        // Only a limited reward needs a look before the member transaction (which refuses and replays on its own):
        // no unit is held for a redemption that is already done or that the transaction would refuse.
        if (reward.Stock is { } units)
        {
            var memberRead = store.GetAsync(memberId, ct);
            var done = await store.GetOperationAsync(memberId, key, ct);
            var member = await memberRead;
            if (done is null)
            {
                if (member is null)
                {
                    return new(OperationStatus.MemberNotFound);
                }

                if ((member.IsErased ? MemberStore.MemberErased : Redemptions.Refusal(program, member.Account, reward)) is { } refusal)
                {
                    return new(OperationStatus.Rejected, Rejection: refusal);
                }

                held = await ReserveAsync(reward.Id, units, memberId, redemptionId, ct);
                switch (held.Outcome)
                {
                    case ReserveOutcome.OutOfStock:
                        return new(OperationStatus.Rejected, Rejection: OutOfStock);
                    case ReserveOutcome.InProgress:
                        return new(OperationStatus.Rejected, Rejection: InProgress);
                    case ReserveOutcome.Settled:
                        // Confirmed or cancelled only once the redemption's row exists: an attempt in another instance
                        // committed it since we looked, and the member transaction below replays it.
                        break;
                }
            }
        }

        var reserved = held is { Outcome: ReserveOutcome.Reserved };
        var result = await store.ExecuteAsync(memberId, key, hash, member => Decide(member, reward, redemptionId, reserved ? held : null), ct);
        if (result.Status is OperationStatus.Created or OperationStatus.Replayed)
        {
            // Also on a replay: it completes a redemption whose confirmation a crash interrupted.
            if (reward.Stock is not null && !await stock.ConfirmAsync(reward.Id, memberId, redemptionId, ct) && reserved)
            {
                LogReservationLost(logger, reward.Id, redemptionId.Value);
            }

            if (result.Status is OperationStatus.Created)
            {
                LogRedeemed(logger, reward.Id, redemptionId.Value, memberId.Value);
            }
        }
        else if (reserved)
        {
            await stock.ReleaseAsync(reward.Id, memberId, redemptionId, held!.Holder!, ct);
        }

        if (result.Rejection == WindowPassed)
        {
            throw new TimeoutException("Storage was too slow to commit the redemption within its reservation; nothing was spent.");
        }

        return result;
    }

    /// <summary>Cancels a redemption: its points go back into lots with their original expiry, and a unit of a limited
    /// reward goes back to stock. Idempotent: cancelling again replays the first cancellation.</summary>
    public async Task<OperationResult<CancellationResult>> CancelAsync(MemberId memberId, OperationId redemptionId, CancellationToken ct)
    {
        var result = await store.ExecuteAsync(
            memberId,
            new OperationKey(CancelKind, redemptionId),
            "cancel",
            new OperationKey(RedeemKind, redemptionId),
            (member, redemption) =>
            {
                var details = redemption!.Details<RedemptionDetails>()!;
                if (details.CancelledAt is not null)
                {
                    // Only when this cancellation's own row exists (both are written together): the store replays it.
                    return Decision<CancellationResult>.Reject("redemption-cancelled");
                }

                var now = time.GetUtcNow();
                var posting = new Posting(member.Account, now);
                Redemptions.Cancel(posting, [.. details.Consumed.Select(l => new Lot(l.ExpiresOn, new Points(l.Points)))], redemptionId.Value);
                var cancelled = new CancellationResult(
                    redemptionId.Value, memberId.Value, details.RewardId, posting.Net.Value, posting.Account.Balance.Value, now, details.Consumed);
                return Decision<CancellationResult>.Commit(posting, cancelled, relatedDetails: details with { CancelledAt = now });
            },
            ct);

        // Also on a replay: it returns the unit if a crash came between the cancellation and this step.
        if (result is { Status: OperationStatus.Created or OperationStatus.Replayed, Value: { } value })
        {
            await stock.ReturnAsync(value.RewardId, memberId, redemptionId, ct);
        }

        return result;
    }

    /// <summary>The member's redemptions, newest first; null when there is no such member.</summary>
    public async Task<IReadOnlyList<RedemptionView>?> ListAsync(MemberId memberId, CancellationToken ct)
    {
        var memberRead = store.GetAsync(memberId, ct);
        var list = await store.ListOperationsAsync(memberId, RedeemKind, ct);
        if (await memberRead is null)
        {
            return null;
        }

        return [.. list.Select(View).OrderByDescending(r => r.RedeemedAt).ThenBy(r => r.RedemptionId, StringComparer.Ordinal)];
    }

    public async Task<RedemptionView?> GetAsync(MemberId memberId, OperationId redemptionId, CancellationToken ct) =>
        await store.GetOperationAsync(memberId, new OperationKey(RedeemKind, redemptionId), ct) is { } op ? View(op) : null;

    public static RedemptionView View(StoredOperation op)
    {
        var result = op.Result<RedemptionResult>()!;
        var details = op.Details<RedemptionDetails>()!;
        return new RedemptionView(
            result.RedemptionId,
            result.RewardId,
            result.RewardName,
            result.Kind,
            result.VoucherCode,
            result.PointsSpent,
            result.RedeemedAt,
            details.CancelledAt is null ? "active" : "cancelled",
            details.CancelledAt);
    }

    private Decision<RedemptionResult> Decide(StoredMember member, Reward reward, OperationId redemptionId, Reservation? held)
    {
        var now = time.GetUtcNow();
        if (held is not null && now > held.ReservedAt + RewardStock.CommitWindow)
        {
            // Past its window the reservation may be reconciled away: committing now could sell a unit twice.
            return Decision<RedemptionResult>.Reject(WindowPassed);
        }

        if (Redemptions.Refusal(program, member.Account, reward) is { } refusal)
        {
            return Decision<RedemptionResult>.Reject(refusal);
        }

        var posting = new Posting(member.Account, now);
        var consumed = Redemptions.Redeem(posting, reward, redemptionId.Value);
        var code = vouchers.Next();
        var result = new RedemptionResult(
            redemptionId.Value,
            member.Id.Value,
            reward.Id,
            reward.NameIn(member.Profile.Locale),
            KindOf(reward),
            code,
            reward.PointsCost,
            posting.Account.Balance.Value,
            now);
        var details = new RedemptionDetails(reward.Id, code, reward.PointsCost, [.. consumed.Select(l => new LotRecord(l.ExpiresOn, l.Remaining.Value))], now);
        return Decision<RedemptionResult>.Commit(posting, result, details);
    }

    /// <summary>Reserves a unit; when none is left, first settles reservations that crashed attempts left behind.</summary>
    private async Task<Reservation> ReserveAsync(string rewardId, int units, MemberId memberId, OperationId redemptionId, CancellationToken ct)
    {
        var held = await stock.ReserveAsync(rewardId, units, memberId, redemptionId, ct);
        if (held.Outcome is ReserveOutcome.OutOfStock && await stock.ReconcileAsync(rewardId, FateAsync, ct) > 0)
        {
            held = await stock.ReserveAsync(rewardId, units, memberId, redemptionId, ct);
        }

        return held;
    }

    private async Task<RedemptionFate> FateAsync(MemberId memberId, OperationId redemptionId, CancellationToken ct) =>
        await store.GetOperationAsync(memberId, new OperationKey(RedeemKind, redemptionId), ct) is not { } op
            ? RedemptionFate.NotRedeemed
            : op.Details<RedemptionDetails>()?.CancelledAt is null ? RedemptionFate.Redeemed : RedemptionFate.Cancelled;

    private static string KindOf(Reward reward) => reward.Kind.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "Redeemed {RewardId} as {RedemptionId} for {MemberId}")]
    private static partial void LogRedeemed(ILogger logger, string rewardId, string redemptionId, string memberId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redemption {RedemptionId} of {RewardId} committed after its reservation was reconciled away: the stock count misses one unit")]
    private static partial void LogReservationLost(ILogger logger, string rewardId, string redemptionId);
}
