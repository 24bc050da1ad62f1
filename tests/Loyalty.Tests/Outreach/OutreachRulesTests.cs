using Loyalty.Domain.Operations;
using Loyalty.Domain.Members;
using Loyalty.Domain.Outreach;

namespace Loyalty.Tests.Outreach;

public sealed class OutreachRulesTests
{
    private static readonly SendingWindow Window = new();

    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Asia/Shanghai", 2026, 11, 24, 2, 0)] // 10:00 +08:00
    [InlineData("Europe/Moscow", 2026, 11, 24, 7, 0)] // 10:00 +03:00
    [InlineData("America/Los_Angeles", 2026, 11, 24, 18, 0)] // 10:00 -08:00 (standard time)
    [InlineData("America/Los_Angeles", 2026, 7, 24, 17, 0)] // 10:00 -07:00 (daylight time)
    public void Window_OpensAtTenLocal_InEachZone(string zone, int year, int month, int day, int utcHour, int utcMinute)
    {
        var (opens, closes) = Window.On(new DateOnly(year, month, day), Zone(zone));

        Assert.Equal(Utc(year, month, day, utcHour, utcMinute), opens);
        Assert.Equal(TimeSpan.FromHours(10), closes - opens);
    }

    [Fact]
    public void NextOpening_InsideTheWindow_IsNow()
    {
        var now = Utc(2026, 11, 24, 5, 30); // 13:30 in Shanghai

        Assert.Equal(now, Window.NextOpening(now, Zone("Asia/Shanghai")));
    }

    [Fact]
    public void NextOpening_At23Local_IsTenTheNextMorning()
    {
        var now = Utc(2026, 11, 25, 7, 0); // 23:00 on Nov 24 in Los Angeles

        Assert.Equal(Utc(2026, 11, 25, 18, 0), Window.NextOpening(now, Zone("America/Los_Angeles")));
    }

    [Fact]
    public void NextOpening_BeforeTheWindow_IsTenTheSameDay()
    {
        var now = Utc(2026, 11, 24, 3, 0); // 06:00 in Moscow

        Assert.Equal(Utc(2026, 11, 24, 7, 0), Window.NextOpening(now, Zone("Europe/Moscow")));
    }

    [Fact]
    public void Window_EdgeInADaylightSavingGap_OpensWhenTheClockJumps()
    {
        // Los Angeles skipped 02:00-03:00 on 2026-03-08.
        var night = new SendingWindow { From = new TimeOnly(2, 30), To = new TimeOnly(4, 0) };

        var (opens, _) = night.On(new DateOnly(2026, 3, 8), Zone("America/Los_Angeles"));

        Assert.Equal(Utc(2026, 3, 8, 10, 0), opens); // 03:00 PDT
    }

    [Fact]
    public void BirthdayPartitions_CoverYesterdayToTheDayAfterTomorrow()
    {
        var partitions = OutreachRules.BirthdayPartitions(new DateOnly(2026, 12, 31));

        Assert.Equal(["1230", "1231", "0101", "0102"], partitions.Select(p => p.Partition));
        Assert.Equal(new DateOnly(2027, 1, 1), partitions[2].Day);
    }

    [Fact]
    public void BirthdayPartitions_Feb28OfACommonYear_AlsoReadsFeb29()
    {
        var partitions = OutreachRules.BirthdayPartitions(new DateOnly(2027, 2, 27));

        Assert.Contains(("0229", new DateOnly(2027, 2, 28)), partitions);
        Assert.DoesNotContain(OutreachRules.BirthdayPartitions(new DateOnly(2028, 2, 27)), p => p.Partition == "0229" && p.Day.Day == 28);
        Assert.Contains(OutreachRules.BirthdayPartitions(new DateOnly(2028, 2, 27)), p => p == ("0229", new DateOnly(2028, 2, 29)));
    }

    [Theory]
    [InlineData("--02-29", "2027-02-28", "2027-02-28")]
    [InlineData("--02-29", "2027-02-27", "2027-02-28")]
    [InlineData("--02-29", "2028-02-28", "2028-02-29")]
    [InlineData("--02-29", "2028-03-01", null)]
    [InlineData("1990-12-31", "2026-12-30", "2026-12-31")]
    [InlineData("1990-01-01", "2026-12-31", "2027-01-01")]
    [InlineData("1990-06-15", "2026-06-13", null)]
    [InlineData("1990-06-15", "2026-06-16", null)]
    public void UpcomingBirthday_IsTodayOrTomorrow(string birthday, string today, string? expected)
    {
        Assert.True(Birthday.TryParse(birthday, out var b));

        var upcoming = OutreachRules.UpcomingBirthday(b, DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(expected is null ? null : DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), upcoming);
    }

    [Theory]
    [InlineData(89, null)]
    [InlineData(90, Campaign.WinbackAtRisk)]
    [InlineData(179, Campaign.WinbackAtRisk)]
    [InlineData(180, Campaign.WinbackLapsed)]
    [InlineData(359, Campaign.WinbackLapsed)]
    [InlineData(360, null)]
    public void WinBackSegment_FollowsTheThresholds(int daysAgo, Campaign? expected)
    {
        var today = new DateOnly(2026, 11, 24);

        Assert.Equal(expected, OutreachRules.WinBackSegment(today.AddDays(-daysAgo), today, new WinBackRules()));
    }

    [Fact]
    public void WeeklyCap_ThreeInTheLastWeek_WaitsUntilTheOldestIsAWeekOld()
    {
        var today = new DateOnly(2026, 11, 24);
        DateOnly[] sent = [today.AddDays(-5), today.AddDays(-3), today.AddDays(-1)];

        Assert.Equal(today.AddDays(2), OutreachRules.FirstDayUnderWeeklyCap(sent, today, 3));
        Assert.Equal(today, OutreachRules.FirstDayUnderWeeklyCap(sent, today, 4));
        Assert.Equal(today, OutreachRules.FirstDayUnderWeeklyCap([today.AddDays(-7), today.AddDays(-8)], today, 1));
    }

    [Fact]
    public void Priority_BirthdayBeforeExpiryBeforeWinBack()
    {
        Assert.True(Campaign.Birthday.Priority() < Campaign.ExpiryWarning.Priority());
        Assert.True(Campaign.ExpiryWarning.Priority() < Campaign.WinbackAtRisk.Priority());
        Assert.Equal(Campaign.WinbackAtRisk.Priority(), Campaign.WinbackLapsed.Priority());
    }

    [Theory]
    [InlineData("STOP", SmsKeyword.OptOut)]
    [InlineData("  stop ", SmsKeyword.OptOut)]
    [InlineData("Stop.", SmsKeyword.OptOut)]
    [InlineData("StopAll", SmsKeyword.OptOut)]
    [InlineData("unsubscribe", SmsKeyword.OptOut)]
    [InlineData("Cancel", SmsKeyword.OptOut)]
    [InlineData("END", SmsKeyword.OptOut)]
    [InlineData("quit!", SmsKeyword.OptOut)]
    [InlineData("退订", SmsKeyword.OptOut)]
    [InlineData("td", SmsKeyword.OptOut)]
    [InlineData("стоп", SmsKeyword.OptOut)]
    [InlineData("СТОП", SmsKeyword.OptOut)]
    [InlineData("start", SmsKeyword.OptIn)]
    [InlineData("UNSTOP", SmsKeyword.OptIn)]
    [InlineData("Старт", SmsKeyword.OptIn)]
    [InlineData("please stop texting me", SmsKeyword.None)]
    [InlineData("thanks!", SmsKeyword.None)]
    [InlineData("", SmsKeyword.None)]
    [InlineData(null, SmsKeyword.None)]
    public void ConsentKeywords_KnowTheStandardKeywordsInAnyCase(string? text, SmsKeyword expected)
    {
        Assert.Equal(expected, SmsKeywords.Parse(text));
    }
}
