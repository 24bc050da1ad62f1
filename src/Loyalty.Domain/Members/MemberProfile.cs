namespace Loyalty.Domain.Members;

/// <summary>What a member told the shop about themselves. Values are already validated and normalised
/// (phone in E.164, locale and time zone canonical).</summary>
public sealed record MemberProfile
{
    public string? FirstName { get; init; }

    /// <summary>E.164, e.g. <c>+14255550123</c>.</summary>
    public string? Phone { get; init; }

    public Birthday? Birthday { get; init; }

    /// <summary>BCP 47 language tag.</summary>
    public string Locale { get; init; } = "en";

    /// <summary>IANA time zone id.</summary>
    public string TimeZone { get; init; } = "UTC";

    public bool SmsOptIn { get; init; }

    public MemberId? ReferredBy { get; init; }
}
