namespace Loyalty.Domain.Program;

public enum TierMetric
{
    /// <summary>Base points of purchases (amount × pointsPerUnit): with 1 point per dollar, a threshold of 500 is $500.</summary>
    Spend,

    /// <summary>Points earned, bonuses included.</summary>
    Points,
}

/// <summary>Ordered tiers, qualified by spend or points in a rolling window of months.</summary>
public sealed record TierRules
{
    /// <summary>Lowest first; the first tier has threshold 0 and is where every member starts.</summary>
    public IReadOnlyList<TierLevel> Levels { get; set; } = [];

    public TierMetric QualifyBy { get; set; } = TierMetric.Spend;

    /// <summary>The rolling window, in calendar months including the current one.</summary>
    public int WindowMonths { get; set; } = 12;

    /// <summary>Months a member keeps a tier they no longer qualify for, after its review date, before the nightly
    /// re-evaluation moves them down one tier.</summary>
    public int GraceMonths { get; set; }

    public TierLevel? Base => Levels.Count > 0 ? Levels[0] : null;

    public TierLevel? Find(string? id) => Levels.FirstOrDefault(l => l.Id == id);

    /// <summary>The tier to show for an account: its own, or the base tier for a member who never moved up.</summary>
    public string? Shown(string? accountTier) => accountTier ?? Base?.Id;

    public int IndexOf(string? id) => Levels.ToList().FindIndex(l => l.Id == id);

    /// <summary>The highest tier whose threshold <paramref name="measure"/> reaches.</summary>
    public TierLevel? QualifiedFor(decimal measure) => Levels.LastOrDefault(l => measure >= l.Threshold);

    internal void Validate(Action<bool, string> check)
    {
        check(WindowMonths is >= 1 and <= 36, "tiers.windowMonths: must be between 1 and 36");
        check(GraceMonths is >= 0 and <= 24, "tiers.graceMonths: must be between 0 and 24");
        if (Levels.Count == 0)
        {
            return;
        }

        check(Levels[0].Threshold == 0, "tiers.levels[0].threshold: the first tier must start at 0");
        for (var i = 0; i < Levels.Count; i++)
        {
            var l = Levels[i];
            check(Ids.IsValid(l.Id), $"tiers.levels[{i}].id: must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
            check(l.Multiplier is >= 1 and <= 10, $"tiers.levels[{i}].multiplier: must be between 1 and 10");
            check(i == 0 || l.Threshold > Levels[i - 1].Threshold, $"tiers.levels[{i}].threshold: must be above the tier before it");
            check(Levels.Count(o => o.Id == l.Id) == 1, $"tiers.levels[{i}].id: '{l.Id}' is used twice");
        }
    }
}

public sealed record TierLevel
{
    public string Id { get; set; } = "";

    public IReadOnlyDictionary<string, string> Name { get; set; } = new Dictionary<string, string>();

    /// <summary>Spend or points in the window needed to reach the tier.</summary>
    public decimal Threshold { get; set; }

    /// <summary>Earn multiplier for purchases made in this tier.</summary>
    public decimal Multiplier { get; set; } = 1;

    public string? Benefits { get; set; }
}
