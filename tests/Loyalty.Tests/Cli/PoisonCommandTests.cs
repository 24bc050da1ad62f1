using System.Text;
using Azure.Storage.Queues;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Cli;

/// <summary><c>loyalty queues poison list|show|replay</c> on Azurite, each test on a queue of its own.</summary>
public sealed class PoisonCommandTests(Azurite azurite)
{
    [Fact]
    public async Task Replay_All_MovesEveryMessageBackByteForByteAndEmptiesThePoisonQueue()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        var texts = Enumerable.Range(1, 45).Select(i => $"{{\"purchaseId\":\"r-{i}\"}}").ToList();
        foreach (var text in texts)
        {
            await poison.SendMessageAsync(text);
        }

        // What the trigger leaves when a message is not base64 at all: it is moved as it is, and must come back so.
        var raw = Raw(poison.Name);
        await raw.SendMessageAsync("not base64 {");

        var run = await Cli.RunAsync(azurite, "queues", "poison", "replay", poison.Name, "--all");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.EndsWith($"Replayed 46 messages from {poison.Name} to {queue.Name}.", run.Out.Trim());
        Assert.Equal(0, await poison.CountAsync());
        var replayed = (await Raw(queue.Name).ReceiveMessagesAsync(32)).Value.Concat((await Raw(queue.Name).ReceiveMessagesAsync(32)).Value).Select(m => m.Body.ToString()).ToList();
        Assert.Equal(texts.Select(t => Convert.ToBase64String(Encoding.UTF8.GetBytes(t))).Append("not base64 {").Order(), replayed.Order());
    }

    [Fact]
    public async Task Replay_OneById_FindsItPastTheFirst32_AndLeavesTheOthersVisible()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        for (var i = 0; i < 40; i++)
        {
            await poison.SendMessageAsync($"{{\"n\":{i}}}");
        }

        var last = (await poison.SendMessageAsync("{\"n\":\"wanted\"}")).Value.MessageId;

        var dry = await Cli.RunAsync(azurite, "queues", "poison", "replay", poison.Name, last, "--dry-run");
        var run = await Cli.RunAsync(azurite, "queues", "poison", "replay", poison.Name, last);

        Assert.True(dry.Exit == 0, dry.ToString());
        Assert.Contains("not among the first 32 messages", dry.Out);
        Assert.Contains("Dry run: nothing was changed.", dry.Out);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal($"Replayed {last} from {poison.Name} to {queue.Name}.", run.Out.Trim());
        Assert.Equal(["{\"n\":\"wanted\"}"], await queue.ReadAllAsync());
        Assert.Equal(40, await poison.CountAsync());

        // Peek sees only visible messages: the ones looked through on the way were released at once.
        Assert.Equal(32, (await poison.PeekMessagesAsync(32)).Value.Length);
    }

    [Fact]
    public async Task DryRun_All_ListsAndChangesNothing()
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        var id = (await poison.SendMessageAsync("{\"purchaseId\":\"d-1\"}")).Value.MessageId;

        var run = await Cli.RunAsync(azurite, "queues", "poison", "replay", poison.Name, "--all", "--dry-run");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains($"Would replay {id} from {poison.Name} to {queue.Name}.", run.Out);
        Assert.Equal(1, await poison.CountAsync());
        Assert.Equal(0, await queue.CountAsync());
        Assert.Equal(0, (await poison.PeekMessagesAsync()).Value.Single().DequeueCount);
    }

    [Fact]
    public async Task ListAndShow_DecodeTheTriggersBase64_AndSayWhenABodyIsNot()
    {
        var (_, poison) = await TestQueues.CreateAsync(azurite);
        var good = (await poison.SendMessageAsync("{\"purchaseId\":\"s-1\",\"memberId\":\"carol\"}")).Value.MessageId;
        var bad = (await Raw(poison.Name).SendMessageAsync("%%%")).Value.MessageId;

        var list = await Cli.RunAsync(azurite, "queues", "poison", "list", poison.Name);
        var show = await Cli.RunAsync(azurite, "queues", "poison", "show", poison.Name, good);
        var showBad = await Cli.RunAsync(azurite, "queues", "poison", "show", poison.Name, bad);
        var missing = await Cli.RunAsync(azurite, "queues", "poison", "show", poison.Name, "no-such-id");

        Assert.True(list.Exit == 0, list.ToString());
        Assert.StartsWith($"{poison.Name}: 2 messages", list.Out);
        Assert.Contains(good, list.Out);
        Assert.Contains("{\"purchaseId\":\"s-1\",\"memberId\":\"carol\"}", list.Out);
        Assert.Contains("(decoded from base64):\n{\"purchaseId\":\"s-1\",\"memberId\":\"carol\"}", show.Out.ReplaceLineEndings("\n"));
        Assert.Contains("not base64, so the queue trigger cannot read it", showBad.Out);
        Assert.Equal(1, missing.Exit);
        Assert.Contains($"{poison.Name} has no message no-such-id.", missing.Error);
    }

    [Theory]
    [InlineData("purchases", "QUEUE 'purchases' is not a poison queue")]
    [InlineData("-poison", "is not a poison queue")]
    public async Task Poison_QueueThatIsNotAPoisonQueue_ExitsWith2(string queue, string message)
    {
        var run = await Cli.RunAsync(azurite, "queues", "poison", "list", queue);

        Assert.Equal(2, run.Exit);
        Assert.Contains(message, run.Error);
    }

    [Fact]
    public async Task Replay_NeitherIdNorAll_ExitsWith2()
    {
        var run = await Cli.RunAsync(azurite, "queues", "poison", "replay", "purchases-poison");

        Assert.Equal(2, run.Exit);
        Assert.Contains("Name one MESSAGE-ID, or --all (not both).", run.Error);
    }

    [Fact]
    public async Task List_APoisonQueueThatDoesNotExist_ExitsWith1AndSaysSo()
    {
        var name = $"nothing-{Guid.NewGuid():N}"[..20] + "-poison";

        var run = await Cli.RunAsync(azurite, "queues", "poison", "list", name);

        Assert.Equal(1, run.Exit);
        Assert.Contains($"There is no queue {name}", run.Error);
    }

    private QueueClient Raw(string name) =>
        azurite.Account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }).GetQueueClient(name);
}
