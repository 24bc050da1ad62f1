using System.Net;
using System.Text.Json;
using Loyalty.Functions.Members;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Storage;

/// <summary>The member row cache through the real pipeline, with two app instances on one Azurite: a purchase right after a
/// lookup commits in one member transaction (no read), and whatever the other instance wrote meanwhile, every answer is
/// the one a fresh read gives: a stale ETag is decided again, a replay is a replay, a reused id is a conflict, and a
/// request refused after losing the race claims nothing.</summary>
public sealed class MemberCacheTests(Azurite azurite) : IAsyncLifetime
{
    private readonly RequestCounter requests = new();
    private LoyaltyApp first = null!;
    private LoyaltyApp second = null!;
    private HttpClient a = null!;
    private HttpClient b = null!;

    public async ValueTask InitializeAsync()
    {
        var clock = new FakeTimeProvider(A.Now);
        first = new LoyaltyApp(azurite, clock, services: requests.AddTo);
        second = new LoyaltyApp(azurite, clock);
        a = await first.StartAsync();
        b = await second.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task PurchaseAfterLookup_CommitsWithTheClaimAndOneTransaction_NoRead()
    {
        var member = await EnrollAsync(a);
        await Created(a, A.Purchase(member)); // the day's hints and the pending-events hint are written once

        await Lookup(a, member);
        var purchase = await requests.CountAsync(() => Created(a, A.Purchase(member)));

        Assert.Equal(2, purchase);
        Assert.Equal(20, await Balance(b, member));
    }

    [Fact]
    public async Task PurchaseAfterLookup_WithTheCacheOff_ReadsTheMemberFirst()
    {
        var counted = new RequestCounter();
        await using var off = CacheOff(counted);
        var client = await off.StartAsync();
        var member = await EnrollAsync(client);
        await Created(client, A.Purchase(member));

        await Lookup(client, member);
        var purchase = await counted.CountAsync(() => Created(client, A.Purchase(member)));

        Assert.Equal(3, purchase);
    }

    [Fact]
    public async Task ColdPurchase_ReadsTheMemberAndClaimsTheOrderIdInOneRoundTrip_ThenCommits()
    {
        var counted = new RequestCounter();
        await using var off = CacheOff(counted);
        var client = await off.StartAsync();
        var member = await EnrollAsync(client);
        await Created(client, A.Purchase(member));

        counted.WaitsForCompany = RequestCounter.IsRead;
        var purchase = await counted.CountAsync(() => Created(client, A.Purchase(member)));

        Assert.Equal(3, purchase);
        Assert.Equal(2, counted.RoundTrips);
    }

    [Fact]
    public async Task FirstPurchaseInAnInstance_WritesItsHintsTogether_InAtMostThreeRoundTrips()
    {
        var member = await EnrollAsync(a);
        var counted = new RequestCounter();
        await using var fresh = CacheOff(counted);
        var client = await fresh.StartAsync();

        // The read with the claim; the index hints (last purchase, lot expiry) with the pending-events hint this instance
        // has not written yet; then the transaction.
        counted.WaitsForCompany = RequestCounter.IsNotTransaction;
        var purchase = await counted.CountAsync(() => Created(client, A.Purchase(member)));

        // Three round trips, or two when the read answers before the claim: the hints do not wait for the claim.
        Assert.Equal(6, purchase);
        Assert.InRange(counted.RoundTrips, 2, 3);
    }

    [Fact]
    public async Task FirstPurchaseOfTheDay_AfterALookup_WritesItsHintsWithTheClaim_ThenCommits()
    {
        var member = await EnrollAsync(a);
        await Lookup(a, member);

        // Decided on the row the lookup read: the claim and the day's index hints (last purchase, lot expiry) together,
        // then the transaction. (The pending-events hint was written by the enrolment, less than a minute ago.)
        requests.WaitsForCompany = RequestCounter.IsNotTransaction;
        var purchase = await requests.CountAsync(() => Created(a, A.Purchase(member)));

        Assert.Equal((4, 2), (purchase, requests.RoundTrips));
        Assert.Equal(10, await Balance(b, member));
    }

    [Fact]
    public async Task StaleETag_TheOtherInstanceWroteAfterTheLookup_DecidesAgainOnAFreshRead()
    {
        var member = await EnrollAsync(a);
        await Lookup(a, member);
        await Created(b, A.Purchase(member).WithAmount(7));

        var body = await Created(a, A.Purchase(member).WithAmount(5));

        Assert.Equal(12, body.GetProperty("balance").GetInt64());
        Assert.Equal(12, await Balance(b, member));
        Assert.Equal(12, await Balance(a, member));

        // The commit kept the row it wrote: the next purchase on this instance is one transaction again.
        Assert.Equal(2, await requests.CountAsync(() => Created(a, A.Purchase(member).WithAmount(1))));
        Assert.Equal(13, await Balance(b, member));
    }

    [Fact]
    public async Task Replay_AfterACachedCommit_AnswersTheFirstResultOnBothInstances_AndCreditsOnce()
    {
        var member = await EnrollAsync(a);
        await Lookup(a, member);
        var purchase = A.Purchase(member).WithAmount(10);
        var created = await Created(a, purchase);

        using var again = await a.PostJsonAsync("/api/purchases", purchase.ToJson());
        using var elsewhere = await b.PostJsonAsync("/api/purchases", purchase.ToJson());

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (again.StatusCode, elsewhere.StatusCode));
        Assert.Equal(created.GetProperty("pointsEarned").GetInt64(), (await again.ReadAsync<JsonElement>()).GetProperty("pointsEarned").GetInt64());
        Assert.Equal(created.GetProperty("pointsEarned").GetInt64(), (await elsewhere.ReadAsync<JsonElement>()).GetProperty("pointsEarned").GetInt64());
        Assert.Equal(10, await Balance(a, member));
        Assert.Equal(10, await Balance(b, member));
    }

    [Fact]
    public async Task UsedId_WithOtherContent_OrForAnotherMember_Is409_AfterACachedCommit()
    {
        var member = await EnrollAsync(a);
        var other = await EnrollAsync(a);
        await Lookup(a, member);
        await Lookup(a, other);
        var purchase = A.Purchase(member).WithAmount(10);
        await Created(a, purchase);

        using var changed = await a.PostJsonAsync("/api/purchases", purchase.WithAmount(20).ToJson());
        using var changedElsewhere = await b.PostJsonAsync("/api/purchases", purchase.WithAmount(20).ToJson());
        using var otherMember = await a.PostJsonAsync("/api/purchases", (purchase with { MemberId = other }).ToJson());

        Assert.Equal(
            (HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.Conflict),
            (changed.StatusCode, changedElsewhere.StatusCode, otherMember.StatusCode));
        Assert.Equal((10, 0), (await Balance(b, member), await Balance(b, other)));
    }

    [Fact]
    public async Task RefusedAfterLosingTheRace_ClaimsNothing_TheIdStaysFreeForAnotherMember()
    {
        var member = await EnrollAsync(a);
        var other = await EnrollAsync(a);
        await Lookup(a, member);
        using (var erase = await b.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/members/{member}") { Headers = { { "x-actor", "support:test" } } }))
        {
            Assert.Equal(HttpStatusCode.NoContent, erase.StatusCode);
        }

        // This instance's row says the member is there: the purchase is decided on it, claims its id, loses the ETag race
        // to the erasure, and is refused on the fresh read, as it would have been without the cache.
        var purchase = A.Purchase(member).WithAmount(10);
        using var refused = await a.PostJsonAsync("/api/purchases", purchase.ToJson());
        using var reused = await a.PostJsonAsync("/api/purchases", (purchase with { MemberId = other }).ToJson());

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("erased", (await refused.ReadProblemAsync()).Type, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, reused.StatusCode);
        Assert.Equal(10, await Balance(b, other));
    }

    [Fact]
    public async Task Refused_OnTheCachedRow_IsDecidedAgain_WhenTheOtherInstanceMadeItPossible()
    {
        var member = await EnrollAsync(a);
        await Lookup(a, member);
        using (var added = await b.PostJsonAsync($"/api/members/{member}/adjustments", $$"""{"adjustmentId":"{{A.Id("adj")}}","points":50,"reason":"support"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        // The cached row has no points; the member as stored has 50.
        using var taken = await a.PostJsonAsync($"/api/members/{member}/adjustments", $$"""{"adjustmentId":"{{A.Id("adj")}}","points":-30,"reason":"support"}""");

        Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
        Assert.Equal(20, await Balance(b, member));
    }

    /// <summary>Another instance on the same Azurite with the member cache off, its storage requests counted.</summary>
    private LoyaltyApp CacheOff(RequestCounter counted) =>
        new(azurite, new FakeTimeProvider(A.Now), new Dictionary<string, string?> { ["MemberCache:Enabled"] = "false" }, counted.AddTo);

    private static async Task<string> EnrollAsync(HttpClient client)
    {
        var id = A.Id("m");
        using var response = await client.PutJsonAsync($"/api/members/{id}", A.Member().ToJson());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    private static async Task Lookup(HttpClient client, string member)
    {
        using var response = await client.GetAsync($"/api/members/{member}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<JsonElement> Created(HttpClient client, PurchaseJson purchase)
    {
        using var response = await client.PostJsonAsync("/api/purchases", purchase.ToJson());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<JsonElement>();
    }

    private static async Task<long> Balance(HttpClient client, string member)
    {
        using var response = await client.GetAsync($"/api/members/{member}");
        return (await response.ReadAsync<MemberResponse>()).Points.Balance;
    }
}
