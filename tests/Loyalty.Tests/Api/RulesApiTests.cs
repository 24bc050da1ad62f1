using System.Net;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Jobs;
using Loyalty.Functions.Members;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Api;

/// <summary>Returns, adjustments, referrals and the nightly jobs through the real pipeline on Azurite, with the
/// rules of Fixtures/program.rules.json and a clock the tests move.</summary>
public sealed class RulesApiTests(PrivateAzurite azurite) : IAsyncLifetime, IClassFixture<PrivateAzurite>
{
    private readonly LoyaltyApp app = new(azurite, new FakeTimeProvider(A.Now), new Dictionary<string, string?>
    {
        ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.rules.json"),
    });

    private HttpClient client = null!;

    private FakeTimeProvider Clock => app.Time!;

    public async ValueTask InitializeAsync() => client = await app.StartAsync();

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private async Task<string> Enroll(string? referredBy = null)
    {
        var id = A.Id("m");
        using var r = await client.PutJsonAsync($"/api/members/{id}", (A.Member() with { ReferredBy = referredBy }).ToJson());
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return id;
    }

    private async Task<PurchaseResult> Buy(string member, decimal amount, string? id = null)
    {
        var purchase = (A.Purchase(member) with { PurchaseId = id ?? A.Id("p"), OccurredAt = Clock.GetUtcNow().AddMinutes(-1).ToString("O") }).WithAmount(amount);
        using var r = await client.PostJsonAsync("/api/purchases", purchase.ToJson());
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        return await r.ReadAsync<PurchaseResult>();
    }

    private async Task<MemberResponse> Member(string id)
    {
        using var r = await client.GetAsync($"/api/members/{id}");
        return await r.ReadAsync<MemberResponse>();
    }

    private async Task<List<LedgerEntryResponse>> Ledger(string id)
    {
        using var r = await client.GetAsync($"/api/members/{id}/ledger?limit=200");
        return [.. (await r.ReadAsync<LedgerPage>()).Entries];
    }

    private Task<HttpResponseMessage> Return(string member, string purchaseId, decimal amount, string? returnId = null) =>
        client.PostJsonAsync("/api/returns", $$"""{"returnId":"{{returnId ?? A.Id("r")}}","purchaseId":"{{purchaseId}}","memberId":"{{member}}","amount":{{amount}},"occurredAt":"{{Clock.GetUtcNow():O}}"}""");

    [Fact]
    public async Task Purchase_EarnsBonusesAsSeparateEntries_AndUpgradesTierAtOnce()
    {
        var member = await Enroll();

        var result = await Buy(member, 500);

        Assert.Equal((575L, "silver"), (result.PointsEarned, result.Tier));
        var ledger = await Ledger(member);
        Assert.Equal(["tier:silver", "bonus:big-order", "bonus:first-purchase", "earn:"], ledger.Select(e => $"{e.Kind}:{e.Note}"));
        Assert.Equal("silver", (await Member(member)).Tier);
    }

    [Fact]
    public async Task Return_ReversesInProportion_IsIdempotent_AndNeverExceedsThePurchase()
    {
        var member = await Enroll();
        var purchase = await Buy(member, 100, "order-1");
        var returnId = A.Id("r");

        using var first = await Return(member, "order-1", 40, returnId);
        using var again = await Return(member, "order-1", 40, returnId);
        using var tooMuch = await Return(member, "order-1", 60.01m);
        using var rest = await Return(member, "order-1", 60);
        using var beyond = await Return(member, "order-1", 0.01m);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        var r1 = await first.ReadAsync<ReturnResult>();
        Assert.Equal((40L, 60m), (r1.PointsReversed, r1.Returnable));
        Assert.Equivalent(r1, await again.ReadAsync<ReturnResult>(), strict: true);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMuch.StatusCode);
        Assert.Equal("/problems/return-exceeds-purchase", (await tooMuch.ReadProblemAsync()).Type);
        Assert.Equal(60, (await rest.ReadAsync<ReturnResult>()).PointsReversed);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, beyond.StatusCode);
        Assert.Equal(purchase.PointsEarned - 100, (await Member(member)).Points.Balance);
    }

    [Fact]
    public async Task ConcurrentReturnsOfOnePurchase_NeverTakeBackMoreThanItEarned()
    {
        var member = await Enroll();
        await Buy(member, 100, "order-2");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Return(member, "order-2", 30)));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));
        Assert.Equal(-90, (await Ledger(member)).Where(e => e.Kind == "reverse").Sum(e => e.Points));
    }

    [Fact]
    public async Task Return_UnknownPurchaseOrOtherMembersPurchase_Returns404()
    {
        var owner = await Enroll();
        var other = await Enroll();
        await Buy(owner, 10, "order-3");

        using var unknown = await Return(owner, "no-such-order", 5);
        using var wrongMember = await Return(other, "order-3", 5);

        Assert.Equal("/problems/purchase-not-found", (await unknown.ReadProblemAsync()).Type);
        Assert.Equal(HttpStatusCode.NotFound, wrongMember.StatusCode);
    }

    [Fact]
    public async Task Adjustment_AddsOrTakesPointsWithTheReason_Idempotently()
    {
        var member = await Enroll();
        var body = $$"""{"adjustmentId":"{{member}}-goodwill-1","points":120,"reason":"Coffee machine broke"}""";

        using var first = await client.PostJsonAsync($"/api/members/{member}/adjustments", body);
        using var replay = await client.PostJsonAsync($"/api/members/{member}/adjustments", body);
        using var take = await client.PostJsonAsync($"/api/members/{member}/adjustments", $$"""{"adjustmentId":"{{member}}-fix-1","points":-20,"reason":"Double entry"}""");
        using var zero = await client.PostJsonAsync($"/api/members/{member}/adjustments", """{"adjustmentId":"z","points":0,"reason":"x"}""");
        using var noReason = await client.PostJsonAsync($"/api/members/{member}/adjustments", """{"adjustmentId":"n","points":5}""");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Created), (first.StatusCode, replay.StatusCode, take.StatusCode));
        Assert.Equal(100, (await take.ReadAsync<AdjustmentResult>()).Balance);
        Assert.Contains("points", (await zero.ReadProblemAsync()).Errors!.Keys);
        Assert.Contains("reason", (await noReason.ReadProblemAsync()).Errors!.Keys);
        Assert.Equal(["adjust:Double entry", "adjust:Coffee machine broke"], (await Ledger(member)).Select(e => $"{e.Kind}:{e.Note}"));
    }

    [Fact]
    public async Task Referral_CreditsTheReferrerOnceOnTheFirstPurchase()
    {
        var referrer = await Enroll();
        var friend = await Enroll(referredBy: referrer);

        await Buy(friend, 10, "f-1");
        await Buy(friend, 10, "f-1");
        await Buy(friend, 10, "f-2");

        var bonus = Assert.Single(await Ledger(referrer));
        Assert.Equal(("bonus", 500L, "referral", friend), (bonus.Kind, bonus.Points, bonus.Note, bonus.Reference));
    }

    [Fact]
    public async Task Referral_UnknownReferrerOrChangingItLater_IsRejected()
    {
        var referrer = await Enroll();
        var member = await Enroll(referredBy: referrer);
        var someoneElse = await Enroll();

        using var unknown = await client.PutJsonAsync($"/api/members/{A.Id("m")}", """{"referredBy":"nobody-at-all"}""");
        using var change = await client.PutJsonAsync($"/api/members/{member}", $$"""{"referredBy":"{{someoneElse}}"}""");
        using var loop = await client.PutJsonAsync($"/api/members/{referrer}", $$"""{"referredBy":"{{member}}"}""");
        using var keep = await client.PutJsonAsync($"/api/members/{member}", """{"firstName":"Renamed"}""");

        Assert.Contains("referredBy", (await unknown.ReadProblemAsync()).Errors!.Keys);
        Assert.Contains("referredBy", (await change.ReadProblemAsync()).Errors!.Keys);
        Assert.Contains("referredBy", (await loop.ReadProblemAsync()).Errors!.Keys);
        Assert.Equal(referrer, (await keep.ReadAsync<MemberResponse>()).ReferredBy);
    }

    [Fact]
    public async Task ExpirePoints_AfterTwelveMonths_ExpiresTheLotOnce_AndShowsNextExpiryUntilThen()
    {
        var member = await Enroll();
        await Buy(member, 80);
        Assert.Equal(new ExpiryResponse(130, new DateOnly(2027, 11, 24)), (await Member(member)).Points.NextExpiry);
        var jobs = app.Service<NightlyJobs>();

        Clock.SetUtcNow(new DateTimeOffset(2027, 11, 23, 1, 0, 0, TimeSpan.Zero));
        var dayBefore = await jobs.ExpirePointsAsync(CancellationToken.None);
        Clock.SetUtcNow(new DateTimeOffset(2027, 11, 24, 1, 0, 0, TimeSpan.Zero));
        await jobs.ExpirePointsAsync(CancellationToken.None);
        var again = await jobs.ExpirePointsAsync(CancellationToken.None);

        Assert.Equal(0, dayBefore.Changed);
        Assert.Equal(0, again.Looked);
        var after = await Member(member);
        Assert.Equal((0L, (ExpiryResponse?)null), (after.Points.Balance, after.Points.NextExpiry));
        var expire = Assert.Single(await Ledger(member), e => e.Kind == "expire");
        Assert.Equal((-130L, "lot 2027-11-24"), (expire.Points, expire.Note));
    }

    [Theory]
    [InlineData("ExpirePoints", "expire")]
    [InlineData("ReviewTiers", "tier-review")]
    public async Task JobFunctions_AnswerTheTimerInvocationWithTheProtocolResponse(string function, string job)
    {
        using var response = await client.PostJsonAsync($"/{function}", Fixtures.Load("Functions/timer.json").ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, body.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.RootElement.GetProperty("ReturnValue").ValueKind);
        Assert.StartsWith($"{job} for 2026-11-24", body.RootElement.GetProperty("Logs")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewTiers_MovesDownOneTierAtReview_NotBefore()
    {
        var member = await Enroll();
        await Buy(member, 1500);
        Assert.Equal("gold", (await Member(member)).Tier);
        var jobs = app.Service<NightlyJobs>();

        // Gold is kept for the 12-month window plus a month of grace; then the member, with no spend, drops to silver.
        Clock.SetUtcNow(new DateTimeOffset(2027, 12, 23, 2, 0, 0, TimeSpan.Zero));
        await jobs.ReviewTiersAsync(CancellationToken.None);
        var before = (await Member(member)).Tier;
        Clock.SetUtcNow(new DateTimeOffset(2027, 12, 24, 2, 0, 0, TimeSpan.Zero));
        await jobs.ReviewTiersAsync(CancellationToken.None);
        await jobs.ReviewTiersAsync(CancellationToken.None);
        var after = (await Member(member)).Tier;

        Assert.Equal(("gold", "silver"), (before, after));
        Assert.Equal(["tier:silver", "tier:gold"], (await Ledger(member)).Where(e => e.Kind == "tier").Select(e => $"{e.Kind}:{e.Note}"));
    }
}
