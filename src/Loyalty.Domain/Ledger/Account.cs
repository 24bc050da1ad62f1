using System.Collections.Immutable;

namespace Loyalty.Domain.Ledger;

/// <summary>A member's points as the ledger leaves them: the open lots and any debt (a negative balance left by
/// a return after the points were spent), and the counters the rules read. The balance is derived, so it
/// always equals the sum of the ledger.</summary>
public sealed record Account
{
    public required DateTimeOffset EnrolledAt { get; init; }

    /// <summary>Points credited by earning and bonuses, less reversals of them. Never reduced by spending or expiry.</summary>
    public Points Lifetime { get; init; }

    public string? Tier { get; init; }

    public DateTimeOffset? LastPurchaseAt { get; init; }

    public int PurchaseCount { get; init; }

    /// <summary>Sequence number of the newest ledger entry (0 when the ledger is empty).</summary>
    public long LastSeq { get; init; }

    /// <summary>Open lots, soonest expiry first; none is empty.</summary>
    public ImmutableList<Lot> Lots { get; init; } = [];

    private static Points Positive(Points p) => p > Points.Zero ? p : Points.Zero;

    /// <summary>A negative balance: debits that found no lots to consume (only where the program allows negative
    /// balances). Positive only when <see cref="Lots"/> is empty; a credit pays it first.</summary>
    public Points Debt { get; init; }

    /// <summary>Points a return could not take back because the balance did not have them (only where the program
    /// forbids negative balances): not part of the balance, and taken from the next credits by a <c>reverse</c>
    /// entry of their own (see <see cref="Posting.Credit"/>).</summary>
    public Points Owed { get; init; }

    /// <summary>Spend and points per calendar month (UTC), for rolling windows (tiers, spend thresholds).</summary>
    public ImmutableSortedDictionary<MonthKey, Activity> Months { get; init; } = ImmutableSortedDictionary<MonthKey, Activity>.Empty;

    /// <summary>When the nightly re-evaluation next looks at the member's tier; null on the base tier.</summary>
    public DateOnly? TierReviewOn { get; init; }

    /// <summary>What the once-per-window rules (spend thresholds) granted, oldest first, as far back as any window reaches.</summary>
    public ImmutableList<Grant> Grants { get; init; } = [];

    /// <summary>Vouchers the member was given, oldest first.</summary>
    public ImmutableList<Voucher> Vouchers { get; init; } = [];

    /// <summary>Points reserved for a basket at a till and not yet captured or released (<see cref="Hold"/>); a hold whose
    /// time has passed reserves nothing, whether or not an operation has removed it yet.</summary>
    public ImmutableList<Hold> Holds { get; init; } = [];

    /// <summary>Points of recent purchases still inside the return window (<see cref="PendingPoints"/>), oldest first; an
    /// amount whose time has passed is available, whether or not an operation has removed it yet.</summary>
    public ImmutableList<PendingPoints> Pending { get; init; } = [];

    public Points Balance => Lots.Aggregate(-Debt, (sum, lot) => sum + lot.Remaining);

    /// <summary>Points held at <paramref name="now"/>: the holds that have not expired, never more than a positive balance
    /// has (a return or an expiry may take points while they are held; the capture then finds them missing).</summary>
    public Points HeldAt(DateTimeOffset now) =>
        Points.Min(Holds.Where(h => h.ExpiresAt > now).Aggregate(Points.Zero, (sum, h) => sum + h.Points), Positive(Balance));

    /// <summary>Points pending at <paramref name="now"/>: of purchases whose return window is still open, never more than
    /// what the balance has besides the held points.</summary>
    public Points PendingAt(DateTimeOffset now) =>
        Points.Min(Pending.Where(p => p.AvailableAt > now).Aggregate(Points.Zero, (sum, p) => sum + p.Points), Positive(Balance - HeldAt(now)));

    /// <summary>Points that can be redeemed or held at <paramref name="now"/>: the balance less what is held and pending.</summary>
    public Points AvailableAt(DateTimeOffset now) => Balance - HeldAt(now) - PendingAt(now);

    /// <summary>The vouchers as they stand at <paramref name="now"/>: an active voucher whose day has come is expired,
    /// whether or not the nightly job has marked it yet.</summary>
    public IEnumerable<Voucher> VouchersAt(DateTimeOffset now) => Vouchers.Select(v => v.At(now));

    /// <summary>Drops the holds and pending amounts whose time has passed: they no longer change anything.</summary>
    public Account Settled(DateTimeOffset now) => this with
    {
        Holds = Holds.RemoveAll(h => h.ExpiresAt <= now),
        Pending = Pending.RemoveAll(p => p.AvailableAt <= now),
    };

    /// <summary>The account with <paramref name="hold"/> placed (and what has run out dropped).</summary>
    public Account WithHold(Hold hold, DateTimeOffset now)
    {
        var s = Settled(now);
        return s with { Holds = s.Holds.Add(hold) };
    }

    /// <summary>The account without the hold <paramref name="holdId"/> (and what has run out dropped).</summary>
    public Account WithoutHold(string holdId, DateTimeOffset now)
    {
        var s = Settled(now);
        return s with { Holds = s.Holds.RemoveAll(h => h.HoldId == holdId) };
    }

    /// <summary>The account with <paramref name="pending"/> points of a purchase (and what has run out dropped).</summary>
    public Account WithPending(PendingPoints pending, DateTimeOffset now)
    {
        var s = Settled(now);
        return s with { Pending = s.Pending.Add(pending) };
    }

    /// <summary>Takes <paramref name="points"/> a return took back off the pending points of its purchase: a return within
    /// the window takes pending points first.</summary>
    public Account LessPending(string purchaseId, Points points, DateTimeOffset now)
    {
        var s = Settled(now);
        if (s.Pending.Find(p => p.PurchaseId == purchaseId) is not { } pending || points <= Points.Zero)
        {
            return s;
        }

        var left = pending.Points - Points.Min(points, pending.Points);
        return s with { Pending = left > Points.Zero ? s.Pending.Replace(pending, pending with { Points = left }) : s.Pending.Remove(pending) };
    }

    /// <summary>The lot that expires next, if any.</summary>
    public Lot? NextExpiring => Lots.FirstOrDefault(l => l.ExpiresOn is not null);

    /// <summary>The spend or points of the <paramref name="months"/> calendar months up to and including <paramref name="today"/>'s.</summary>
    public (decimal Spend, long Points) Window(DateOnly today, int months)
    {
        var from = MonthKey.Of(today).Minus(months - 1);
        var inWindow = Months.Where(m => m.Key >= from && m.Key <= MonthKey.Of(today)).Select(m => m.Value).ToList();
        return (inWindow.Sum(a => a.Spend), inWindow.Sum(a => a.Points));
    }

    /// <summary>Adds spend and points to the month of <paramref name="at"/> (negative for returns), forgetting months
    /// older than any window can reach.</summary>
    public Account WithActivity(DateTimeOffset at, decimal spend, long points, DateOnly today)
    {
        var month = MonthKey.Of(DateOnly.FromDateTime(at.UtcDateTime));
        var current = Months.GetValueOrDefault(month);
        var months = Months.SetItem(month, new Activity(current.Spend + spend, checked(current.Points + points)));
        var oldest = MonthKey.Of(today).Minus(MonthKey.MaxWindow);
        return this with { Months = months.RemoveRange(months.Keys.Where(k => k < oldest)) };
    }

    /// <summary>The grant of <paramref name="rule"/> that still counts on <paramref name="today"/> for a rule of
    /// <paramref name="withinMonths"/>, if any: a rule grants once per window.</summary>
    public Grant? ActiveGrant(string rule, DateOnly today, int withinMonths) =>
        Grants.LastOrDefault(g => g.Rule == rule && !g.Void && g.Day > today.AddMonths(-withinMonths));

    /// <summary>Records a grant, forgetting grants older than any window can reach.</summary>
    public Account WithGrant(Grant grant, DateOnly today)
    {
        var oldest = today.AddMonths(-MonthKey.MaxWindow);
        return this with { Grants = Grants.RemoveAll(g => g.Day < oldest).Add(grant) };
    }

    /// <summary>Adds points: they first pay off any debt, the rest goes into the lot for <paramref name="expiresOn"/>.</summary>
    public Account Credit(Points points, DateOnly? expiresOn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points.Value);
        var repaid = Points.Min(points, Debt);
        var rest = points - repaid;
        var lots = Lots;
        if (rest > Points.Zero)
        {
            var existing = lots.Find(l => l.ExpiresOn == expiresOn);
            lots = existing is null
                ? lots.Add(new Lot(expiresOn, rest)).Sort(Lot.CompareByExpiry)
                : lots.Replace(existing, existing with { Remaining = existing.Remaining + rest });
        }

        return this with { Debt = Debt - repaid, Lots = lots };
    }

    /// <summary>Takes points from the lots, soonest expiry first. What the lots cannot cover becomes debt.
    /// Returns the new account and the parts of each lot that were consumed.</summary>
    public (Account Account, IReadOnlyList<Lot> Consumed) Debit(Points points)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points.Value);
        var remaining = points;
        var consumed = new List<Lot>();
        var lots = ImmutableList.CreateBuilder<Lot>();
        foreach (var lot in Lots)
        {
            var take = Points.Min(lot.Remaining, remaining);
            remaining -= take;
            if (take > Points.Zero)
            {
                consumed.Add(lot with { Remaining = take });
            }

            if (lot.Remaining > take)
            {
                lots.Add(lot with { Remaining = lot.Remaining - take });
            }
        }

        return (this with { Lots = lots.ToImmutable(), Debt = Debt + remaining }, consumed);
    }
}

/// <summary>What a once-per-window rule gave on <paramref name="Day"/>: points, a voucher, or both.</summary>
/// <param name="CountedAt">When the purchase that reached it occurred: its points count in that month.</param>
/// <param name="Void">A return took back the spend that earned it: its points were taken back, its voucher voided,
/// and the rule may grant again.</param>
public sealed record Grant(string Rule, DateOnly Day, long Points, string? VoucherCode, DateTimeOffset CountedAt, bool Void = false);

/// <summary>What became of a voucher.</summary>
public enum VoucherStatus
{
    Active,
    Used,
    Expired,
    Void,
}

/// <summary>A reward given as a code the member shows at the till.</summary>
/// <param name="Source">What gave it: a spend-threshold rule's id, or a redemption's id.</param>
/// <param name="ExpiresOn">The day (UTC) from which it can no longer be used; null: never (vouchers issued before
/// vouchers had a validity).</param>
/// <param name="Use">How it was used, once it is.</param>
public sealed record Voucher(
    string Code, string RewardId, string Source, DateTimeOffset IssuedAt, VoucherStatus Status = VoucherStatus.Active, DateOnly? ExpiresOn = null, VoucherUse? Use = null)
{
    /// <summary>The voucher as it stands at <paramref name="now"/>: active until its day comes, then expired.</summary>
    public Voucher At(DateTimeOffset now) =>
        Status == VoucherStatus.Active && ExpiresOn is { } on && DateOnly.FromDateTime(now.UtcDateTime) >= on ? this with { Status = VoucherStatus.Expired } : this;

    /// <summary>A voucher of <paramref name="reward"/> issued now, valid for the reward's days.</summary>
    public static Voucher Issue(string code, Program.Reward reward, string source, DateTimeOffset now) =>
        new(code, reward.Id, source, now, ExpiresOn: DateOnly.FromDateTime(now.UtcDateTime).AddDays(reward.ValidDays));
}

/// <summary>Where and when a voucher was used.</summary>
/// <param name="UseId">The caller's id of the use: a replay answers the same use.</param>
public sealed record VoucherUse(string UseId, string OrderId, string? StoreId, DateTimeOffset UsedAt);

/// <summary>Points reserved at a till until the order completes (captured) or the basket is abandoned (released), or
/// until <paramref name="ExpiresAt"/>, after which they are available again without any job running.</summary>
public sealed record Hold(string HoldId, Points Points, DateTimeOffset ExpiresAt);

/// <summary>Points of a purchase inside its return window: part of the balance, available from <paramref name="AvailableAt"/>
/// (the start of the day the window ends, in the member's time zone).</summary>
/// <param name="PurchaseId">The purchase that credited them: a return of it takes these first.</param>
public sealed record PendingPoints(string PurchaseId, Points Points, DateTimeOffset AvailableAt);

/// <summary>Spend (base points) and points in one month.</summary>
public readonly record struct Activity(decimal Spend, long Points);

/// <summary>A calendar month, <c>yyyy-MM</c>.</summary>
public readonly record struct MonthKey(int Year, int Month) : IComparable<MonthKey>
{
    /// <summary>The longest window any rule may use, in months.</summary>
    public const int MaxWindow = 36;

    public static MonthKey Of(DateOnly day) => new(day.Year, day.Month);

    public static bool operator <(MonthKey a, MonthKey b) => a.CompareTo(b) < 0;

    public static bool operator >(MonthKey a, MonthKey b) => a.CompareTo(b) > 0;

    public static bool operator <=(MonthKey a, MonthKey b) => a.CompareTo(b) <= 0;

    public static bool operator >=(MonthKey a, MonthKey b) => a.CompareTo(b) >= 0;

    public static MonthKey Parse(string text) => new(int.Parse(text[..4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(text[5..], System.Globalization.CultureInfo.InvariantCulture));

    public MonthKey Minus(int months)
    {
        var index = (Year * 12) + Month - 1 - months;
        return new MonthKey(index / 12, (index % 12) + 1);
    }

    public int CompareTo(MonthKey other) => ((Year * 12) + Month).CompareTo((other.Year * 12) + other.Month);

    public override string ToString() => $"{Year:D4}-{Month:D2}";
}
