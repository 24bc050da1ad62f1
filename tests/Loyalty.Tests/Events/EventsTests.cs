using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Jobs;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Events;

/// <summary>Every operation publishes its events, through the real pipeline on Azurite to a fake Event Grid topic: the
/// type, subject <c>members/{id}</c>, the data's figures and the member's sequence number, and nothing personal. The
/// events published here are also checked against the AsyncAPI catalogue the app serves. Program:
/// Fixtures/program.integrity.json (negative balances off, a pastry promotion, a spend threshold with a voucher, tiers).</summary>
public sealed class EventsTests(PrivateAzurite azurite) : IAsyncLifetime, IClassFixture<PrivateAzurite>
{
    private FakeEventGridTopic topic = null!;
    private LoyaltyApp app = null!;
    private HttpClient client = null!;

    private FakeTimeProvider Clock => app.Time!;

    public async ValueTask InitializeAsync()
    {
        topic = await FakeEventGridTopic.StartAsync();
        var settings = topic.Settings();
        settings["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.integrity.json");
        app = new LoyaltyApp(azurite, new FakeTimeProvider(A.Now), settings);
        client = await app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        await topic.DisposeAsync();
    }

    [Fact]
    public async Task EveryOperation_PublishesItsEvents_InSequence_WithIdsAndFiguresOnly()
    {
        var id = A.Id("m");
        await Send(HttpMethod.Put, $"/api/members/{id}", """{"firstName":"Zelda","phone":"+14255550188","birthday":"1990-04-02"}""", HttpStatusCode.Created);
        await Send(HttpMethod.Put, $"/api/members/{id}", """{"firstName":"Zelda","phone":"+14255550199","birthday":"1990-04-02","smsOptIn":true}""", HttpStatusCode.OK);
        var purchase = A.Id("p");
        await Send(HttpMethod.Post, "/api/purchases", Purchase(id, purchase, 600m, """[{"sku":"croissant","category":"pastry","quantity":10,"amount":100}]"""), HttpStatusCode.Created);
        var redemption = A.Id("c");
        await Send(HttpMethod.Post, $"/api/members/{id}/redemptions", $$"""{"redemptionId":"{{redemption}}","rewardId":"coffee"}""", HttpStatusCode.Created);
        await Send(HttpMethod.Post, $"/api/members/{id}/redemptions/{redemption}/cancel", null, HttpStatusCode.OK);
        var adjustment = A.Id("a");
        await Send(HttpMethod.Post, $"/api/members/{id}/adjustments", $$"""{"adjustmentId":"{{adjustment}}","points":10,"reason":"Zelda's coffee was cold"}""", HttpStatusCode.Created);
        var returnId = A.Id("r");
        await Send(HttpMethod.Post, "/api/returns", $$"""{"returnId":"{{returnId}}","purchaseId":"{{purchase}}","memberId":"{{id}}","amount":600,"occurredAt":"{{Iso(Clock.GetUtcNow())}}"}""", HttpStatusCode.Created);
        await Send(HttpMethod.Delete, $"/api/members/{id}", null, HttpStatusCode.NoContent);

        var events = await PublishedAsync(id, 14);

        Assert.Equal(Enumerable.Range(1, 14).Select(i => i.ToString("D19", CultureInfo.InvariantCulture)), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal($"members/{id}", e.Subject));
        Assert.All(events, e => Assert.Equal($"{id}:{e.Seq}", e.Id));
        Assert.All(events, e => Assert.Equal("/programs/integrity", e.Source));
        Assert.Equal(
            [
                "loyalty.member.enrolled", "loyalty.member.updated", "loyalty.consent.changed", "loyalty.points.earned", "loyalty.tier.changed",
                "loyalty.voucher.issued", "loyalty.reward.redeemed", "loyalty.redemption.cancelled", "loyalty.points.adjusted", "loyalty.points.returned",
                "loyalty.tier.changed", "loyalty.voucher.voided", "loyalty.member.erased", "loyalty.consent.changed",
            ],
            events.Select(e => e.Type));

        Assert.False(events[0].Data.GetProperty("referred").GetBoolean());
        Assert.Equal(["phone", "smsOptIn"], events[1].Data.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("api", events[2].Data.GetProperty("channel").GetString());
        Assert.True(events[2].Data.GetProperty("smsOptIn").GetBoolean());

        var earned = events[3].Data;
        Assert.Equal(purchase, earned.GetProperty("purchaseId").GetString());
        Assert.Equal(600m, earned.GetProperty("amount").GetDecimal());
        Assert.Equal(600, earned.GetProperty("basePoints").GetInt64());
        Assert.Equal("""[{"rule":"pastry-double","points":100}]""", earned.GetProperty("bonuses").GetRawText());
        Assert.Equal(700, earned.GetProperty("points").GetInt64());
        Assert.Equal(700, earned.GetProperty("balance").GetInt64());

        Assert.Equal("""{"from":"member","to":"silver","reason":"purchase","reference":"PURCHASE"}""".Replace("PURCHASE", purchase, StringComparison.Ordinal), events[4].Data.GetRawText());
        var voucher = events[5].Data.GetProperty("code").GetString();
        Assert.Equal("voucher-5", events[5].Data.GetProperty("rewardId").GetString());
        Assert.Equal("spend-200", events[5].Data.GetProperty("source").GetString());
        Assert.Equal(150, events[6].Data.GetProperty("pointsSpent").GetInt64());
        Assert.Equal(550, events[6].Data.GetProperty("balance").GetInt64());
        Assert.Equal(150, events[7].Data.GetProperty("pointsRestored").GetInt64());
        Assert.Equal(700, events[7].Data.GetProperty("balance").GetInt64());
        Assert.Equal(10, events[8].Data.GetProperty("points").GetInt64());
        Assert.Equal(710, events[8].Data.GetProperty("balance").GetInt64());

        var returned = events[9].Data;
        Assert.Equal(700, returned.GetProperty("pointsReversed").GetInt64());
        Assert.Equal(0, returned.GetProperty("pointsOwed").GetInt64());
        Assert.Equal([voucher], returned.GetProperty("vouchersVoided").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(10, returned.GetProperty("balance").GetInt64());
        Assert.Equal("silver", events[10].Data.GetProperty("from").GetString());
        Assert.Equal("member", events[10].Data.GetProperty("to").GetString());
        Assert.Equal("return", events[10].Data.GetProperty("reason").GetString());
        Assert.Equal(voucher, events[11].Data.GetProperty("code").GetString());
        Assert.Equal(returnId, events[11].Data.GetProperty("reference").GetString());

        // Ids and figures only: no name, phone, birthday or free text (the adjustment's reason names someone).
        var everything = string.Join("\n", events.Select(e => e.Raw.GetRawText()));
        foreach (var personal in new[] { "Zelda", "4255550188", "4255550199", "1990", "cold" })
        {
            Assert.DoesNotContain(personal, everything, StringComparison.Ordinal);
        }

        Assert.Empty(topic.Refused);
    }

    [Fact]
    public async Task TheTill_PublishesHoldsCapturesReleasesAndVoucherUses()
    {
        var id = A.Id("m");
        await Send(HttpMethod.Put, $"/api/members/{id}", "{}", HttpStatusCode.Created);
        await Send(HttpMethod.Post, $"/api/members/{id}/adjustments", $$"""{"adjustmentId":"{{A.Id("a")}}","points":1000,"reason":"start"}""", HttpStatusCode.Created);
        var (captured, released, redemption, order) = (A.Id("h"), A.Id("h"), A.Id("c"), A.Id("o"));
        await Send(HttpMethod.Post, $"/api/members/{id}/holds", $$"""{"holdId":"{{captured}}","points":300}""", HttpStatusCode.Created);
        await Send(HttpMethod.Post, $"/api/members/{id}/holds/{captured}/capture", $$"""{"orderId":"{{order}}","points":200}""", HttpStatusCode.OK);
        await Send(HttpMethod.Post, $"/api/members/{id}/holds", $$"""{"holdId":"{{released}}","points":100}""", HttpStatusCode.Created);
        await Send(HttpMethod.Post, $"/api/members/{id}/holds/{released}/release", null, HttpStatusCode.OK);
        await Send(HttpMethod.Post, $"/api/members/{id}/redemptions", $$"""{"redemptionId":"{{redemption}}","rewardId":"voucher-5"}""", HttpStatusCode.Created);
        var code = (await app.Service<MemberStore>().GetAsync(MemberId.Parse(id), default))!.Account.Vouchers.Single().Code;
        await Send(HttpMethod.Post, $"/api/vouchers/{code}/uses", $$"""{"useId":"{{A.Id("u")}}","orderId":"{{order}}"}""", HttpStatusCode.Created);

        var events = await PublishedAsync(id, 9);

        Assert.Equal(
            [
                "loyalty.member.enrolled", "loyalty.points.adjusted", "loyalty.points.held", "loyalty.points.captured", "loyalty.points.held",
                "loyalty.hold.released", "loyalty.reward.redeemed", "loyalty.voucher.issued", "loyalty.voucher.used",
            ],
            events.Select(e => e.Type));
        var capture = events[3].Data;
        Assert.Equal((captured, order, 200L, 100L, 800L), (capture.GetProperty("holdId").GetString(), capture.GetProperty("orderId").GetString(),
            capture.GetProperty("points").GetInt64(), capture.GetProperty("releasedPoints").GetInt64(), capture.GetProperty("balance").GetInt64()));
        Assert.Equal(redemption, events[7].Data.GetProperty("source").GetString());
        Assert.Equal(code, events[8].Data.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Bonuses_Expiry_TierReview_AndSmsConsent_PublishTheirEvents()
    {
        var referrer = A.Id("m");
        var referred = A.Id("m");
        await Send(HttpMethod.Put, $"/api/members/{referrer}", "{}", HttpStatusCode.Created);
        await Send(HttpMethod.Put, $"/api/members/{referred}", $$"""{"referredBy":"{{referrer}}"}""", HttpStatusCode.Created);
        await Send(HttpMethod.Post, "/api/purchases", Purchase(referred, A.Id("p"), 520m), HttpStatusCode.Created);
        var store = app.Service<MemberStore>();
        Assert.Equal(ConsentOutcome.Changed, await store.ApplyKeywordAsync(MemberId.Parse(referred), "+14255550100", SmsKeyword.OptIn, Clock.GetUtcNow(), new ConsentSource("sms", A.Id("sms"), "member"), default));

        var referrerEvents = await PublishedAsync(referrer, 2);
        Assert.True((await PublishedAsync(referred, 1))[0].Data.GetProperty("referred").GetBoolean());
        var bonus = referrerEvents[1];
        Assert.Equal("loyalty.points.earned", bonus.Type);
        Assert.Equal(referred, bonus.Data.GetProperty("reference").GetString());
        Assert.Equal(JsonValueKind.Null, bonus.Data.GetProperty("purchaseId").ValueKind);
        Assert.Equal("""[{"rule":"referral","points":500}]""", bonus.Data.GetProperty("bonuses").GetRawText());
        Assert.Equal(500, bonus.Data.GetProperty("points").GetInt64());

        // A year and a month on, the purchase's points expire (and the voucher, valid 90 days, with them) and the silver
        // tier is reviewed away.
        Clock.Advance(TimeSpan.FromDays(400));
        var jobs = app.Service<NightlyJobs>();
        Assert.Empty((await jobs.ExpirePointsAsync(default)).Failed);
        Assert.Empty((await jobs.ReviewTiersAsync(default)).Failed);

        var events = await PublishedAsync(referred, 8);
        Assert.Equal(
            [
                "loyalty.member.enrolled", "loyalty.points.earned", "loyalty.tier.changed", "loyalty.voucher.issued", "loyalty.consent.changed",
                "loyalty.points.expired", "loyalty.voucher.expired", "loyalty.tier.changed",
            ],
            events.Select(e => e.Type));
        Assert.Equal("sms", events[4].Data.GetProperty("channel").GetString());
        var expired = events[5].Data;
        Assert.Equal(520, expired.GetProperty("points").GetInt64());
        Assert.Equal(1, expired.GetProperty("lots").GetInt32());
        Assert.Equal(1, expired.GetProperty("part").GetInt32());
        Assert.Equal(0, expired.GetProperty("balance").GetInt64());
        Assert.Equal("tier-review", events[7].Data.GetProperty("reason").GetString());
        Assert.Equal("member", events[7].Data.GetProperty("to").GetString());
    }

    [Fact]
    public async Task AsyncApiCatalogue_DescribesEveryEventPublished()
    {
        var id = A.Id("m");
        await Send(HttpMethod.Put, $"/api/members/{id}", "{}", HttpStatusCode.Created);
        await Send(HttpMethod.Post, "/api/purchases", Purchase(id, A.Id("p"), 600m), HttpStatusCode.Created);
        await PublishedAsync(id, 4);
        using var response = await client.GetAsync("/api/asyncapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("3.0.0", (string?)document["asyncapi"]);
        var messages = document["components"]!["messages"]!.AsObject();
        Assert.Equal(EventCatalogTypes(), messages.Select(m => (string)m.Value!["name"]!).Order());

        // Every event the topic received in this class's tests validates against its message's schema.
        foreach (var e in topic.Received)
        {
            EventCatalogueTests.AssertMatches(document, e.Raw);
        }
    }

    private static IEnumerable<string> EventCatalogTypes() => Loyalty.Domain.Events.EventCatalog.All.Select(k => k.Type).Order();

    private async Task<IReadOnlyList<ReceivedEvent>> PublishedAsync(string member, int count)
    {
        await Eventually.TrueAsync(() => topic.Received.Select(e => e.Id).Distinct().Count(i => i.StartsWith(member + ":", StringComparison.Ordinal)) >= count, $"{count} events of {member} are published (requests {topic.Requests}, refused: {string.Join("; ", topic.Refused)})", TimeSpan.FromSeconds(30));
        return [.. topic.Received.Where(e => e.Member == member).DistinctBy(e => e.Id).OrderBy(e => e.Seq)];
    }

    private async Task Send(HttpMethod method, string url, string? json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        Assert.True(expected == response.StatusCode, $"{method} {url}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private string Purchase(string member, string id, decimal amount, string? lines = null) =>
        $$"""{"purchaseId":"{{id}}","memberId":"{{member}}","amount":{{amount.ToString(CultureInfo.InvariantCulture)}},"currency":"USD","occurredAt":"{{Iso(Clock.GetUtcNow().AddMinutes(-1))}}"{{(lines is null ? "" : $",\"lines\":{lines}")}}}""";

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
