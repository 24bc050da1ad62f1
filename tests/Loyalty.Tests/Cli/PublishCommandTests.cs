using System.Text.Json;
using Loyalty.Adapters.Messaging;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Standalone;

namespace Loyalty.Tests.Cli;

/// <summary><c>loyalty purchases publish</c> (and its old name <c>enqueue-purchase</c>) on Azurite and on a fake
/// Service Bus namespace.</summary>
public sealed class PublishCommandTests(Azurite azurite)
{
    [Fact]
    public async Task Publish_OnePurchase_PutsItOnTheStorageQueueInBase64AsTheTriggerReadsIt()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);

        var run = await Cli.RunAsync(azurite, "purchases", "publish", "--queue", queue.Name, "--member", "alice", "--amount", "12.50",
            "--purchase-id", "order-1001", "--occurred-at", "2026-11-24T10:00:00-08:00", "--store-id", "seattle-1");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.StartsWith($"Published purchase order-1001 for member alice to Storage queue '{queue.Name}' (message ", run.Out);
        var raw = azurite.Account.CreateQueueServiceClient(new() { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.None }).GetQueueClient(queue.Name);
        var stored = (await raw.PeekMessagesAsync()).Value.Single().Body.ToString();
        var purchase = JsonDocument.Parse(Convert.FromBase64String(stored)).RootElement;
        Assert.Equal("order-1001", purchase.GetProperty("purchaseId").GetString());
        Assert.Equal(12.50m, purchase.GetProperty("amount").GetDecimal());
        Assert.Equal("2026-11-24T10:00:00-08:00", purchase.GetProperty("occurredAt").GetString());
        Assert.Equal("USD", purchase.GetProperty("currency").GetString());
    }

    [Fact]
    public async Task Publish_AFile_SendsEveryLine_AndTheOldNameStillWorks()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        var lines = Enumerable.Range(1, 40).Select(i => $"{{\"purchaseId\":\"f-{i}\",\"memberId\":\"alice\",\"amount\":{i},\"currency\":\"USD\",\"occurredAt\":\"2026-11-24T10:00:00Z\"}}").ToList();
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["", .. lines, "  "]);

        var run = await Cli.RunAsync(azurite, "purchases", "publish", "--queue", queue.Name, "--file", file);
        var old = await Cli.RunAsync(azurite, "enqueue-purchase", "--queue", queue.Name, "--member", "bob", "--amount", "3");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal($"Published 40 purchases from {file} to Storage queue '{queue.Name}'.", run.Out.Trim());
        Assert.True(old.Exit == 0, old.ToString());
        Assert.Contains("is now 'loyalty purchases publish'", old.Error);
        var texts = await queue.ReadAllAsync();
        Assert.Equal(41, texts.Count);
        Assert.Subset(texts.ToHashSet(), lines.ToHashSet());
        Assert.Contains(texts, t => t.Contains("\"memberId\":\"bob\",\"amount\":3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Publish_AFileWithBadLines_NamesEachByLineAndSendsNothing()
    {
        var (queue, _) = await TestQueues.CreateAsync(azurite);
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["{\"purchaseId\":\"ok-1\"}", "not json", "[1]", "{\"memberId\":\"a\"}", "{\"purchaseId\":7}"]);

        var run = await Cli.RunAsync(azurite, "purchases", "publish", "--queue", queue.Name, "--file", file);

        Assert.Equal(2, run.Exit);
        Assert.Contains($"{file}:2: not valid JSON", run.Error);
        Assert.Contains($"{file}:3: not a JSON object", run.Error);
        Assert.Contains($"{file}:4: no purchaseId", run.Error);
        Assert.Contains($"{file}:5: purchaseId is not a non-empty string", run.Error);
        Assert.DoesNotContain(":1:", run.Error);
        Assert.Equal(0, await queue.CountAsync());
    }

    [Theory]
    [InlineData("--amount", "12,5", "--amount '12,5' is not a number such as 12.50.")]
    [InlineData("--occurred-at", "2026-11-24 10:00", "--occurred-at '2026-11-24 10:00' is not an ISO 8601 time with an offset")]
    [InlineData("--queue", "Purchases", "--queue 'Purchases' is not a Storage queue name")]
    [InlineData("--colour", "red", "Unrecognized command or argument '--colour'")]
    public async Task Publish_BadOption_ExitsWith2AndNamesTheOption(string option, string value, string message)
    {
        var args = new List<string> { "purchases", "publish", "--member", "alice", "--amount", "5" };
        var at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        var run = await Cli.RunAsync(azurite, [.. args]);

        Assert.Equal(2, run.Exit);
        Assert.Contains(message, run.Error);
        Assert.Contains("Run 'loyalty purchases publish --help' for usage.", run.Error);
    }

    [Fact]
    public async Task Publish_NoPurchaseGiven_ExitsWith2()
    {
        var run = await Cli.RunAsync(azurite, "purchases", "publish", "--member", "alice");

        Assert.Equal(2, run.Exit);
        Assert.Contains("--member and --amount are required (or --json, or --file).", run.Error);
    }

    [Fact]
    public async Task Publish_StorageUnreachable_ExitsWith1WithoutAStackTrace()
    {
        var run = await Cli.RunAsync(Azurite.Unreachable(), null, "purchases", "publish", "--member", "alice", "--amount", "5");

        Assert.Equal(1, run.Exit);
        Assert.Contains("storage cannot be reached", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Publish_ToServiceBus_SetsTheMessageIdToThePurchaseId_SoARepeatedSendIsDropped()
    {
        var bus = new FakeServiceBus();
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 250).Select(i => $"{{\"purchaseId\":\"sb-{i}\",\"memberId\":\"alice\",\"amount\":1}}"));

        var first = await Cli.RunAsync(azurite, bus.Client, "purchases", "publish", "--service-bus", "--file", file);
        var again = await Cli.RunAsync(azurite, bus.Client, "purchases", "publish", "--service-bus", "--json", "{\"purchaseId\":\"sb-7\",\"memberId\":\"alice\",\"amount\":1}");

        Assert.True(first.Exit == 0, first.ToString());
        Assert.Equal($"Published 250 purchases from {file} to Service Bus queue 'purchases'.", first.Out.Trim());
        Assert.True(again.Exit == 0, again.ToString());
        Assert.Equal("Published purchase sb-7 to Service Bus queue 'purchases' (message sb-7).", again.Out.Trim());
        var messages = bus.Active(ServiceBusConnection.PurchasesQueue);
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"sb-{i}"), messages.Select(m => m.MessageId));
        Assert.All(messages, m => Assert.Equal("application/json", m.ContentType));
        Assert.Equal("{\"purchaseId\":\"sb-7\",\"memberId\":\"alice\",\"amount\":1}", messages[6].Body.ToString());
    }
}
