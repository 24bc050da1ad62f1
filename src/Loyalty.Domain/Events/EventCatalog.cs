namespace Loyalty.Domain.Events;

/// <summary>Every event the program publishes. A change's events are decided with the change: an operation names its
/// own event (<see cref="Operations.Outcome{TResult}.Commit"/>), and what its posting changed in the account (tier,
/// vouchers) adds its events by itself (<see cref="AccountEvents"/>).</summary>
public static class EventCatalog
{
    public static readonly EventKind PointsEarned = new(
        "loyalty.points.earned", typeof(PointsEarned), "Points were credited: a purchase (its base points and each bonus with its rule), or a bonus on its own (referral, birthday).");

    public static readonly EventKind PointsReturned = new(
        "loyalty.points.returned", typeof(PointsReturned), "Part or all of a purchase came back: what the return took back, what the member owes, the vouchers it voided.");

    public static readonly EventKind PointsAdjusted = new(
        "loyalty.points.adjusted", typeof(PointsAdjusted), "Customer service added or took points (the reason stays in the ledger: it is free text).");

    public static readonly EventKind PointsExpired = new(
        "loyalty.points.expired", typeof(PointsExpired), "Lots whose day had come expired: one event per part of at most 90 lots.");

    public static readonly EventKind RewardRedeemed = new(
        "loyalty.reward.redeemed", typeof(RewardRedeemed), "Points were spent on a reward.");

    public static readonly EventKind RedemptionCancelled = new(
        "loyalty.redemption.cancelled", typeof(RedemptionCancelled), "A redemption was cancelled and its points restored.");

    public static readonly EventKind TierChanged = new(
        "loyalty.tier.changed", typeof(TierChanged), "The member's tier changed: up after a purchase, down after a return or at the nightly review.");

    public static readonly EventKind VoucherIssued = new(
        "loyalty.voucher.issued", typeof(VoucherIssued), "A voucher was given (a spend-threshold reward, or a redemption of a voucher reward).");

    public static readonly EventKind VoucherVoided = new(
        "loyalty.voucher.voided", typeof(VoucherChanged), "A voucher was voided (a return took back the spend that earned it).");

    public static readonly EventKind VoucherUsed = new(
        "loyalty.voucher.used", typeof(VoucherChanged), "A voucher was used at the till.");

    public static readonly EventKind VoucherExpired = new(
        "loyalty.voucher.expired", typeof(VoucherChanged), "A voucher expired unused.");

    public static readonly EventKind PointsHeld = new(
        "loyalty.points.held", typeof(PointsHeld), "Available points were reserved at a till for a basket (a hold).");

    public static readonly EventKind PointsCaptured = new(
        "loyalty.points.captured", typeof(PointsCaptured), "A hold paid an order: the captured points were debited (a burn entry); a partial capture released the rest.");

    public static readonly EventKind HoldReleased = new(
        "loyalty.hold.released", typeof(HoldReleased), "A hold was released: its points are available again.");

    public static readonly EventKind MemberEnrolled = new(
        "loyalty.member.enrolled", typeof(MemberEnrolled), "A member enrolled.");

    public static readonly EventKind MemberUpdated = new(
        "loyalty.member.updated", typeof(MemberUpdated), "A member changed their profile: the names of the fields that changed, never their values.");

    public static readonly EventKind MemberErased = new(
        "loyalty.member.erased", typeof(MemberDataErased), "A member's personal data was erased; the anonymised account stays.");

    public static readonly EventKind ConsentChanged = new(
        "loyalty.consent.changed", typeof(ConsentChanged), "A member's SMS consent changed (through the API, a STOP/START/YES reply, an import or erasure).");

    public static IReadOnlyList<EventKind> All { get; } =
    [
        PointsEarned, PointsReturned, PointsAdjusted, PointsExpired, RewardRedeemed, RedemptionCancelled, TierChanged,
        VoucherIssued, VoucherVoided, VoucherUsed, VoucherExpired, PointsHeld, PointsCaptured, HoldReleased, MemberEnrolled, MemberUpdated,
        MemberErased, ConsentChanged,
    ];
}

/// <summary>Points a bonus rule gave.</summary>
public sealed record BonusPoints(string Rule, long Points);

/// <param name="Reference">The operation that credited them: the purchase id, or the bonus's reference (the referred
/// member, <c>birthday-2027</c>).</param>
/// <param name="PurchaseId">The purchase, when a purchase earned them.</param>
/// <param name="BasePoints">The earn rate's points (0 for a bonus on its own).</param>
/// <param name="Bonuses">Each bonus with the rule that gave it, in ledger order.</param>
/// <param name="Points">Everything credited.</param>
/// <param name="OwedPaid">Of that, what paid points the member owed after a return.</param>
/// <param name="Balance">The balance after the change.</param>
public sealed record PointsEarned(
    string Reference,
    string? PurchaseId,
    decimal? Amount,
    string? Currency,
    DateTimeOffset OccurredAt,
    long BasePoints,
    IReadOnlyList<BonusPoints> Bonuses,
    long Points,
    long OwedPaid,
    long Balance);

/// <param name="PointsReversed">What the return took from the balance now.</param>
/// <param name="PointsOwed">What it could not take (negative balances off): owed, paid by the next credits.</param>
/// <param name="VouchersVoided">Codes of the spend-threshold vouchers the returned spend had earned.</param>
public sealed record PointsReturned(
    string ReturnId,
    string PurchaseId,
    decimal Amount,
    string Currency,
    long PointsReversed,
    long PointsOwed,
    IReadOnlyList<string> VouchersVoided,
    long Balance);

/// <param name="Points">Added (positive) or taken (negative).</param>
public sealed record PointsAdjusted(string AdjustmentId, long Points, long OwedPaid, long Balance);

/// <param name="Day">The day whose due lots expired.</param>
/// <param name="Part">The part of that day (1, 2, …): a part holds at most 90 lots.</param>
public sealed record PointsExpired(DateOnly Day, int Part, long Points, int Lots, long Balance);

public sealed record RewardRedeemed(string RedemptionId, string RewardId, string Kind, long PointsSpent, long Balance);

public sealed record RedemptionCancelled(string RedemptionId, string RewardId, long PointsRestored, long OwedPaid, long Balance);

/// <param name="From">The tier before (ids as the API shows them).</param>
/// <param name="Reason">What changed it: the kind of operation (<c>purchase</c>, <c>return</c>, <c>tier-review</c>, …).</param>
/// <param name="Reference">The operation's id.</param>
public sealed record TierChanged(string? From, string? To, string Reason, string Reference);

/// <param name="Source">What gave it: a spend-threshold rule's id, or the redemption's id.</param>
/// <param name="Reference">The operation that issued it (the purchase).</param>
public sealed record VoucherIssued(string Code, string RewardId, string Source, string Reference);

/// <param name="Reference">The operation that changed it (the return that voided it).</param>
public sealed record VoucherChanged(string Code, string RewardId, string Reference);

/// <param name="Available">The member's available points after the hold.</param>
public sealed record PointsHeld(string HoldId, long Points, DateTimeOffset ExpiresAt, long Available);

/// <param name="OrderId">The order the points paid for (the burn entry's reference).</param>
/// <param name="ReleasedPoints">What the hold reserved beyond the capture, available again.</param>
public sealed record PointsCaptured(string HoldId, string OrderId, long Points, long ReleasedPoints, long Balance);

public sealed record HoldReleased(string HoldId, long Points, long Available);

/// <param name="Referred">Whether someone referred them (who is not said: erasure must not leave it behind).</param>
public sealed record MemberEnrolled(DateTimeOffset EnrolledAt, bool SmsOptIn, bool Referred);

/// <param name="Changed">The profile fields that changed (<c>firstName</c>, <c>phone</c>, …), never their values.</param>
public sealed record MemberUpdated(IReadOnlyList<string> Changed);

public sealed record MemberDataErased(DateTimeOffset ErasedAt);

/// <param name="SmsOptIn">Whether marketing SMS may go out now (consent granted).</param>
/// <param name="Channel">How it changed: <c>api</c> (a profile PUT), <c>sms</c> (a STOP, START or YES reply),
/// <c>import</c> or <c>erasure</c>.</param>
/// <param name="Consent">The marketing consent: <c>granted</c>, <c>pending</c> (a double opt-in request waits for YES),
/// <c>revoked</c> or <c>none</c>.</param>
/// <param name="Transactional">Whether transactional SMS (thank-you, voucher notices) may go out.</param>
public sealed record ConsentChanged(bool SmsOptIn, string Channel, string Consent, bool Transactional);
