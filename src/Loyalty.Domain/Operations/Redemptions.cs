using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Operations;

/// <summary>What a redemption gives back, first time and on every replay (the same voucher code).</summary>
/// <param name="RewardName">In the member's locale at the time of the redemption.</param>
/// <param name="VoucherCode">The code the member shows or quotes: for a charity donation, the donation's reference.</param>
/// <param name="Balance">The balance right after the redemption.</param>
public sealed record RedemptionResult(
    string RedemptionId,
    string MemberId,
    string RewardId,
    string RewardName,
    string Kind,
    string VoucherCode,
    long PointsSpent,
    long Balance,
    DateTimeOffset RedeemedAt);

/// <summary>What a cancellation gives back, first time and on every replay.</summary>
/// <param name="RestoredLots">The points put back, each with the expiry it had before it was spent.</param>
public sealed record CancellationResult(
    string RedemptionId,
    string MemberId,
    string RewardId,
    long PointsRestored,
    long Balance,
    DateTimeOffset CancelledAt,
    IReadOnlyList<LotRecord> RestoredLots);

/// <summary>Points that expire together (null: never).</summary>
public sealed record LotRecord(DateOnly? ExpiresOn, long Points);

/// <summary>Facts of a redemption kept with it: the lots it consumed (so that a cancellation restores their expiry)
/// and, once cancelled, when.</summary>
public sealed record RedemptionRecord(
    string RewardId,
    string VoucherCode,
    long PointsSpent,
    IReadOnlyList<LotRecord> Consumed,
    DateTimeOffset RedeemedAt,
    DateTimeOffset? CancelledAt = null);

/// <summary>Spends points on a reward, soonest-expiring first, and remembers the lots consumed.</summary>
/// <param name="CommitBy">For a reward with limited stock: the last moment the redemption may commit, while its
/// reservation of a unit still holds; after it, committing could sell a unit twice.</param>
public sealed record Redeem(OperationId RedemptionId, MemberId Member, Reward Reward, DateTimeOffset? CommitBy = null)
    : MemberOperation<RedemptionResult>(Member, new OperationKey(OperationKinds.Redemption, RedemptionId))
{
    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, Member.Value, RedemptionId.Value, Reward.Id);

    public override bool ClaimsId => true;

    /// <summary>Why the member cannot redeem the reward at <paramref name="now"/>, or null if they can: only available points
    /// pay (not those held at a till, nor those of purchases still inside the return window).</summary>
    public static Refusal? Refusal(ProgramDefinition program, Account account, Reward reward, DateTimeOffset now)
    {
        if (reward.MinTier is { } min && Math.Max(0, program.Tiers.IndexOf(account.Tier)) < program.Tiers.IndexOf(min))
        {
            return new TierRequired(min, program.Tiers.Shown(account.Tier));
        }

        if (account.AvailableAt(now) >= new Points(reward.PointsCost))
        {
            return null;
        }

        return account.Holds.IsEmpty && account.Pending.IsEmpty
            ? new InsufficientPoints(account.Balance.Value, reward.PointsCost)
            : InsufficientPoints.Of(account, reward.PointsCost, now);
    }

    public static string KindOf(Reward reward) => reward.Kind.ToString().ToLowerInvariant();

    public override Outcome<RedemptionResult> Decide(Member member, object? related, OperationContext context)
    {
        if (CommitBy is { } deadline && context.Now > deadline)
        {
            return new CommitWindowPassed();
        }

        var now = context.Now;
        if (Refusal(context.Program, member.Account, Reward, now) is { } refusal)
        {
            return refusal;
        }

        var posting = new Posting(member.Account, now);
        var consumed = posting.Debit(LedgerKind.Redeem, new Points(Reward.PointsCost), now, RedemptionId.Value, Reward.Id).Consumed;
        var code = context.NewVoucherCode();
        if (Reward.Kind == RewardKind.Voucher)
        {
            // A voucher reward is a code the member shows at the till: kept with the account, so that it can be found,
            // used once, and expire.
            posting.Update(a => a with { Vouchers = a.Vouchers.Add(Voucher.Issue(code, Reward, RedemptionId.Value, now)) });
        }

        var result = new RedemptionResult(
            RedemptionId.Value, Member.Value, Reward.Id, Reward.NameIn(member.Profile.Locale), KindOf(Reward), code, Reward.PointsCost, posting.Account.Balance.Value, now);
        var record = new RedemptionRecord(Reward.Id, code, Reward.PointsCost, [.. consumed.Select(l => new LotRecord(l.ExpiresOn, l.Remaining.Value))], now);
        var redeemed = new RewardRedeemed(RedemptionId.Value, Reward.Id, result.Kind, Reward.PointsCost, result.Balance);
        return Outcome<RedemptionResult>.Commit(posting, result, record, events: [new DomainEvent(EventCatalog.RewardRedeemed, redeemed)]);
    }
}

/// <summary>Cancels a redemption: its points come back into lots with their original expiry (a credit, so they pay
/// what the member owes first) and its voucher is void. A redemption whose voucher was used cannot be cancelled.
/// Cancelling again replays the first cancellation.</summary>
public sealed record CancelRedemption(OperationId RedemptionId, MemberId Member)
    : MemberOperation<CancellationResult>(Member, new OperationKey(OperationKinds.Cancellation, RedemptionId))
{
    public const string Note = "redemption cancelled";

    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, Member.Value, RedemptionId.Value);

    public override OperationKey? RelatedKey => new OperationKey(OperationKinds.Redemption, RedemptionId);

    public override Type? RelatedRecordType => typeof(RedemptionRecord);

    public override Outcome<CancellationResult> Decide(Member member, object? related, OperationContext context)
    {
        var redemption = (RedemptionRecord)related!;
        if (redemption.CancelledAt is { } at)
        {
            return new AlreadyCancelled(at);
        }

        var now = context.Now;
        var voucher = member.Account.Vouchers.FirstOrDefault(v => v.Code == redemption.VoucherCode && v.Source == RedemptionId.Value);
        if (voucher is { Status: VoucherStatus.Used })
        {
            return new VoucherUsed(voucher.Code, voucher.Use?.UsedAt ?? voucher.IssuedAt);
        }

        var posting = new Posting(member.Account, now);
        if (voucher is not null)
        {
            posting.Update(a => a with { Vouchers = a.Vouchers.Replace(voucher, voucher with { Status = VoucherStatus.Void }) });
        }

        posting.Restore(LedgerKind.Reverse, [.. redemption.Consumed.Select(l => new Lot(l.ExpiresOn, new Points(l.Points)))], now, RedemptionId.Value, Note);
        var restored = redemption.Consumed.Sum(l => l.Points);
        var result = new CancellationResult(RedemptionId.Value, Member.Value, redemption.RewardId, restored, posting.Account.Balance.Value, now, redemption.Consumed);
        var cancelled = new RedemptionCancelled(RedemptionId.Value, redemption.RewardId, restored, posting.OwedPaid.Value, result.Balance);
        return Outcome<CancellationResult>.Commit(
            posting, result, relatedRecord: redemption with { CancelledAt = now }, events: [new DomainEvent(EventCatalog.RedemptionCancelled, cancelled)]);
    }
}
