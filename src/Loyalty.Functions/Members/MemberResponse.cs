using Loyalty.Adapters.Storage;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Members;

/// <summary>A member as the API shows it.</summary>
/// <param name="Cards">Loyalty card numbers the member shows at a till.</param>
/// <param name="TierProgress">How far the next tier is; null at the top tier (or without tiers).</param>
/// <param name="Vouchers">The vouchers the member can use now.</param>
/// <param name="ErasedAt">When the member's personal data was erased (the profile fields are then empty); null otherwise.</param>
/// <param name="SmsOptIn">Whether marketing SMS may go out: consent granted (see <paramref name="Sms"/>).</param>
/// <param name="Sms">The member's SMS consent as it stands.</param>
public sealed record MemberResponse(
    string MemberId,
    string? FirstName,
    string? Phone,
    string? Birthday,
    string Locale,
    string TimeZone,
    bool SmsOptIn,
    string? ReferredBy,
    IReadOnlyList<string> Cards,
    PointsResponse Points,
    string? Tier,
    TierProgress? TierProgress,
    IReadOnlyList<VoucherSummary> Vouchers,
    DateTimeOffset EnrolledAt,
    DateTimeOffset? LastPurchaseAt,
    DateTimeOffset? ErasedAt = null,
    SmsResponse? Sms = null)
{
    public static MemberResponse From(StoredMember m, ProgramDefinition program, DateTimeOffset now) => new(
        m.Id.Value,
        m.Profile.FirstName,
        m.Profile.Phone,
        m.Profile.Birthday?.ToString(),
        m.Profile.Locale,
        m.Profile.TimeZone,
        m.Profile.SmsOptIn,
        m.Profile.ReferredBy?.Value,
        m.Profile.Cards,
        PointsResponse.From(m.Account, now),
        program.Tiers.Shown(m.Account.Tier),
        TierProgress.Of(program.Tiers, m.Account, now),
        [.. m.Account.VouchersAt(now).Where(v => v.Status == VoucherStatus.Active).Select(v => new VoucherSummary(v.Code, v.RewardId, v.ExpiresOn))],
        m.Account.EnrolledAt,
        m.Account.LastPurchaseAt,
        m.ErasedAt,
        SmsResponse.From(m.Profile.Sms, now));
}

/// <summary>A member's SMS consent.</summary>
/// <param name="Consent">Marketing SMS: <c>granted</c>, <c>pending</c> (a double opt-in request waits for the member's
/// YES), <c>revoked</c> or <c>none</c> (never given, or a request expired unanswered).</param>
/// <param name="Since">Since when it has stood so (for an expired request, its expiry); null when never set.</param>
/// <param name="PendingUntil">When a pending request expires.</param>
/// <param name="Transactional">Whether transactional SMS (thank-you, voucher notices) may go out.</param>
public sealed record SmsResponse(string Consent, DateTimeOffset? Since, DateTimeOffset? PendingUntil, bool Transactional)
{
    public static SmsResponse From(SmsConsent sms, DateTimeOffset now) => new(
        SmsConsent.Name(sms.At(now)),
        sms.SinceAt(now),
        sms.IsPendingAt(now) ? sms.PendingUntil : null,
        sms.Transactional);
}

/// <param name="Balance">All the member's points (negative when a return took back points already spent and the program
/// allows negative balances): available, held and pending together.</param>
/// <param name="Available">What can be redeemed or held now.</param>
/// <param name="Held">Reserved at a till until captured, released or expired.</param>
/// <param name="Pending">Of recent purchases still inside the return window (<see cref="PendingPoints"/> says until when).</param>
/// <param name="Lifetime">Points ever earned, less reversals.</param>
/// <param name="Owed">Points a return could not take back where negative balances are off: the next credits pay them.</param>
/// <param name="NextExpiry">The points that expire soonest, if any expire.</param>
public sealed record PointsResponse(
    long Balance, long Available, long Held, long Pending, long Lifetime, long Owed, ExpiryResponse? NextExpiry, IReadOnlyList<PendingResponse> PendingPoints)
{
    public static PointsResponse From(Account a, DateTimeOffset now) => new(
        a.Balance.Value,
        a.AvailableAt(now).Value,
        a.HeldAt(now).Value,
        a.PendingAt(now).Value,
        a.Lifetime.Value,
        a.Owed.Value,
        a.NextExpiring is { ExpiresOn: { } on } lot ? new ExpiryResponse(lot.Remaining.Value, on) : null,
        [.. a.Pending.Where(p => p.AvailableAt > now).Select(p => new PendingResponse(p.Points.Value, p.AvailableAt, p.PurchaseId))]);
}

/// <summary>Points of one purchase that become available at <paramref name="AvailableAt"/>.</summary>
public sealed record PendingResponse(long Points, DateTimeOffset AvailableAt, string PurchaseId);

/// <summary>A voucher the member can use, as the member shows it.</summary>
public sealed record VoucherSummary(string Code, string RewardId, DateOnly? ExpiresOn);

/// <summary>How far the member is from the next tier.</summary>
/// <param name="Metric">spend (base points of spend: the amount times the currency's pointsPerUnit) or points.</param>
/// <param name="Qualifying">Spend or points in the tier window now.</param>
/// <param name="Needed">What is still missing to reach <paramref name="Threshold"/>.</param>
/// <param name="WindowEnds">The last day of the current window: after it the window moves on a month and its oldest month
/// stops counting.</param>
public sealed record TierProgress(string Next, decimal Threshold, [property: ValuesOf(typeof(TierMetric))] string Metric, decimal Qualifying, decimal Needed, DateOnly WindowEnds)
{
    public static TierProgress? Of(TierRules tiers, Account account, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var current = Math.Max(0, tiers.IndexOf(account.Tier));
        if (current + 1 >= tiers.Levels.Count)
        {
            return null;
        }

        var next = tiers.Levels[current + 1];
        var qualifying = Tiering.Measure(tiers, account, today);
        var monthEnd = new DateOnly(today.Year, today.Month, 1).AddMonths(1).AddDays(-1);
        return new TierProgress(next.Id, next.Threshold, tiers.QualifyBy.ToString().ToLowerInvariant(), qualifying, Math.Max(0, next.Threshold - qualifying), monthEnd);
    }
}

public sealed record ExpiryResponse(long Points, DateOnly ExpiresOn);

public sealed record LedgerPage(IReadOnlyList<LedgerEntryResponse> Entries, string? Continuation);

/// <param name="Kind">earn, bonus, redeem, reverse, expire, adjust or tier.</param>
/// <param name="Reference">The purchase, redemption, return or adjustment that made the entry.</param>
/// <param name="Note">Why: the bonus rule, the adjustment reason, the tier reached.</param>
public sealed record LedgerEntryResponse(
    string EntryId,
    [property: ValuesOf(typeof(LedgerKind))] string Kind,
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
