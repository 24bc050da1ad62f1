using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Domain.Purchases;

namespace Loyalty.Tests.Domain;

public sealed class EarningTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly ProgramDefinition Program = new()
    {
        Name = "Test",
        Currencies = new Dictionary<string, CurrencyRule>
        {
            ["USD"] = new() { PointsPerUnit = 1 },
            ["RUB"] = new() { PointsPerUnit = 0.01m },
        },
    };

    private static Purchase APurchase(decimal amount, string currency = "USD", DateTimeOffset? at = null) => new(
        OperationId.Parse("p1"), MemberId.Parse("m1"), new Money(amount, Currency.Parse(currency)), at ?? At, null, []);

    [Theory]
    [InlineData(12.99, "USD", 12)]
    [InlineData(0.99, "USD", 0)]
    [InlineData(1999.99, "RUB", 19)]
    public void Record_EarnsRateTimesAmount_RoundedDown(decimal amount, string currency, long points)
    {
        var outcome = Earning.Record(Program, new Account { EnrolledAt = At }, APurchase(amount, currency), TimeZoneInfo.Utc, At, () => "CODE");

        Assert.Equal(new Points(points), outcome.PointsEarned);
        Assert.Equal(new Points(points), outcome.Posting.Account.Balance);
        Assert.Equal(LedgerKind.Earn, Assert.Single(outcome.Posting.Entries).Kind);
    }

    [Fact]
    public void Record_CreatesLotExpiringTwelveMonthsAfterThePurchase()
    {
        var outcome = Earning.Record(Program, new Account { EnrolledAt = At }, APurchase(50), TimeZoneInfo.Utc, At, () => "CODE");

        Assert.Equal(new DateOnly(2027, 11, 24), Assert.Single(outcome.Posting.Account.Lots).ExpiresOn);
    }

    [Fact]
    public void Record_BackfilledPurchase_KeepsLatestLastPurchase()
    {
        var account = new Account { EnrolledAt = At, LastPurchaseAt = At };

        var outcome = Earning.Record(Program, account, APurchase(5, at: At.AddDays(-30)), TimeZoneInfo.Utc, At, () => "CODE");

        Assert.Equal(At, outcome.Posting.Account.LastPurchaseAt);
        Assert.Equal(1, outcome.Posting.Account.PurchaseCount);
    }

    [Fact]
    public void Validate_BadDefinition_NamesEveryFault()
    {
        var bad = new ProgramDefinition
        {
            Name = "",
            Currencies = new Dictionary<string, CurrencyRule> { ["XYZ"] = new() { PointsPerUnit = 0 } },
            Points = new PointsRules { ExpireAfterMonths = 0 },
        };

        var errors = bad.Validate();

        Assert.Contains(errors, e => e.StartsWith("name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("currencies.XYZ:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("currencies.XYZ.pointsPerUnit", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("points.expireAfterMonths", StringComparison.Ordinal));
    }
}
