using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Standalone;

namespace Loyalty.Tests.Cli;

/// <summary>Why replay is safe, end to end: the replayed messages go through the real runner and function, and a
/// purchase that was already recorded is answered as a replay and credits nothing.</summary>
public sealed class ReplayThroughTheRunnerTests(Azurite azurite)
{
    [Fact]
    public async Task PoisonReplay_RecordsTheMissedPurchase_AndCreditsNothingForOneAlreadyRecorded()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        await using var app = new StandaloneApp(azurite, folder);
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var recorded = ServiceBusRunnerTests.Purchase(member, 30m);
        var missed = ServiceBusRunnerTests.Purchase(member, 12m);
        using (var created = await client.PostJsonAsync("/api/purchases", recorded.Json))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }

        // Both ended in poison (say storage was down for the one, and the other was sent twice).
        await poison.SendMessageAsync(recorded.Json);
        await poison.SendMessageAsync(missed.Json);

        var run = await Cli.RunAsync(azurite, "queues", "poison", "replay", poison.Name, "--all");

        Assert.True(run.Exit == 0, run.ToString());
        await Eventually.TrueAsync(async () => await queue.CountAsync() == 0, "the runner takes both replayed messages");
        Assert.Equal(42, await client.BalanceAsync(member));
        Assert.Equal(2, (await client.LedgerAsync(member)).Count);
        Assert.Equal(0, await poison.CountAsync());
    }
}
