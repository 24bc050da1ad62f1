using Loyalty.Adapters.Storage;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;

namespace Loyalty.Functions.Members;

/// <summary>A member as the API shows it.</summary>
/// <param name="ErasedAt">When the member's personal data was erased (the profile fields are then empty); null otherwise.</param>
public sealed record MemberResponse(
    string MemberId,
    string? FirstName,
    string? Phone,
    string? Birthday,
    string Locale,
    string TimeZone,
    bool SmsOptIn,
    string? ReferredBy,
    PointsResponse Points,
    string? Tier,
    DateTimeOffset EnrolledAt,
    DateTimeOffset? LastPurchaseAt,
    DateTimeOffset? ErasedAt = null)
{
    public static MemberResponse From(StoredMember m, TierRules tiers) => new(
        m.Id.Value,
        m.Profile.FirstName,
        m.Profile.Phone,
        m.Profile.Birthday?.ToString(),
        m.Profile.Locale,
        m.Profile.TimeZone,
        m.Profile.SmsOptIn,
        m.Profile.ReferredBy?.Value,
        PointsResponse.From(m.Account),
        tiers.Shown(m.Account.Tier),
        m.Account.EnrolledAt,
        m.Account.LastPurchaseAt,
        m.ErasedAt);
}

/// <param name="Balance">Points available now (negative when a return took back points already spent and the program
/// allows negative balances).</param>
/// <param name="Lifetime">Points ever earned, less reversals.</param>
/// <param name="Owed">Points a return could not take back where negative balances are off: the next credits pay them.</param>
/// <param name="NextExpiry">The points that expire soonest, if any expire.</param>
public sealed record PointsResponse(long Balance, long Lifetime, long Owed, ExpiryResponse? NextExpiry)
{
    public static PointsResponse From(Account a) => new(
        a.Balance.Value,
        a.Lifetime.Value,
        a.Owed.Value,
        a.NextExpiring is { ExpiresOn: { } on } lot ? new ExpiryResponse(lot.Remaining.Value, on) : null);
}

public sealed record ExpiryResponse(long Points, DateOnly ExpiresOn);

public sealed record LedgerPage(IReadOnlyList<LedgerEntryResponse> Entries, string? Continuation);

/// <param name="Kind">earn, bonus, redeem, reverse, expire, adjust or tier.</param>
/// <param name="Reference">The purchase, redemption, return or adjustment that made the entry.</param>
/// <param name="Note">Why: the bonus rule, the adjustment reason, the tier reached.</param>
public sealed record LedgerEntryResponse(
    string EntryId,
    string Kind,
    long Points,
    long BalanceAfter,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    string Reference,
    string? Note)
{
    public static LedgerEntryResponse From(LedgerEntry e) => new(
        e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
        e.Kind.ToString().ToLowerInvariant(),
        e.Points.Value,
        e.BalanceAfter.Value,
        e.OccurredAt,
        e.RecordedAt,
        e.Reference,
        e.Note);
}
