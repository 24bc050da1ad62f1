using Loyalty.Domain.Outreach;

namespace Loyalty.Domain.Program;

/// <summary>A loyalty program as data: how members earn, the tiers, bonuses and rewards. Loaded from a JSON file
/// and checked with <see cref="Validate"/> before the app starts. Its properties, and those of the rules it holds, have
/// setters rather than <c>init</c>: the generated JSON serializer (Native AOT) sets every <c>init</c> property in one
/// object initializer, giving those the file leaves out <c>default</c> instead of their initial values
/// (dotnet/runtime#84484); <c>JsonContractTests</c> holds every type the handler reads to that.</summary>
public sealed record ProgramDefinition
{
    public string Name { get; set; } = "";

    /// <summary>Accepted currencies (ISO 4217 code → rule). Purchases in any other currency are refused.</summary>
    public IReadOnlyDictionary<string, CurrencyRule> Currencies { get; set; } = new Dictionary<string, CurrencyRule>();

    public PointsRules Points { get; set; } = new();

    public TierRules Tiers { get; set; } = new();

    public BonusRules Bonuses { get; set; } = new();

    public IReadOnlyList<Reward> Rewards { get; set; } = [];

    public ReturnRules Returns { get; set; } = new();

    /// <summary>Earning by product: exclusions, category rates and fixed points per SKU, applied per line.</summary>
    public EarningRules Earning { get; set; } = new();

    /// <summary>Outreach messages: templates, sending hours, frequency cap, thresholds.</summary>
    public OutreachDefinition Outreach { get; set; } = new();

    /// <summary>Every problem with the definition, each naming its place (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string error)
        {
            if (!ok)
            {
                errors.Add(error);
            }
        }

        Check(!string.IsNullOrWhiteSpace(Name), "name: required");
        Check(Currencies.Count > 0, "currencies: at least one currency is required");
        foreach (var (code, rule) in Currencies)
        {
            Check(Currency.TryParse(code, out _), $"currencies.{code}: not an ISO 4217 currency code");
            Check(rule.PointsPerUnit is > 0 and <= 10_000, $"currencies.{code}.pointsPerUnit: must be greater than 0 and at most 10000");
            Check(rule.MaxAmount is > 0 and <= 1_000_000_000_000m, $"currencies.{code}.maxAmount: must be greater than 0 and at most 1000000000000");
            Check(rule.PointsToPay is null or (> 0 and <= 1_000_000), $"currencies.{code}.pointsToPay: must be greater than 0 and at most 1000000");
        }

        Check(Points.ExpireAfterMonths is null or (>= 1 and <= 120), "points.expireAfterMonths: must be between 1 and 120, or null for points that never expire");
        Check(Points.PendingDays is >= 0 and <= PointsRules.MaxPendingDays, $"points.pendingDays: must be between 0 and {PointsRules.MaxPendingDays}");
        Check(Points.ExpireAfterMonths is null || Points.PendingDays < Points.ExpireAfterMonths * 28, "points.pendingDays: must end before the points expire");
        Earning.Validate(Check, Currencies);
        Tiers.Validate(Check);
        Bonuses.Validate(Check, Currencies);
        var rewardIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Rewards.Count; i++)
        {
            var r = Rewards[i];
            var at = $"rewards[{i}]";
            Check(Ids.IsValid(r.Id), $"{at}.id: must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
            Check(rewardIds.Add(r.Id ?? ""), $"{at}.id: '{r.Id}' is used twice");
            Check(r.Name.ContainsKey("en"), $"{at}.name: an 'en' name is required");
            Check(r.PointsCost is > 0 and <= 100_000_000, $"{at}.pointsCost: must be between 1 and 100000000");
            Check(r.MinTier is null || Tiers.Levels.Any(l => l.Id == r.MinTier), $"{at}.minTier: '{r.MinTier}' is not a tier");
            Check(r.Stock is null or >= 0, $"{at}.stock: must not be negative");
            Check(r.ValidDays is >= 1 and <= 3650, $"{at}.validDays: must be between 1 and 3650");
        }

        foreach (var rule in Bonuses.SpendThresholds.Where(s => s.RewardId is not null && !rewardIds.Contains(s.RewardId)))
        {
            errors.Add($"bonuses.spendThresholds.{rule.Id}.rewardId: '{rule.RewardId}' is not a reward");
        }

        errors.AddRange(Outreach.Validate());

        return errors;
    }

    /// <summary>The base points a purchase amount is worth (before tier multipliers and bonuses): the currency-neutral
    /// measure of spend that tiers and thresholds count.</summary>
    public decimal BaseValue(Money amount) => amount.Amount * Currencies[amount.Currency.Code].PointsPerUnit;
}

/// <summary>How purchases in one currency earn points.</summary>
public sealed record CurrencyRule
{
    /// <summary>Points per whole unit of the currency, before the tier multiplier; the result is rounded down.</summary>
    public decimal PointsPerUnit { get; set; } = 1;

    /// <summary>The largest purchase amount accepted; anything above is refused as a likely mistake.</summary>
    public decimal MaxAmount { get; set; } = 1_000_000;

    /// <summary>Points that pay for one whole unit of the currency (100: 100 points = 1.00); null when points cannot pay
    /// in this currency.</summary>
    public decimal? PointsToPay { get; set; }
}

/// <summary>The life of points once earned.</summary>
public sealed record PointsRules
{
    /// <summary>Months after which earned points expire; null means never. Default 12.</summary>
    public int? ExpireAfterMonths { get; set; } = 12;

    /// <summary>Whether a return may take back points the member has already spent, leaving a negative balance
    /// (shown as such). When false, a return takes back at most the current balance.</summary>
    public bool AllowNegativeBalance { get; set; } = true;

    /// <summary>The longest return window.</summary>
    public const int MaxPendingDays = 365;

    /// <summary>Days after a purchase (in the member's time zone) during which its points are pending: part of the
    /// balance, but not available to redeem or hold. 0: available at once.</summary>
    public int PendingDays { get; set; }

    /// <summary>When the points of a purchase at <paramref name="occurredAt"/> become available: the start of the day
    /// <see cref="PendingDays"/> after the purchase's day, in the member's time zone; null without a return window.</summary>
    public DateTimeOffset? MaturityFor(DateTimeOffset occurredAt, TimeZoneInfo zone)
    {
        if (PendingDays == 0)
        {
            return null;
        }

        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(occurredAt, zone).DateTime).AddDays(PendingDays);
        var local = day.ToDateTime(TimeOnly.MinValue);

        // A midnight that a daylight-saving change skips starts the day at the first minute that exists.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>The day points earned at <paramref name="earnedAt"/> expire (in UTC), or null if they never do.</summary>
    public DateOnly? ExpiryFor(DateTimeOffset earnedAt) =>
        ExpireAfterMonths is { } months ? DateOnly.FromDateTime(earnedAt.UtcDateTime).AddMonths(months) : null;
}

/// <summary>How returns treat the points of the purchase they return.</summary>
public sealed record ReturnRules
{
    /// <summary>Whether a return also takes back, in proportion, the bonus points the purchase earned
    /// (promotion and big-order bonuses; never the first-purchase or referral bonus).</summary>
    public bool ReverseBonuses { get; set; } = true;
}

public enum RewardKind
{
    Voucher,
    Discount,
    Gift,

    /// <summary>A donation to a charity in the member's name.</summary>
    Charity,
}

/// <summary>Something members can spend points on.</summary>
public sealed record Reward
{
    public string Id { get; set; } = "";

    /// <summary>The name per locale (BCP 47); <c>en</c> is required and is the fallback.</summary>
    public IReadOnlyDictionary<string, string> Name { get; set; } = new Dictionary<string, string>();

    public long PointsCost { get; set; }

    public RewardKind Kind { get; set; } = RewardKind.Voucher;

    /// <summary>The lowest tier that may redeem it; null for everyone.</summary>
    public string? MinTier { get; set; }

    /// <summary>How many there are to give out; null for unlimited.</summary>
    public int? Stock { get; set; }

    /// <summary>Days a voucher of this reward can be used, counted from the day it is issued (UTC). Default 90.</summary>
    public int ValidDays { get; set; } = 90;

    public string NameIn(string locale) => Localized.Pick(Name, locale);
}

/// <summary>Chooses among texts per locale: the exact tag, then its language, then <c>en</c>.</summary>
public static class Localized
{
    public static string Pick(IReadOnlyDictionary<string, string> texts, string locale)
    {
        if (texts.TryGetValue(locale, out var exact))
        {
            return exact;
        }

        var language = locale.Split('-')[0];
        var match = texts.FirstOrDefault(t => t.Key.Split('-')[0].Equals(language, StringComparison.OrdinalIgnoreCase));
        return match.Value ?? texts.GetValueOrDefault("en") ?? texts.Values.FirstOrDefault() ?? "";
    }
}
