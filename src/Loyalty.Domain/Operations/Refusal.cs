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

/// <summary>A debit the balance cannot cover (a redemption, a debit adjustment where negative balances are off, a hold
/// or its capture). Where points can be held or pending, <paramref name="Available"/> is what may be spent now.</summary>
public sealed record InsufficientPoints(long Balance, long Required, long? Available = null, long Held = 0, long Pending = 0) : Refusal("insufficient-points")
{
    public static InsufficientPoints Of(Ledger.Account account, long required, DateTimeOffset now) =>
        new(account.Balance.Value, required, account.AvailableAt(now).Value, account.HeldAt(now).Value, account.PendingAt(now).Value);

    public override string Detail => Available is { } available
        ? $"The member has {available} points available ({Balance} in all, {Held} held, {Pending} pending); {Required} are needed."
        : $"The member has {Balance} points; {Required} are needed.";

    public override IReadOnlyDictionary<string, object?> Figures => Available is null
        ? new Dictionary<string, object?> { ["balance"] = Balance, ["required"] = Required }
        : new Dictionary<string, object?> { ["balance"] = Balance, ["required"] = Required, ["available"] = Available, ["held"] = Held, ["pending"] = Pending };
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

/// <summary>The hold was captured, released or has expired: it can no longer be captured (or, once captured, released).</summary>
/// <param name="State">captured, released or expired.</param>
public sealed record HoldNotActive(string HoldId, string State, DateTimeOffset At) : Refusal("hold-not-active")
{
    public override string Detail => $"Hold '{HoldId}' was {State} at {At:O}.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["holdId"] = HoldId, ["state"] = State, ["at"] = At };
}

/// <summary>A capture of more points than the hold reserved.</summary>
public sealed record CaptureExceedsHold(long Requested, long Held) : Refusal("capture-exceeds-hold")
{
    public override string Detail => $"{Requested} points were asked; the hold reserves {Held}.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["requested"] = Requested, ["held"] = Held };
}

/// <summary>The member has as many open holds as a member may have.</summary>
public sealed record TooManyHolds(int Open, int Max) : Refusal("too-many-holds")
{
    public override string Detail => $"The member has {Open} open holds, the most allowed ({Max}); capture or release one first.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["open"] = Open, ["max"] = Max };
}

/// <summary>No voucher of the member has the code (its claim outlived the attempt that made it).</summary>
public sealed record VoucherNotFound(string Code) : Refusal("voucher-not-found")
{
    public override string Detail => $"No voucher has the code '{Code}'.";
}

/// <summary>The voucher was used already (by another use than this one): it cannot be used again, nor its redemption
/// cancelled.</summary>
public sealed record VoucherUsed(string Code, DateTimeOffset UsedAt) : Refusal("voucher-used")
{
    public override string Detail => $"Voucher '{Code}' was used at {UsedAt:O}; a used voucher cannot be used again or cancelled.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["code"] = Code, ["usedAt"] = UsedAt };
}

/// <summary>The voucher has expired or was voided (its redemption cancelled, or a return took back what earned it).</summary>
/// <param name="Status">expired or void.</param>
public sealed record VoucherNotUsable(string Code, string Status, DateOnly? ExpiresOn) : Refusal("voucher-not-usable")
{
    public override string Detail => Status == "expired"
        ? $"Voucher '{Code}' expired on {ExpiresOn:yyyy-MM-dd}."
        : $"Voucher '{Code}' is void: its redemption was cancelled, or a return took back the spend that earned it.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?>
    {
        ["code"] = Code,
        ["reason"] = Status,
        ["expiresOn"] = ExpiresOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };
}

/// <summary>A card number on the profile is another member's.</summary>
/// <param name="Index">Its place in the profile's <c>cards</c>.</param>
public sealed record CardTaken(int Index) : Refusal("card-taken")
{
    public override string Detail => $"cards[{Index}] is held by another member of the program.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?> { ["field"] = $"cards[{Index}]" };
}

/// <summary>The operation would take a count of points beyond what the ledger can hold (about 9.2 × 10^18).</summary>
public sealed record PointsOutOfRange() : Refusal("points-out-of-range")
{
    public override string Detail => "The operation would take the member's points beyond what the ledger can hold.";
}
