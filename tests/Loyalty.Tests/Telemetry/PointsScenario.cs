using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary>Every way points move, over four days and a nightly expiry five months on, through the HTTP API of an app
/// running <see cref="ProgramFile"/> on <see cref="Start"/>'s fake clock: what the points metrics are checked on, in
/// process (<see cref="PointsMetricsTests"/>) and as they arrive at ingestion (<see cref="TelemetryIngestionTests"/>).</summary>
public static class PointsScenario
{
    public static readonly DateTimeOffset Start = new(2027, 1, 4, 10, 0, 0, TimeSpan.Zero);

    public static string ProgramFile { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.model.strict.json");

    /// <summary>Runs the days; each step must succeed. Returns the three members.</summary>
    public static async Task<(string Ben, string Ana, string Cy)> RunAsync(HttpClient client, FakeTimeProvider clock)
    {
        var (ben, ana, cy) = (A.Id("ben"), A.Id("ana"), A.Id("cy"));
        var send = new Sender(client);

        // Day 1: enrolment, purchases with every kind of bonus (ana's first purchase also earns ben his referral bonus),
        // adjustments both ways, a redemption cancelled and one kept; cy buys.
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
        var cyOrder = A.Id("p");
        await send.Post("/api/purchases", Purchase(cyOrder, cy, 100m));

        // Day 3, once day 1's points are no longer pending (two days): a partial return; cy spends her points, returns
        // the purchase that earned them (the rest is owed), and her next purchase pays what she owes; ben reaches silver.
        clock.Advance(TimeSpan.FromDays(2));
        await send.Post("/api/returns", $$"""{"returnId":"{{A.Id("ret")}}","purchaseId":"{{anaOrder}}","memberId":"{{ana}}","amount":4.40,"occurredAt":"{{Iso(clock)}}"}""");
        await send.Post($"/api/members/{cy}/redemptions", $$"""{"redemptionId":"{{A.Id("r")}}","rewardId":"coffee"}""");
        await send.Post("/api/returns", $$"""{"returnId":"{{A.Id("ret")}}","purchaseId":"{{cyOrder}}","memberId":"{{cy}}","amount":100,"occurredAt":"{{Iso(clock)}}"}""");
        await send.Post("/api/purchases", Purchase(A.Id("p"), cy, 50m));
        await send.Post("/api/purchases", Purchase(A.Id("p"), ben, 200m));

        // Day 5: at the till ben holds 100 points and the order takes 60 (the rest
        // goes back), holds 40 and lets them go, holds 30 that run out unused, and pays
        // with the voucher his spend earned.
        clock.Advance(TimeSpan.FromDays(2));
        var (captured, released) = (A.Id("h"), A.Id("h"));
        await send.Post($"/api/members/{ben}/holds", $$"""{"holdId":"{{captured}}","points":100}""");
        await send.Post($"/api/members/{ben}/holds/{captured}/capture", $$"""{"orderId":"{{A.Id("o")}}","points":60}""");
        await send.Post($"/api/members/{ben}/holds", $$"""{"holdId":"{{released}}","points":40}""");
        await send.Post($"/api/members/{ben}/holds/{released}/release", "{}");
        await send.Post($"/api/members/{ben}/holds", $$"""{"holdId":"{{A.Id("h")}}","points":30,"expiresInMinutes":5}""");
        using (var active = await client.GetAsync($"/api/members/{ben}/vouchers?status=active"))
        {
            var code = JsonNode.Parse(await active.Content.ReadAsStringAsync())!.AsArray()[0]!["code"]!.GetValue<string>();
            await send.Post($"/api/vouchers/{code}/uses", $$"""{"useId":"{{A.Id("u")}}","orderId":"{{A.Id("o")}}"}""");
        }

        // Ten minutes on, his next hold (10 points, let go) drops the one that ran out.
        clock.Advance(TimeSpan.FromMinutes(10));
        var next = A.Id("h");
        await send.Post($"/api/members/{ben}/holds", $$"""{"holdId":"{{next}}","points":10}""");
        await send.Post($"/api/members/{ben}/holds/{next}/release", "{}");

        // Five months on, the nightly expiry takes what is left of those lots.
        clock.Advance(TimeSpan.FromDays(150));
        using (var run = await client.PostJsonAsync("/ExpirePoints", Fixtures.Load("Functions/timer.json").ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        }

        return (ben, ana, cy);
    }

    public static async Task<IEnumerable<(DateOnly Day, string Kind, long Points)>> LedgerAsync(HttpClient client, string member)
    {
        using var response = await client.GetAsync($"/api/members/{member}/ledger?limit=200");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("entries").EnumerateArray().Select(e => (
            DateOnly.FromDateTime(e.GetProperty("recordedAt").GetDateTimeOffset().UtcDateTime),
            e.GetProperty("kind").GetString()!,
            e.GetProperty("points").GetInt64()))];
    }

    private static string Purchase(string id, string member, decimal amount, string? store = null, decimal? pastry = null)
    {
        var lines = pastry is { } p ? $$""","lines":[{"sku":"croissant","category":"pastry","quantity":2,"amount":{{p.ToString(CultureInfo.InvariantCulture)}}}]""" : "";
        var storeId = store is null ? "" : $$""","storeId":"{{store}}" """;
        return $$"""{"purchaseId":"{{id}}","memberId":"{{member}}","amount":{{amount.ToString(CultureInfo.InvariantCulture)}},"currency":"USD","occurredAt":"{{Start.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture)}}"{{storeId}}{{lines}}}""";
    }

    private static string Iso(TimeProvider clock) => clock.GetUtcNow().AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);

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
