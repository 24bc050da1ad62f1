namespace Loyalty.Domain.Program;

/// <summary>Earning by product, applied to each line of a purchase: categories and SKUs that earn nothing (gift cards), a
/// category's own multiplier or rate, and fixed points per unit of a SKU. A purchase without lines, and the part of a
/// purchase its lines do not describe, earn at the currency's rate as before.</summary>
public sealed record EarningRules
{
    public const int MaxRules = 200;
    public const long MaxSkuPoints = 100_000;

    /// <summary>Lines of these categories earn nothing and count as no spend (tiers, thresholds, promotions).</summary>
    public IReadOnlyList<string> ExcludedCategories { get; set; } = [];

    /// <summary>Lines of these SKUs earn nothing and count as no spend.</summary>
    public IReadOnlyList<string> ExcludedSkus { get; set; } = [];

    /// <summary>Per category: a multiplier of the currency's rate, or a rate of its own per currency.</summary>
    public IReadOnlyDictionary<string, CategoryRule> Categories { get; set; } = new Dictionary<string, CategoryRule>();

    /// <summary>Per SKU: fixed points per unit, instead of points per amount (the tier multiplier does not apply).</summary>
    public IReadOnlyDictionary<string, SkuRule> Skus { get; set; } = new Dictionary<string, SkuRule>();

    public bool Excludes(string sku, string? category) =>
        ExcludedSkus.Contains(sku) || (category is not null && ExcludedCategories.Contains(category));

    internal void Validate(Action<bool, string> check, IReadOnlyDictionary<string, CurrencyRule> currencies)
    {
        check(ExcludedCategories.Count + ExcludedSkus.Count + Categories.Count + Skus.Count <= MaxRules, $"earning: at most {MaxRules} rules in all");
        foreach (var (category, rule) in Categories)
        {
            var at = $"earning.categories.{category}";
            check((rule.Multiplier is not null) != (rule.PointsPerUnit is not null), $"{at}: give either a multiplier or pointsPerUnit");
            check(rule.Multiplier is null or (>= 0 and <= 10), $"{at}.multiplier: must be between 0 and 10");
            foreach (var (code, rate) in rule.PointsPerUnit ?? new Dictionary<string, decimal>())
            {
                check(currencies.ContainsKey(code), $"{at}.pointsPerUnit.{code}: not a currency of the program");
                check(rate is >= 0 and <= 10_000, $"{at}.pointsPerUnit.{code}: must be between 0 and 10000");
            }
        }

        foreach (var (sku, rule) in Skus)
        {
            check(rule.Points is > 0 and <= MaxSkuPoints, $"earning.skus.{sku}.points: must be between 1 and {MaxSkuPoints}");
        }
    }
}

public sealed record CategoryRule
{
    /// <summary>Times the currency's <see cref="CurrencyRule.PointsPerUnit"/> (0.5, 2).</summary>
    public decimal? Multiplier { get; set; }

    /// <summary>Points per unit of each currency, replacing the currency's rate; currencies not listed earn their rate.</summary>
    public IReadOnlyDictionary<string, decimal>? PointsPerUnit { get; set; }
}

public sealed record SkuRule
{
    /// <summary>Points per unit of quantity.</summary>
    public long Points { get; set; }
}

/// <summary>What a purchase earns before the tier multiplier and bonuses, line by line.</summary>
/// <param name="RateBase">Points of the amounts that earn by rate, before the tier multiplier.</param>
/// <param name="FixedPoints">Points of SKUs with fixed points (rounded down once, not multiplied by the tier).</param>
/// <param name="Spend">The base value that counts as spend (tiers, thresholds): the currency's rate on every amount
/// that is not excluded.</param>
/// <param name="EarningAmount">The amount that is not excluded: whole-purchase promotions count only this.</param>
public readonly record struct Earning(decimal RateBase, long FixedPoints, decimal Spend, decimal EarningAmount)
{
    public static Earning Of(ProgramDefinition program, Money amount, IReadOnlyList<(string Sku, string? Category, decimal Quantity, decimal Amount)> lines)
    {
        var code = amount.Currency.Code;
        var rate = program.Currencies[code].PointsPerUnit;
        var rules = program.Earning;

        // Lines describe the purchase and add up to at most its amount (the request layer refuses more); lines that do
        // not are ignored rather than trusted, so they can never earn more than the money spent.
        if (lines.Sum(l => l.Amount) > amount.Amount)
        {
            lines = [];
        }

        decimal rateBase = 0, fixedPoints = 0, excluded = 0, described = 0;
        foreach (var (sku, category, quantity, lineAmount) in lines)
        {
            described += lineAmount;
            if (rules.Excludes(sku, category))
            {
                excluded += lineAmount;
            }
            else if (rules.Skus.TryGetValue(sku, out var fixedRule))
            {
                fixedPoints += fixedRule.Points * quantity;
            }
            else if (category is not null && rules.Categories.TryGetValue(category, out var c))
            {
                rateBase += lineAmount * (c.PointsPerUnit?.GetValueOrDefault(code, rate) ?? rate * c.Multiplier!.Value);
            }
            else
            {
                rateBase += lineAmount * rate;
            }
        }

        // What no line describes earns at the currency's rate.
        rateBase += Math.Max(0, amount.Amount - described) * rate;
        var earning = amount.Amount - excluded;
        return new Earning(rateBase, (long)decimal.Floor(fixedPoints), earning * rate, earning);
    }
}
