using System.Globalization;
using Loyalty.Domain.Members;

namespace Loyalty.Domain.Outreach;

/// <summary>Who is due for which campaign, and which message goes first. Pure rules over dates; the planners and
/// the sender supply the member's state and the clock.</summary>
public static class OutreachRules
{
    /// <summary>Lower goes first: birthday, then expiry warning, then win-back. A message defers to another of higher
    /// priority planned for the same local day.</summary>
    public static int Priority(this Campaign campaign) => campaign switch
    {
        Campaign.Birthday => 0,
        Campaign.ExpiryWarning => 1,
        _ => 2,
    };

    /// <summary>The birthday-index partitions (<c>MMdd</c>) a planner running on UTC day <paramref name="utcToday"/>
    /// reads, each with the day it stands for. A member's own "today" lies within a day of the UTC date, and their
    /// "tomorrow" within two, so the days from yesterday to the day after tomorrow cover every zone. A Feb 29 birthday
    /// is read on the Feb 28 of a common year, the day it is celebrated.</summary>
    public static IReadOnlyList<(string Partition, DateOnly Day)> BirthdayPartitions(DateOnly utcToday)
    {
        var partitions = new List<(string, DateOnly)>();
        for (var offset = -1; offset <= 2; offset++)
        {
            var day = utcToday.AddDays(offset);
            partitions.Add((MonthDay(day), day));
            if (day is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(day.Year))
            {
                partitions.Add(("0229", day));
            }
        }

        return partitions;
    }

    /// <summary>The birthday the member celebrates on their local <paramref name="localToday"/> or the day after, if
    /// either; the day it falls on (Feb 28 for a Feb 29 birthday in a common year).</summary>
    public static DateOnly? UpcomingBirthday(Birthday birthday, DateOnly localToday)
    {
        var tomorrow = localToday.AddDays(1);
        if (birthday.In(localToday.Year) == localToday)
        {
            return localToday;
        }

        return birthday.In(tomorrow.Year) == tomorrow ? tomorrow : null;
    }

    /// <summary>The win-back segment of a member whose last purchase was on <paramref name="lastPurchase"/> (UTC
    /// date), on <paramref name="today"/> (UTC): at risk from <see cref="WinBackRules.AtRiskDays"/> days, lapsed from
    /// <see cref="WinBackRules.LapsedDays"/>, nobody from <see cref="WinBackRules.GiveUpDays"/>.</summary>
    public static Campaign? WinBackSegment(DateOnly lastPurchase, DateOnly today, WinBackRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var days = today.DayNumber - lastPurchase.DayNumber;
        if (days >= rules.AtRiskDays && days < rules.LapsedDays)
        {
            return Campaign.WinbackAtRisk;
        }

        return days >= rules.LapsedDays && days < rules.GiveUpDays ? Campaign.WinbackLapsed : null;
    }

    /// <summary>The first local day, from <paramref name="today"/> on, on which a message keeps the member within
    /// <paramref name="maxPerWeek"/> messages in any 7 days, given the days they got one.</summary>
    public static DateOnly FirstDayUnderWeeklyCap(IReadOnlyCollection<DateOnly> sentDays, DateOnly today, int maxPerWeek)
    {
        ArgumentNullException.ThrowIfNull(sentDays);
        var day = today;
        for (var i = 0; i < 7; i++, day = day.AddDays(1))
        {
            var inWeek = sentDays.Count(d => d < day && d.DayNumber > day.DayNumber - 7);
            if (inWeek < maxPerWeek)
            {
                return day;
            }
        }

        // Every day before this one lies more than a week back by now.
        return day;
    }

    /// <summary>Periods as they appear in outbox keys: a year (<c>2026</c>) or a day (<c>2026-12-24</c>).</summary>
    public static string Period(int year) => year.ToString("D4", CultureInfo.InvariantCulture);

    public static string Period(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool TryParsePeriodDay(string? period, out DateOnly day) =>
        DateOnly.TryParseExact(period, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    public static bool TryParsePeriodYear(string? period, out int year)
    {
        year = 0;
        return period is { Length: 4 } && int.TryParse(period, NumberStyles.None, CultureInfo.InvariantCulture, out year) && year >= 1900;
    }

    private static string MonthDay(DateOnly day) => day.ToString("MMdd", CultureInfo.InvariantCulture);
}
