using System.Net;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

public sealed class ApiKeyTests(Azurite azurite)
{
    private const string Key = "test-key-0123456789";

    [Fact]
    public async Task ApiKeySet_RequestsWithoutOrWithWrongKey_Get401_HealthAndTheDocumentStayOpen()
    {
        await using var app = new LoyaltyApp(azurite, settings: new Dictionary<string, string?> { ["LOYALTY_API_KEY"] = Key });
        var client = await app.StartAsync();
        var id = A.Id("m");

        using var none = await client.GetAsync($"/api/members/{id}");
        using var wrong = await Send(client, HttpMethod.Get, $"/api/members/{id}", "test-key-0123456780");
        using var prefix = await Send(client, HttpMethod.Get, $"/api/members/{id}", Key[..^1]);
        using var openapi = await client.GetAsync("/api/openapi.json");
        using var right = await Send(client, HttpMethod.Get, $"/api/members/{id}", Key);
        using var health = await client.GetAsync("/api/health");

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK],
            new[] { none.StatusCode, wrong.StatusCode, prefix.StatusCode, openapi.StatusCode, right.StatusCode, health.StatusCode });
        Assert.Equal("/problems/unauthorized", (await none.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task ApiKeySet_PurchaseWithoutKey_RecordsNothing()
    {
        await using var app = new LoyaltyApp(azurite, settings: new Dictionary<string, string?> { ["LOYALTY_API_KEY"] = Key });
        var client = await app.StartAsync();
        var id = A.Id("m");
        using var enrolled = await Send(client, HttpMethod.Put, $"/api/members/{id}", Key, "{}");

        using var rejected = await client.PostJsonAsync("/api/purchases", A.Purchase(id).ToJson());
        using var ledger = await Send(client, HttpMethod.Get, $"/api/members/{id}/ledger", Key);

        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Contains("\"entries\":[]", await ledger.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ApiKeySet_FunctionInvocationRoutesNeedItToo_TheHostProbeDoesNot()
    {
        await using var app = new LoyaltyApp(azurite, settings: new Dictionary<string, string?> { ["LOYALTY_API_KEY"] = Key });
        var client = await app.StartAsync();

        using var invocation = await client.PostJsonAsync("/RecordPurchaseFromQueue", """{"Data":{"message":"{}"},"Metadata":{}}""");
        using var probe = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Unauthorized, invocation.StatusCode);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }

    [Fact]
    public async Task UnderTheFunctionsHost_TheSettingIsIgnored_TheHostChecksFunctionKeys()
    {
        await using var app = new LoyaltyApp(azurite, settings: new Dictionary<string, string?>
        {
            ["LOYALTY_API_KEY"] = Key,
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "7099",
        });
        var client = await app.StartAsync();

        using var response = await client.GetAsync($"/api/members/{A.Id("m")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("x-functions-key", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return client.SendAsync(request);
    }
}
