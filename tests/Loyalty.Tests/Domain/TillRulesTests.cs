using CsCheck;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Tests.Domain;

/// <summary>The rules of the till with plain values: holds and captures, pending points, vouchers, earning by product.</summary>
public sealed class TillRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    private static readonly Reward Voucher5 = new() { Id = "voucher-5", Name = new Dictionary<string, string> { ["en"] = "$5" }, PointsCost = 500, Kind = RewardKind.Voucher, ValidDays = 30 };
    private static readonly Reward Coffee = new() { Id = "coffee", Name = new Dictionary<string, string> { ["en"] = "Coffee" }, PointsCost = 150, Kind = RewardKind.Gift };

    private static readonly ProgramDefinition Program = new()
    {
        Name = "Till",
        Currencies = new Dictionary<string, CurrencyRule> { ["USD"] = new() { PointsToPay = 100 }, ["RUB"] = new() { PointsPerUnit = 0.01m } },
        Points = new PointsRules { AllowNegativeBalance = false },
        Bonuses = new BonusRules { Referral = null },
        Rewards = [Voucher5, Coffee],
        Earning = new EarningRules
        {
            ExcludedCategories = ["gift-card"],
            ExcludedSkus = ["deposit"],
            Categories = new Dictionary<string, CategoryRule>
            {
                ["wine"] = new() { Multiplier = 2 },
                ["books"] = new() { PointsPerUnit = new Dictionary<string, decimal> { ["USD"] = 0.5m } },
            },
            Skus = new Dictionary<string, SkuRule> { ["mug"] = new() { Points = 40 } },
        },
    };

    private static readonly ProgramDefinition Pending14 = Program with { Points = Program.Points with { PendingDays = 14 } };

    private static MemoryLedger WithPoints(long points, ProgramDefinition? program = null, TimeZoneInfo? zone = null)
    {
        var ledger = new MemoryLedger(program ?? Program, Now, zone);
        ledger.Adjust(points, "start");
        return ledger;
    }

    [Fact]
    public void Hold_LowersAvailable_NotTheBalance_AndCaptureBurnsForTheOrder()
    {
        var ledger = WithPoints(1000);

        var held = ledger.Hold("h1", 300).Result!;
        Assert.Equal(("held", 700L, 1000L), (held.Status, held.Available, held.Balance));
        Assert.Equal(new Points(300), ledger.Account.HeldAt(Now));

        var captured = ledger.Capture("h1", order: "order-9").Result!;

        Assert.Equal(("captured", 300L, 0L, "order-9", 700L), (captured.Status, captured.CapturedPoints, captured.ReleasedPoints, captured.OrderId, captured.Balance));
        var burn = ledger.Ledger[^1];
        Assert.Equal((LedgerKind.Burn, -300L, "order-9"), (burn.Kind, burn.Points.Value, burn.Reference));
        Assert.Equal(ledger.Account.Balance, ledger.Account.AvailableAt(Now));
        ledger.AssertInvariants();
    }

    [Fact]
    public void PartialCapture_ReleasesTheRest()
    {
        var ledger = WithPoints(1000);
        ledger.Hold("h1", 300);

        var captured = ledger.Capture("h1", 120).Result!;

        Assert.Equal((120L, 180L, 880L, 880L), (captured.CapturedPoints, captured.ReleasedPoints, captured.Balance, captured.Available));
        Assert.Empty(ledger.Account.Holds);
        ledger.AssertInvariants();
    }

    [Fact]
    public void Hold_MoreThanAvailable_IsRefusedWithTheFigures_AndNegativeBalancesDoNotApply()
    {
        var ledger = WithPoints(500, Program with { Points = new PointsRules { AllowNegativeBalance = true } });
        ledger.Hold("h1", 400);

        var refused = ledger.Hold("h2", 101).Refusal;

        Assert.Equal(new InsufficientPoints(500, 101, 100, 400, 0), refused);
        Assert.Equal(100L, ((IReadOnlyDictionary<string, object?>)refused!.Figures)["available"]);
    }

    [Fact]
    public void Capture_AfterReleaseOrExpiry_IsRefused_AndReleaseAfterCaptureToo()
    {
        var ledger = WithPoints(1000);
        ledger.Hold("released", 100);
        ledger.Hold("expiring", 100, minutes: 30);
        ledger.Hold("captured", 100);
        ledger.Release("released");
        ledger.Capture("captured");
        ledger.Now = Now.AddMinutes(30);

        Assert.Equal("released", Assert.IsType<HoldNotActive>(ledger.Capture("released").Refusal).State);
        Assert.Equal(new HoldNotActive("expiring", "expired", Now.AddMinutes(30)), ledger.Capture("expiring").Refusal);
        Assert.Equal("captured", Assert.IsType<HoldNotActive>(ledger.Release("captured").Refusal).State);
        Assert.Equal(new Points(900), ledger.Account.AvailableAt(ledger.Now));
        ledger.AssertInvariants();
    }

    [Fact]
    public void ExpiredHold_IsAvailableAgainByTheClockAlone()
    {
        var ledger = WithPoints(1000);
        ledger.Hold("h1", 600, minutes: 10);

        Assert.Equal(new Points(400), ledger.Account.AvailableAt(Now.AddMinutes(10).AddTicks(-1)));
        Assert.Equal(new Points(1000), ledger.Account.AvailableAt(Now.AddMinutes(10)));
    }

    [Fact]
    public void Capture_WhenAReturnTookTheHeldPoints_IsRefused_NeverNegative()
    {
        var ledger = new MemoryLedger(Program with { Points = new PointsRules { AllowNegativeBalance = true } }, Now);
        ledger.Buy(300, id: "p1");
        ledger.Hold("h1", 300);
        ledger.Return("p1", 300);

        Assert.IsType<InsufficientPoints>(ledger.Capture("h1").Refusal);
        Assert.Equal(Points.Zero, ledger.Account.HeldAt(Now));
        ledger.AssertInvariants();
    }

    [Fact]
    public void Return_WhereNegativeBalancesAreOff_LeavesHeldPointsAlone_AndOwesTheRest()
    {
        var ledger = new MemoryLedger(Program, Now);
        ledger.Buy(300, id: "p1");
        ledger.Hold("h1", 200);

        var returned = ledger.Return("p1", 300).Result!;

        Assert.Equal((100L, 200L), (returned.PointsReversed, returned.PointsOwed));
        Assert.Equal(300L, ledger.Capture("h1", 200).Result!.CapturedPoints + returned.PointsReversed);
        ledger.AssertInvariants();
    }

    [Fact]
    public void DebitAdjustment_WhereNegativeBalancesAreOff_LeavesHeldPointsAlone()
    {
        var ledger = WithPoints(1000);
        ledger.Hold("h1", 700);

        Assert.Equal(new InsufficientPoints(1000, 301, 300, 700, 0), ledger.Adjust(-301).Refusal);
        Assert.NotNull(ledger.Adjust(-300).Result);
        Assert.Equal(700L, ledger.Capture("h1").Result!.CapturedPoints);
        ledger.AssertInvariants();
    }

    [Fact]
    public void PendingPoints_MatureAtTheStartOfTheDayInTheMembersZone()
    {
        var ledger = new MemoryLedger(Pending14, Now, Tokyo);

        // 23:30 on Nov 24 in Tokyo is 14:30 UTC; 14 days later the day starts at Dec 8 00:00 Tokyo = Dec 7 15:00 UTC.
        var bought = ledger.Buy(100, at: new DateTimeOffset(2026, 11, 24, 14, 30, 0, TimeSpan.Zero), id: "p1").Result!;
        var boundary = new DateTimeOffset(2026, 12, 7, 15, 0, 0, TimeSpan.Zero);

        Assert.Equal((100L, boundary), (bought.PointsPending, bought.AvailableAt!.Value));
        Assert.Equal((Points.Zero, new Points(100)), (ledger.Account.AvailableAt(boundary.AddTicks(-1)), ledger.Account.PendingAt(boundary.AddTicks(-1))));
        Assert.Equal((new Points(100), Points.Zero), (ledger.Account.AvailableAt(boundary), ledger.Account.PendingAt(boundary)));
    }

    [Fact]
    public void PendingPoints_CannotBeRedeemedOrHeld()
    {
        var ledger = new MemoryLedger(Pending14, Now);
        ledger.Buy(1000, id: "p1");

        Assert.Equal(new InsufficientPoints(1000, 150, 0, 0, 1000), ledger.Redeem(Coffee).Refusal);
        Assert.Equal(new InsufficientPoints(1000, 1, 0, 0, 1000), ledger.Hold("h1", 1).Refusal);

        ledger.Now = Now.AddDays(15);
        Assert.NotNull(ledger.Redeem(Coffee).Result);
        ledger.AssertInvariants();
    }

    [Fact]
    public void Return_InsideTheWindow_TakesPendingPointsFirst()
    {
        var ledger = new MemoryLedger(Pending14, Now);
        ledger.Adjust(200, "old");
        ledger.Buy(300, id: "p1");

        ledger.Return("p1", 100);

        Assert.Equal((new Points(400), new Points(200), new Points(200)), (ledger.Account.Balance, ledger.Account.PendingAt(Now), ledger.Account.AvailableAt(Now)));
        ledger.AssertInvariants();
    }

    [Fact]
    public void VoucherRedemption_IssuesAVoucherValidForTheRewardsDays_UsedOnce()
    {
        var ledger = WithPoints(1000);
        var code = ledger.Redeem(Voucher5, "r1").Result!.VoucherCode;

        var voucher = Assert.Single(ledger.Account.Vouchers);
        Assert.Equal((code, "voucher-5", "r1", new DateOnly(2026, 12, 24)), (voucher.Code, voucher.RewardId, voucher.Source, voucher.ExpiresOn));

        Assert.NotNull(ledger.Use(code, "u1").Result);
        Assert.Equal(VoucherStatus.Used, Assert.Single(ledger.Account.Vouchers).Status);
        Assert.IsType<VoucherUsed>(ledger.Use(code, "u2").Refusal);
        ledger.AssertInvariants();
    }

    [Fact]
    public void Voucher_ShowsExpiredOnItsDay_CannotBeUsed_AndTheNightlyJobWritesItDown()
    {
        var ledger = WithPoints(1000);
        var code = ledger.Redeem(Voucher5, "r1").Result!.VoucherCode;
        var day = new DateOnly(2026, 12, 24);
        ledger.Now = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

        Assert.Equal(VoucherStatus.Expired, ledger.Account.VouchersAt(ledger.Now).Single().Status);
        Assert.Equal(new VoucherNotUsable(code, "expired", day), ledger.Use(code, "u1").Refusal);
        Assert.Equal(1, ledger.Run(new ExpirePoints(MemoryLedger.Id, day, 1)).Result!.Vouchers);
        Assert.Equal(VoucherStatus.Expired, ledger.Account.Vouchers.Single().Status);
    }

    [Fact]
    public void CancelledRedemption_VoidsItsVoucher_AndAUsedVoucherCannotBeCancelled()
    {
        var ledger = WithPoints(2000);
        var first = ledger.Redeem(Voucher5, "r1").Result!.VoucherCode;
        var second = ledger.Redeem(Voucher5, "r2").Result!.VoucherCode;
        ledger.Use(second, "u1");

        ledger.Cancel("r1");

        Assert.Equal(new VoucherNotUsable(first, "void", new DateOnly(2026, 12, 24)), ledger.Use(first, "u2").Refusal);
        Assert.IsType<VoucherUsed>(ledger.Cancel("r2").Refusal);
        Assert.Equal(new Points(1500), ledger.Account.Balance);
        ledger.AssertInvariants();
    }

    [Fact]
    public void GiftRedemption_IssuesNoVoucher()
    {
        var ledger = WithPoints(1000);
        ledger.Redeem(Coffee);

        Assert.Empty(ledger.Account.Vouchers);
    }

    [Fact]
    public void EarningByProduct_ExcludesGiftCards_RatesCategories_AndGivesFixedPointsPerSku()
    {
        var ledger = new MemoryLedger(Program, Now) { Account = new Account { EnrolledAt = Now, PurchaseCount = 1 } };

        var result = ledger.Buy(
            200,
            id: "p1",
            lines:
            [
                new PurchaseLine("gc-50", "gift-card", 1, 50),
                new PurchaseLine("deposit", null, 1, 5),
                new PurchaseLine("rioja", "wine", 1, 20),
                new PurchaseLine("novel", "books", 2, 30),
                new PurchaseLine("mug", "kitchen", 2, 15),
            ]).Result!;

        // wine 20 × 2 = 40, books 30 × 0.5 = 15, mug 2 × 40 = 80, the 80 no line describes at the rate: 80.
        Assert.Equal(215, result.PointsEarned);
        Assert.Equal(145m, ledger.Account.Months.Single().Value.Spend);
    }

    [Fact]
    public void Purchase_WithoutLines_EarnsAsBefore()
    {
        var ledger = new MemoryLedger(Program, Now) { Account = new Account { EnrolledAt = Now, PurchaseCount = 1 } };

        Assert.Equal(42, ledger.Buy(42.75m).Result!.PointsEarned);
    }

    private enum Step
    {
        Buy,
        Return,
        Adjust,
        Hold,
        Capture,
        Release,
        Redeem,
        Cancel,
        Use,
        Wait,
    }

    [Fact]
    public void AnySequenceOfTillOperations_KeepsEveryInvariant_AndNeverGoesNegativeWhereNotAllowed()
    {
        var step = Gen.Select(Gen.Enum<Step>(), Gen.Int[0, 4], Gen.Int[1, 400]);
        step.Array[1, 40].Sample(steps =>
        {
            var ledger = new MemoryLedger(Pending14, Now);
            var redeemed = new List<(string Id, string Code)>();
            for (var i = 0; i < steps.Length; i++)
            {
                var (kind, pick, n) = steps[i];
                var id = $"x{pick}";
                _ = kind switch
                {
                    Step.Buy => ledger.Buy(n, at: ledger.Now.AddMinutes(-1), id: $"p{i}").Refusal,
                    Step.Return => Try(() => ledger.Return($"p{pick}", 1, $"r{i}").Refusal),
                    Step.Adjust => ledger.Adjust(n - 100, $"a{i}").Refusal,
                    Step.Hold => ledger.Hold($"h{i}", n, minutes: 1 + pick).Refusal,
                    Step.Capture => Try(() => ledger.Capture($"h{i - pick - 1}", (i - pick) % 2 == 0 ? null : 50).Refusal),
                    Step.Release => Try(() => ledger.Release($"h{i - pick - 1}").Refusal),
                    Step.Redeem => Redeemed(ledger.Redeem(Voucher5, $"d{i}")),
                    Step.Cancel => Try(() => ledger.Cancel(redeemed.Count > pick ? redeemed[pick].Id : "none").Refusal),
                    Step.Use => ledger.Use(redeemed.Count > pick ? redeemed[pick].Code : "none", $"u{i}").Refusal,
                    _ => Waited(ledger, TimeSpan.FromDays(pick * 4) + TimeSpan.FromMinutes(n)),
                };
                ledger.AssertInvariants();
                Assert.True(ledger.Account.Balance >= Points.Zero, $"balance {ledger.Account.Balance} after step {i} {kind}");
                Assert.True(ledger.Account.AvailableAt(ledger.Now) >= Points.Zero);
                Assert.Equal(ledger.Ledger.Sum(e => e.Points.Value), ledger.Account.Balance.Value);
            }

            Refusal? Redeemed(Outcome<RedemptionResult> o)
            {
                if (o.Result is { } r)
                {
                    redeemed.Add((r.RedemptionId, r.VoucherCode));
                }

                return o.Refusal;
            }
        }, iter: 2000);
    }

    // An operation on something that does not exist (the related record is missing) is what the store answers 404 for.
    private static Refusal? Try(Func<Refusal?> run)
    {
        try
        {
            return run();
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    private static Refusal? Waited(MemoryLedger ledger, TimeSpan time)
    {
        ledger.Now += time;
        return null;
    }
}
