using System.Diagnostics;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Waits for a condition that asynchronous work makes true, failing with what it waited for when it
/// does not happen in time.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task>? between = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            if (between is not null)
            {
                await between();
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<Task>? between = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout, between);
}

/// <summary>Queue helpers for tests: the queue trigger reads base64, so these clients write and read it too.</summary>
public static class TestQueues
{
    /// <summary>A fresh, empty queue with a unique name, and its poison queue.</summary>
    public static async Task<(QueueClient Queue, QueueClient Poison)> CreateAsync(Azurite azurite, string? name = null)
    {
        name ??= $"purchases-{Guid.NewGuid():N}"[..24];
        var queue = azurite.Queues.GetQueueClient(name);
        var poison = azurite.Queues.GetQueueClient(name + "-poison");
        foreach (var q in new[] { queue, poison })
        {
            await q.CreateIfNotExistsAsync();
            await q.ClearMessagesAsync();
        }

        return (queue, poison);
    }

    /// <summary>Messages in the queue, visible or not.</summary>
    public static async Task<int> CountAsync(this QueueClient queue) =>
        (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>Every message text in the queue (the queue must be idle: this hides them for a moment).</summary>
    public static async Task<List<string>> ReadAllAsync(this QueueClient queue)
    {
        var texts = new List<string>();
        var seen = new HashSet<string>();
        while (true)
        {
            QueueMessage[] batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
            if (batch.Length == 0)
            {
                return texts;
            }

            foreach (var m in batch.Where(m => seen.Add(m.MessageId)))
            {
                texts.Add(m.Body.ToString());
            }
        }
    }
}
