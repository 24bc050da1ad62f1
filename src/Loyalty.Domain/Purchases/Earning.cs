using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Purchases;

/// <summary>What a purchase earns under the program: the earn rate times the tier multiplier, then each bonus as its
/// own entry naming its rule, then a tier upgrade if the purchase qualifies for one.</summary>
public static class Earning
{
    public const string FirstPurchaseRule = "first-purchase";
    public const string BigOrderRule = "big-order";

    /// <param name="zone">The member's time zone: promotion days are the member's days.</param>
    /// <param name="newVoucherCode">Makes the code of a voucher a spend-threshold rule gives.</param>
    public static PurchaseOutcome Record(ProgramDefinition program, Account account, Purchase purchase, TimeZoneInfo zone, DateTimeOffset now, Func<string> newVoucherCode)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var amount = purchase.Amount.Amount;
        var rate = program.Currencies[purchase.Amount.Currency.Code].PointsPerUnit;
        var spend = amount * rate;
        var multiplier = (program.Tiers.Find(account.Tier) ?? program.Tiers.Base)?.Multiplier ?? 1;
        var expires = program.Points.ExpiryFor(purchase.OccurredAt);
        var reference = purchase.PurchaseId.Value;
        var posting = new Posting(account, now);
        void Bonus(long points, string rule) => posting.Credit(LedgerKind.Bonus, new Points(points), expires, purchase.OccurredAt, reference, rule);

        var earned = Floor(spend * multiplier);
        posting.Credit(LedgerKind.Earn, earned, expires, purchase.OccurredAt, reference);

        var first = account.PurchaseCount == 0;
        if (first && program.Bonuses.FirstPurchase is { } firstBonus)
        {
            Bonus(firstBonus.Points, FirstPurchaseRule);
        }

        var reversible = Points.Zero;
        if (program.Bonuses.BigOrder is { } big && big.Thresholds.TryGetValue(purchase.Amount.Currency.Code, out var threshold) && amount >= threshold)
        {
            Bonus(big.Points, BigOrderRule);
            reversible += new Points(big.Points);
        }

        var localDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(purchase.OccurredAt, zone).DateTime);
        foreach (var promotion in program.Bonuses.Promotions.Where(p => p.From <= localDay && localDay <= p.To && AppliesToStore(p, purchase)))
        {
            var matching = MatchingAmount(promotion, purchase);
            var extra = promotion.Multiplier is { } m ? Floor(matching * rate * (m - 1)) : new Points(matching > 0 ? promotion.Points!.Value : 0);
            if (extra > Points.Zero)
            {
                Bonus(extra.Value, promotion.Id);
                reversible += extra;
            }
        }

        posting.Update(a => a.WithActivity(purchase.OccurredAt, spend, posting.Net.Value, today) with
        {
            Lifetime = a.Lifetime + posting.Net,
            PurchaseCount = checked(a.PurchaseCount + 1),
            LastPurchaseAt = a.LastPurchaseAt is { } last && last > purchase.OccurredAt ? last : purchase.OccurredAt,
        });

        var granted = new List<GrantedVoucher>();
        foreach (var rule in program.Bonuses.SpendThresholds)
        {
            var (windowSpend, _) = posting.Account.Window(today, rule.WithinMonths);
            var grantedBefore = posting.Account.Grants.TryGetValue(rule.Id, out var last) && last > today.AddMonths(-rule.WithinMonths);
            if (windowSpend < rule.Spend || grantedBefore)
            {
                continue;
            }

            if (rule.Points is { } points)
            {
                Bonus(points, rule.Id);
                posting.Update(a => a.WithActivity(purchase.OccurredAt, 0, points, today) with { Lifetime = a.Lifetime + new Points(points) });
            }

            if (rule.RewardId is { } reward)
            {
                var voucher = new GrantedVoucher(rule.Id, reward, newVoucherCode());
                posting.Event(LedgerKind.Bonus, purchase.OccurredAt, reference, $"{rule.Id}: {reward} voucher {voucher.Code}");
                granted.Add(voucher);
            }

            posting.Update(a => a with { Grants = a.Grants.SetItem(rule.Id, today) });
        }

        Tiering.UpgradeIfQualified(program.Tiers, posting, today, purchase.OccurredAt, reference);
        return new PurchaseOutcome(posting, posting.Net, earned, reversible, spend, first, granted);
    }

    public static Points Floor(decimal points) => new((long)decimal.Floor(points));

    private static bool AppliesToStore(Promotion p, Purchase purchase) =>
        p.Stores is not { Count: > 0 } stores || (purchase.StoreId is { } store && stores.Contains(store));

    // With a category filter only the matching lines count; a purchase without lines has nothing to match.
    private static decimal MatchingAmount(Promotion p, Purchase purchase) =>
        p.Categories is not { Count: > 0 } categories
            ? purchase.Amount.Amount
            : purchase.Lines.Where(l => l.Category is { } c && categories.Contains(c)).Sum(l => l.Amount);
}
