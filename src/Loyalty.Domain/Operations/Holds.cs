using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Operations;

/// <summary>What a hold looks like to the till: placed, then captured, released or expired.</summary>
/// <param name="Status">held, captured, released or expired.</param>
/// <param name="CapturedPoints">Points the capture took (a <c>burn</c> ledger entry referencing <paramref name="OrderId"/>).</param>
/// <param name="ReleasedPoints">Points given back: by a release, or the part a partial capture did not take.</param>
/// <param name="Available">The member's available points right after this operation.</param>
public sealed record HoldResult(
    string HoldId,
    string MemberId,
    long Points,
    decimal? Amount,
    string? Currency,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    long Available,
    long Balance,
    long CapturedPoints = 0,
    long ReleasedPoints = 0,
    string? OrderId = null,
    DateTimeOffset? SettledAt = null);

/// <summary>Facts of a hold kept with it: what it reserves until when, and how it ended.</summary>
/// <param name="Status">held, captured or released (expiry is read from the time).</param>
public sealed record HoldRecord(
    long Points,
    decimal? Amount,
    string? Currency,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string Status = HoldRecord.Held,
    long CapturedPoints = 0,
    string? OrderId = null,
    DateTimeOffset? SettledAt = null)
{
    public const string Held = "held";
    public const string Captured = "captured";
    public const string Released = "released";
    public const string Expired = "expired";

    /// <summary>The status at <paramref name="now"/>: a hold neither captured nor released has expired once its time passed.</summary>
    public string StatusAt(DateTimeOffset now) => Status == Held && now >= ExpiresAt ? Expired : Status;

    public HoldResult View(string holdId, string memberId, Account account, DateTimeOffset now) => new(
        holdId,
        memberId,
        Points,
        Amount,
        Currency,
        StatusAt(now),
        CreatedAt,
        ExpiresAt,
        account.AvailableAt(now).Value,
        account.Balance.Value,
        CapturedPoints,
        Status == Held ? 0 : Points - CapturedPoints,
        OrderId,
        SettledAt);
}

/// <summary>Reserves available points for a basket, as a card payment is authorised: the member's available points drop
/// at once; nothing is debited until the capture. Only available points can be held (never pending ones, and never into
/// a negative balance, whatever the program allows). Idempotent by the hold id, which is unique in the program.</summary>
/// <param name="Amount">What the points pay, when the till asked in money (the points are then its price in points).</param>
public sealed record PlaceHold(OperationId HoldId, MemberId Member, Points Points, Money? Amount, int ExpiresInMinutes)
    : MemberOperation<HoldResult>(Member, new OperationKey(OperationKinds.Hold, HoldId))
{
    /// <summary>Open holds a member may have at once: a till holds for one basket at a time.</summary>
    public const int MaxOpen = 20;

    public const int DefaultMinutes = 30;
    public const int MaxMinutes = 24 * 60;

    public override string Fingerprint => Operations.Fingerprint.Of(
        Key.Kind, HoldId.Value, Member.Value, Points.Value, Amount?.Amount, Amount?.Currency.Code, ExpiresInMinutes);

    public override bool ClaimsId => true;

    public override Outcome<HoldResult> Decide(Member member, object? related, OperationContext context)
    {
        var now = context.Now;
        var account = member.Account.Settled(now);
        if (account.AvailableAt(now) < Points)
        {
            return InsufficientPoints.Of(account, Points.Value, now);
        }

        if (account.Holds.Count >= MaxOpen)
        {
            return new TooManyHolds(account.Holds.Count, MaxOpen);
        }

        var expiresAt = now.AddMinutes(ExpiresInMinutes);
        var posting = new Posting(member.Account, now);
        posting.Update(a => a.WithHold(new Hold(HoldId.Value, Points, expiresAt), now));
        var record = new HoldRecord(Points.Value, Amount?.Amount, Amount?.Currency.Code, now, expiresAt);
        var held = new PointsHeld(HoldId.Value, Points.Value, expiresAt, posting.Account.AvailableAt(now).Value);
        return Outcome<HoldResult>.Commit(posting, record.View(HoldId.Value, Member.Value, posting.Account, now), record, events: [new DomainEvent(EventCatalog.PointsHeld, held)]);
    }
}

/// <summary>Settles a hold: turns the captured points into a <c>burn</c> debit referencing the order, and gives the rest
/// back (a partial capture releases what it does not take). Refused after a release or once the hold has expired, and
/// when the balance no longer has the points (a return or an expiry took them while they were held). Idempotent.</summary>
/// <param name="Points">Null: all the hold reserves.</param>
public sealed record CaptureHold(OperationId HoldId, MemberId Member, OperationId OrderId, Points? Points)
    : MemberOperation<HoldResult>(Member, new OperationKey(OperationKinds.Capture, HoldId))
{
    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, HoldId.Value, Member.Value, OrderId.Value, Points?.Value);

    public override OperationKey? RelatedKey => new OperationKey(OperationKinds.Hold, HoldId);

    public override Type? RelatedRecordType => typeof(HoldRecord);

    public override Outcome<HoldResult> Decide(Member member, object? related, OperationContext context)
    {
        var hold = (HoldRecord)related!;
        var now = context.Now;
        if (HoldSettlement.NotActive(HoldId, hold, now) is { } refusal)
        {
            return refusal;
        }

        var points = Points ?? new Points(hold.Points);
        if (points.Value > hold.Points)
        {
            return new CaptureExceedsHold(points.Value, hold.Points);
        }

        if (member.Account.Balance < points)
        {
            return new InsufficientPoints(member.Account.Balance.Value, points.Value);
        }

        var posting = HoldSettlement.Without(member, HoldId, now);
        posting.Debit(LedgerKind.Burn, points, now, OrderId.Value, $"hold {HoldId.Value}");
        var after = hold with { Status = HoldRecord.Captured, CapturedPoints = points.Value, OrderId = OrderId.Value, SettledAt = now };
        var captured = new PointsCaptured(HoldId.Value, OrderId.Value, points.Value, hold.Points - points.Value, posting.Account.Balance.Value);
        return Outcome<HoldResult>.Commit(
            posting, after.View(HoldId.Value, Member.Value, posting.Account, now), relatedRecord: after, events: [new DomainEvent(EventCatalog.PointsCaptured, captured)]);
    }
}

/// <summary>Gives a hold's points back (the basket was abandoned). Releasing an expired hold closes it too; a captured
/// hold cannot be released. Idempotent.</summary>
public sealed record ReleaseHold(OperationId HoldId, MemberId Member)
    : MemberOperation<HoldResult>(Member, new OperationKey(OperationKinds.Release, HoldId))
{
    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, HoldId.Value, Member.Value);

    public override OperationKey? RelatedKey => new OperationKey(OperationKinds.Hold, HoldId);

    public override Type? RelatedRecordType => typeof(HoldRecord);

    public override Outcome<HoldResult> Decide(Member member, object? related, OperationContext context)
    {
        var hold = (HoldRecord)related!;
        var now = context.Now;
        if (hold.Status != HoldRecord.Held)
        {
            return new HoldNotActive(HoldId.Value, hold.Status, hold.SettledAt ?? now);
        }

        var posting = HoldSettlement.Without(member, HoldId, now);
        var after = hold with { Status = HoldRecord.Released, SettledAt = now };
        var released = new HoldReleased(HoldId.Value, hold.Points, posting.Account.AvailableAt(now).Value);
        return Outcome<HoldResult>.Commit(
            posting, after.View(HoldId.Value, Member.Value, posting.Account, now), relatedRecord: after, events: [new DomainEvent(EventCatalog.HoldReleased, released)]);
    }
}

internal static class HoldSettlement
{
    /// <summary>Why a hold can no longer be captured, or null while it can.</summary>
    public static HoldNotActive? NotActive(OperationId holdId, HoldRecord hold, DateTimeOffset now) => hold.StatusAt(now) switch
    {
        HoldRecord.Held => null,
        HoldRecord.Expired => new HoldNotActive(holdId.Value, HoldRecord.Expired, hold.ExpiresAt),
        var status => new HoldNotActive(holdId.Value, status, hold.SettledAt ?? now),
    };

    /// <summary>A posting whose account no longer has the hold (nor anything else whose time has passed).</summary>
    public static Posting Without(Member member, OperationId holdId, DateTimeOffset now)
    {
        var posting = new Posting(member.Account, now);
        posting.Update(a => a.WithoutHold(holdId.Value, now));
        return posting;
    }
}
