using System.Diagnostics;
using System.Text;
using Azure.Storage.Queues;
using Loyalty.Adapters.Storage;

namespace Loyalty.Benchmarks;

/// <summary>10,000 purchases over 1,000 members sent to the Storage queue (<c>purchases</c>, as order systems leave them) and
/// drained by the standalone runner: the rate from the first message sent to the queue being empty. The runner receives
/// in batches and invokes in parallel (host.json <c>batchSize</c>, <c>newBatchThreshold</c>); the store's per-member turns
/// keep one writer per member in the instance. The messages are sent as the queue drains, at most <see cref="Backlog"/>
/// waiting: Azurite scans every message of the account on each queue operation, so 10,000 waiting at once make each of
/// them cost it about 100 ms of processor time (10 messages/s for the SDK alone), which measures Azurite's scan and not
/// the runner. It runs only with Azurite on disk (<c>BENCH_AZURITE</c>): in memory, Azurite keeps each message in an
/// extent of its own, and its collector, every 60 s, removes the extents of deleted messages one by one, re-sorting its
/// index of all extents for each, which stops Azurite for minutes once a few thousand messages were deleted. Azure
/// Storage queues have neither cost.</summary>
internal static class QueueDrain
{
    public const int Purchases = 10_000;
    public const int Members = 1_000;
    public const int Backlog = 500;
    private const string Queue = "purchases";
    private const int DeadlineSeconds = 300;

    /// <summary>The queue alone: the same messages, fed the same way, received in batches of 16 and deleted one by one by
    /// as many receivers as the benchmark has clients, without the app: what draining costs the storage before any
    /// purchase is recorded.</summary>
    public static async Task<Result> RawAsync(Options options, StorageAccount account)
    {
        var queue = account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            .GetQueueClient("rawdrain" + Guid.NewGuid().ToString("N")[..8]);
        await queue.CreateAsync();
        try
        {
            var drained = 0;
            var cpu = Cpu.Now();
            var started = Stopwatch.GetTimestamp();
            var deadline = started + (DeadlineSeconds * Stopwatch.Frequency);
            var feeding = FeedAsync(options, queue, "raw", 0, deadline);
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var batch = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5))).Value;
                    if (batch.Length == 0)
                    {
                        if (feeding.IsCompleted)
                        {
                            return;
                        }

                        await Task.Delay(50);
                        continue;
                    }

                    foreach (var message in batch)
                    {
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                        Interlocked.Increment(ref drained);
                    }
                }
            })));
            var sent = await feeding;
            var seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
            return new Result(drained / seconds, 0, 0, 0, sent - drained) { CpuPerOperation = (Cpu.Now() - cpu) / Math.Max(drained, 1) };
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }

    public static async Task<Result> RunAsync(
        Options options, StorageAccount account, Func<IReadOnlyDictionary<string, string>, Func<HttpClient, Task<Result>>, Task<Result>> withHandler)
    {
        var run = "q" + Guid.NewGuid().ToString("N")[..8];
        var queues = account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var queue = queues.GetQueueClient(Queue);
        var poison = queues.GetQueueClient(Queue + "-poison");
        await queue.CreateIfNotExistsAsync();
        await poison.CreateIfNotExistsAsync();
        var poisonedBefore = (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount;

        // Members first, through a handler with its runner off, and the first messages, so that the measured runner finds
        // work from its first poll.
        await withHandler(new Dictionary<string, string> { ["TriggerRunner__Enabled"] = "false" }, async http =>
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Members), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (m, ct) =>
            {
                using var put = await http.PutAsync($"/api/members/{run}-{m}", new StringContent("""{"firstName":"Bench"}""", Encoding.UTF8, "application/json"), ct);
                put.EnsureSuccessStatusCode();
            });
            await SendAsync(options, queue, run, Enumerable.Range(0, Backlog));
            return new Result(0, 0, 0, 0, 0);
        });

        return await withHandler(new Dictionary<string, string>(), async _ =>
        {
            var cpu = Cpu.Now();
            var started = Stopwatch.GetTimestamp();
            var deadline = started + (DeadlineSeconds * Stopwatch.Frequency);
            var sent = await FeedAsync(options, queue, run, Backlog, deadline);
            int left;
            do
            {
                await Task.Delay(200);
                left = (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
            }
            while (left > 0 && Stopwatch.GetTimestamp() < deadline);

            var seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
            var poisoned = (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount - poisonedBefore;
            var recorded = sent - left - poisoned;
            return new Result(recorded / seconds, 0, 0, 0, Purchases - recorded) { CpuPerOperation = (Cpu.Now() - cpu) / Math.Max(recorded, 1) };
        });
    }

    /// <summary>Sends the messages from number <paramref name="sent"/> to <see cref="Purchases"/> (member <c>n % Members</c>)
    /// as the queue drains, keeping at most <see cref="Backlog"/> waiting; what is not sent by the deadline is not sent.
    /// Returns how many were sent in all.</summary>
    private static async Task<int> FeedAsync(Options options, QueueClient queue, string run, int sent, long deadline)
    {
        while (sent < Purchases && Stopwatch.GetTimestamp() < deadline)
        {
            var room = Backlog - (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
            if (room < Backlog / 4)
            {
                await Task.Delay(50);
                continue;
            }

            var count = Math.Min(room, Purchases - sent);
            await SendAsync(options, queue, run, Enumerable.Range(sent, count));
            sent += count;
        }

        return sent;
    }

    private static Task SendAsync(Options options, QueueClient queue, string run, IEnumerable<int> numbers) =>
        Parallel.ForEachAsync(numbers, new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (n, ct) =>
            await queue.SendMessageAsync(
                $$"""{"purchaseId":"{{run}}-{{n}}","memberId":"{{run}}-{{n % Members}}","amount":10.50,"currency":"USD","occurredAt":"2026-01-01T10:00:00Z"}""", ct));
}
