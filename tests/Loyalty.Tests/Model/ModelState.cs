namespace Loyalty.Tests.Model;

/// <summary>Which specification the model holds the service to. <see cref="Today"/> is the behaviour that does not
/// change (what today's code already does); <see cref="Full"/> adds every part the ledger specification marks (new):
/// owed, program-wide operation ids, the return's tier fallback and grant voiding, lines validation, several
/// transactions for expiry, erasure that leaves no hint. Chosen with LOYALTY_MODEL_SPEC=today|full.</summary>
public sealed record ModelSpec(string Name, bool Full)
{
    public static readonly ModelSpec Today = new("today", false);

    public static readonly ModelSpec FullSpec = new("full", true);

    /// <summary>Today's behaviour until the operation core lands on main; then the default becomes <see cref="FullSpec"/>.</summary>
    public static ModelSpec FromEnvironment() =>
        Environment.GetEnvironmentVariable("LOYALTY_MODEL_SPEC") is "full" ? FullSpec : Today;

    public override string ToString() => Name;
}

/// <summary>A ledger entry as the model expects it. A null reference or note is not checked (the specification does
/// not say what it is).</summary>
public sealed record ModelEntry(string Kind, long Points, string? Reference = null, string? Note = null)
{
    public override string ToString() => $"{Kind} {Points} ref={Reference ?? "*"} note={Note ?? "*"}";
}

/// <summary>An operation that wrote entries to a member's ledger (its operation row lists them).</summary>
public sealed record ModelOperation(string Kind, string Id, List<ModelEntry> Entries);

/// <summary>Spend and points of one calendar month (UTC) of purchases.</summary>
public sealed class MonthActivity
{
    public decimal Spend { get; set; }

    public long Points { get; set; }
}

/// <summary>A spend-threshold grant: the day it was given, its points and voucher.</summary>
public sealed class Grant(string rule, DateOnly day, long points, string purchaseId)
{
    public string Rule { get; } = rule;

    public DateOnly Day { get; } = day;

    public long Points { get; } = points;

    public string PurchaseId { get; } = purchaseId;

    /// <summary>The voucher code, once the purchase's answer has told it (codes are random).</summary>
    public string? VoucherCode { get; set; }

    public bool Void { get; set; }
}

public sealed class PurchaseRecord(RecordPurchase request, decimal spend, long earn, long reversibleBonus)
{
    public RecordPurchase Request { get; } = request;

    public string MemberId => Request.MemberId;

    public decimal Amount => Request.Amount;

    public decimal Spend { get; } = spend;

    /// <summary>What a whole return takes back: the earn entry and, with reverseBonuses, the big-order and promotion bonuses.</summary>
    public long Reversible { get; } = earn + reversibleBonus;

    public decimal Returned { get; set; }

    public long ReversedSoFar { get; set; }

    public decimal Returnable => Amount - Returned;
}

public sealed class RedemptionRecord(Redeem request, long cost, List<(DateOnly Day, long Points)> consumed)
{
    public Redeem Request { get; } = request;

    public string MemberId => Request.MemberId;

    public string RewardId => Request.RewardId;

    public long Cost { get; } = cost;

    /// <summary>The lots the points came from, soonest-expiring first, so that a cancellation restores their expiry.</summary>
    public List<(DateOnly Day, long Points)> Consumed { get; } = consumed;

    public bool Cancelled { get; set; }
}

/// <summary>One member as the specification describes the state: profile, lots, debt, owed, lifetime, tier, monthly
/// activity, grants, and the operations that wrote the ledger.</summary>
public sealed class ModelMember(string id, string timeZone)
{
    public string Id { get; } = id;

    public string? FirstName { get; set; }

    public string? Phone { get; set; }

    public string? Birthday { get; set; }

    public string TimeZone { get; set; } = timeZone;

    public string? ReferredBy { get; set; }

    /// <summary>Every phone number, name and birthday the member ever gave: none may remain anywhere after erasure.</summary>
    public HashSet<string> PersonalData { get; } = new(StringComparer.Ordinal);

    /// <summary>Whoever referred them, even after erasure forgot it: no stored operation may still name them.</summary>
    public string? ReferrerEver { get; set; }

    public bool Erased { get; set; }

    public SortedDictionary<DateOnly, long> Lots { get; } = [];

    public long Debt { get; set; }

    public long Owed { get; set; }

    public long Lifetime { get; set; }

    /// <summary>Index into the program's tiers; 0 is the base tier.</summary>
    public int Tier { get; set; }

    public DateOnly? TierReviewOn { get; set; }

    /// <summary>Keyed by the first day of the month.</summary>
    public SortedDictionary<DateOnly, MonthActivity> Months { get; } = [];

    public int PurchaseCount { get; set; }

    public DateTimeOffset? LastPurchaseAt { get; set; }

    public List<Grant> Grants { get; } = [];

    public List<ModelOperation> Operations { get; } = [];

    public long Balance => Lots.Values.Sum() - Debt;

    public MonthActivity Month(DateTimeOffset t)
    {
        var key = MonthKey(DateOnly.FromDateTime(t.UtcDateTime));
        if (!Months.TryGetValue(key, out var month))
        {
            Months[key] = month = new MonthActivity();
        }

        return month;
    }

    /// <summary>Spend over the <paramref name="months"/> calendar months ending with the month of <paramref name="day"/>.</summary>
    public decimal WindowSpend(DateOnly day, int months)
    {
        var last = MonthKey(day);
        var first = last.AddMonths(1 - months);
        return Months.Where(m => m.Key >= first && m.Key <= last).Sum(m => m.Value.Spend);
    }

    public static DateOnly MonthKey(DateOnly day) => new(day.Year, day.Month, 1);
}
