using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary>The points metrics are counted from what each commit wrote, so over any day they add up to the ledger of
/// that day, kind by kind, whichever operation moved the points.</summary>
public sealed class PointsMetricsTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public async Task EveryMovementOfPoints_OverEachDay_AddsUpToTheLedger()
    {
        var clock = new FakeTimeProvider(PointsScenario.Start);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            ["LOYALTY_PROGRAM_FILE"] = PointsScenario.ProgramFile,
        });
        var client = await app.StartAsync();
        var meters = app.Service<System.Diagnostics.Metrics.IMeterFactory>();
        using var moved = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsMoved, clock);
        using var issued = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsIssued, clock);
        using var redeemed = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsRedeemed, clock);
        using var expired = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsExpired, clock);
        using var tiers = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.TierChanges, clock);
        using var vouchers = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.Vouchers, clock);
        using var held = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsHeld, clock);
        var (ben, ana, cy) = await PointsScenario.RunAsync(client, clock);

        var ledger = new List<(DateOnly Day, string Kind, long Points)>();
        foreach (var member in new[] { ben, ana, cy })
        {
            ledger.AddRange(await PointsScenario.LedgerAsync(client, member));
        }

        var measured = moved.GetMeasurementSnapshot()
            .Select(m => (Day: DateOnly.FromDateTime(m.Timestamp.UtcDateTime), Kind: (string)m.Tags["kind"]!, Points: (string)m.Tags["direction"]! == "credit" ? m.Value : -m.Value))
            .ToList();
        Assert.Equal(4, ledger.Select(e => e.Day).Distinct().Count());
        foreach (var day in ledger.Select(e => e.Day).Union(measured.Select(m => m.Day)))
        {
            Assert.Equal(ledger.Where(e => e.Day == day).Sum(e => e.Points), measured.Where(m => m.Day == day).Sum(m => m.Points));
            foreach (var kind in ledger.Select(e => e.Kind).Union(measured.Select(m => m.Kind)))
            {
                Assert.True(
                    ledger.Where(e => e.Day == day && e.Kind == kind).Sum(e => e.Points) == measured.Where(m => m.Day == day && m.Kind == kind).Sum(m => m.Points),
                    $"{kind} on {day}: ledger {ledger.Where(e => e.Day == day && e.Kind == kind).Sum(e => e.Points)}, metrics {measured.Where(m => m.Day == day && m.Kind == kind).Sum(m => m.Points)}");
            }
        }

        // Every kind and source of movement is there, with the rule an entry names and nothing a person wrote.
        var all = moved.GetMeasurementSnapshot();
        foreach (var (kind, direction, source, rule) in new[]
        {
            ("earn", "credit", "purchase", "none"),
            ("bonus", "credit", "purchase", "first-purchase"),
            ("bonus", "credit", "purchase", "big-order"),
            ("bonus", "credit", "purchase", "pastry-triple"),
            ("bonus", "credit", "purchase", "launch-week"),
            ("bonus", "credit", "purchase", "spend-150-in-2"),
            ("bonus", "credit", "referral", "referral"),
            ("adjust", "credit", "adjust", "none"),
            ("adjust", "debit", "adjust", "none"),
            ("redeem", "debit", "redeem", "coffee"),
            ("reverse", "credit", "cancel", "none"),
            ("reverse", "debit", "return", "none"),
            ("reverse", "debit", "purchase", "owed"),
            ("expire", "debit", "expire", "none"),
            ("burn", "debit", "capture", "none"),
        })
        {
            Assert.True(
                all.Any(m => m.MatchesTags(("kind", kind), ("direction", direction), ("source", source), ("rule", rule))),
                $"no {kind} {direction} from {source} naming {rule}");
        }

        Assert.All(all, m => Assert.Equal(["direction", "kind", "rule", "source"], m.Tags.Keys.Order(StringComparer.Ordinal)));
        Assert.Equal(ledger.Where(e => e.Kind is "earn" or "bonus" && e.Points > 0).Sum(e => e.Points), issued.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(-ledger.Where(e => e.Kind == "redeem").Sum(e => e.Points), redeemed.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(-ledger.Where(e => e.Kind == "expire").Sum(e => e.Points), expired.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.True(expired.GetMeasurementSnapshot().EvaluateAsCounter() > 0);
        Assert.Contains(tiers.GetMeasurementSnapshot(), m => m.MatchesTags(("from", "member"), ("to", "silver"), ("source", "purchase")));
        Assert.Contains(vouchers.GetMeasurementSnapshot(), m => m.MatchesTags(("status", "issued"), ("reward", "voucher-10"), ("source", "purchase")));
        Assert.Contains(vouchers.GetMeasurementSnapshot(), m => m.MatchesTags(("status", "used"), ("reward", "voucher-10"), ("source", OperationKinds.VoucherUse)));

        // Held points: what was placed, and how each hold ended; a capture takes exactly what its burn entry debits.
        var holds = held.GetMeasurementSnapshot();
        long Held(string status, string source) => holds.Where(m => m.MatchesTags(("status", status), ("source", source))).Sum(m => m.Value);
        Assert.Equal(180, Held("held", OperationKinds.Hold));
        Assert.Equal(60, Held("captured", OperationKinds.Capture));
        Assert.Equal(-ledger.Where(e => e.Kind == "burn").Sum(e => e.Points), Held("captured", OperationKinds.Capture));
        Assert.Equal(40, Held("released", OperationKinds.Capture));
        Assert.Equal(50, Held("released", OperationKinds.Release));
        Assert.Equal(30, Held("lapsed", OperationKinds.Hold));
        Assert.Equal(180, holds.Where(m => (string?)m.Tags["status"] != "held").Sum(m => m.Value));
    }
}
