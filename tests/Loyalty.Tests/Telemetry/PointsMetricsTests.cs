using System.Globalization;
using System.Net;
using System.Text.Json;
using Loyalty.Adapters.Storage;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary>The points metrics are counted from what each commit wrote, so over any day they add up to the ledger of
/// that day, kind by kind, whichever operation moved the points.</summary>
public sealed class PointsMetricsTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    private static readonly DateTimeOffset Start = new(2027, 1, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task EveryMovementOfPoints_OverEachDay_AddsUpToTheLedger()
    {
        var clock = new FakeTimeProvider(Start);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.model.strict.json"),
        });
        var client = await app.StartAsync();
        var meters = app.Service<System.Diagnostics.Metrics.IMeterFactory>();
        using var moved = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsMoved, clock);
        using var issued = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsIssued, clock);
        using var redeemed = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsRedeemed, clock);
        using var expired = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsExpired, clock);
        using var tiers = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.TierChanges, clock);
        using var vouchers = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.Vouchers, clock);
        var (ben, ana, cy) = (A.Id("ben"), A.Id("ana"), A.Id("cy"));
        var send = new Sender(client);

        // Day 1: enrolment, purchases with every kind of bonus (ana's first purchase also earns ben his referral bonus),
        // adjustments both ways, a redemption cancelled and one kept.
        await send.Put($"/api/members/{ben}", A.Member().ToJson());
        await send.Put($"/api/members/{ana}", (A.Member() with { ReferredBy = ben }).ToJson());
        await send.Put($"/api/members/{cy}", A.Member().ToJson());
        var anaOrder = A.Id("p");
        await send.Post("/api/purchases", Purchase(anaOrder, ana, 12.40m, store: "store-a", pastry: 8m));
        await send.Post("/api/purchases", Purchase(A.Id("p"), ben, 250m));
        await send.Post($"/api/members/{ben}/adjustments", $$"""{"adjustmentId":"{{A.Id("a")}}","points":30,"reason":"Coffee machine broke"}""");
        await send.Post($"/api/members/{ben}/adjustments", $$"""{"adjustmentId":"{{A.Id("a")}}","points":-10,"reason":"Duplicate visit"}""");
        var cancelled = A.Id("r");
        await send.Post($"/api/members/{ben}/redemptions", $$"""{"redemptionId":"{{cancelled}}","rewardId":"coffee"}""");
        await send.Post($"/api/members/{ben}/redemptions/{cancelled}/cancel", "{}");
        await send.Post($"/api/members/{ben}/redemptions", $$"""{"redemptionId":"{{A.Id("r")}}","rewardId":"coffee"}""");

        // Day 2: a partial return; cy spends her points, returns the purchase that earned them (the rest is owed), and
        // her next purchase pays what she owes; ben reaches silver.
        clock.Advance(TimeSpan.FromDays(1));
        await send.Post("/api/returns", $$"""{"returnId":"{{A.Id("ret")}}","purchaseId":"{{anaOrder}}","memberId":"{{ana}}","amount":4.40,"occurredAt":"{{Iso(clock)}}"}""");
        var cyOrder = A.Id("p");
        await send.Post("/api/purchases", Purchase(cyOrder, cy, 100m));
        await send.Post($"/api/members/{cy}/redemptions", $$"""{"redemptionId":"{{A.Id("r")}}","rewardId":"coffee"}""");
        await send.Post("/api/returns", $$"""{"returnId":"{{A.Id("ret")}}","purchaseId":"{{cyOrder}}","memberId":"{{cy}}","amount":100,"occurredAt":"{{Iso(clock)}}"}""");
        await send.Post("/api/purchases", Purchase(A.Id("p"), cy, 50m));
        await send.Post("/api/purchases", Purchase(A.Id("p"), ben, 200m));

        // Five months on, the nightly expiry takes what is left of those lots.
        clock.Advance(TimeSpan.FromDays(150));
        using (var run = await client.PostJsonAsync("/ExpirePoints", Fixtures.Load("Functions/timer.json").ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        }

        var ledger = new List<(DateOnly Day, string Kind, long Points)>();
        foreach (var member in new[] { ben, ana, cy })
        {
            ledger.AddRange(await LedgerAsync(client, member));
        }

        var measured = moved.GetMeasurementSnapshot()
            .Select(m => (Day: DateOnly.FromDateTime(m.Timestamp.UtcDateTime), Kind: (string)m.Tags["kind"]!, Points: (string)m.Tags["direction"]! == "credit" ? m.Value : -m.Value))
            .ToList();
        Assert.Equal(3, ledger.Select(e => e.Day).Distinct().Count());
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
    }

    private static string Purchase(string id, string member, decimal amount, string? store = null, decimal? pastry = null)
    {
        var lines = pastry is { } p ? $$""","lines":[{"sku":"croissant","category":"pastry","quantity":2,"amount":{{p.ToString(CultureInfo.InvariantCulture)}}}]""" : "";
        var storeId = store is null ? "" : $$""","storeId":"{{store}}" """;
        return $$"""{"purchaseId":"{{id}}","memberId":"{{member}}","amount":{{amount.ToString(CultureInfo.InvariantCulture)}},"currency":"USD","occurredAt":"{{Start.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture)}}"{{storeId}}{{lines}}}""";
    }

    private static string Iso(TimeProvider clock) => clock.GetUtcNow().AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);

    private static async Task<IEnumerable<(DateOnly Day, string Kind, long Points)>> LedgerAsync(HttpClient client, string member)
    {
        using var response = await client.GetAsync($"/api/members/{member}/ledger?limit=200");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("entries").EnumerateArray().Select(e => (
            DateOnly.FromDateTime(e.GetProperty("recordedAt").GetDateTimeOffset().UtcDateTime),
            e.GetProperty("kind").GetString()!,
            e.GetProperty("points").GetInt64()))];
    }

    // Each step must succeed: a refused step would leave the sums trivially equal.
    private sealed class Sender(HttpClient client)
    {
        public async Task Put(string url, string json)
        {
            using var response = await client.PutJsonAsync(url, json);
            Assert.True(response.IsSuccessStatusCode, $"PUT {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        public async Task Post(string url, string json)
        {
            using var response = await client.PostJsonAsync(url, json);
            Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
