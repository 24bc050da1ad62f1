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

    /// <summary>How to reach the program, from <c>outreach.contact</c> in the template's locale (HELP answers); left
    /// out when the program names none.</summary>
    public const string Contact = "contact";

    /// <summary>A sentence naming the member's tier in the template's locale; left out without tiers.</summary>
    public const string Tier = "tier";

    /// <summary>A sentence naming the points that expire next and when (balance answers), left out when none expire.</summary>
    public const string NextExpiry = "nextExpiry";

    /// <summary>The points a purchase earned (thank-you messages).</summary>
    public const string EarnedPoints = "earnedPoints";

    /// <summary>The name of the reward a voucher is for, in the template's locale (voucher notices).</summary>
    public const string Reward = "reward";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        FirstName, Points, ExpiringPoints, ExpiringVouchers, ExpiryDate, ProgramName, OptOut, Contact, Tier, NextExpiry, EarnedPoints, Reward,
    };

    internal static IReadOnlySet<string> Common { get; } = Of(FirstName, Points, ProgramName, OptOut);

    internal static IReadOnlySet<string> WithExpiry { get; } = Of(FirstName, Points, ExpiringPoints, ExpiringVouchers, ExpiryDate, ProgramName, OptOut);

    internal static IReadOnlySet<string> Of(params string[] names) => new HashSet<string>(names, StringComparer.Ordinal);
}
