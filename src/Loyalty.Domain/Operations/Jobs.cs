using System.Globalization;
using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Operations;

/// <param name="Expired">Points expired by this part.</param>
/// <param name="MoreDue">Whether lots due on the day are left for the next part.</param>
/// <param name="Vouchers">Vouchers whose day had come, marked expired.</param>
public sealed record ExpiryResult(long Expired, int Lots, bool MoreDue, int Vouchers = 0);

/// <summary>Expires the member's lots (and vouchers) whose day has come, one <c>expire</c> entry per lot, at most
/// <see cref="MaxLots"/> per part so that a part fits one storage transaction; a member with more due lots (a
/// back-filled history, a job that did not run for weeks) gets part 1, 2, … of the same day. Idempotent by day and part;
/// erased members' points expire too.</summary>
public sealed record ExpirePoints(MemberId Member, DateOnly Day, int Part)
    : MemberOperation<ExpiryResult>(Member, new OperationKey(OperationKinds.Expiry, PartId(Day, Part)))
{
    /// <summary>Lots per part: with the operation row and the member row, well within a transaction's 100 operations.</summary>
    public const int MaxLots = 90;

    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, Key.Id.Value);

    public override bool AllowsErased => true;

    public static OperationId PartId(DateOnly day, int part) =>
        OperationId.Parse(part == 1 ? DayText(day) : $"{DayText(day)}_{part.ToString(CultureInfo.InvariantCulture)}");

    public override Outcome<ExpiryResult> Decide(Member member, object? related, OperationContext context)
    {
        var posting = new Posting(member.Account, context.Now);
        var (expired, lots) = Post(posting, Day, MaxLots, $"{Key.Kind}-{Key.Id.Value}");

        // Vouchers show expired as soon as their day comes; the job writes it down.
        var dueVouchers = posting.Account.Vouchers.Where(v => v.Status == VoucherStatus.Active && v.ExpiresOn <= Day).ToList();
        posting.Update(a => a with { Vouchers = [.. a.Vouchers.Select(v => dueVouchers.Contains(v) ? v with { Status = VoucherStatus.Expired } : v)] });
        if (lots == 0 && dueVouchers.Count == 0)
        {
            return new NothingToDo();
        }

        // One event per part, not per lot: with a row per lot a part of 90 lots would need 90 more operations than one
        // transaction holds. The part is the change; the ledger has its lots.
        var moreDue = posting.Account.Lots.FirstOrDefault() is { ExpiresOn: { } next } && next <= Day;
        var expiredEvent = new PointsExpired(Day, Part, expired.Value, lots, posting.Account.Balance.Value);
        return Outcome<ExpiryResult>.Commit(
            posting, new ExpiryResult(expired.Value, lots, moreDue, dueVouchers.Count), events: lots == 0 ? [] : [new DomainEvent(EventCatalog.PointsExpired, expiredEvent)]);
    }

    /// <summary>Posts one <c>expire</c> entry for each lot whose day is <paramref name="through"/> or earlier, soonest
    /// first, at most <paramref name="maxLots"/>. Returns the points and the lots expired.</summary>
    public static (Points Expired, int Lots) Post(Posting posting, DateOnly through, int maxLots, string reference)
    {
        var expired = Points.Zero;
        var lots = 0;
        while (lots < maxLots && posting.Account.Lots.FirstOrDefault() is { ExpiresOn: { } on } lot && on <= through)
        {
            // The lot is first in spending order, so the debit takes exactly it.
            var at = new DateTimeOffset(on.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            posting.Debit(LedgerKind.Expire, lot.Remaining, at, reference, "lot " + on.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            expired += lot.Remaining;
            lots++;
        }

        return (expired, lots);
    }

    private static string DayText(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>Re-evaluates the tier of a member whose review day has come (downgrades happen only here). An erased
/// member's tier is left as it was: only their points still expire.</summary>
public sealed record ReviewTier(MemberId Member, DateOnly Day)
    : MemberOperation<string?>(Member, new OperationKey(OperationKinds.TierReview, OperationId.Parse(Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))))
{
    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, Key.Id.Value);

    public override Outcome<string?> Decide(Member member, object? related, OperationContext context)
    {
        var posting = new Posting(member.Account, context.Now);
        var tiers = context.Program.Tiers;
        return Tiering.Review(tiers, posting, Day, $"{Key.Kind}-{Key.Id.Value}")
            ? Outcome<string?>.Commit(posting, tiers.Shown(posting.Account.Tier))
            : new NothingToDo();
    }
}
