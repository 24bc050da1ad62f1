using Loyalty.Domain;

namespace Loyalty.Tests.Domain;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KWD", 3)]
    [InlineData("CNY", 2)]
    [InlineData("RUB", 2)]
    public void Currency_Known_HasIsoMinorUnits(string code, int minor)
    {
        Assert.True(Currency.TryParse(code, out var c));
        Assert.Equal(minor, c.MinorUnits);
    }

    [Theory]
    [InlineData("usd")]
    [InlineData("XXX")]
    [InlineData("US")]
    [InlineData(null)]
    public void Currency_UnknownOrLowerCase_IsRefused(string? code) => Assert.False(Currency.TryParse(code, out _));

    [Theory]
    [InlineData("USD", "10.25", true)]
    [InlineData("USD", "10.255", false)]
    [InlineData("USD", "10.250", true)]
    [InlineData("JPY", "100", true)]
    [InlineData("JPY", "100.5", false)]
    public void Allows_ChecksDecimalPlaces(string code, string amount, bool allowed) =>
        Assert.Equal(allowed, Currency.Parse(code).Allows(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Points_Overflow_Throws() =>
        Assert.Throws<OverflowException>(() => new Points(long.MaxValue) + new Points(1));
}
