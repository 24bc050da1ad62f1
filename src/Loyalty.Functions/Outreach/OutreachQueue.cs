using System.Text.Json;
using Azure.Storage.Queues;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Outreach;

/// <summary>A send job on the <c>outreach</c> queue: which outbox row to send. Nothing else travels on the queue (no
/// phone number, no text): the sender reads the rest when the job comes due.</summary>
public sealed record OutreachJob(string? MemberId, string? Campaign, string? Period)
{
    public static OutreachJob For(OutboxKey key) => new(key.Member.Value, key.Campaign.Name(), key.Period);
}

/// <summary>Puts send jobs on the Storage queue that <c>SendOutreach</c> listens to, invisible until they are due.</summary>
public sealed class OutreachQueue(QueueServiceClient queues)
{
    public const string Name = "outreach";

    /// <summary>The longest a queue message can stay invisible. A job due later arrives early and defers itself again.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private readonly QueueClient queue = queues.GetQueueClient(Name);
    private readonly SemaphoreSlim creating = new(1, 1);
    private volatile bool created;

    /// <summary>Enqueues the job for <paramref name="key"/>, visible after <paramref name="delay"/> (now when zero or
    /// negative, at most <see cref="MaxDelay"/>). Messages never expire: a job waiting a week must still be there.</summary>
    public async Task EnqueueAsync(OutboxKey key, TimeSpan delay, CancellationToken ct)
    {
        if (!created)
        {
            // Once per process, not once per job of the first parallel batch.
            await creating.WaitAsync(ct);
            try
            {
                if (!created)
                {
                    await queue.CreateIfNotExistsAsync(cancellationToken: ct);
                    created = true;
                }
            }
            finally
            {
                creating.Release();
            }
        }

        var visibility = delay <= TimeSpan.Zero ? TimeSpan.Zero : delay > MaxDelay ? MaxDelay : delay;

        // Whole seconds: the service takes the timeout in seconds, and rounding up never makes a job early.
        visibility = TimeSpan.FromSeconds(Math.Ceiling(visibility.TotalSeconds));
        if (visibility > MaxDelay)
        {
            visibility = MaxDelay;
        }

        await queue.SendMessageAsync(JsonSerializer.Serialize(OutreachJob.For(key), ApiJson.Default.OutreachJob), visibility, NeverExpires, ct);
    }
}
