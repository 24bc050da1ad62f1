using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Purchases;

/// <summary>A validated purchase, as the storefront or order system reported it.</summary>
public sealed record Purchase(
    OperationId PurchaseId,
    MemberId MemberId,
    Money Amount,
    DateTimeOffset OccurredAt,
    string? StoreId,
    IReadOnlyList<PurchaseLine> Lines);

public sealed record PurchaseLine(string Sku, string? Category, decimal Quantity, decimal Amount);

/// <summary>The points a purchase brings: the posting to store, and the figures the caller gets back.</summary>
public sealed record PurchaseOutcome(Posting Posting, Points PointsEarned);

public static class Earning
{
    /// <summary>Decides what <paramref name="purchase"/> earns and posts it to the account.</summary>
    public static PurchaseOutcome Record(ProgramDefinition program, Account account, Purchase purchase, DateTimeOffset now)
    {
        var rule = program.Currencies[purchase.Amount.Currency.Code];
        var earned = new Points((long)decimal.Floor(purchase.Amount.Amount * rule.PointsPerUnit));
        var posting = new Posting(account, now);
        var reference = purchase.PurchaseId.Value;
        posting.Credit(LedgerKind.Earn, earned, program.Points.ExpiryFor(purchase.OccurredAt), purchase.OccurredAt, reference);
        posting.Update(a => a with
        {
            Lifetime = a.Lifetime + earned,
            PurchaseCount = checked(a.PurchaseCount + 1),
            LastPurchaseAt = a.LastPurchaseAt is { } last && last > purchase.OccurredAt ? last : purchase.OccurredAt,
        });
        return new PurchaseOutcome(posting, posting.Net);
    }
}
