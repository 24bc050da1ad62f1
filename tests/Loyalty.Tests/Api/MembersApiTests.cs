using System.Net;
using Loyalty.Functions.Members;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

public sealed class MembersApiTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task PutMember_New_Returns201WithNormalisedProfile()
    {
        var id = A.Id("m");
        var body = """{"firstName":"  Wei ","phone":"+86 138 0013 8000","birthday":"--02-29","locale":"zh-cn","timeZone":"Asia/Shanghai","smsOptIn":true}""";

        using var response = await Client.PutJsonAsync($"/api/members/{id}", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/members/{id}", response.Headers.Location?.OriginalString);
        var m = await response.ReadAsync<MemberResponse>();
        Assert.Equal(
            (id, "Wei", "+8613800138000", "--02-29", "zh-CN", "Asia/Shanghai", true),
            (m.MemberId, m.FirstName, m.Phone, m.Birthday, m.Locale, m.TimeZone, m.SmsOptIn));
        Assert.Equal((0L, 0L, 0L, 0L, 0L, (ExpiryResponse?)null), (m.Points.Balance, m.Points.Available, m.Points.Lifetime, m.Points.Owed, m.Points.Pending, m.Points.NextExpiry));
        Assert.Equal(A.Now, m.EnrolledAt);
        Assert.Null(m.LastPurchaseAt);
    }

    [Fact]
    public async Task PutMember_Defaults_WhenFieldsAreOmitted()
    {
        var id = A.Id("m");

        using var response = await Client.PutJsonAsync($"/api/members/{id}", "{}");

        var m = await response.ReadAsync<MemberResponse>();
        Assert.Equal(("en", "UTC", false, (string?)null), (m.Locale, m.TimeZone, m.SmsOptIn, m.Phone));
    }

    [Fact]
    public async Task PutMember_Existing_Returns200AndKeepsPointsAndEnrolment()
    {
        var id = await fixture.EnrollAsync();
        using var purchase = await Client.PostJsonAsync("/api/purchases", A.Purchase(id).WithAmount(20m).ToJson());

        using var response = await Client.PutJsonAsync($"/api/members/{id}", """{"firstName":"Alicia","timeZone":"Europe/Moscow","locale":"ru"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var m = await response.ReadAsync<MemberResponse>();
        Assert.Equal(("Alicia", "Europe/Moscow", "ru", 20L), (m.FirstName, m.TimeZone, m.Locale, m.Points.Balance));
        Assert.Equal(A.Now, m.EnrolledAt);
    }

    [Fact]
    public async Task PutMember_SelfReferral_Returns400()
    {
        var id = A.Id("m");

        using var response = await Client.PutJsonAsync($"/api/members/{id}", $$"""{"referredBy":"{{id}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("referredBy", (await response.ReadProblemAsync()).Errors!.Keys);
    }

    [Fact]
    public async Task GetMember_Unknown_Returns404MemberNotFound()
    {
        using var response = await Client.GetAsync($"/api/members/{A.Id("nobody")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task GetLedger_PagesNewestFirstWithContinuation()
    {
        var id = await fixture.EnrollAsync();
        for (var i = 1; i <= 5; i++)
        {
            using var r = await Client.PostJsonAsync("/api/purchases", (A.Purchase(id) with { PurchaseId = $"p{i}" }).WithAmount(i).ToJson());
        }

        var pages = new List<LedgerPage>();
        string? continuation = null;
        do
        {
            using var response = await Client.GetAsync($"/api/members/{id}/ledger?limit=2" + (continuation is null ? "" : $"&continuation={continuation}"));
            var page = await response.ReadAsync<LedgerPage>();
            pages.Add(page);
            continuation = page.Continuation;
        }
        while (continuation is not null);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Entries.Count));
        var entries = pages.SelectMany(p => p.Entries).ToList();
        Assert.Equal(["p5", "p4", "p3", "p2", "p1"], entries.Select(e => e.Reference));
        Assert.Equal([15L, 10, 6, 3, 1], entries.Select(e => e.BalanceAfter));
        Assert.All(entries, e => Assert.Equal("earn", e.Kind));
    }

    [Fact]
    public async Task GetLedger_UnknownMember_Returns404()
    {
        using var response = await Client.GetAsync($"/api/members/{A.Id("nobody")}/ledger");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
