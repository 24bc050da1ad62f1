using Loyalty.Domain.Program;

namespace Loyalty.Domain.Ledger;

/// <summary>Tier changes. A purchase that qualifies moves the member up at once, and the new tier is kept at least
/// for the window plus the grace months. The nightly re-evaluation looks at members whose review day has come:
/// still qualified, they keep the tier and are looked at again in a month; otherwise they move down one tier,
/// and are not looked at again before the grace period (at least a month) has passed.</summary>
public static class Tiering
{
    public static decimal Measure(TierRules rules, Account account, DateOnly today)
    {
        var (spend, points) = account.Window(today, rules.WindowMonths);
        return rules.QualifyBy == TierMetric.Spend ? spend : points;
    }

    /// <summary>The index of the highest tier the member's window reaches on <paramref name="today"/> (0 without tiers).</summary>
    public static int Qualified(TierRules rules, Account account, DateOnly today) =>
        Math.Max(0, rules.IndexOf(rules.QualifiedFor(Measure(rules, account, today))?.Id));

    /// <summary>After a return: a member who qualified for their tier before it (<paramref name="qualifiedBefore"/>) and no
    /// longer does falls at once to the tier the remaining spend reaches. A member who was already below their tier's
    /// threshold keeps it until the nightly review: the grace period is for spend that aged out, not spend returned.</summary>
    public static void FallBackAfterReturn(TierRules rules, Posting posting, int qualifiedBefore, DateOnly today, string reference)
    {
        var current = Math.Max(0, rules.IndexOf(posting.Account.Tier));
        var qualified = Qualified(rules, posting.Account, today);
        if (rules.Levels.Count == 0 || qualifiedBefore < current || qualified >= current)
        {
            return;
        }

        var lower = rules.Levels[qualified];
        posting.Event(LedgerKind.Tier, posting.RecordedAt, reference, lower.Id);
        posting.Update(a => a with { Tier = lower.Id, TierReviewOn = qualified == 0 ? null : a.TierReviewOn });
    }

    public static void UpgradeIfQualified(TierRules rules, Posting posting, DateOnly today, DateTimeOffset occurredAt, string reference)
    {
        if (rules.QualifiedFor(Measure(rules, posting.Account, today)) is not { } qualified
            || rules.IndexOf(qualified.Id) <= Math.Max(0, rules.IndexOf(posting.Account.Tier)))
        {
            return;
        }

        posting.Event(LedgerKind.Tier, occurredAt, reference, qualified.Id);
        posting.Update(a => a with { Tier = qualified.Id, TierReviewOn = today.AddMonths(rules.WindowMonths + rules.GraceMonths) });
    }

    /// <summary>Re-evaluates a member whose review day has come. Returns false when there is nothing to do.</summary>
    public static bool Review(TierRules rules, Posting posting, DateOnly today, string reference)
    {
        var account = posting.Account;
        if (account.TierReviewOn is not { } due || due > today || rules.Levels.Count == 0)
        {
            return false;
        }

        var current = Math.Max(0, rules.IndexOf(account.Tier));
        var qualified = rules.IndexOf(rules.QualifiedFor(Measure(rules, account, today))?.Id);
        if (qualified >= current)
        {
            posting.Update(a => a with { TierReviewOn = current == 0 ? null : today.AddMonths(1) });
            return true;
        }

        var lower = rules.Levels[current - 1];
        posting.Event(LedgerKind.Tier, posting.RecordedAt, reference, lower.Id);
        posting.Update(a => a with { Tier = lower.Id, TierReviewOn = current - 1 == 0 ? null : today.AddMonths(Math.Max(1, rules.GraceMonths)) });
        return true;
    }
}
