using System.Diagnostics;
using System.Text;
using Azure.Storage.Queues;
using Loyalty.Adapters.Storage;

namespace Loyalty.Benchmarks;

/// <summary>Purchases waiting in the Storage queue (<c>purchases</c>, as order systems leave them), drained by the standalone
/// runner of a handler started after they were all sent: the rate from the first message recorded to the queue being
/// empty. The runner receives in batches and invokes in parallel (host.json <c>batchSize</c>, <c>newBatchThreshold</c>);
/// the store's per-member turns keep one writer per member in the instance.</summary>
internal static class QueueDrain
{
    public const int Purchases = 10_000;
    public const int Members = 1_000;
    private const string Queue = "purchases";
    private const int RawWindowSeconds = 60;

    /// <summary>The queue alone: the same 10,000 messages received in batches of 16 and deleted one by one, by as many
    /// receivers as the benchmark has clients, without the app, for at most <see cref="RawWindowSeconds"/>: what draining
    /// costs the storage before any purchase is recorded.</summary>
    public static async Task<Result> RawAsync(Options options, StorageAccount account)
    {
        var queue = account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            .GetQueueClient("rawdrain" + Guid.NewGuid().ToString("N")[..8]);
        await queue.CreateAsync();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Purchases), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (n, ct) =>
                await queue.SendMessageAsync(
                    $$"""{"purchaseId":"raw-{{n}}","memberId":"raw-{{n % Members}}","amount":10.50,"currency":"USD","occurredAt":"2026-01-01T10:00:00Z"}""", ct));
            var drained = 0;
            var cpu = Cpu.Now();
            var started = Stopwatch.GetTimestamp();
            var end = started + (RawWindowSeconds * Stopwatch.Frequency);
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < end)
                {
                    var batch = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5))).Value;
                    if (batch.Length == 0)
                    {
                        return;
                    }

                    foreach (var message in batch)
                    {
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                        Interlocked.Increment(ref drained);
                    }
                }
            })));
            var seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
            return new Result(drained / seconds, 0, 0, 0, 0) { CpuPerOperation = (Cpu.Now() - cpu) / Math.Max(drained, 1) };
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

        // Members first, through a handler with its runner off, so that the queue stays full until the measured one starts.
        await withHandler(new Dictionary<string, string> { ["TriggerRunner__Enabled"] = "false" }, async http =>
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Members), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (m, ct) =>
            {
                using var put = await http.PutAsync($"/api/members/{run}-{m}", new StringContent("""{"firstName":"Bench"}""", Encoding.UTF8, "application/json"), ct);
                put.EnsureSuccessStatusCode();
            });
            await Parallel.ForEachAsync(Enumerable.Range(0, Purchases), new ParallelOptions { MaxDegreeOfParallelism = options.Clients }, async (n, ct) =>
                await queue.SendMessageAsync(
                    $$"""{"purchaseId":"{{run}}-{{n}}","memberId":"{{run}}-{{n % Members}}","amount":10.50,"currency":"USD","occurredAt":"2026-01-01T10:00:00Z"}""", ct));
            return new Result(0, 0, 0, 0, 0);
        });

        return await withHandler(new Dictionary<string, string>(), async _ =>
        {
            long? started = null;
            var cpu = Cpu.Now();
            var deadline = Stopwatch.GetTimestamp() + (300 * Stopwatch.Frequency);
            int left;
            do
            {
                // Not more often: Azurite counts the messages of a queue one by one on every look.
                await Task.Delay(1000);
                left = (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
                if (left < Purchases && started is null)
                {
                    started = Stopwatch.GetTimestamp();
                    cpu = Cpu.Now();
                }
            }
            while (left > 0 && Stopwatch.GetTimestamp() < deadline);

            var seconds = (Stopwatch.GetTimestamp() - (started ?? deadline)) / (double)Stopwatch.Frequency;
            var poisoned = (await poison.GetPropertiesAsync()).Value.ApproximateMessagesCount - poisonedBefore;
            var recorded = Purchases - left - poisoned;
            return new Result(recorded / Math.Max(seconds, 0.001), 0, 0, 0, left + poisoned) { CpuPerOperation = (Cpu.Now() - cpu) / Math.Max(recorded, 1) };
        });
    }
}
