using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Loyalty.Domain.Members;

/// <summary>A member's birthday: month and day, and the year when the member gave it.</summary>
public readonly record struct Birthday
{
    private Birthday(int? year, int month, int day) => (Year, Month, Day) = (year, month, day);

    public int? Year { get; }

    public int Month { get; }

    public int Day { get; }

    /// <summary>The index key of the birthday, <c>MMdd</c> (Feb 29 stays <c>0229</c>).</summary>
    public string MonthDay => $"{Month:D2}{Day:D2}";

    /// <summary>Parses <c>YYYY-MM-DD</c>, or <c>--MM-DD</c> when the year is unknown (ISO 8601 / vCard).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Birthday birthday)
    {
        birthday = default;
        if (text is null)
        {
            return false;
        }

        if (text.Length == 7 && text.StartsWith("--", StringComparison.Ordinal))
        {
            // Any real calendar day, Feb 29 included: a leap year is used only to check the day exists.
            if (DateOnly.TryParseExact("2000-" + text[2..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                birthday = new Birthday(null, d.Month, d.Day);
                return true;
            }

            return false;
        }

        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && date.Year >= 1900)
        {
            birthday = new Birthday(date.Year, date.Month, date.Day);
            return true;
        }

        return false;
    }

    /// <summary>The date the birthday is celebrated in <paramref name="year"/>: Feb 29 falls on Feb 28 in common years.</summary>
    public DateOnly In(int year) =>
        Month == 2 && Day == 29 && !DateTime.IsLeapYear(year) ? new DateOnly(year, 2, 28) : new DateOnly(year, Month, Day);

    public override string ToString() =>
        Year is { } y ? $"{y:D4}-{Month:D2}-{Day:D2}" : $"--{Month:D2}-{Day:D2}";
}
