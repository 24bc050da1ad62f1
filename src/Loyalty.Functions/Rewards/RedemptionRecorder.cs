using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Outreach;

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
    MemberStore store, RewardStock stock, ProgramDefinition program, TimeProvider time, MemberMessages messages, ILogger<RedemptionRecorder> logger)
{
    // Its own turns: the member transaction inside one takes the store's.
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
            Redeem.KindOf(r),
            r.MinTier,
            r.Stock is { } units ? Math.Max(0, units - taken[i]) : null,
            member is null ? null : !member.IsErased && Redeem.Refusal(program, member.Account, r, time.GetUtcNow()) is null))];
    }

    public async Task<OperationResult<RedemptionResult>> RedeemAsync(MemberId memberId, OperationId redemptionId, Reward reward, CancellationToken ct)
    {
        var key = new OperationKey(OperationKinds.Redemption, redemptionId);

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

                if ((member.IsErased ? new MemberErased() : Redeem.Refusal(program, member.Account, reward, time.GetUtcNow())) is { } refusal)
                {
                    return new(OperationStatus.Refused, Refusal: refusal, Member: member);
                }

                held = await ReserveAsync(reward.Id, units, memberId, redemptionId, ct);
                switch (held.Outcome)
                {
                    case ReserveOutcome.OutOfStock:
                        return new(OperationStatus.Refused, Refusal: new OutOfStock(reward.Id, units), Member: member);
                    case ReserveOutcome.InProgress:
                        return new(OperationStatus.Refused, Refusal: new RedemptionInProgress(), Member: member);
                    case ReserveOutcome.Settled:
                        // Confirmed or cancelled only once the redemption's row exists: an attempt in another instance
                        // committed it since we looked, and the member transaction below replays it.
                        break;
                }
            }
        }

        var reserved = held is { Outcome: ReserveOutcome.Reserved };
        var commitBy = reserved ? held!.ReservedAt + RewardStock.CommitWindow : (DateTimeOffset?)null;
        var result = await store.RunAsync(new Redeem(redemptionId, memberId, reward, commitBy), ct);
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

            // The voucher's notice was planned in the redemption's transaction; its send job goes on the queue.
            await messages.EnqueueAsync(result.Planned, ct);
        }
        else if (reserved)
        {
            await stock.ReleaseAsync(reward.Id, memberId, redemptionId, held!.Holder!, ct);
        }

        if (result.Refusal is CommitWindowPassed passed)
        {
            throw new TimeoutException(passed.Detail);
        }

        return result;
    }

    /// <summary>Cancels a redemption: its points go back into lots with their original expiry, and a unit of a limited
    /// reward goes back to stock. Idempotent: cancelling again replays the first cancellation.</summary>
    public async Task<OperationResult<CancellationResult>> CancelAsync(MemberId memberId, OperationId redemptionId, CancellationToken ct)
    {
        var result = await store.RunAsync(new CancelRedemption(redemptionId, memberId), ct);

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
        var list = await store.ListOperationsAsync(memberId, OperationKinds.Redemption, ct);
        if (await memberRead is null)
        {
            return null;
        }

        return [.. list.Select(View).OrderByDescending(r => r.RedeemedAt).ThenBy(r => r.RedemptionId, StringComparer.Ordinal)];
    }

    public async Task<RedemptionView?> GetAsync(MemberId memberId, OperationId redemptionId, CancellationToken ct) =>
        await store.GetOperationAsync(memberId, new OperationKey(OperationKinds.Redemption, redemptionId), ct) is { } op ? View(op) : null;

    public static RedemptionView View(StoredOperation op)
    {
        var result = op.Result<RedemptionResult>()!;
        var details = op.Record<RedemptionRecord>()!;
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
        await store.GetOperationAsync(memberId, new OperationKey(OperationKinds.Redemption, redemptionId), ct) is not { } op
            ? RedemptionFate.NotRedeemed
            : op.Record<RedemptionRecord>()?.CancelledAt is null ? RedemptionFate.Redeemed : RedemptionFate.Cancelled;

    [LoggerMessage(Level = LogLevel.Information, Message = "Redeemed {RewardId} as {RedemptionId} for {MemberId}")]
    private static partial void LogRedeemed(ILogger logger, string rewardId, string redemptionId, string memberId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redemption {RedemptionId} of {RewardId} committed after its reservation was reconciled away: the stock count misses one unit")]
    private static partial void LogReservationLost(ILogger logger, string rewardId, string redemptionId);
}
