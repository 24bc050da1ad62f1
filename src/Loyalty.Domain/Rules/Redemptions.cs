using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Rules;

public static class Redemptions
{
    public const string InsufficientPoints = "insufficient-points";
    public const string TierRequired = "tier-required";

    /// <summary>Why the member cannot redeem the reward now, or null if they can.</summary>
    public static string? Refusal(ProgramDefinition program, Account account, Reward reward)
    {
        if (reward.MinTier is { } min && Math.Max(0, program.Tiers.IndexOf(account.Tier)) < program.Tiers.IndexOf(min))
        {
            return TierRequired;
        }

        return account.Balance < new Points(reward.PointsCost) ? InsufficientPoints : null;
    }

    /// <summary>Spends the reward's points, soonest-expiring first. Returns the lots consumed, so that a cancellation
    /// can put the points back with their original expiry.</summary>
    public static IReadOnlyList<Lot> Redeem(Posting posting, Reward reward, string reference) =>
        posting.Debit(LedgerKind.Redeem, new Points(reward.PointsCost), posting.RecordedAt, reference, reward.Id).Consumed;

    public static void Cancel(Posting posting, IReadOnlyList<Lot> consumed, string reference) =>
        posting.Restore(LedgerKind.Reverse, consumed, posting.RecordedAt, reference, "redemption cancelled");
}

public static class Adjustments
{
    /// <summary>Adds or takes points for customer service, with the reason in the ledger. Credited points expire like
    /// earned ones, counted from now. Returns a refusal when a debit would go below zero and the program forbids it.</summary>
    public static string? Adjust(ProgramDefinition program, Posting posting, Points points, string reason, string reference)
    {
        if (points > Points.Zero)
        {
            posting.Credit(LedgerKind.Adjust, points, program.Points.ExpiryFor(posting.RecordedAt), posting.RecordedAt, reference, reason);
            return null;
        }

        if (!program.Points.AllowNegativeBalance && posting.Account.Balance < -points)
        {
            return Redemptions.InsufficientPoints;
        }

        posting.Debit(LedgerKind.Adjust, -points, posting.RecordedAt, reference, reason);
        return null;
    }
}
