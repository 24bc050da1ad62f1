using CsCheck;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Tests.Domain;

public sealed class RulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static readonly ProgramDefinition Program = new()
    {
        Name = "Rules",
        Currencies = new Dictionary<string, CurrencyRule> { ["USD"] = new(), ["RUB"] = new() { PointsPerUnit = 0.01m } },
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

    private static readonly ProgramDefinition Strict = Program with { Points = new PointsRules { AllowNegativeBalance = false } };

    /// <summary>A member who has bought before (no first-purchase bonus in the figures).</summary>
    private static MemoryLedger Regular(ProgramDefinition? program = null, TimeZoneInfo? zone = null)
    {
        var ledger = new MemoryLedger(program ?? Program, Now, zone);
        ledger.Account = ledger.Account with { PurchaseCount = 1 };
        return ledger;
    }

    private static IEnumerable<string?> Notes<T>(Outcome<T> o) => o.Posting!.Entries.Select(e => e.Note);

    [Theory]
    [InlineData(12.99, "USD", 12)]
    [InlineData(0.99, "USD", 0)]
    [InlineData(1999.99, "RUB", 19)]
    public void Purchase_EarnsRateTimesAmount_RoundedDown(decimal amount, string currency, long points)
    {
        var ledger = Regular(Program with { Bonuses = new BonusRules() });

        var outcome = ledger.Run(new RecordPurchase(new Purchase(
            OperationId.Parse("p1"), MemoryLedger.Id, new Money(amount, Currency.Parse(currency)), Now, null, [])));

        Assert.Equal(points, outcome.Result!.PointsEarned);
        Assert.Equal(new Points(points), ledger.Account.Balance);
        Assert.Equal(LedgerKind.Earn, Assert.Single(outcome.Posting!.Entries).Kind);
    }

    [Fact]
    public void Purchase_CreatesALotExpiringTwelveMonthsAfterThePurchase()
    {
        var ledger = Regular();

        ledger.Buy(50, Now);

        Assert.Equal(new DateOnly(2027, 11, 24), Assert.Single(ledger.Account.Lots).ExpiresOn);
    }

    [Fact]
    public void Purchase_Backfilled_KeepsTheLatestLastPurchase()
    {
        var ledger = new MemoryLedger(Program, Now);
        ledger.Account = ledger.Account with { LastPurchaseAt = Now };

        ledger.Buy(5, Now.AddDays(-30));

        Assert.Equal(Now, ledger.Account.LastPurchaseAt);
        Assert.Equal(1, ledger.Account.PurchaseCount);
    }

    [Fact]
    public void Purchase_RecordedAfterItsPointsExpired_CreditsThemAndExpiresThemAtOnce()
    {
        var ledger = Regular();

        var outcome = ledger.Buy(80, Now.AddMonths(-13));

        Assert.Equal(80, outcome.Result!.PointsEarned);
        Assert.Equal([(LedgerKind.Earn, 80L), (LedgerKind.Expire, -80L)], outcome.Posting!.Entries.Select(e => (e.Kind, e.Points.Value)));
        Assert.Equal(0, ledger.Account.Balance.Value);
        Assert.Equal(80, ledger.Account.Lifetime.Value);
        ledger.AssertInvariants();
    }

    [Fact]
    public void FirstPurchase_EarnsTheFirstPurchaseBonusOnce()
    {
        var ledger = new MemoryLedger(Program, Now);

        var first = ledger.Buy(10);
        var second = ledger.Buy(10);

        Assert.Equal([null, "first-purchase"], Notes(first));
        Assert.Equal(60, first.Result!.PointsEarned);
        Assert.Equal([null], Notes(second));
    }

    [Theory]
    [InlineData(199.99, false)]
    [InlineData(200, true)]
    public void BigOrder_AtTheThresholdExactly_EarnsTheBonus(decimal amount, bool bonus) =>
        Assert.Equal(bonus, Notes(Regular().Buy(amount)).Contains("big-order"));

    [Theory]
    [InlineData(499.99, "member")]
    [InlineData(500, "silver")]
    [InlineData(1500, "gold")]
    public void TierBoundary_ExactlyAtTheThreshold_Upgrades(decimal amount, string tier)
    {
        var ledger = Regular();

        var outcome = ledger.Buy(amount);

        Assert.Equal(tier == "member" ? null : tier, ledger.Account.Tier);
        if (tier != "member")
        {
            var e = outcome.Posting!.Entries.Single(x => x.Kind == LedgerKind.Tier);
            Assert.Equal((0L, tier), (e.Points.Value, e.Note));
            Assert.Equal(new DateOnly(2028, 1, 24), ledger.Account.TierReviewOn);
        }
    }

    [Fact]
    public void Upgrade_AppliesTheNewMultiplierFromTheNextPurchase()
    {
        var ledger = Regular();

        var upgrading = ledger.Buy(500);
        var next = ledger.Buy(100);

        Assert.Equal(500, upgrading.Posting!.Entries[0].Points.Value);
        Assert.Equal(150, next.Result!.PointsEarned);
    }

    [Fact]
    public void Promotion_BoundaryIsTheMembersDay_NotUtc()
    {
        // 2026-12-01 07:30 UTC is still November 30 in Los Angeles, and already December 1 in Shanghai.
        var at = new DateTimeOffset(2026, 12, 1, 7, 30, 0, TimeSpan.Zero);
        var inLosAngeles = Regular(zone: LosAngeles).Buy(10, at);
        var inShanghai = Regular(zone: Shanghai).Buy(10, at);

        Assert.DoesNotContain("double-week", Notes(inLosAngeles));
        Assert.Contains("double-week", Notes(inShanghai));
        Assert.Equal(20, inShanghai.Result!.PointsEarned);
    }

    [Fact]
    public void Promotion_LastDayIncluded_DayAfterExcluded()
    {
        Assert.Contains("double-week", Notes(Regular().Buy(10, new DateTimeOffset(2026, 12, 7, 23, 59, 0, TimeSpan.Zero))));
        Assert.DoesNotContain("double-week", Notes(Regular().Buy(10, new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero))));
    }

    [Fact]
    public void Promotion_WithCategories_CountsOnlyMatchingLines()
    {
        var at = new DateTimeOffset(2027, 1, 10, 9, 0, 0, TimeSpan.Zero);

        var outcome = Regular().Buy(30, at, lines: [new PurchaseLine("croissant", "pastry", 2, 8), new PurchaseLine("latte", "coffee", 1, 22)]);
        var withoutLines = Regular().Buy(30, at);

        Assert.Equal(16, outcome.Posting!.Entries.Single(e => e.Note == "pastry").Points.Value);
        Assert.DoesNotContain("pastry", Notes(withoutLines));
    }

    [Fact]
    public void Promotion_LinesWorthMoreThanThePurchase_NeverEarnMoreThanThePurchaseAmount()
    {
        // The request layer refuses such lines; the rule does not trust them either.
        var at = new DateTimeOffset(2027, 1, 10, 9, 0, 0, TimeSpan.Zero);

        var outcome = Regular().Buy(1, at, lines: [new PurchaseLine("croissant", "pastry", 1, 1_000_000_000_000m)]);

        Assert.Equal(2, outcome.Posting!.Entries.Single(e => e.Note == "pastry").Points.Value);
        Assert.Equal(3, outcome.Result!.PointsEarned);
    }

    [Fact]
    public void Promotion_WithStores_AppliesOnlyThere()
    {
        var at = new DateTimeOffset(2027, 2, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Contains("store-opening", Notes(Regular().Buy(5, at, store: "s-new")));
        Assert.DoesNotContain("store-opening", Notes(Regular().Buy(5, at, store: "s-old")));
    }

    [Fact]
    public void SpendThreshold_GivesAVoucherOncePerWindow()
    {
        var ledger = Regular();

        var first = ledger.Buy(200);
        var reached = ledger.Buy(100);
        var again = ledger.Buy(400);

        Assert.Empty(first.Result!.Vouchers);
        Assert.Equal(new VoucherResult("coffee", "ABCD-EFGH-JKMN", "spend-300"), Assert.Single(reached.Result!.Vouchers));
        Assert.Empty(again.Result!.Vouchers);
        Assert.Contains("spend-300: coffee voucher ABCD-EFGH-JKMN", Notes(reached));
        Assert.Equal(VoucherStatus.Active, Assert.Single(ledger.Account.Vouchers).Status);
    }

    [Fact]
    public void Downgrade_OnlyAtReview_OneTierAtATime_WithGrace()
    {
        var ledger = Regular();
        ledger.Buy(1500);
        Assert.Equal(("gold", new DateOnly(2028, 1, 24)), (ledger.Account.Tier, ledger.Account.TierReviewOn!.Value));

        Assert.IsType<NothingToDo>(ledger.Run(new ReviewTier(MemoryLedger.Id, new DateOnly(2028, 1, 23))).Refusal);

        ledger.Run(new ReviewTier(MemoryLedger.Id, new DateOnly(2028, 1, 24)));
        Assert.Equal(("silver", new DateOnly(2028, 3, 24)), (ledger.Account.Tier, ledger.Account.TierReviewOn!.Value));

        ledger.Run(new ReviewTier(MemoryLedger.Id, new DateOnly(2028, 3, 24)));
        Assert.Equal(("member", (DateOnly?)null), (ledger.Account.Tier, ledger.Account.TierReviewOn));
    }

    [Fact]
    public void Review_StillQualified_KeepsTierAndLooksAgainInAMonth()
    {
        var ledger = Regular();
        ledger.Buy(600);
        ledger.Account = ledger.Account with { TierReviewOn = new DateOnly(2026, 11, 24) };

        var review = ledger.Run(new ReviewTier(MemoryLedger.Id, new DateOnly(2026, 11, 24)));

        Assert.Equal(("silver", new DateOnly(2026, 12, 24)), (ledger.Account.Tier, ledger.Account.TierReviewOn!.Value));
        Assert.Empty(review.Posting!.Entries);
    }

    [Fact]
    public void Return_InParts_TakesBackExactlyWhatAWholeReturnWould()
    {
        var ledger = Regular();
        ledger.Buy(100.99m, id: "p");

        var reversed = new[] { 33.33m, 33.33m, 34.33m }.Sum(part => ledger.Return("p", part).Result!.PointsReversed);

        Assert.Equal(100, reversed);
        Assert.Equal(0, ledger.Account.Balance.Value);
        ledger.AssertInvariants();
    }

    [Fact]
    public void Return_IncludesBonusesWhereTheRuleSaysSo()
    {
        var withBonus = Regular();
        withBonus.Buy(200, id: "p");
        var withoutBonus = Regular(Program with { Returns = new ReturnRules { ReverseBonuses = false } });
        withoutBonus.Buy(200, id: "p");

        Assert.Equal(112, withBonus.Return("p", 100).Result!.PointsReversed);
        Assert.Equal(100, withoutBonus.Return("p", 100).Result!.PointsReversed);
    }

    [Fact]
    public void Return_OfMoreThanIsLeft_IsRefusedWithTheNumbers()
    {
        var ledger = Regular();
        ledger.Buy(100, id: "p");
        ledger.Return("p", 60);

        var refusal = Assert.IsType<ReturnExceedsPurchase>(ledger.Return("p", 50).Refusal);

        Assert.Equal((50m, 40m, "USD"), (refusal.Requested, refusal.Returnable, refusal.Currency));
    }

    [Fact]
    public void Return_AfterPointsWereRedeemed_GoesNegative_OrIsOwedWhenTheProgramSaysSo()
    {
        var allowed = Regular();
        allowed.Buy(160, id: "p");
        allowed.Redeem(Program.Rewards[0]);
        var strict = Regular(Strict);
        strict.Buy(160, id: "p");
        strict.Redeem(Program.Rewards[0]);

        allowed.Return("p", 160);
        var owed = strict.Return("p", 160).Result!;

        Assert.Equal((-150L, 150L), (allowed.Account.Balance.Value, allowed.Account.Debt.Value));
        Assert.Equal((10L, 150L), (owed.PointsReversed, owed.PointsOwed));
        Assert.Equal((0L, 150L), (strict.Account.Balance.Value, strict.Account.Owed.Value));
        strict.AssertInvariants();
        allowed.AssertInvariants();
    }

    [Fact]
    public void ReturnThenCancel_DoesNotHandPointsBack_TheOwedPointsAreTakenFirst()
    {
        // Buy (375 points), redeem two coffees, return the whole purchase (only 75 are left to take), cancel one coffee.
        var ledger = new MemoryLedger(Strict with { Bonuses = new BonusRules() }, Now);
        ledger.Buy(375, id: "p");
        ledger.Redeem(Program.Rewards[0], "c1");
        ledger.Redeem(Program.Rewards[0], "c2");
        ledger.Return("p", 375);

        var cancelled = ledger.Cancel("c1");

        Assert.Equal(0, ledger.Account.Balance.Value);
        Assert.Equal(150, ledger.Account.Owed.Value);
        Assert.Equal(0, cancelled.Result!.Balance);
        Assert.Equal([(LedgerKind.Reverse, 150L, "redemption cancelled"), (LedgerKind.Reverse, -150L, Posting.OwedNote)],
            cancelled.Posting!.Entries.Select(e => (e.Kind, e.Points.Value, e.Note)));
        ledger.AssertInvariants();
    }

    [Fact]
    public void Owed_IsPaidByTheNextPurchaseFirst()
    {
        var ledger = new MemoryLedger(Strict with { Bonuses = new BonusRules() }, Now);
        ledger.Buy(300, id: "p");
        ledger.Redeem(Program.Rewards[0]);
        ledger.Redeem(Program.Rewards[0]);
        ledger.Return("p", 300);

        var next = ledger.Buy(400);

        Assert.Equal(400, next.Result!.PointsEarned);
        Assert.Equal((100L, 0L), (ledger.Account.Balance.Value, ledger.Account.Owed.Value));
        ledger.AssertInvariants();
    }

    [Fact]
    public void Return_ReducesTheSpendThatTiersCount()
    {
        var ledger = Regular();
        ledger.Buy(400, id: "p");

        ledger.Return("p", 100);

        Assert.Equal(300, ledger.Account.Window(DateOnly.FromDateTime(Now.UtcDateTime), 12).Spend);
    }

    [Fact]
    public void Return_OfThePurchaseThatReachedATier_FallsBackAtOnce()
    {
        var ledger = Regular();
        ledger.Buy(1500, id: "big");
        Assert.Equal("gold", ledger.Account.Tier);

        var returned = ledger.Return("big", 1500).Result!;
        var next = ledger.Buy(100);

        Assert.Equal("member", returned.Tier);
        Assert.Equal(100, next.Result!.PointsEarned);
        Assert.Null(ledger.Account.TierReviewOn);
    }

    [Fact]
    public void Return_OfPartOfIt_FallsBackToTheTierTheRemainingSpendReaches()
    {
        var ledger = Regular();
        ledger.Buy(1500, id: "big");

        Assert.Equal("silver", ledger.Return("big", 900).Result!.Tier);
        Assert.Equal("silver", ledger.Account.Tier);
    }

    [Fact]
    public void Return_InTheGracePeriod_KeepsTheTierUntilTheReview()
    {
        // Gold was reached in a window that has since rolled on: the member is in grace, and a return changes nothing.
        var ledger = Regular();
        ledger.Account = ledger.Account with { Tier = "gold", TierReviewOn = new DateOnly(2027, 1, 24) };
        ledger.Buy(600, id: "recent");

        Assert.Equal("gold", ledger.Return("recent", 600).Result!.Tier);
        Assert.Equal(new DateOnly(2027, 1, 24), ledger.Account.TierReviewOn);
    }

    [Fact]
    public void Return_ThatLeavesTheThresholdWindowShort_VoidsItsVoucher_AndTheRuleMayGrantAgain()
    {
        var ledger = Regular();
        ledger.Buy(200, id: "p1");
        ledger.Buy(100, id: "p2");
        Assert.Equal(VoucherStatus.Active, Assert.Single(ledger.Account.Vouchers).Status);

        var returned = ledger.Return("p1", 150).Result!;
        ledger.Code = "WXYZ-WXYZ-WXYZ";
        var again = ledger.Buy(200);

        Assert.Equal(["ABCD-EFGH-JKMN"], returned.VouchersVoided);
        Assert.Equal([VoucherStatus.Void, VoucherStatus.Active], ledger.Account.Vouchers.Select(v => v.Status));
        Assert.Equal("WXYZ-WXYZ-WXYZ", Assert.Single(again.Result!.Vouchers).Code);
    }

    [Fact]
    public void Return_ThatLeavesTheThresholdReached_KeepsTheVoucher()
    {
        var ledger = Regular();
        ledger.Buy(400, id: "p1");

        Assert.Empty(ledger.Return("p1", 50).Result!.VouchersVoided);
        Assert.Equal(VoucherStatus.Active, Assert.Single(ledger.Account.Vouchers).Status);
    }

    [Fact]
    public void Return_VoidingAThresholdWithPoints_TakesThePointsBack()
    {
        var program = Program with
        {
            Bonuses = Program.Bonuses with { SpendThresholds = [new SpendThreshold { Id = "spend-300", Spend = 300, WithinMonths = 6, Points = 75 }] },
        };
        var ledger = Regular(program);
        ledger.Buy(300, id: "p");
        Assert.Equal(400, ledger.Account.Balance.Value);

        var returned = ledger.Return("p", 300);

        Assert.Contains((LedgerKind.Reverse, -75L, "spend-300 void"), returned.Posting!.Entries.Select(e => (e.Kind, e.Points.Value, e.Note)));
        Assert.Equal(0, ledger.Account.Balance.Value);
        Assert.Equal(0, ledger.Account.Lifetime.Value);
        ledger.AssertInvariants();
    }

    [Fact]
    public void Redemption_OnTheDayItsPointsExpire_SpendsThemFirst_AndExpiryTakesOnlyTheRest()
    {
        var today = new DateOnly(2027, 11, 24);
        var ledger = Regular();
        ledger.Account = ledger.Account.Credit(new Points(100), today).Credit(new Points(200), today.AddMonths(3));

        ledger.Redeem(Program.Rewards[0] with { Kind = RewardKind.Gift }, "c1");
        var expiry = ledger.Run(new ExpirePoints(MemoryLedger.Id, today, 1));

        Assert.IsType<NothingToDo>(expiry.Refusal);
        Assert.Equal(150, ledger.Account.Balance.Value);
        Assert.Equal([new Lot(today.AddMonths(3), new Points(150))], ledger.Account.Lots);
    }

    [Fact]
    public void Expiry_PostsOneEntryPerLotDue_AndLeavesLaterLots()
    {
        var today = new DateOnly(2027, 11, 24);
        var ledger = Regular();
        ledger.Account = ledger.Account.Credit(new Points(10), today.AddDays(-3)).Credit(new Points(20), today).Credit(new Points(40), today.AddDays(1)).Credit(new Points(5), null);

        var expired = ledger.Run(new ExpirePoints(MemoryLedger.Id, today, 1));

        Assert.Equal(new ExpiryResult(30, 2, false), expired.Result);
        Assert.Equal(["lot 2027-11-21", "lot 2027-11-24"], expired.Posting!.Entries.Select(e => e.Note));
        Assert.All(expired.Posting.Entries, e => Assert.Equal(LedgerKind.Expire, e.Kind));
        Assert.Equal(45, ledger.Account.Balance.Value);
    }

    [Fact]
    public void Expiry_OfMoreLotsThanATransactionHolds_ComesInParts()
    {
        var today = new DateOnly(2027, 11, 24);
        var ledger = Regular();
        for (var i = 0; i < 110; i++)
        {
            ledger.Account = ledger.Account.Credit(new Points(1), today.AddDays(-i));
        }

        var first = ledger.Run(new ExpirePoints(MemoryLedger.Id, today, 1)).Result!;
        var second = ledger.Run(new ExpirePoints(MemoryLedger.Id, today, 2)).Result!;

        Assert.Equal((ExpirePoints.MaxLots, true), (first.Lots, first.MoreDue));
        Assert.Equal((20, false), (second.Lots, second.MoreDue));
        Assert.Empty(ledger.Account.Lots);
    }

    [Fact]
    public void LeapDay_PointsEarnedOnFeb29_ExpireOnFeb28NextYear() =>
        Assert.Equal(new DateOnly(2029, 2, 28), Program.Points.ExpiryFor(new DateTimeOffset(2028, 2, 29, 10, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void Redemption_Refusals_CarryTheirNumbers()
    {
        var poor = new Account { EnrolledAt = Now }.Credit(new Points(100), null);
        var rich = new Account { EnrolledAt = Now }.Credit(new Points(1000), null);

        Assert.Equal(new InsufficientPoints(100, 150), Redeem.Refusal(Program, poor, Program.Rewards[0], Now));
        Assert.Null(Redeem.Refusal(Program, rich, Program.Rewards[0], Now));
        Assert.Equal(new TierRequired("gold", "member"), Redeem.Refusal(Program, rich, Program.Rewards[1], Now));
        Assert.Null(Redeem.Refusal(Program, rich with { Tier = "gold" }, Program.Rewards[1], Now));
    }

    [Fact]
    public void Cancel_RestoresPointsWithTheirOriginalExpiry()
    {
        var ledger = Regular();
        ledger.Account = ledger.Account.Credit(new Points(100), new DateOnly(2027, 1, 31)).Credit(new Points(100), new DateOnly(2027, 3, 31));
        var before = ledger.Account.Lots;
        ledger.Redeem(Program.Rewards[0], "c1");

        var cancel = ledger.Cancel("c1");

        Assert.Equal(before, ledger.Account.Lots);
        Assert.Equal((LedgerKind.Reverse, 150L), (cancel.Posting!.Entries[0].Kind, cancel.Posting.Entries[0].Points.Value));
        Assert.IsType<AlreadyCancelled>(new CancelRedemption(OperationId.Parse("c1"), MemoryLedger.Id)
            .Decide(new Member(MemoryLedger.Id, ledger.Profile, ledger.Account), new RedemptionRecord("coffee", "X", 150, [], Now, Now), new OperationContext(Program, Now, () => "X")).Refusal);
    }

    [Fact]
    public void Adjustment_TakingMoreThanTheBalance_IsRefusedWhenNegativeIsNotAllowed()
    {
        var ledger = Regular(Strict);
        ledger.Adjust(10);

        Assert.Equal(new InsufficientPoints(10, 11), ledger.Adjust(-11).Refusal);
        Assert.Null(ledger.Adjust(-10).Refusal);
        Assert.Equal(0, ledger.Account.Balance.Value);
    }

    [Fact]
    public void Fingerprint_SameAmountWrittenDifferently_IsTheSame_OtherAmountsDiffer()
    {
        string Of(decimal amount) => new RecordReturn(OperationId.Parse("r"), OperationId.Parse("p"), MemoryLedger.Id, amount, Now).Fingerprint;

        Assert.Equal(Of(10m), Of(10.00m));
        Assert.Equal(Of(1m), Of(1.0m));
        Assert.Equal(3, new[] { Of(1m), Of(10m), Of(100m) }.Distinct().Count());
        Assert.NotEqual(Of(0.1m), Of(1m));
    }

    // Purchases, returns, redemptions, cancellations, adjustments and expiries in any order keep every invariant, with
    // negative balances allowed or not.
    private static readonly Gen<(int Op, int Amount, int Days)> Step = Gen.Select(Gen.Int[0, 5], Gen.Int[1, 600], Gen.Int[0, 400]);

    [Fact]
    public void AnySequenceOfOperations_KeepsEveryInvariant() =>
        Gen.Select(Gen.Bool, Step.Array[1, 40]).Sample((allowNegative, steps) =>
        {
            var ledger = new MemoryLedger(allowNegative ? Program : Strict, Now, Shanghai);
            var purchases = new List<string>();
            var redemptions = new List<string>();
            foreach (var (op, amount, days) in steps)
            {
                ledger.Now = ledger.Now.AddDays(days % 30);
                switch (op)
                {
                    case 0:
                        purchases.Add($"p{purchases.Count}");
                        ledger.Buy(amount, ledger.Now, purchases[^1]);
                        break;
                    case 1 when purchases.Count > 0:
                        ledger.Return(purchases[amount % purchases.Count], Math.Round(amount / 3m, 2));
                        break;
                    case 2:
                        var id = $"c{op}-{amount}-{days}-{redemptions.Count}";
                        if (ledger.Redeem(Program.Rewards[0], id).Refusal is null)
                        {
                            redemptions.Add(id);
                        }

                        break;
                    case 3 when redemptions.Count > 0:
                        ledger.Cancel(redemptions[amount % redemptions.Count]);
                        break;
                    case 4:
                        ledger.Adjust(amount - 300);
                        break;
                    default:
                        for (var part = 1; ledger.Run(new ExpirePoints(MemoryLedger.Id, DateOnly.FromDateTime(ledger.Now.UtcDateTime), part)).Result is { MoreDue: true }; part++)
                        {
                        }

                        break;
                }

                ledger.AssertInvariants();
            }
        }, iter: 2_000);
}
