using System.Globalization;
using System.Net;
using System.Text.Json;
using Loyalty.Functions.Http;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Standalone;

/// <summary><c>POST /admin/functions/{name}</c>: runs a non-HTTP function now, as the Functions host's admin endpoint does.</summary>
public sealed class AdminFunctionsTests(Azurite azurite)
{
    [Fact]
    public async Task Admin_RunQueueFunctionWithAMessage_Answers202AndRecordsThePurchase()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        await using var app = new StandaloneApp(azurite, folder);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var occurredAt = TimeProvider.System.GetUtcNow().AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var message = JsonSerializer.Serialize(new { purchaseId = A.Id("p"), memberId = member, amount = 17.25m, currency = "USD", occurredAt });

        using var response = await client.PostJsonAsync("/admin/functions/RecordPurchaseFromQueue", JsonSerializer.Serialize(new { input = message }));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(async () => await client.BalanceAsync(member) == 17, "the purchase is recorded");
    }

    [Fact]
    public async Task Admin_RunTimerFunction_Answers202AndRunsItOnce()
    {
        var probe = new ProbeFunction("Nightly" + Guid.NewGuid().ToString("N")[..8]);
        using var folder = FunctionAppFolder.Create().WithTimer(probe.Name, "0 0 3 * * *");
        await using var app = new StandaloneApp(azurite, folder, services: probe.AddTo);
        var client = await app.StartAsync();

        using var response = await client.PostJsonAsync($"/admin/functions/{probe.Name}", """{ "input": "ignored" }""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(() => probe.Count == 1, "the timer function runs");
        Assert.False(Assert.Single(probe.Timers)!.IsPastDue);
    }

    [Theory]
    [InlineData("NoSuchFunction")]
    [InlineData("RecordPurchase")]
    public async Task Admin_UnknownOrHttpFunction_Returns404Problem(string name)
    {
        await using var app = new LoyaltyApp(azurite);
        var client = app.CreateClient();

        using var response = await client.PostJsonAsync($"/admin/functions/{name}", """{ "input": "" }""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(Problems.FunctionNotFound, (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task Admin_QueueFunctionWithoutInput_Returns400Problem()
    {
        await using var app = new LoyaltyApp(azurite);
        var client = app.CreateClient();

        using var response = await client.PostJsonAsync("/admin/functions/RecordPurchaseFromQueue", "{}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("input", (await response.ReadProblemAsync()).Errors!.Keys);
    }

    [Fact]
    public async Task Admin_WithoutTheApiKey_Returns401AndWithItPassesThrough()
    {
        await using var app = new LoyaltyApp(azurite, settings: new Dictionary<string, string?> { [ApiKey.SettingName] = "s3cret-key" });
        var client = app.CreateClient();

        using var without = await client.PostJsonAsync("/admin/functions/NoSuchFunction", "{}");
        client.DefaultRequestHeaders.Add(ApiKey.HeaderName, "s3cret-key");
        using var with = await client.PostJsonAsync("/admin/functions/NoSuchFunction", "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, with.StatusCode);
    }
}
