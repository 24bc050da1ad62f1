using Loyalty.Domain.Members;

namespace Loyalty.Tests.Domain;

public sealed class BirthdayTests
{
    [Theory]
    [InlineData("1990-05-17", "1990-05-17", "0517")]
    [InlineData("--05-17", "--05-17", "0517")]
    [InlineData("--02-29", "--02-29", "0229")]
    [InlineData("2000-02-29", "2000-02-29", "0229")]
    public void TryParse_ValidForms_RoundTrip(string text, string shown, string monthDay)
    {
        Assert.True(Birthday.TryParse(text, out var b));
        Assert.Equal(shown, b.ToString());
        Assert.Equal(monthDay, b.MonthDay);
    }

    [Theory]
    [InlineData("1990-02-29")]
    [InlineData("--02-30")]
    [InlineData("--13-01")]
    [InlineData("1990-5-17")]
    [InlineData("17/05/1990")]
    [InlineData("1850-01-01")]
    [InlineData("")]
    public void TryParse_InvalidDates_Fail(string text) => Assert.False(Birthday.TryParse(text, out _));

    [Theory]
    [InlineData(2027, 2, 28)]
    [InlineData(2028, 2, 29)]
    public void In_Feb29_FallsOnFeb28InCommonYears(int year, int month, int day)
    {
        Birthday.TryParse("--02-29", out var b);

        Assert.Equal(new DateOnly(year, month, day), b.In(year));
    }
}
