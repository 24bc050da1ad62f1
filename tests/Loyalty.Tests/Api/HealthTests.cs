using System.Net;
using System.Net.Http.Json;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

public sealed class HealthTests(Azurite azurite)
{
    [Fact]
    public async Task Health_StorageAnswers_Returns200Ok()
    {
        await using var app = new LoyaltyApp(azurite);
        var client = await app.StartAsync();

        using var response = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["status"]);
    }

    [Fact]
    public async Task Health_StorageDown_Returns503()
    {
        await using var app = new LoyaltyApp(Azurite.Unreachable());
        var client = app.CreateClient();

        using var response = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unavailable", (await response.Content.ReadFromJsonAsync<Dictionary<string, string>>())!["status"]);
    }

    [Fact]
    public async Task Root_AnswersTheHostProbe()
    {
        await using var app = new LoyaltyApp(Azurite.Unreachable());
        var client = app.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
