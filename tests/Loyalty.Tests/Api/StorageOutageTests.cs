using System.Net;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

public sealed class StorageOutageTests
{
    [Fact]
    public async Task RecordPurchase_StorageDown_Returns503WithRetryAfter()
    {
        await using var app = new LoyaltyApp(Azurite.Unreachable());
        var client = app.CreateClient();

        using var response = await client.PostJsonAsync("/api/purchases", A.Purchase(A.Id("m")).ToJson());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("/problems/storage-unavailable", (await response.ReadProblemAsync()).Type);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task PutMember_StorageDown_Returns503()
    {
        await using var app = new LoyaltyApp(Azurite.Unreachable());
        var client = app.CreateClient();

        using var response = await client.PutJsonAsync($"/api/members/{A.Id("m")}", "{}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
