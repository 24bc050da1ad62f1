using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Storage.Queues;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Standalone;

/// <summary>The standalone runner on real Storage queues (Azurite) and a real socket: messages become the same
/// protocol calls the Functions host makes, with the host's retry and poison semantics. Each test has its own queue
/// (a copied function folder) except the 500-message test, which is the only one on the real <c>purchases</c>.</summary>
public sealed class QueueRunnerTests(Azurite azurite)
{
    private const string Function = "RecordPurchaseFromQueue";

    [Fact]
    public async Task QueueRunner_500PurchasesWithDuplicatesAndMalformed_RecordsEachValidOnceAndPoisonsEveryMalformed()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite, "purchases");
        using var folder = FunctionAppFolder.Create().WithFunction(Function);
        await using var app = new StandaloneApp(azurite, folder);
        var client = await app.StartAsync();
        var random = new Random(20261124);
        var members = Enumerable.Range(0, 10).Select(_ => A.Id("m")).ToList();
        foreach (var member in members)
        {
            await client.EnrollAsync(member);
        }

        var valid = Enumerable.Range(0, 425).Select(_ => Purchase(members[random.Next(members.Count)], random.Next(100, 20000) / 100m)).ToList();
        var duplicates = Enumerable.Range(0, 50).Select(_ => valid[random.Next(valid.Count)]).ToList();
        var malformed = Enumerable.Range(0, 25).Select(i => Malformed(i, members[0])).ToList();
        var messages = valid.Select(p => p.Json).Concat(duplicates.Select(p => p.Json)).Concat(malformed).OrderBy(_ => random.Next()).ToList();

        foreach (var chunk in messages.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(m => queue.SendMessageAsync(m)));
        }

        await Eventually.TrueAsync(
            async () => await queue.CountAsync() == 0 && await poison.CountAsync() == malformed.Count,
            "every message is completed or poisoned",
            TimeSpan.FromSeconds(90));

        foreach (var member in members)
        {
            var mine = valid.Where(p => p.MemberId == member).ToList();
            Assert.Equal(mine.Sum(p => (long)decimal.Floor(p.Amount)), await client.BalanceAsync(member));
            Assert.Equal(mine.Select(p => p.PurchaseId).Order(), (await client.LedgerAsync(member)).Select(e => e["reference"]!.GetValue<string>()).Order());
        }

        Assert.Equal(malformed.Order(), (await poison.ReadAllAsync()).Order());
    }

    [Fact]
    public async Task SamePurchase_OverHttpThenOverTheQueue_IsCreditedOnce()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        await using var app = new StandaloneApp(azurite, folder);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var purchase = Purchase(member, 25m);

        using var overHttp = await client.PostJsonAsync("/api/purchases", purchase.Json);
        await queue.SendMessageAsync(purchase.Json);

        Assert.Equal(HttpStatusCode.Created, overHttp.StatusCode);
        await Eventually.TrueAsync(async () => await queue.CountAsync() == 0, "the queued copy is completed");
        Assert.Equal(25, await client.BalanceAsync(member));
        Assert.Single(await client.LedgerAsync(member));
        Assert.Equal(0, await poison.CountAsync());
    }

    [Fact]
    public async Task SamePurchase_OverTheQueueThenOverHttp_IsCreditedOnceAndHttpAnswersTheReplay()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        await using var app = new StandaloneApp(azurite, folder);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var purchase = Purchase(member, 25m);

        await queue.SendMessageAsync(purchase.Json);
        await Eventually.TrueAsync(async () => await queue.CountAsync() == 0, "the queued purchase is completed");
        using var overHttp = await client.PostJsonAsync("/api/purchases", purchase.Json);

        Assert.Equal(HttpStatusCode.OK, overHttp.StatusCode);
        Assert.Equal(25, await client.BalanceAsync(member));
        Assert.Single(await client.LedgerAsync(member));
    }

    [Fact]
    public async Task QueueRunner_StoppedMidBatchAndRestarted_LosesNothingAndCreditsNothingTwice()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        var members = Enumerable.Range(0, 5).Select(_ => A.Id("m")).ToList();
        var purchases = Enumerable.Range(0, 300).Select(i => Purchase(members[i % members.Count], 10m + i)).ToList();

        var slow = new SlowFunction(Function, TimeSpan.FromMilliseconds(300));
        var first = new StandaloneApp(azurite, folder, services: slow.AddTo);
        var client = await first.StartAsync();
        foreach (var member in members)
        {
            await client.EnrollAsync(member);
        }

        foreach (var chunk in purchases.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(p => queue.SendMessageAsync(p.Json)));
        }

        await Eventually.TrueAsync(async () => await queue.CountAsync() <= 270, "the first runner has completed some messages");
        await first.DisposeAsync();
        var left = await queue.CountAsync();

        await using var second = new StandaloneApp(azurite, folder);
        client = await second.StartAsync();

        // Well inside the 6 minutes a received message stays hidden: nothing the first runner held was stranded.
        await Eventually.TrueAsync(async () => await queue.CountAsync() == 0, "the second runner completes the rest", TimeSpan.FromSeconds(60));
        Assert.InRange(left, 1, 269);
        Assert.True(slow.InFlightAtShutdown > 0, "the first runner was stopped with invocations in flight");
        Assert.True(slow.FinishedAfterShutdown > 0, "invocations in flight at shutdown were allowed to finish");
        foreach (var member in members)
        {
            var mine = purchases.Where(p => p.MemberId == member).ToList();
            Assert.Equal(mine.Sum(p => (long)decimal.Floor(p.Amount)), await client.BalanceAsync(member));
            Assert.Equal(mine.Count, (await client.LedgerAsync(member)).Count);
        }

        Assert.Equal(0, await poison.CountAsync());
    }

    [Fact]
    public async Task QueueRunner_MessageAlreadyPastMaxDequeueCount_GoesStraightToPoisonUnrecorded()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create(q => q["maxDequeueCount"] = 2).WithPurchaseQueue(queue.Name);
        var member = A.Id("m");
        await using (var enrolling = new LoyaltyApp(azurite))
        {
            await (await enrolling.StartAsync()).EnrollAsync(member);
        }

        var purchase = Purchase(member, 30m);
        await queue.SendMessageAsync(purchase.Json);
        for (var i = 0; i < 2; i++)
        {
            var received = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value;
            await queue.UpdateMessageAsync(received.MessageId, received.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }

        await using var app = new StandaloneApp(azurite, folder);
        var client = await app.StartAsync();

        await Eventually.TrueAsync(async () => await poison.CountAsync() == 1, "the message is poisoned");
        Assert.Equal(0, await queue.CountAsync());
        Assert.Equal(purchase.Json, Assert.Single(await poison.ReadAllAsync()));
        Assert.Equal(0, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task QueueRunner_MessageThatIsNotBase64_IsMovedToPoisonAsItIs()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        var raw = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        await new QueueClient(azurite.ConnectionString, queue.Name, raw).SendMessageAsync("{not base64: sent without encoding}");

        await using var app = new StandaloneApp(azurite, folder);
        await app.StartAsync();

        await Eventually.TrueAsync(async () => await poison.CountAsync() == 1, "the message is poisoned");
        var poisoned = (await new QueueClient(azurite.ConnectionString, poison.Name, raw).ReceiveMessageAsync()).Value;
        Assert.Equal("{not base64: sent without encoding}", poisoned.Body.ToString());
        Assert.Equal(0, await queue.CountAsync());
    }

    [Fact]
    public async Task QueueRunner_QueueNameFromAppSetting_ReadsThatQueue()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithFunction(Function, t => t["queueName"] = "%ORDERS_QUEUE%");
        await using var app = new StandaloneApp(azurite, folder, settings: new Dictionary<string, string?> { ["ORDERS_QUEUE"] = queue.Name });
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);

        await queue.SendMessageAsync(Purchase(member, 12m).Json);

        await Eventually.TrueAsync(async () => await queue.CountAsync() == 0, "the message is completed");
        Assert.Equal(12, await client.BalanceAsync(member));
    }

    [Fact]
    public async Task QueueRunner_FunctionDisabledBySetting_NeverReceivesFromItsQueue()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        var probe = new ProbeFunction("Started");
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name).WithTimer(probe.Name, "0 0 0 1 1 *", runOnStartup: true);
        await queue.SendMessageAsync(Purchase(A.Id("m"), 12m).Json);
        await using var app = new StandaloneApp(
            azurite, folder, settings: new Dictionary<string, string?> { [$"AzureWebJobs.{Function}.Disabled"] = "true" }, services: probe.AddTo);

        await app.StartAsync();
        await Eventually.TrueAsync(() => probe.Count == 1, "the runner has started its triggers");
        await Task.Delay(1000);

        var peeked = Assert.Single((await queue.PeekMessagesAsync(32)).Value);
        Assert.Equal(0, peeked.DequeueCount);
    }

    [Fact]
    public async Task Runner_ServiceBusFunction_IsNotRunStandaloneAndSaysSo()
    {
        var capture = new LogCapture();
        using var folder = FunctionAppFolder.Create().WithFunction("RecordPurchaseFromServiceBus");
        await using var app = new StandaloneApp(azurite, folder, services: s => s.AddSingleton<ILoggerProvider>(capture));

        await app.StartAsync();

        await Eventually.TrueAsync(() => capture.Lines.Any(l => l.Contains("Trigger runner runs 0 triggers", StringComparison.Ordinal)), "the runner has started");
        Assert.Contains(capture.Lines, l => l.Contains("RecordPurchaseFromServiceBus: not run (serviceBusTrigger is not run standalone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueueRunner_SendsTheQueuePayloadAsTheFunctionsHostEncodesIt()
    {
        var documented = Fixtures.Load("Functions/queue-host-encoded.json").AsObject();
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        var probe = new ProbeFunction("QueueProbe");
        using var folder = FunctionAppFolder.Create().WithQueueProbe(probe.Name, queue.Name);
        await using var app = new StandaloneApp(azurite, folder, services: probe.AddTo);
        await app.StartAsync();
        const string text = """{"purchaseId":"p-shape","amount":1}""";

        var receipt = (await queue.SendMessageAsync(text)).Value;

        await Eventually.TrueAsync(() => probe.Count == 1, "the probe is invoked");
        var sent = Assert.Single(probe.Bodies);
        Assert.Equal(documented["Data"]!.AsObject().Select(p => p.Key), sent["Data"]!.AsObject().Select(p => p.Key));
        Assert.Equal(documented["Metadata"]!.AsObject().Select(p => p.Key).Order(), sent["Metadata"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(JsonSerializer.Serialize(text), sent["Data"]!["message"]!.GetValue<string>());
        Assert.Equal(JsonSerializer.Serialize(receipt.MessageId), sent["Metadata"]!["Id"]!.GetValue<string>());
        Assert.Equal("1", sent["Metadata"]!["DequeueCount"]!.GetValue<string>());
        Assert.Equal(probe.Name, sent["Metadata"]!["sys"]!["MethodName"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => await queue.CountAsync() == 0, "the message is completed");
    }

    private static PurchaseMessage Purchase(string member, decimal amount)
    {
        var id = A.Id("p");
        var occurredAt = TimeProvider.System.GetUtcNow().AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var json = JsonSerializer.Serialize(new { purchaseId = id, memberId = member, amount, currency = "USD", occurredAt });
        return new PurchaseMessage(id, member, amount, json);
    }

    // Each kind of message that can never be recorded: not JSON, cut short, not an object, invalid, unknown member.
    private static string Malformed(int i, string member) => (i % 5) switch
    {
        0 => $"not json {i}",
        1 => $"{{\"purchaseId\":\"bad-{i}\",\"memberId\":",
        2 => $"[{i}]",
        3 => Purchase(member, 10m).Json.Replace("\"amount\":10", "\"amount\":-10", StringComparison.Ordinal),
        _ => Purchase(A.Id("nobody"), 10m).Json,
    };

    private sealed record PurchaseMessage(string PurchaseId, string MemberId, decimal Amount, string Json);
}
