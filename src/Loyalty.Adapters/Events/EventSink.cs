using System.Buffers;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Messaging.EventGrid;
using Azure.Storage.Queues;

namespace Loyalty.Adapters.Events;

/// <summary>Where published events go: an Event Grid topic, or a Storage queue for local development.</summary>
public abstract class EventSink
{
    /// <summary>For the start-up log: where, without secrets.</summary>
    public abstract string Description { get; }

    /// <summary>Sends the events in order; throws when they were not accepted (then none counts as sent).</summary>
    public abstract Task SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken ct);

    /// <summary>The sink the settings name (the queue when both are set), or null: then events stay in the outbox.</summary>
    public static EventSink? Create(EventSettings settings, QueueServiceClient queues, TokenCredential? identity = null)
    {
        if (settings.Queue is { Length: > 0 } queue)
        {
            return new QueueSink(queues.GetQueueClient(queue));
        }

        if (settings.TopicEndpoint is not { } endpoint)
        {
            return null;
        }

        var options = new EventGridPublisherClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = settings.MaxRetries;
        options.Retry.Delay = settings.RetryDelay;
        options.Retry.MaxDelay = settings.MaxRetryDelay;
        options.Retry.NetworkTimeout = settings.NetworkTimeout;
        var client = settings.TopicKey is { Length: > 0 } key
            ? new EventGridPublisherClient(endpoint, new AzureKeyCredential(key), options)
            : new EventGridPublisherClient(endpoint, identity ?? new DefaultAzureCredential(), options);
        return new EventGridSink(client, endpoint, settings.TopicKey is { Length: > 0 });
    }
}

/// <summary>An Event Grid custom topic with the CloudEvents 1.0 input schema. The SDK posts one batch as
/// <c>POST {endpoint}?api-version=2018-01-01</c> with <c>Content-Type: application/cloudevents-batch+json; charset=utf-8</c>
/// and the key in <c>aeg-sas-key</c> (or a bearer token of the app's identity), and retries 408, 429 and 5xx answers and
/// timeouts itself.</summary>
public sealed class EventGridSink(EventGridPublisherClient client, Uri endpoint, bool withKey) : EventSink
{
    public override string Description => $"the Event Grid topic at {endpoint.GetLeftPart(UriPartial.Path)} ({(withKey ? "access key" : "managed identity")})";

    public override async Task SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken ct) =>
        await client.SendEncodedCloudEventsAsync(Batch(events), ct);

    /// <summary>The events as one JSON array (<c>application/cloudevents-batch+json</c>).</summary>
    private static ReadOnlyMemory<byte> Batch(IReadOnlyList<ReadOnlyMemory<byte>> events)
    {
        var batch = new ArrayBufferWriter<byte>();
        batch.Write("["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                batch.Write(","u8);
            }

            batch.Write(events[i].Span);
        }

        batch.Write("]"u8);
        return batch.WrittenMemory;
    }
}

/// <summary>A Storage queue: one message per event, the CloudEvent's JSON, sent one after the other in order.</summary>
public sealed class QueueSink(QueueClient queue) : EventSink
{
    private volatile bool created;

    public override string Description => $"the Storage queue '{queue.Name}'";

    public override async Task SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken ct)
    {
        if (!created)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: ct);
            created = true;
        }

        foreach (var e in events)
        {
            await queue.SendMessageAsync(Encoding.UTF8.GetString(e.Span), ct);
        }
    }
}
