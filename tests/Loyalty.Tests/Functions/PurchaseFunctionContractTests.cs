using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Functions;

/// <summary>Each payload shape the Functions host may send for the purchase functions (Fixtures/Functions), posted to
/// the handler as the host posts it: the documented response comes back, and the outcome is the one the trigger
/// needs (2xx completes the message; anything else retries it, then poisons / dead-letters it).</summary>
public sealed class PurchaseFunctionContractTests(Azurite azurite)
{
    private const string FromQueue = "RecordPurchaseFromQueue";
    private const string FromServiceBus = "RecordPurchaseFromServiceBus";

    [Theory]
    [InlineData("queue-documented.json", FromQueue, "3b0f7d52-8c1e-4f6a-9d27-5e4c1b8a2f90")]
    [InlineData("queue-host-encoded.json", FromQueue, "9e61a4c0-2b7d-4e85-b3f2-71d0c9a6e548")]
    [InlineData("queue-object.json", FromQueue, "c4d8e2f1-6a3b-4c9d-8e7f-1a2b3c4d5e6f")]
    [InlineData("servicebus-host-encoded.json", FromServiceBus, "order-20261124-000017")]
    [InlineData("servicebus-binary.json", FromServiceBus, "order-20261124-000018")]
    public async Task PayloadShape_ValidPurchase_CompletesWithTheDocumentedResponseAndCreditsThePoints(string fixture, string function, string messageId)
    {
        await using var app = new LoyaltyApp(azurite);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var values = InvocationBodies.Values(member);

        using var response = await client.InvokeAsync(function, Fixtures.Load($"Functions/{fixture}", values));

        var logs = await response.ReadInvocationResultAsync(HttpStatusCode.OK);
        Assert.Contains(logs, l => l.Contains(messageId, StringComparison.Ordinal) && l.Contains(values["purchaseId"], StringComparison.Ordinal));
        Assert.Equal(42, await client.BalanceAsync(member));
    }

    [Theory]
    [InlineData("queue-host-encoded.json", FromQueue)]
    [InlineData("servicebus-host-encoded.json", FromServiceBus)]
    public async Task PayloadShape_SamePurchaseDeliveredTwice_CompletesBothAndCreditsOnce(string fixture, string function)
    {
        await using var app = new LoyaltyApp(azurite);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var body = Fixtures.Load($"Functions/{fixture}", InvocationBodies.Values(member));

        using var first = await client.InvokeAsync(function, body);
        using var second = await client.InvokeAsync(function, body);

        await first.ReadInvocationResultAsync(HttpStatusCode.OK);
        Assert.Contains(await second.ReadInvocationResultAsync(HttpStatusCode.OK), l => l.Contains("already recorded", StringComparison.Ordinal));
        Assert.Equal(42, await client.BalanceAsync(member));
        Assert.Single(await client.LedgerAsync(member));
    }

    [Fact]
    public async Task QueueMessage_NotJson_FailsWith400NamingTheMessage()
    {
        await using var app = new LoyaltyApp(azurite);
        var client = await app.StartAsync();
        var body = Fixtures.Load("Functions/queue-host-encoded.json", InvocationBodies.Values(A.Id("m")));
        body["Data"]!["message"] = "\"{\\\"purchaseId\\\": \"";

        using var response = await client.InvokeAsync(FromQueue, body);

        var logs = await response.ReadInvocationResultAsync(HttpStatusCode.BadRequest);
        Assert.Contains(logs, l => l.Contains("9e61a4c0-2b7d-4e85-b3f2-71d0c9a6e548", StringComparison.Ordinal) && l.Contains("malformed JSON", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueueMessage_InvalidPurchase_FailsWith400ListingTheFieldErrorsButNotTheValues()
    {
        var capture = new LogCapture();
        await using var app = new LoyaltyApp(azurite);
        await using var logged = app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(capture)));
        var client = logged.CreateClient();
        var member = A.Id("m");
        var body = Fixtures.Load("Functions/queue-object.json", InvocationBodies.Values(member));
        body["Data"]!["message"]!["amount"] = -5;
        body["Data"]!["message"]!["storeId"] = "store with spaces +14255550123";

        using var response = await client.InvokeAsync(FromQueue, body);

        var logs = await response.ReadInvocationResultAsync(HttpStatusCode.BadRequest);
        Assert.Contains(logs, l => l.Contains("amount: Must be greater than zero", StringComparison.Ordinal) && l.Contains("storeId:", StringComparison.Ordinal));
        var warning = Assert.Single(capture.Lines, l => l.Contains("c4d8e2f1-6a3b-4c9d-8e7f-1a2b3c4d5e6f", StringComparison.Ordinal));
        Assert.Contains("amount: Must be greater than zero", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(capture.Lines.Concat(logs), l => l.Contains("+14255550123", StringComparison.Ordinal) || l.Contains(member, StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueueMessage_UnknownMember_FailsWith404()
    {
        await using var app = new LoyaltyApp(azurite);
        var client = await app.StartAsync();

        using var response = await client.InvokeAsync(FromQueue, Fixtures.Load("Functions/queue-documented.json", InvocationBodies.Values(A.Id("nobody"))));

        Assert.Contains(await response.ReadInvocationResultAsync(HttpStatusCode.NotFound), l => l.Contains("unknown member", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueueMessage_PurchaseIdReusedWithOtherContent_FailsWith409()
    {
        await using var app = new LoyaltyApp(azurite);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var values = InvocationBodies.Values(member);
        using var first = await client.InvokeAsync(FromQueue, Fixtures.Load("Functions/queue-object.json", values));
        var changed = Fixtures.Load("Functions/queue-object.json", values);
        changed["Data"]!["message"]!["amount"] = 99;

        using var response = await client.InvokeAsync(FromQueue, changed);

        await first.ReadInvocationResultAsync(HttpStatusCode.OK);
        Assert.Contains(await response.ReadInvocationResultAsync(HttpStatusCode.Conflict), l => l.Contains("idempotency conflict", StringComparison.Ordinal));
        Assert.Equal(42, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task QueueMessage_StorageDown_FailsWith503SoTheTriggerRetries()
    {
        await using var app = new LoyaltyApp(Azurite.Unreachable());
        var client = app.CreateClient();

        using var response = await client.InvokeAsync(FromQueue, Fixtures.Load("Functions/queue-documented.json", InvocationBodies.Values(A.Id("m"))));

        Assert.Contains(await response.ReadInvocationResultAsync(HttpStatusCode.ServiceUnavailable), l => l.Contains("retried", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invocation_WithoutTheMessageBinding_FailsWith400()
    {
        await using var app = new LoyaltyApp(azurite);
        var client = app.CreateClient();
        var body = new JsonObject { ["Data"] = new JsonObject { ["other"] = "x" }, ["Metadata"] = new JsonObject() };

        using var response = await client.InvokeAsync(FromServiceBus, body);

        Assert.Contains(await response.ReadInvocationResultAsync(HttpStatusCode.BadRequest), l => l.Contains("Data.message is missing", StringComparison.Ordinal));
    }
}
