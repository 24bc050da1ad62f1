using CsCheck;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Domain.Purchases;
using Loyalty.Domain.Rules;

namespace Loyalty.Tests.Domain;

public sealed class RulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static readonly ProgramDefinition Program = new()
    {
        Name = "Rules",
        Currencies = new Dictionary<string, CurrencyRule> { ["USD"] = new() },
        Tiers = new TierRules
        {
            GraceMonths = 2,
            Levels =
            [
                new TierLevel { Id = "member", Threshold = 0, Multiplier = 1 },
                new TierLevel { Id = "silver", Threshold = 500, Multiplier = 1.5m },
                new TierLevel { Id = "gold", Threshold = 1500, Multiplier = 2 },
            ],
        },
        Bonuses = new BonusRules
        {
            FirstPurchase = new FixedBonus { Points = 50 },
            BigOrder = new BigOrderBonus { Thresholds = new Dictionary<string, decimal> { ["USD"] = 200 }, Points = 25 },
            Promotions =
            [
                new Promotion { Id = "double-week", From = new DateOnly(2026, 12, 1), To = new DateOnly(2026, 12, 7), Multiplier = 2 },
                new Promotion { Id = "pastry", From = new DateOnly(2027, 1, 1), To = new DateOnly(2027, 1, 31), Multiplier = 3, Categories = ["pastry"] },
                new Promotion { Id = "store-opening", From = new DateOnly(2027, 2, 1), To = new DateOnly(2027, 2, 1), Points = 40, Stores = ["s-new"] },
            ],
            SpendThresholds = [new SpendThreshold { Id = "spend-300", Spend = 300, WithinMonths = 6, RewardId = "coffee" }],
        },
        Rewards =
        [
            new Reward { Id = "coffee", Name = new Dictionary<string, string> { ["en"] = "Coffee" }, PointsCost = 150 },
            new Reward { Id = "lounge", Name = new Dictionary<string, string> { ["en"] = "Lounge" }, PointsCost = 100, MinTier = "gold" },
        ],
    };

    private static Account NewAccount() => new() { EnrolledAt = Now };

    private static Purchase APurchase(decimal amount, DateTimeOffset? at = null, string id = "p1", string? store = null, params PurchaseLine[] lines) =>
        new(OperationId.Parse(id), MemberId.Parse("m1"), new Money(amount, Currency.Parse("USD")), at ?? Now.AddHours(-1), store, lines);

    private static PurchaseOutcome Buy(Account account, decimal amount, DateTimeOffset? at = null, TimeZoneInfo? zone = null, string? store = null, params PurchaseLine[] lines) =>
        Earning.Record(Program, account, APurchase(amount, at, store: store, lines: lines), zone ?? TimeZoneInfo.Utc, at ?? Now, () => "ABCD-EFGH-JKMN");

    private static IEnumerable<string?> Notes(PurchaseOutcome o) => o.Posting.Entries.Select(e => e.Note);

    [Fact]
    public void FirstPurchase_EarnsTheFirstPurchaseBonusOnce()
    {
        var first = Buy(NewAccount(), 10);
        var second = Buy(first.Posting.Account, 10);

        Assert.Equal([null, "first-purchase"], Notes(first));
        Assert.Equal(60, first.PointsEarned.Value);
        Assert.Equal([null], Notes(second));
    }

    [Theory]
    [InlineData(199.99, false)]
    [InlineData(200, true)]
    public void BigOrder_AtTheThresholdExactly_EarnsTheBonus(decimal amount, bool bonus)
    {
        var account = NewAccount() with { PurchaseCount = 1 };

        var outcome = Buy(account, amount);

        Assert.Equal(bonus, Notes(outcome).Contains("big-order"));
    }

    [Theory]
    [InlineData(499.99, "member")]
    [InlineData(500, "silver")]
    [InlineData(1500, "gold")]
    public void TierBoundary_ExactlyAtTheThreshold_Upgrades(decimal amount, string tier)
    {
        var account = NewAccount() with { PurchaseCount = 1 };

        var outcome = Buy(account, amount);

        Assert.Equal(tier == "member" ? null : tier, outcome.Posting.Account.Tier);
        if (tier != "member")
        {
            var e = outcome.Posting.Entries.Single(x => x.Kind == LedgerKind.Tier);
            Assert.Equal((0L, tier), (e.Points.Value, e.Note));
            Assert.Equal(new DateOnly(2028, 1, 24), outcome.Posting.Account.TierReviewOn);
        }
    }

    [Fact]
    public void Upgrade_AppliesTheNewMultiplierFromTheNextPurchase()
    {
        var silver = Buy(NewAccount() with { PurchaseCount = 1 }, 500).Posting.Account;

        var next = Buy(silver, 100);

        Assert.Equal(500, Buy(NewAccount() with { PurchaseCount = 1 }, 500).Posting.Entries[0].Points.Value);
        Assert.Equal(150, next.PointsEarned.Value);
    }

    [Fact]
    public void Promotion_BoundaryIsTheMembersDay_NotUtc()
    {
        var account = NewAccount() with { PurchaseCount = 1 };

        // 2026-12-01 07:30 UTC is still November 30 in Los Angeles, and already December 1 in Shanghai.
        var at = new DateTimeOffset(2026, 12, 1, 7, 30, 0, TimeSpan.Zero);
        var inLosAngeles = Buy(account, 10, at, LosAngeles);
        var inShanghai = Buy(account, 10, at, Shanghai);

        Assert.DoesNotContain("double-week", Notes(inLosAngeles));
        Assert.Contains("double-week", Notes(inShanghai));
        Assert.Equal(20, inShanghai.PointsEarned.Value);
    }

    [Fact]
    public void Promotion_LastDayIncluded_DayAfterExcluded()
    {
        var account = NewAccount() with { PurchaseCount = 1 };

        var lastDay = Buy(account, 10, new DateTimeOffset(2026, 12, 7, 23, 59, 0, TimeSpan.Zero));
        var after = Buy(account, 10, new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero));

        Assert.Contains("double-week", Notes(lastDay));
        Assert.DoesNotContain("double-week", Notes(after));
    }

    [Fact]
    public void Promotion_WithCategories_CountsOnlyMatchingLines()
    {
        var account = NewAccount() with { PurchaseCount = 1 };
        var at = new DateTimeOffset(2027, 1, 10, 9, 0, 0, TimeSpan.Zero);

        var outcome = Buy(account, 30, at, lines: [new PurchaseLine("croissant", "pastry", 2, 8), new PurchaseLine("latte", "coffee", 1, 22)]);
        var withoutLines = Buy(account, 30, at);

        Assert.Equal(16, outcome.Posting.Entries.Single(e => e.Note == "pastry").Points.Value);
        Assert.DoesNotContain("pastry", Notes(withoutLines));
    }

    [Fact]
    public void Promotion_WithStores_AppliesOnlyThere()
    {
        var account = NewAccount() with { PurchaseCount = 1 };
        var at = new DateTimeOffset(2027, 2, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Contains("store-opening", Notes(Buy(account, 5, at, store: "s-new")));
        Assert.DoesNotContain("store-opening", Notes(Buy(account, 5, at, store: "s-old")));
    }

    [Fact]
    public void SpendThreshold_GivesAVoucherOncePerWindow()
    {
        var a = NewAccount() with { PurchaseCount = 1 };
        var first = Buy(a, 200);
        var reached = Buy(first.Posting.Account, 100);
        var again = Buy(reached.Posting.Account, 400);

        Assert.Empty(first.Vouchers);
        Assert.Equal(new GrantedVoucher("spend-300", "coffee", "ABCD-EFGH-JKMN"), Assert.Single(reached.Vouchers));
        Assert.Empty(again.Vouchers);
        Assert.Contains("spend-300: coffee voucher ABCD-EFGH-JKMN", Notes(reached));
    }

    [Fact]
    public void Downgrade_OnlyAtReview_OneTierAtATime_WithGrace()
    {
        var gold = Buy(NewAccount() with { PurchaseCount = 1 }, 1500).Posting.Account;
        Assert.Equal(("gold", new DateOnly(2028, 1, 24)), (gold.Tier, gold.TierReviewOn!.Value));

        var early = new Posting(gold, Now);
        Assert.False(Tiering.Review(Program.Tiers, early, new DateOnly(2028, 1, 23), "r"));

        var review = new Posting(gold, Now);
        Assert.True(Tiering.Review(Program.Tiers, review, new DateOnly(2028, 1, 24), "r"));
        Assert.Equal(("silver", new DateOnly(2028, 3, 24)), (review.Account.Tier, review.Account.TierReviewOn!.Value));

        var next = new Posting(review.Account, Now);
        Assert.True(Tiering.Review(Program.Tiers, next, new DateOnly(2028, 3, 24), "r"));
        Assert.Equal(("member", (DateOnly?)null), (next.Account.Tier, next.Account.TierReviewOn));
    }

    [Fact]
    public void Review_StillQualified_KeepsTierAndLooksAgainInAMonth()
    {
        var silver = Buy(NewAccount() with { PurchaseCount = 1 }, 600).Posting.Account with { TierReviewOn = new DateOnly(2026, 11, 24) };

        var review = new Posting(silver, Now);
        Tiering.Review(Program.Tiers, review, new DateOnly(2026, 11, 24), "r");

        Assert.Equal(("silver", new DateOnly(2026, 12, 24)), (review.Account.Tier, review.Account.TierReviewOn!.Value));
        Assert.Empty(review.Entries);
    }

    [Fact]
    public void Return_InParts_TakesBackExactlyWhatAWholeReturnWould()
    {
        var outcome = Buy(NewAccount() with { PurchaseCount = 1 }, 100.99m);
        var record = new PurchaseRecord(100.99m, "USD", Now, outcome.BaseEarned.Value, outcome.ReversibleBonus.Value, outcome.Spend);

        var posting = new Posting(outcome.Posting.Account, Now);
        foreach (var part in new[] { 33.33m, 33.33m, 34.33m })
        {
            record = Returns.Reverse(Program, posting, record, part, Now, "r");
        }

        Assert.Equal(-100, posting.Net.Value);
        Assert.Equal(0, record.Returnable);
        Assert.Equal(0, posting.Account.Balance.Value);
    }

    [Fact]
    public void Return_IncludesBonusesWhereTheRuleSaysSo()
    {
        var outcome = Buy(NewAccount() with { PurchaseCount = 1 }, 200);
        var record = new PurchaseRecord(200, "USD", Now, outcome.BaseEarned.Value, outcome.ReversibleBonus.Value, outcome.Spend);

        var withBonus = new Posting(outcome.Posting.Account, Now);
        Returns.Reverse(Program, withBonus, record, 100, Now, "r");
        var withoutBonus = new Posting(outcome.Posting.Account, Now);
        Returns.Reverse(Program with { Returns = new ReturnRules { ReverseBonuses = false } }, withoutBonus, record, 100, Now, "r");

        Assert.Equal(-112, withBonus.Net.Value);
        Assert.Equal(-100, withoutBonus.Net.Value);
    }

    [Fact]
    public void Return_AfterPointsWereRedeemed_GoesNegative_OrStopsAtZeroWhenTheProgramSaysSo()
    {
        var outcome = Buy(NewAccount() with { PurchaseCount = 1 }, 160);
        var record = new PurchaseRecord(160, "USD", Now, outcome.BaseEarned.Value, 0, outcome.Spend);
        var spent = new Posting(outcome.Posting.Account, Now);
        Redemptions.Redeem(spent, Program.Rewards[0], "coffee-1");

        var allowed = new Posting(spent.Account, Now);
        Returns.Reverse(Program, allowed, record, 160, Now, "r");
        var capped = new Posting(spent.Account, Now);
        Returns.Reverse(Program with { Points = new PointsRules { AllowNegativeBalance = false } }, capped, record, 160, Now, "r");

        Assert.Equal(-150, allowed.Account.Balance.Value);
        Assert.Equal(new Points(150), allowed.Account.Debt);
        Assert.Equal(0, capped.Account.Balance.Value);
    }

    [Fact]
    public void Return_ReducesTheSpendThatTiersCount()
    {
        var outcome = Buy(NewAccount() with { PurchaseCount = 1 }, 500);
        var record = new PurchaseRecord(500, "USD", Now, outcome.BaseEarned.Value, 0, outcome.Spend);

        var posting = new Posting(outcome.Posting.Account, Now);
        Returns.Reverse(Program, posting, record, 100, Now, "r");

        Assert.Equal(400, posting.Account.Window(DateOnly.FromDateTime(Now.UtcDateTime), 12).Spend);
    }

    [Fact]
    public void Redemption_OnTheDayItsPointsExpire_SpendsThemFirst_AndExpiryTakesOnlyTheRest()
    {
        var today = new DateOnly(2027, 11, 24);
        var account = NewAccount().Credit(new Points(100), today).Credit(new Points(200), today.AddMonths(3));

        var redeem = new Posting(account, Now);
        var consumed = Redemptions.Redeem(redeem, Program.Rewards[0], "c1");
        var expire = new Posting(redeem.Account, Now);
        var expired = Expiry.Post(expire, today, "expire-2027-11-24");

        Assert.Equal([new Lot(today, new Points(100)), new Lot(today.AddMonths(3), new Points(50))], consumed);
        Assert.Equal(Points.Zero, expired);
        Assert.Equal(150, expire.Account.Balance.Value);
    }

    [Fact]
    public void Expiry_PostsOneEntryPerLotDue_AndLeavesLaterLots()
    {
        var today = new DateOnly(2027, 11, 24);
        var account = NewAccount().Credit(new Points(10), today.AddDays(-3)).Credit(new Points(20), today).Credit(new Points(40), today.AddDays(1)).Credit(new Points(5), null);

        var posting = new Posting(account, Now);
        var expired = Expiry.Post(posting, today, "x");

        Assert.Equal(30, expired.Value);
        Assert.Equal(["lot 2027-11-21", "lot 2027-11-24"], posting.Entries.Select(e => e.Note));
        Assert.All(posting.Entries, e => Assert.Equal(LedgerKind.Expire, e.Kind));
        Assert.Equal(45, posting.Account.Balance.Value);
    }

    [Fact]
    public void LeapDay_PointsEarnedOnFeb29_ExpireOnFeb28NextYear()
    {
        var leapDay = new DateTimeOffset(2028, 2, 29, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateOnly(2029, 2, 28), Program.Points.ExpiryFor(leapDay));
    }

    [Fact]
    public void Redemption_Refusals_TierAndPoints()
    {
        var poor = NewAccount().Credit(new Points(100), null);
        var rich = NewAccount().Credit(new Points(1000), null);

        Assert.Equal("insufficient-points", Redemptions.Refusal(Program, poor, Program.Rewards[0]));
        Assert.Null(Redemptions.Refusal(Program, rich, Program.Rewards[0]));
        Assert.Equal("tier-required", Redemptions.Refusal(Program, rich, Program.Rewards[1]));
        Assert.Null(Redemptions.Refusal(Program, rich with { Tier = "gold" }, Program.Rewards[1]));
    }

    [Fact]
    public void Cancel_RestoresPointsWithTheirOriginalExpiry()
    {
        var jan = new DateOnly(2027, 1, 31);
        var mar = new DateOnly(2027, 3, 31);
        var account = NewAccount().Credit(new Points(100), jan).Credit(new Points(100), mar);
        var redeem = new Posting(account, Now);
        var consumed = Redemptions.Redeem(redeem, Program.Rewards[0], "c1");

        var cancel = new Posting(redeem.Account, Now);
        Redemptions.Cancel(cancel, consumed, "c1");

        Assert.Equal(account.Lots, cancel.Account.Lots);
        Assert.Equal((LedgerKind.Reverse, 150L), (cancel.Entries[0].Kind, cancel.Entries[0].Points.Value));
    }

    [Fact]
    public void Adjustment_TakingMoreThanTheBalance_IsRefusedWhenNegativeIsNotAllowed()
    {
        var strict = Program with { Points = new PointsRules { AllowNegativeBalance = false } };
        var posting = new Posting(NewAccount().Credit(new Points(10), null), Now);

        Assert.Equal("insufficient-points", Adjustments.Adjust(strict, posting, new Points(-11), "mistake", "a1"));
        Assert.Empty(posting.Entries);
        Assert.Null(Adjustments.Adjust(strict, posting, new Points(-10), "mistake", "a2"));
        Assert.Equal(0, posting.Account.Balance.Value);
    }

    // Purchases, returns, redemptions, adjustments and expiries in any order keep the books straight.
    private static readonly Gen<(int Op, int Amount, int Days)> Step = Gen.Select(Gen.Int[0, 4], Gen.Int[1, 600], Gen.Int[0, 400]);

    [Fact]
    public void AnySequenceOfOperations_BalanceEqualsLedgerAndLotsMinusDebt_NoLotNegative() =>
        Step.Array[1, 40].Sample(steps =>
        {
            var account = NewAccount();
            var entries = new List<LedgerEntry>();
            var purchases = new List<PurchaseRecord>();
            var day = Now;
            foreach (var (op, amount, days) in steps)
            {
                day = day.AddDays(days % 30);
                var posting = new Posting(account, day);
                switch (op)
                {
                    case 0:
                        var o = Earning.Record(Program, account, APurchase(amount, day, $"p{purchases.Count}"), Shanghai, day, () => "CODE");
                        posting = o.Posting;
                        purchases.Add(new PurchaseRecord(amount, "USD", day, o.BaseEarned.Value, o.ReversibleBonus.Value, o.Spend));
                        break;
                    case 1 when purchases.Count > 0:
                        var i = amount % purchases.Count;
                        if (purchases[i].Returnable > 0)
                        {
                            purchases[i] = Returns.Reverse(Program, posting, purchases[i], Math.Min(purchases[i].Returnable, amount / 3m), day, "r");
                        }

                        break;
                    case 2 when Redemptions.Refusal(Program, account, Program.Rewards[0]) is null:
                        Redemptions.Redeem(posting, Program.Rewards[0], "c");
                        break;
                    case 3:
                        Adjustments.Adjust(Program, posting, new Points(amount - 300), "cs", "a");
                        break;
                    default:
                        Expiry.Post(posting, DateOnly.FromDateTime(day.UtcDateTime), "x");
                        break;
                }

                entries.AddRange(posting.Entries);
                account = posting.Account;
            }

            Assert.Equal(entries.Sum(e => e.Points.Value), account.Balance.Value);
            Assert.Equal(account.Lots.Sum(l => l.Remaining.Value) - account.Debt.Value, account.Balance.Value);
            Assert.All(account.Lots, l => Assert.True(l.Remaining.Value > 0));
            Assert.True(account.Debt == Points.Zero || account.Lots.IsEmpty);
            Assert.Equal(Enumerable.Range(1, entries.Count).Select(n => (long)n), entries.Select(e => e.Seq));
            Assert.All(purchases, p => Assert.InRange(p.ReturnedAmount, 0, p.Amount));
        }, iter: 2_000);
}
