using Loyalty.Adapters.Messaging;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Standalone;

namespace Loyalty.Tests.Cli;

/// <summary><c>loyalty servicebus deadletters list|show|resubmit</c> on a fake namespace (the SDK's types subclassed).</summary>
public sealed class DeadLetterCommandTests(Azurite azurite)
{
    private const string Queue = ServiceBusConnection.PurchasesQueue;

    [Fact]
    public async Task ListAndShow_GiveTheDeadLetterReasonAndTheBody()
    {
        var bus = Seeded();

        var list = await Cli.RunAsync(azurite, bus.Client, "servicebus", "deadletters", "list");
        var show = await Cli.RunAsync(azurite, bus.Client, "servicebus", "deadletters", "show", "order-2");
        var missing = await Cli.RunAsync(azurite, bus.Client, "servicebus", "deadletters", "show", "order-9");

        Assert.True(list.Exit == 0, list.ToString());
        Assert.StartsWith("purchases/$DeadLetterQueue: 3 messages", list.Out);
        Assert.Contains("order-2", list.Out);
        Assert.Contains("MaxDeliveryCountExceeded: Message could not be consumed after 5 delivery attempts.", list.Out);
        Assert.True(show.Exit == 0, show.ToString());
        Assert.Contains("reason       MaxDeliveryCountExceeded", show.Out);
        Assert.Contains("{\"purchaseId\":\"order-2\",\"memberId\":\"dora\"}", show.Out);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("purchases/$DeadLetterQueue has no message order-9.", missing.Error);
    }

    [Fact]
    public async Task Resubmit_One_SendsACopyUnderAnIdDuplicateDetectionLetsThrough_AndCompletesTheDeadLetter()
    {
        var bus = Seeded();

        var dry = await Cli.RunAsync(azurite, bus.Client, "servicebus", "deadletters", "resubmit", "order-2", "--dry-run");
        var run = await Cli.RunAsync(azurite, bus.Client, "servicebus", "deadletters", "resubmit", "order-2");

        Assert.True(dry.Exit == 0, dry.ToString());
        Assert.Contains("Would resubmit order-2 (sequence 2, MaxDeliveryCountExceeded) to purchases.", dry.Out);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains("Resubmitted order-2 (sequence 2) to purchases.", run.Out);
        var copy = Assert.Single(bus.Active(Queue));
        Assert.Equal("order-2/dlq-2", copy.MessageId);
        Assert.Equal("order-2", copy.ApplicationProperties["ResubmittedFrom"]);
        Assert.Null(copy.DeadLetterReason);
        Assert.Equal("{\"purchaseId\":\"order-2\",\"memberId\":\"dora\"}", copy.Body.ToString());
        Assert.Equal(["order-1", "order-3"], bus.DeadLettered(Queue).Select(m => m.MessageId));

        // The locks taken while looking for it were given back: the others can be received again.
        Assert.All(bus.DeadLettered(Queue), m => Assert.Equal(6, m.DeliveryCount));
    }

    [Fact]
    public async Task Resubmit_All_ResubmitsWhatIsThereNow()
    {
        var bus = Seeded();

        var run = await Cli.RunAsync(azurite, bus.Client, "servicebus", "deadletters", "resubmit", "--all");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.EndsWith("Resubmitted 3 messages to purchases.", run.Out.Trim());
        Assert.Empty(bus.DeadLettered(Queue));
        Assert.Equal(["order-1/dlq-1", "order-2/dlq-2", "order-3/dlq-3"], bus.Active(Queue).Select(m => m.MessageId));
    }

    [Fact]
    public async Task Resubmit_NeitherIdNorAll_ExitsWith2()
    {
        var run = await Cli.RunAsync(azurite, new FakeServiceBus().Client, "servicebus", "deadletters", "resubmit");

        Assert.Equal(2, run.Exit);
        Assert.Contains("Name one MESSAGE-ID, or --all (not both).", run.Error);
    }

    [Fact]
    public async Task DeadLetters_WithoutServiceBusSettings_ExitsWith1NamingTheSetting()
    {
        var run = await Cli.RunAsync(azurite, "servicebus", "deadletters", "list");

        Assert.Equal(1, run.Exit);
        Assert.Contains("Service Bus is not configured", run.Error);
    }

    private static FakeServiceBus Seeded()
    {
        var bus = new FakeServiceBus();
        foreach (var (id, member) in new[] { ("order-1", "carol"), ("order-2", "dora"), ("order-3", "erin") })
        {
            bus.DeadLetter(Queue, $"{{\"purchaseId\":\"{id}\",\"memberId\":\"{member}\"}}", id, "MaxDeliveryCountExceeded", "Message could not be consumed after 5 delivery attempts.", 5);
        }

        return bus;
    }
}
