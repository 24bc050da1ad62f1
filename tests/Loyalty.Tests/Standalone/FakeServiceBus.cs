using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure.Messaging.ServiceBus;

namespace Loyalty.Tests.Standalone;

/// <summary>An in-memory Service Bus namespace behind the SDK's own types: no emulator can run here (design decision 2),
/// so <see cref="ServiceBusClient"/>, <see cref="ServiceBusSender"/>, <see cref="ServiceBusReceiver"/> and
/// <see cref="ServiceBusProcessor"/> are subclassed through their virtual methods, and messages are made with
/// <see cref="ServiceBusModelFactory"/>. It keeps what the code under test relies on: peek-lock with delivery counts, a
/// dead-letter sub-queue fed by the max delivery count (with Service Bus's reason and description), sequence numbers,
/// and duplicate detection by message id.</summary>
public sealed class FakeServiceBus
{
    public const string Namespace = "loyalty-test.servicebus.windows.net";

    private readonly ConcurrentDictionary<string, Entity> queues = new(StringComparer.OrdinalIgnoreCase);

    public FakeServiceBus(int maxDeliveryCount = 5) => MaxDeliveryCount = maxDeliveryCount;

    public int MaxDeliveryCount { get; }

    public ServiceBusClient Client => new FakeClient(this);

    /// <summary>Messages waiting in the queue (locked or not).</summary>
    public IReadOnlyList<ServiceBusReceivedMessage> Active(string queue) => Queue(queue).Snapshot(deadLetter: false);

    public IReadOnlyList<ServiceBusReceivedMessage> DeadLettered(string queue) => Queue(queue).Snapshot(deadLetter: true);

    /// <summary>Every message id the queue accepted (duplicates dropped by duplicate detection are not in it).</summary>
    public IReadOnlyList<string?> Accepted(string queue) => Queue(queue).Accepted;

    public void Send(string queue, ServiceBusMessage message) => Queue(queue).Send(message);

    /// <summary>Puts a message straight into the dead-letter queue, as Service Bus leaves one after its last delivery.</summary>
    public void DeadLetter(string queue, string body, string messageId, string reason, string description, int deliveryCount) =>
        Queue(queue).AddDeadLettered(body, messageId, reason, description, deliveryCount);

    private Entity Queue(string name) => queues.GetOrAdd(name, _ => new Entity(this));

    private sealed class Stored(BinaryData body, ServiceBusMessage? source, string? messageId, long sequence, DateTimeOffset enqueued)
    {
        public BinaryData Body { get; } = body;

        public string? MessageId { get; } = messageId;

        public long Sequence { get; } = sequence;

        public DateTimeOffset Enqueued { get; } = enqueued;

        public Dictionary<string, object> Properties { get; } = source is null ? [] : new(source.ApplicationProperties);

        public string? ContentType { get; } = source?.ContentType;

        public string? Subject { get; } = source?.Subject;

        public string? CorrelationId { get; } = source?.CorrelationId;

        public int DeliveryCount { get; set; }

        public Guid? Lock { get; set; }

        public ServiceBusReceivedMessage ToReceived() => ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: Body,
            messageId: MessageId,
            timeToLive: TimeSpan.FromDays(14),
            correlationId: CorrelationId,
            subject: Subject,
            contentType: ContentType,
            properties: new Dictionary<string, object>(Properties),
            lockTokenGuid: Lock ?? Guid.Empty,
            deliveryCount: DeliveryCount,
            lockedUntil: Enqueued.AddMinutes(1),
            sequenceNumber: Sequence,
            enqueuedTime: Enqueued);
    }

    private sealed class Entity(FakeServiceBus bus)
    {
        private readonly Lock gate = new();
        private readonly List<Stored> active = [];
        private readonly List<Stored> deadLetter = [];
        private readonly HashSet<string> seenIds = new(StringComparer.Ordinal);
        private readonly List<string?> accepted = [];
        private long sequence;

        public IReadOnlyList<string?> Accepted
        {
            get
            {
                lock (gate)
                {
                    return [.. accepted];
                }
            }
        }

        public IReadOnlyList<ServiceBusReceivedMessage> Snapshot(bool deadLetter)
        {
            lock (gate)
            {
                return [.. (deadLetter ? this.deadLetter : active).Select(m => m.ToReceived())];
            }
        }

        public void Send(ServiceBusMessage message)
        {
            lock (gate)
            {
                if (message.MessageId is { } id && !seenIds.Add(id))
                {
                    return;
                }

                accepted.Add(message.MessageId);
                active.Add(new Stored(message.Body, message, message.MessageId, ++sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence)));
            }
        }

        public void AddDeadLettered(string body, string messageId, string reason, string description, int deliveryCount)
        {
            lock (gate)
            {
                var stored = new Stored(BinaryData.FromString(body), null, messageId, ++sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence)) { DeliveryCount = deliveryCount };
                stored.Properties["DeadLetterReason"] = reason;
                stored.Properties["DeadLetterErrorDescription"] = description;
                deadLetter.Add(stored);
            }
        }

        public IReadOnlyList<ServiceBusReceivedMessage> Peek(bool deadLetter, int max, long? from)
        {
            lock (gate)
            {
                return [.. (deadLetter ? this.deadLetter : active).Where(m => m.Sequence >= (from ?? 0)).OrderBy(m => m.Sequence).Take(max).Select(m => m.ToReceived())];
            }
        }

        public IReadOnlyList<ServiceBusReceivedMessage> Receive(bool deadLetter, int max)
        {
            lock (gate)
            {
                var taken = (deadLetter ? this.deadLetter : active).Where(m => m.Lock is null).OrderBy(m => m.Sequence).Take(max).ToList();
                foreach (var message in taken)
                {
                    message.Lock = Guid.NewGuid();
                    message.DeliveryCount++;
                }

                return [.. taken.Select(m => m.ToReceived())];
            }
        }

        public void Complete(bool deadLetter, ServiceBusReceivedMessage message)
        {
            lock (gate)
            {
                var list = deadLetter ? this.deadLetter : active;
                list.Remove(Locked(list, message));
            }
        }

        public void Abandon(bool deadLetter, ServiceBusReceivedMessage message)
        {
            lock (gate)
            {
                var list = deadLetter ? this.deadLetter : active;
                var stored = Locked(list, message);
                stored.Lock = null;
                if (!deadLetter && stored.DeliveryCount >= bus.MaxDeliveryCount)
                {
                    list.Remove(stored);
                    stored.Properties["DeadLetterReason"] = "MaxDeliveryCountExceeded";
                    stored.Properties["DeadLetterErrorDescription"] = $"Message could not be consumed after {bus.MaxDeliveryCount} delivery attempts.";
                    this.deadLetter.Add(stored);
                }
            }
        }

        private static Stored Locked(List<Stored> list, ServiceBusReceivedMessage message) =>
            list.SingleOrDefault(m => m.Lock?.ToString() == message.LockToken)
            ?? throw new ServiceBusException("The lock supplied is invalid.", ServiceBusFailureReason.MessageLockLost);
    }

    private sealed class FakeClient(FakeServiceBus bus) : ServiceBusClient
    {
        public override string FullyQualifiedNamespace => Namespace;

        public override ServiceBusSender CreateSender(string queueOrTopicName) => new FakeSender(bus.Queue(queueOrTopicName), queueOrTopicName);

        public override ServiceBusReceiver CreateReceiver(string queueName, ServiceBusReceiverOptions options) =>
            new FakeReceiver(bus.Queue(queueName), queueName, options.SubQueue == SubQueue.DeadLetter);

        public override ServiceBusReceiver CreateReceiver(string queueName) => CreateReceiver(queueName, new ServiceBusReceiverOptions());

        public override ServiceBusProcessor CreateProcessor(string queueName, ServiceBusProcessorOptions options) =>
            new FakeProcessor(new FakeReceiver(bus.Queue(queueName), queueName, deadLetter: false), options);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeSender(Entity queue, string name) : ServiceBusSender
    {
        private readonly ConditionalWeakTable<ServiceBusMessageBatch, List<ServiceBusMessage>> batches = [];

        public override string EntityPath => name;

        public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
        {
            queue.Send(message);
            return Task.CompletedTask;
        }

        public override Task SendMessagesAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
        {
            foreach (var message in messages)
            {
                queue.Send(message);
            }

            return Task.CompletedTask;
        }

        public override ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default)
        {
            var store = new List<ServiceBusMessage>();
            var batch = ServiceBusModelFactory.ServiceBusMessageBatch(256 * 1024, store, tryAddCallback: _ => store.Count < 100);
            batches.Add(batch, store);
            return ValueTask.FromResult(batch);
        }

        public override Task SendMessagesAsync(ServiceBusMessageBatch messageBatch, CancellationToken cancellationToken = default) =>
            SendMessagesAsync(batches.TryGetValue(messageBatch, out var store) ? store : [], cancellationToken);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeReceiver(Entity queue, string name, bool deadLetter) : ServiceBusReceiver
    {
        public override string EntityPath => deadLetter ? $"{name}/$DeadLetterQueue" : name;

        public override Task<IReadOnlyList<ServiceBusReceivedMessage>> PeekMessagesAsync(int maxMessages, long? fromSequenceNumber = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(queue.Peek(deadLetter, maxMessages, fromSequenceNumber));

        public override Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(queue.Receive(deadLetter, maxMessages));

        public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        {
            queue.Complete(deadLetter, message);
            return Task.CompletedTask;
        }

        public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
        {
            queue.Abandon(deadLetter, message);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Receives what is there and raises the SDK's own message event (<c>OnProcessMessageAsync</c>, which the SDK
    /// keeps overridable for tests), at most <c>MaxConcurrentCalls</c> at once; settlement goes through the receiver.</summary>
    private sealed class FakeProcessor(FakeReceiver receiver, ServiceBusProcessorOptions options) : ServiceBusProcessor
    {
        private readonly CancellationTokenSource stop = new();
        private Task? loop;

        public override bool IsProcessing => loop is { IsCompleted: false };

        public override bool AutoCompleteMessages => options.AutoCompleteMessages;

        public override int MaxConcurrentCalls => options.MaxConcurrentCalls;

        public override Task StartProcessingAsync(CancellationToken cancellationToken = default)
        {
            loop = Task.Run(RunAsync, CancellationToken.None);
            return Task.CompletedTask;
        }

        public override async Task StopProcessingAsync(CancellationToken cancellationToken = default)
        {
            await stop.CancelAsync();
            if (loop is not null)
            {
                await loop;
            }
        }

        public override Task CloseAsync(CancellationToken cancellationToken = default) => StopProcessingAsync(cancellationToken);

        private async Task RunAsync()
        {
            var inFlight = new List<Task>();
            while (!stop.IsCancellationRequested)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                var free = options.MaxConcurrentCalls - inFlight.Count;
                var batch = free > 0 ? await receiver.ReceiveMessagesAsync(free) : [];
                if (batch.Count == 0)
                {
                    await Task.WhenAny(Task.Delay(20, CancellationToken.None), inFlight.Count > 0 ? Task.WhenAny(inFlight) : Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
                    continue;
                }

                inFlight.AddRange(batch.Select(m => Task.Run(() => OnProcessMessageAsync(new ProcessMessageEventArgs(m, receiver, stop.Token)), CancellationToken.None)));
            }

            await Task.WhenAll(inFlight);
        }
    }
}
