using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Rules;

/// <summary>What returns need to know about a recorded purchase, and what the returns so far have taken back.</summary>
/// <param name="BaseEarned">Points of the earn entry.</param>
/// <param name="ReversibleBonus">Bonus points a return takes back in proportion (promotions, big order).</param>
/// <param name="Spend">The purchase's base value (amount × pointsPerUnit) counted in its month.</param>
public sealed record PurchaseRecord(
    decimal Amount,
    string Currency,
    DateTimeOffset OccurredAt,
    long BaseEarned,
    long ReversibleBonus,
    decimal Spend,
    decimal ReturnedAmount = 0,
    long ReversedPoints = 0)
{
    public decimal Returnable => Amount - ReturnedAmount;
}

public static class Returns
{
    /// <summary>Takes back the points of returning <paramref name="amount"/> of the purchase, in proportion. The running
    /// total is rounded down once, so that returning a purchase in parts takes back exactly what returning it whole
    /// would. Returns the purchase record after the return; the caller has checked the amount is returnable.</summary>
    public static PurchaseRecord Reverse(ProgramDefinition program, Posting posting, PurchaseRecord purchase, decimal amount, DateTimeOffset occurredAt, string reference)
    {
        if (amount <= 0 || amount > purchase.Returnable)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "The amount is not returnable.");
        }

        var returned = purchase.ReturnedAmount + amount;
        var reversible = purchase.BaseEarned + (program.Returns.ReverseBonuses ? purchase.ReversibleBonus : 0);
        var target = (long)decimal.Floor(reversible * returned / purchase.Amount);
        var due = new Points(target - purchase.ReversedPoints);
        var take = program.Points.AllowNegativeBalance ? due : Points.Min(due, new Points(Math.Max(0, posting.Account.Balance.Value)));
        if (take > Points.Zero)
        {
            posting.Debit(LedgerKind.Reverse, take, occurredAt, reference, "return");
        }

        var today = DateOnly.FromDateTime(posting.RecordedAt.UtcDateTime);
        posting.Update(a => a.WithActivity(purchase.OccurredAt, -(purchase.Spend * amount / purchase.Amount), -take.Value, today) with
        {
            Lifetime = a.Lifetime - take,
        });
        return purchase with { ReturnedAmount = returned, ReversedPoints = target };
    }
}
