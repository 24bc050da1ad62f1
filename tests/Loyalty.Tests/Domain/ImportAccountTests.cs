using CsCheck;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Tests.Domain;

/// <summary><see cref="ImportAccount"/> with plain values: whatever history the import recorded first, the account ends
/// holding exactly the opening balance (less lots whose day had passed), with every invariant, and a replay changes
/// nothing.</summary>
public sealed class ImportAccountTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    private static readonly ProgramDefinition Program = new()
    {
        Name = "Import",
        Currencies = new Dictionary<string, CurrencyRule> { ["USD"] = new() },
        Tiers = new TierRules
        {
            GraceMonths = 1,
            Levels =
            [
                new TierLevel { Id = "member", Threshold = 0 },
                new TierLevel { Id = "silver", Threshold = 500, Multiplier = 1.5m },
            ],
        },
        Bonuses = new BonusRules
        {
            FirstPurchase = new FixedBonus { Points = 50 },
            SpendThresholds = [new SpendThreshold { Id = "spend-300", Spend = 300, WithinMonths = 6, RewardId = "coffee" }],
        },
        Rewards = [new Reward { Id = "coffee", Name = new Dictionary<string, string> { ["en"] = "Coffee" }, PointsCost = 150 }],
    };

    private static readonly Gen<(int Amount, int DaysAgo)> Purchase = Gen.Select(Gen.Int[1, 600], Gen.Int[0, 500]);

    // A lot's day relative to today (from two months ago to more than a year ahead), or never (401).
    private static readonly Gen<(int Points, int? Day)> OpeningLot = Gen.Select(Gen.Int[1, 5_000], Gen.Int[-60, 401], (points, day) => (points, day == 401 ? (int?)null : day));

    [Fact]
    public void AnyHistoryAndOpeningLots_EndAsTheOpeningBalance_WithEveryInvariant_AndReplayOnce() =>
        Gen.Select(Purchase.Array[0, 8], OpeningLot.Array[0, 6], Gen.Long[0, 2_000], Gen.Int[0, 2]).Sample((purchases, lots, undated, tier) =>
        {
            var ledger = new MemoryLedger(Program, Now);
            for (var i = 0; i < purchases.Length; i++)
            {
                ledger.Buy(purchases[i].Amount, Now.AddDays(-purchases[i].DaysAgo), $"old{i}");
            }

            var opening = lots.DistinctBy(l => l.Day).Select(l => new Lot(l.Day is { } d ? Today.AddDays(d) : null, new Points(l.Points))).ToList();
            var lifetime = ledger.Account.Lifetime;
            var import = new ImportAccount(MemoryLedger.Id, opening, new Points(undated), tier == 2 ? null : Program.Tiers.Levels[tier].Id, null, purchases.Length, "source");

            var outcome = ledger.Run(import);

            Assert.Null(outcome.Refusal);
            var kept = opening.Where(l => l.ExpiresOn is not { } day || day >= Today).Sum(l => l.Remaining.Value) + undated;
            Assert.Equal(kept, ledger.Account.Balance.Value);
            Assert.Equal(lifetime.Value + opening.Sum(l => l.Remaining.Value) + undated, ledger.Account.Lifetime.Value);
            Assert.DoesNotContain(ledger.Account.Vouchers, v => v.Status == VoucherStatus.Active);
            ledger.AssertInvariants();

            var seq = ledger.Account.LastSeq;
            Assert.Equal(outcome.Result, ledger.Run(import).Result);
            Assert.Equal(seq, ledger.Account.LastSeq);
        }, iter: 2_000);

    [Fact]
    public void AnAccountWithAnythingButTheImportedHistory_IsRefused_AndKeepsItsPoints()
    {
        var ledger = new MemoryLedger(Program, Now);
        ledger.Buy(40, Now.AddDays(-3), "old1");
        ledger.Adjust(70);

        var outcome = ledger.Run(new ImportAccount(MemoryLedger.Id, [], new Points(500), null, null, HistoryPurchases: 1, "source"));

        Assert.Equal(new AccountNotEmpty(40 + 50 + 70, 1, 1), outcome.Refusal);
        Assert.Equal(160, ledger.Account.Balance.Value);
    }
}
