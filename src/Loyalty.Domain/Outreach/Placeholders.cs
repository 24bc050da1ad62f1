namespace Loyalty.Domain.Outreach;

/// <summary>The placeholders templates may contain, written <c>{name}</c> (names are case-sensitive).</summary>
public static class Placeholders
{
    /// <summary>The member's first name; when unknown it is left out with the separator around it
    /// (<c>"Happy birthday, {firstName}!"</c> becomes <c>"Happy birthday!"</c>).</summary>
    public const string FirstName = "firstName";

    /// <summary>The member's points balance, grouped for the template's locale.</summary>
    public const string Points = "points";

    /// <summary>The points that expire on <see cref="ExpiryDate"/> (expiry warnings only).</summary>
    public const string ExpiringPoints = "expiringPoints";

    /// <summary>The date the points expire, as a long date of the template's locale without the weekday (expiry warnings only).</summary>
    public const string ExpiryDate = "expiryDate";

    /// <summary>A sentence naming how many of the member's vouchers expire by <see cref="ExpiryDate"/> (expiry warnings
    /// only), in the template's locale; left out when none do.</summary>
    public const string ExpiringVouchers = "expiringVouchers";

    /// <summary>The loyalty program's name.</summary>
    public const string ProgramName = "programName";

    /// <summary>How to opt out, in the template's locale (<c>Reply STOP to opt out</c>).</summary>
    public const string OptOut = "optOut";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        FirstName, Points, ExpiringPoints, ExpiringVouchers, ExpiryDate, ProgramName, OptOut,
    };

    internal static IReadOnlySet<string> Common { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        FirstName, Points, ProgramName, OptOut,
    };

    internal static IReadOnlySet<string> WithExpiry { get; } = new HashSet<string>(All, StringComparer.Ordinal);
}
