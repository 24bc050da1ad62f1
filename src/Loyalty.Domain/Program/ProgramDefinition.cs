namespace Loyalty.Domain.Program;

/// <summary>A loyalty program as data: how members earn and what their points are worth. Loaded from a JSON
/// file and checked with <see cref="Validate"/> before the app starts.</summary>
public sealed record ProgramDefinition
{
    public string Name { get; init; } = "";

    /// <summary>Accepted currencies (ISO 4217 code → rule). Purchases in any other currency are refused.</summary>
    public IReadOnlyDictionary<string, CurrencyRule> Currencies { get; init; } = new Dictionary<string, CurrencyRule>();

    public PointsRules Points { get; init; } = new();

    /// <summary>Every problem with the definition, each naming its place (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors.Add("name: required");
        }

        if (Currencies.Count == 0)
        {
            errors.Add("currencies: at least one currency is required");
        }

        foreach (var (code, rule) in Currencies)
        {
            if (!Currency.TryParse(code, out _))
            {
                errors.Add($"currencies.{code}: not an ISO 4217 currency code");
            }

            if (rule.PointsPerUnit <= 0 || rule.PointsPerUnit > 10_000)
            {
                errors.Add($"currencies.{code}.pointsPerUnit: must be greater than 0 and at most 10000");
            }

            if (rule.MaxAmount <= 0 || rule.MaxAmount > 1_000_000_000_000m)
            {
                errors.Add($"currencies.{code}.maxAmount: must be greater than 0 and at most 1000000000000");
            }
        }

        if (Points.ExpireAfterMonths is < 1 or > 120)
        {
            errors.Add("points.expireAfterMonths: must be between 1 and 120, or null for points that never expire");
        }

        return errors;
    }
}

/// <summary>How purchases in one currency earn points.</summary>
public sealed record CurrencyRule
{
    /// <summary>Points per whole unit of the currency, before the tier multiplier; the result is rounded down.</summary>
    public decimal PointsPerUnit { get; init; } = 1;

    /// <summary>The largest purchase amount accepted; anything above is refused as a likely mistake.</summary>
    public decimal MaxAmount { get; init; } = 1_000_000;
}

/// <summary>The life of points once earned.</summary>
public sealed record PointsRules
{
    /// <summary>Months after which earned points expire; null means never. Default 12.</summary>
    public int? ExpireAfterMonths { get; init; } = 12;

    /// <summary>The day points earned at <paramref name="earnedAt"/> expire (in UTC), or null if they never do.</summary>
    public DateOnly? ExpiryFor(DateTimeOffset earnedAt) =>
        ExpireAfterMonths is { } months ? DateOnly.FromDateTime(earnedAt.UtcDateTime).AddMonths(months) : null;
}
