using System.Net;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Members;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

public sealed class PurchasesApiTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task RecordPurchase_NewPurchase_Returns201WithPointsAndBalance()
    {
        var member = await fixture.EnrollAsync();

        using var response = await Client.PostJsonAsync("/api/purchases", A.Purchase(member).WithAmount(42.75m).ToJson());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = await response.ReadAsync<PurchaseResult>();
        Assert.Equal((member, 42L, 42L), (result.MemberId, result.PointsEarned, result.Balance));
    }

    [Fact]
    public async Task RecordPurchase_SamePurchaseTenTimesSequentially_CreditsOnce()
    {
        var member = await fixture.EnrollAsync();
        var purchase = A.Purchase(member).WithAmount(25m).ToJson();

        var statuses = new List<HttpStatusCode>();
        var results = new List<PurchaseResult>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await Client.PostJsonAsync("/api/purchases", purchase);
            statuses.Add(response.StatusCode);
            results.Add(await response.ReadAsync<PurchaseResult>());
        }

        Assert.Equal([HttpStatusCode.Created, .. Enumerable.Repeat(HttpStatusCode.OK, 9)], statuses);
        Assert.All(results, r => Assert.Equal(results[0] with { Vouchers = [] }, r with { Vouchers = [] }));
        Assert.Equal(25, (await GetMember(member)).Points.Balance);
    }

    [Fact]
    public async Task RecordPurchase_SamePurchaseTenTimesInParallel_CreditsOnce()
    {
        var member = await fixture.EnrollAsync();
        var purchase = A.Purchase(member).WithAmount(30m).ToJson();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Client.PostJsonAsync("/api/purchases", purchase)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(30, (await GetMember(member)).Points.Balance);
        Assert.Single((await GetLedger(member)).Entries);
    }

    [Fact]
    public async Task RecordPurchase_EquivalentBodyDifferentlyWritten_IsAReplay()
    {
        var member = await fixture.EnrollAsync();
        var id = A.Id("p");
        var first = $$"""{"purchaseId":"{{id}}","memberId":"{{member}}","amount":10,"currency":"USD","occurredAt":"2026-11-24T10:00:00Z"}""";
        var again = $$"""{"memberId":"{{member}}","purchaseId":"{{id}}","amount":10.00,"currency":"USD","occurredAt":"2026-11-24T13:00:00+03:00"}""";

        using var r1 = await Client.PostJsonAsync("/api/purchases", first);
        using var r2 = await Client.PostJsonAsync("/api/purchases", again);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (r1.StatusCode, r2.StatusCode));
    }

    [Fact]
    public async Task RecordPurchase_SameIdDifferentBody_Returns409AndCreditsNothingMore()
    {
        var member = await fixture.EnrollAsync();
        var purchase = A.Purchase(member).WithAmount(10m);
        using var first = await Client.PostJsonAsync("/api/purchases", purchase.ToJson());

        using var response = await Client.PostJsonAsync("/api/purchases", purchase.WithAmount(99m).ToJson());

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("/problems/idempotency-conflict", (await response.ReadProblemAsync()).Type);
        Assert.Equal(10, (await GetMember(member)).Points.Balance);
    }

    [Fact]
    public async Task RecordPurchase_UnknownMember_Returns404MemberNotFound()
    {
        using var response = await Client.PostJsonAsync("/api/purchases", A.Purchase(A.Id("nobody")).ToJson());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task RecordPurchase_FiftyInParallelFromSixteenClients_AllSucceedAndNoUpdateIsLost()
    {
        var member = await fixture.EnrollAsync();
        var amounts = Enumerable.Range(1, 50).Select(i => (decimal)i).ToArray();
        using var gate = new SemaphoreSlim(16);

        var statuses = await Task.WhenAll(amounts.Select(async amount =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await Client.PostJsonAsync("/api/purchases", A.Purchase(member).WithAmount(amount).ToJson());
                return response.StatusCode;
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        var after = await GetMember(member);
        Assert.Equal((long)amounts.Sum(), after.Points.Balance);
        var ledger = await GetLedger(member, 200);
        Assert.Equal(50, ledger.Entries.Count);
        Assert.Equal(after.Points.Balance, ledger.Entries.Sum(e => e.Points));
        Assert.Equal(Enumerable.Range(1, 50).Reverse().Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ledger.Entries.Select(e => e.EntryId));
    }

    [Fact]
    public async Task RecordPurchase_UpdatesMemberLastPurchaseAndNextExpiry()
    {
        var member = await fixture.EnrollAsync();

        using var response = await Client.PostJsonAsync("/api/purchases", (A.Purchase(member) with { OccurredAt = "2026-11-20T09:30:00+01:00" }).ToJson());

        var after = await GetMember(member);
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T08:30:00Z", System.Globalization.CultureInfo.InvariantCulture), after.LastPurchaseAt);
        Assert.Equal(new ExpiryResponse(10, new DateOnly(2027, 11, 20)), after.Points.NextExpiry);
    }

    private async Task<MemberResponse> GetMember(string id)
    {
        using var response = await Client.GetAsync($"/api/members/{id}");
        return await response.ReadAsync<MemberResponse>();
    }

    private async Task<LedgerPage> GetLedger(string id, int limit = 50)
    {
        using var response = await Client.GetAsync($"/api/members/{id}/ledger?limit={limit}");
        return await response.ReadAsync<LedgerPage>();
    }
}
