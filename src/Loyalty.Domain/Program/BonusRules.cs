namespace Loyalty.Domain.Program;

/// <summary>Points beyond the earn rate. Each bonus is its own ledger entry naming the rule (its id).</summary>
public sealed record BonusRules
{
    public const int MaxPromotions = 30;
    public const int MaxSpendThresholds = 5;

    /// <summary>Points for a member's first purchase.</summary>
    public FixedBonus? FirstPurchase { get; set; }

    /// <summary>Fixed points for a purchase at or above a threshold.</summary>
    public BigOrderBonus? BigOrder { get; set; }

    /// <summary>Date ranges (in the member's time zone) with a multiplier or fixed points.</summary>
    public IReadOnlyList<Promotion> Promotions { get; set; } = [];

    /// <summary>"Spend X within Y months, get a reward", once per window.</summary>
    public IReadOnlyList<SpendThreshold> SpendThresholds { get; set; } = [];

    /// <summary>Points for the referrer when the member they referred makes a first purchase. Default 500.</summary>
    public FixedBonus? Referral { get; set; } = new() { Points = 500 };

    /// <summary>Points on the member's birthday, once a year (credited by the birthday greetings).</summary>
    public FixedBonus? Birthday { get; set; }

    internal void Validate(Action<bool, string> check, IReadOnlyDictionary<string, CurrencyRule> currencies)
    {
        foreach (var (name, bonus) in new[] { ("firstPurchase", FirstPurchase), ("referral", Referral), ("birthday", Birthday) })
        {
            check(bonus is null || bonus.Points is > 0 and <= 1_000_000, $"bonuses.{name}.points: must be between 1 and 1000000");
        }

        if (BigOrder is { } big)
        {
            check(big.Points is > 0 and <= 1_000_000, "bonuses.bigOrder.points: must be between 1 and 1000000");
            check(big.Thresholds.Count > 0, "bonuses.bigOrder.thresholds: at least one currency threshold is required");
            foreach (var (code, threshold) in big.Thresholds)
            {
                check(currencies.ContainsKey(code), $"bonuses.bigOrder.thresholds.{code}: not a currency of the program");
                check(threshold > 0, $"bonuses.bigOrder.thresholds.{code}: must be greater than 0");
            }
        }

        // A purchase's entries, with those that take owed points, must fit one storage transaction (100 operations).
        check(Promotions.Count <= MaxPromotions, $"bonuses.promotions: at most {MaxPromotions} (remove the ones that have ended)");
        check(SpendThresholds.Count <= MaxSpendThresholds, $"bonuses.spendThresholds: at most {MaxSpendThresholds}");
        foreach (var p in Promotions)
        {
            var at = $"bonuses.promotions.{p.Id}";
            check(Ids.IsValid(p.Id), "bonuses.promotions: every promotion needs an id of 1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
            check(p.From <= p.To, $"{at}: 'from' must not be after 'to'");
            check((p.Multiplier is not null) != (p.Points is not null), $"{at}: give either a multiplier or points");
            check(p.Multiplier is null or (> 1 and <= 10), $"{at}.multiplier: must be above 1 and at most 10");
            check(p.Points is null or (> 0 and <= 1_000_000), $"{at}.points: must be between 1 and 1000000");
        }

        foreach (var s in SpendThresholds)
        {
            var at = $"bonuses.spendThresholds.{s.Id}";
            check(Ids.IsValid(s.Id), "bonuses.spendThresholds: every rule needs an id of 1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
            check(s.Spend > 0, $"{at}.spend: must be greater than 0");
            check(s.WithinMonths is >= 1 and <= 36, $"{at}.withinMonths: must be between 1 and 36");
            check(s.Points is not null || s.RewardId is not null, $"{at}: give points, a rewardId, or both");
            check(s.Points is null or (> 0 and <= 1_000_000), $"{at}.points: must be between 1 and 1000000");
        }

        var ids = Promotions.Select(p => p.Id).Concat(SpendThresholds.Select(s => s.Id)).ToList();
        check(ids.Distinct(StringComparer.Ordinal).Count() == ids.Count, "bonuses: promotion and spend-threshold ids must be unique");
    }
}

public sealed record FixedBonus
{
    public long Points { get; set; }
}

public sealed record BigOrderBonus
{
    /// <summary>The amount per currency at or above which the bonus is earned.</summary>
    public IReadOnlyDictionary<string, decimal> Thresholds { get; set; } = new Dictionary<string, decimal>();

    public long Points { get; set; }
}

public sealed record Promotion
{
    public string Id { get; set; } = "";

    /// <summary>First day, in the member's time zone.</summary>
    public DateOnly From { get; set; }

    /// <summary>Last day (inclusive), in the member's time zone.</summary>
    public DateOnly To { get; set; }

    /// <summary>Points multiplier on the matching spend ("double points": 2). The bonus entry holds the extra.</summary>
    public decimal? Multiplier { get; set; }

    /// <summary>Fixed bonus points for a matching purchase.</summary>
    public long? Points { get; set; }

    /// <summary>Only purchases in these stores; null or empty for all.</summary>
    public IReadOnlyList<string>? Stores { get; set; }

    /// <summary>Only the lines in these categories count; null or empty for the whole purchase.</summary>
    public IReadOnlyList<string>? Categories { get; set; }
}

public sealed record SpendThreshold
{
    public string Id { get; set; } = "";

    /// <summary>Base points of spend (see <see cref="TierMetric.Spend"/>) to reach within the window.</summary>
    public decimal Spend { get; set; }

    public int WithinMonths { get; set; } = 6;

    /// <summary>Bonus points granted.</summary>
    public long? Points { get; set; }

    /// <summary>A reward from the catalog given as a free voucher.</summary>
    public string? RewardId { get; set; }
}
