using System.Globalization;

namespace Loyalty.Domain.Operations;

/// <summary>Why the rules refuse an operation, with the numbers that explain it. Expected outcomes, not errors: the
/// caller must handle them (the HTTP layer maps each kind to a status code in one place).</summary>
/// <param name="Slug">The problem's name, e.g. <c>insufficient-points</c>.</param>
public abstract record Refusal(string Slug)
{
    /// <summary>A sentence for people, with the numbers.</summary>
    public abstract string Detail { get; }

    /// <summary>The numbers behind the refusal, by name (camelCase), for machines.</summary>
    public virtual IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?>();

    protected static string Inv(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A debit the balance cannot cover (a redemption, a debit adjustment where negative balances are off).</summary>
public sealed record InsufficientPoints(long Balance, long Required) : Refusal("insufficient-points")
{
    public override string Detail => $"The member has {Balance} points; {Required} are needed.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["balance"] = Balance, ["required"] = Required };
}

/// <summary>A reward for members of a higher tier.</summary>
public sealed record TierRequired(string RequiredTier, string? Tier) : Refusal("tier-required")
{
    public override string Detail => $"The reward is for members of tier '{RequiredTier}' and above; the member is '{Tier}'.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["requiredTier"] = RequiredTier, ["tier"] = Tier };
}

/// <summary>A return of more than what is left of the purchase, or in units its currency does not have.</summary>
public sealed record ReturnExceedsPurchase(decimal Requested, decimal Returnable, string Currency, string Reason) : Refusal("return-exceeds-purchase")
{
    public override string Detail => $"{Reason}: {Inv(Requested)} {Currency} was asked; {Inv(Returnable)} {Currency} of the purchase can still be returned.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?>
    {
        ["requested"] = Requested,
        ["returnable"] = Returnable,
        ["currency"] = Currency,
    };
}

/// <summary>The member's personal data was erased: the membership is closed.</summary>
public sealed record MemberErased() : Refusal("member-erased")
{
    public override string Detail => "The member's personal data was erased; the member cannot be changed, earn or spend points any more.";
}

/// <summary>None of a limited reward is left.</summary>
public sealed record OutOfStock(string RewardId, int Stock) : Refusal("out-of-stock")
{
    public override string Detail => $"All {Stock} units of '{RewardId}' are given out.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["rewardId"] = RewardId, ["stock"] = Stock };
}

/// <summary>An earlier attempt of the same redemption holds its unit of stock and may still commit.</summary>
public sealed record RedemptionInProgress() : Refusal("redemption-in-progress")
{
    public override string Detail => "An earlier attempt of this redemption is still in progress; retry the same request after Retry-After seconds.";
}

/// <summary>The redemption was cancelled already (by another request than this one).</summary>
public sealed record AlreadyCancelled(DateTimeOffset CancelledAt) : Refusal("redemption-cancelled")
{
    public override string Detail => $"The redemption was cancelled at {CancelledAt:O}.";
}

/// <summary>A rule about who may refer whom, or when.</summary>
public sealed record ReferralNotAllowed(string Reason) : Refusal("referral-not-allowed")
{
    public override string Detail => Reason;
}

/// <summary>A nightly job found nothing to do for the member: not an error, and nothing is written.</summary>
public sealed record NothingToDo() : Refusal("nothing-to-do")
{
    public override string Detail => "Nothing is due.";
}

/// <summary>The redemption's hold on a unit of stock has run out before the points could be spent: a transient
/// failure, the caller retries.</summary>
public sealed record CommitWindowPassed() : Refusal("commit-window-passed")
{
    public override string Detail => "Storage was too slow to commit the redemption within its reservation; nothing was spent.";
}

/// <summary>The operation would take a count of points beyond what the ledger can hold (about 9.2 × 10^18).</summary>
public sealed record PointsOutOfRange() : Refusal("points-out-of-range")
{
    public override string Detail => "The operation would take the member's points beyond what the ledger can hold.";
}
