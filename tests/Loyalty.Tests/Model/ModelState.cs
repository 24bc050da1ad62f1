namespace Loyalty.Tests.Model;

/// <summary>Which specification the model holds the service to: today's behaviour (what does not change), plus each
/// part the ledger specification marks (new), one switch each, so that a run can leave out the parts already known to
/// fail. <see cref="FullSpec"/> is every part; the default is every part main does (the operation core is on main)
/// but those still <see cref="Open"/>. LOYALTY_MODEL_SPEC chooses: <c>full</c>, <c>today</c> (the behaviour before the
/// operation core, for its code), or a comma-separated list of the parts.</summary>
public sealed record ModelSpec(IReadOnlySet<string> Parts)
{
    /// <summary>What a return (or a voided grant) cannot take back is owed and paid from later credits.</summary>
    public const string Owed = "owed";

    /// <summary>An operation id is unique in the program: the same id for another member is 409.</summary>
    public const string ProgramWideIds = "ids";

    /// <summary>A return's content is its amount as a number: 1 and 10 differ, 10 and 10.0 do not.</summary>
    public const string ReturnContent = "return-content";

    /// <summary>A return that takes a member below their tier's threshold drops them at once.</summary>
    public const string TierFallback = "tier-fallback";

    /// <summary>A return voids the threshold grants its spend earned.</summary>
    public const string VoidGrants = "void-grants";

    /// <summary>Lines worth more than the purchase are 400.</summary>
    public const string Lines = "lines";

    /// <summary>Adjustment points: 10, 10.0 and 1e1 are ten; fractions and values out of range are 400.</summary>
    public const string Numbers = "numbers";

    /// <summary>Expiry of more lots than one transaction holds (110 back-dated purchases); a back-dated purchase whose
    /// points' day has passed expires them at once.</summary>
    public const string Expiry = "expiry";

    /// <summary>Erasure leaves no hint of any phone or birthday, no referrer in stored details, even racing a PUT;
    /// phone hints are keyed with a secret.</summary>
    public const string Erasure = "erasure";

    /// <summary>No nightly job changes an erased member's tier (README, Erase): a tier-review hint left by an earlier
    /// upgrade used to have ReviewTiers move an erased member down.</summary>
    public const string ErasedNotReviewed = "erased-not-reviewed";

    public static readonly IReadOnlyList<string> All = [Owed, ProgramWideIds, ReturnContent, TierFallback, VoidGrants, Lines, Numbers, Expiry, Erasure, ErasedNotReviewed];

    /// <summary>Parts main does not do yet (each a reported bug): left out of the default so that the suite stays
    /// green, and in <c>full</c>. Remove a part from here when its fix lands.</summary>
    public static readonly IReadOnlyList<string> Open = [];

    public static readonly ModelSpec Today = new(new HashSet<string>());

    public static readonly ModelSpec FullSpec = new(All.ToHashSet());

    public static readonly ModelSpec Default = new(All.Except(Open).ToHashSet());

    public bool Full => Parts.Count == All.Count;

    public bool Has(string part) => Parts.Contains(part);

    public static ModelSpec FromEnvironment() => Parse(Environment.GetEnvironmentVariable("LOYALTY_MODEL_SPEC"));

    public static ModelSpec Parse(string? text) => text switch
    {
        null or "" or "default" => Default,
        "full" => FullSpec,
        "today" => Today,
        _ => new(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => All.Contains(p) ? p : throw new ArgumentException($"LOYALTY_MODEL_SPEC: '{p}' is none of today, full, {string.Join(", ", All)}"))
            .ToHashSet()),
    };

    public override string ToString() =>
        Parts.Count == 0 ? "today" : Full ? "full" : Parts.SetEquals(Default.Parts) ? "default" : string.Join(',', All.Where(Parts.Contains));
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

    /// <summary>When the member was given <see cref="Phone"/> by a PUT (null: no phone, or imported with it).</summary>
    public DateTimeOffset? PhoneSince { get; set; }

    public string? Birthday { get; set; }

    public string TimeZone { get; set; } = timeZone;

    public string? ReferredBy { get; set; }

    /// <summary>When the member enrolled: the request's time, or the day an import gave.</summary>
    public DateTimeOffset EnrolledAt { get; set; }

    /// <summary>Every phone number, name and birthday the member ever gave: none may remain anywhere after erasure.</summary>
    public HashSet<string> PersonalData { get; } = new(StringComparer.Ordinal);

    /// <summary>Whoever referred them, even after erasure forgot it: no stored operation may still name them.</summary>
    public string? ReferrerEver { get; set; }

    public bool Erased { get; set; }

    /// <summary>The SMS consent as stored (a pending request past its time reads as none).</summary>
    public ModelConsent Sms { get; set; } = ModelConsent.None;

    /// <summary>The consent record: every change, and every STOP, START or YES that applied, in the order of when it was asked.</summary>
    public List<ModelConsentEntry> ConsentRecord { get; } = [];

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

    /// <summary>Every hold placed, by id, whatever became of it.</summary>
    public Dictionary<string, ModelHold> Holds { get; } = new(StringComparer.Ordinal);

    /// <summary>Points of purchases inside the return window.</summary>
    public List<ModelPending> Pending { get; } = [];

    /// <summary>Vouchers of redemptions of voucher rewards, by redemption id (the code is learnt from the answer).</summary>
    public Dictionary<string, ModelVoucher> Vouchers { get; } = new(StringComparer.Ordinal);

    public long Balance => Lots.Values.Sum() - Debt;

    /// <summary>(README, At the till) Held points: the holds neither captured, released nor expired, never more than a
    /// positive balance.</summary>
    public long Held(DateTimeOffset now) => Math.Min(Holds.Values.Where(h => h.Status == ModelHold.Active && h.ExpiresAt > now).Sum(h => h.Points), Math.Max(0, Balance));

    /// <summary>Pending points: of purchases whose window has not ended, never more than the balance has besides held points.</summary>
    public long PendingPoints(DateTimeOffset now) => Math.Min(Pending.Where(p => p.AvailableAt > now).Sum(p => p.Points), Math.Max(0, Balance - Held(now)));

    /// <summary>available = balance − held − pending.</summary>
    public long Available(DateTimeOffset now) => Balance - Held(now) - PendingPoints(now);

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

/// <summary>(README, SMS conversations) A member's SMS consent as stored: the marketing state (none, pending, granted,
/// revoked) since when, until when a pending double opt-in request waits for YES, and the transactional consent.</summary>
public sealed record ModelConsent(string State, DateTimeOffset? Since = null, DateTimeOffset? PendingUntil = null, bool Transactional = false)
{
    public static readonly ModelConsent None = new("none");

    /// <summary>The state as it reads at <paramref name="now"/>: an unanswered request past its time reads as none.</summary>
    public string At(DateTimeOffset now) => State == "pending" && PendingUntil <= now ? "none" : State;
}

/// <summary>One entry of a member's consent record: when it was asked, through which channel (api, sms, erasure), the
/// consent after it, and the keyword and inbound message id of an SMS.</summary>
public sealed record ModelConsentEntry(DateTimeOffset RequestedAt, string Channel, string Consent, string? Keyword, string? MessageId = null)
{
    public override string ToString() => $"{Channel} {Consent}{(Keyword is null ? "" : " " + Keyword)}";
}

/// <summary>A hold at a till: what it reserves until when, and what became of it.</summary>
public sealed class ModelHold(long points, DateTimeOffset expiresAt)
{
    public const string Active = "held";

    public long Points { get; } = points;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>held, captured or released (expiry is read from the time).</summary>
    public string Status { get; set; } = Active;

    public string StatusAt(DateTimeOffset now) => Status == Active && now >= ExpiresAt ? "expired" : Status;
}

/// <summary>Points of one purchase that are pending until <see cref="AvailableAt"/>.</summary>
public sealed class ModelPending(string purchaseId, long points, DateTimeOffset availableAt)
{
    public string PurchaseId { get; } = purchaseId;

    public long Points { get; set; } = points;

    public DateTimeOffset AvailableAt { get; } = availableAt;
}

/// <summary>A voucher of a redemption: its code once an answer told it, until when it can be used, and whether it was
/// used or voided.</summary>
public sealed class ModelVoucher(string memberId, string rewardId, DateOnly expiresOn)
{
    public string MemberId { get; } = memberId;

    public string RewardId { get; } = rewardId;

    public DateOnly ExpiresOn { get; } = expiresOn;

    public string? Code { get; set; }

    public bool Used { get; set; }

    public bool Void { get; set; }

    /// <summary>The nightly expiry wrote it down as expired: a return that voids its grant leaves it so.</summary>
    public bool ExpiredByJob { get; set; }

    /// <summary>active, used, expired or void at <paramref name="today"/> (UTC).</summary>
    public string StatusOn(DateOnly today) => Used ? "used" : Void ? "void" : today >= ExpiresOn ? "expired" : "active";
}
