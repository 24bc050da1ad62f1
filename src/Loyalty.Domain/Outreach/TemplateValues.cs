using System.Globalization;

namespace Loyalty.Domain.Outreach;

/// <summary>What a message may say about the member. <see cref="ExpiringPoints"/> and <see cref="ExpiryDate"/>
/// are needed by expiry warnings only.</summary>
public sealed record TemplateValues
{
    public required string ProgramName { get; init; }

    /// <summary>Null or blank when the member gave none: the template then reads without it.</summary>
    public string? FirstName { get; init; }

    public Points Points { get; init; }

    public Points? ExpiringPoints { get; init; }

    public DateOnly? ExpiryDate { get; init; }

    /// <summary>Active vouchers that expire by <see cref="ExpiryDate"/>.</summary>
    public int ExpiringVouchers { get; init; }

    /// <summary>How to reach the program, in the member's language; null when the program names none.</summary>
    public string? Contact { get; init; }

    /// <summary>The member's tier name, in the member's language; null without tiers (the sentence is left out).</summary>
    public string? Tier { get; init; }

    /// <summary>The points that expire next and their day, if any do.</summary>
    public (Points Points, DateOnly On)? NextExpiry { get; init; }

    public Points? EarnedPoints { get; init; }

    /// <summary>The reward's name, in the member's language.</summary>
    public string? Reward { get; init; }

    /// <summary>Whether the member can reply to the sender: an alphanumeric sender cannot take replies, so its messages
    /// leave the opt-out hint out.</summary>
    public bool CanReply { get; init; } = true;

    /// <summary>The text for <paramref name="placeholder"/> in <paramref name="culture"/>; null for an unknown
    /// first name. Throws when the campaign's sender did not supply a value its template needs.</summary>
    internal string? Format(string placeholder, CultureInfo culture, string optOut) => PlainSpaces(placeholder switch
    {
        Placeholders.FirstName => string.IsNullOrWhiteSpace(FirstName) ? null : FirstName.Trim(),
        Placeholders.Points => Points.Value.ToString("N0", culture),
        Placeholders.ExpiringPoints => (ExpiringPoints ?? throw Missing(placeholder)).Value.ToString("N0", culture),
        Placeholders.ExpiryDate => FormatDate(ExpiryDate ?? throw Missing(placeholder), culture),
        Placeholders.ExpiringVouchers => ExpiringVouchers > 0
            ? string.Format(culture, Program.Localized.Pick(DefaultTemplates.ExpiringVouchers, culture.Name), ExpiringVouchers)
            : null,
        Placeholders.ProgramName => ProgramName,
        Placeholders.OptOut => CanReply ? optOut : null,
        Placeholders.Contact => string.IsNullOrWhiteSpace(Contact) ? null : Contact.Trim(),
        Placeholders.Tier => string.IsNullOrWhiteSpace(Tier) ? null : string.Format(culture, Program.Localized.Pick(DefaultTemplates.Tier, culture.Name), Tier),
        Placeholders.NextExpiry => NextExpiry is { } next
            ? string.Format(culture, Program.Localized.Pick(DefaultTemplates.NextExpiry, culture.Name), next.Points.Value.ToString("N0", culture), FormatDate(next.On, culture))
            : null,
        Placeholders.EarnedPoints => (EarnedPoints ?? throw Missing(placeholder)).Value.ToString("N0", culture),
        Placeholders.Reward => Reward ?? throw Missing(placeholder),
        _ => throw new ArgumentOutOfRangeException(nameof(placeholder), placeholder, "not a placeholder"),
    });

    /// <summary>The culture's long date without the weekday: "September 30, 2026", "2026年9月30日",
    /// "30 сентября 2026 г.". Short enough for an SMS and unambiguous, unlike 9/30 against 30/9.</summary>
    internal static string FormatDate(DateOnly date, CultureInfo culture)
    {
        var pattern = culture.DateTimeFormat.LongDatePattern;
        foreach (var weekday in new[] { "dddd, ", ", dddd", "dddd ", " dddd", "dddd" })
        {
            pattern = pattern.Replace(weekday, "", StringComparison.Ordinal);
        }

        return date.ToString(pattern.Trim(), culture);
    }

    /// <summary>ICU writes no-break spaces in numbers and dates ("12 345", "2026 г."). A phone never wraps an SMS
    /// where that would matter, and outside GSM-7 they would turn a whole message into UCS-2 (twice the segments).</summary>
    private static string? PlainSpaces(string? text) =>
        text?.Replace('\u00a0', ' ').Replace('\u202f', ' ').Replace('\u2009', ' ');

    private static ArgumentException Missing(string placeholder) =>
        new($"The template uses {{{placeholder}}} but no value was given for it.", nameof(placeholder));
}
