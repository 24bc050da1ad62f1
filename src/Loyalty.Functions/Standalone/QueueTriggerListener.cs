using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Loyalty.Adapters.Storage;
using OpenTelemetry;

namespace Loyalty.Functions.Standalone;

/// <summary>Runs one <c>queueTrigger</c> function the way the Functions host's queue listener does: receives up to
/// <c>batchSize</c> messages, invokes the function for each, deletes a message whose invocation succeeded, makes a
/// failed one visible again after <c>visibilityTimeout</c>, and moves it to <c>&lt;queue&gt;-poison</c> once it has
/// failed <c>maxDequeueCount</c> times (at once when it arrives already past that count). An empty queue is polled
/// less and less often, up to <c>maxPollingInterval</c>.</summary>
internal sealed partial class QueueTriggerListener
{
    private readonly FunctionDefinition function;
    private readonly QueueSettings settings;
    private readonly TimeSpan processingVisibility;
    private readonly QueueClient queue;
    private readonly QueueClient poison;
    private readonly QueueClient rawPoison;
    private readonly FunctionInvoker invoker;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    public QueueTriggerListener(
        FunctionDefinition function, string queueName, StorageAccount account, HostSettings host, FunctionInvoker invoker, TimeProvider time, ILogger logger)
    {
        (this.function, settings, this.invoker, this.time, this.logger) = (function, host.Queues, invoker, time, logger);

        // A received message stays invisible while its invocation may still be running; if this process dies, it
        // comes back after that and is retried (recording is idempotent).
        processingVisibility = host.FunctionTimeout + TimeSpan.FromMinutes(1);
        var encoding = settings.Base64 ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None;
        var options = new QueueClientOptions { MessageEncoding = encoding };
        options.MessageDecodingFailed += OnUndecodableAsync;
        queue = account.CreateQueueServiceClient(options).GetQueueClient(queueName);
        poison = account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = encoding }).GetQueueClient(queueName + "-poison");
        rawPoison = account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }).GetQueueClient(queueName + "-poison");
    }

    public string QueueName => queue.Name;

    /// <summary>Polls until <paramref name="stopping"/>, then waits for the invocations in flight. Those still running
    /// when <paramref name="abort"/> fires are abandoned and their messages made visible again.</summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken abort)
    {
        if (!await EnsureQueueAsync(stopping))
        {
            return;
        }

        var inFlight = new HashSet<Task>();
        var stopped = Task.Delay(Timeout.Infinite, stopping);
        var idle = QueueSettings.MinPollingInterval;
        while (!stopping.IsCancellationRequested)
        {
            inFlight.RemoveWhere(t => t.IsCompleted);
            if (inFlight.Count > settings.NewBatchThreshold)
            {
                await Task.WhenAny([.. inFlight, stopped]);
                continue;
            }

            QueueMessage[] batch;
            try
            {
                // Not cancelled by shutdown: a receive cut short would hide messages for the whole processing visibility.
                // Not traced: polling is most of the calls and says nothing; each message's own trace starts below.
                using (SuppressInstrumentationScope.Begin())
                {
                    batch = (await queue.ReceiveMessagesAsync(settings.BatchSize, processingVisibility, CancellationToken.None)).Value;
                }
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
            {
                LogReceiveFailed(logger, function.Name, QueueName, (e as RequestFailedException)?.Status);
                await DelayAsync(settings.MaxPollingInterval, stopping);
                continue;
            }

            if (batch.Length == 0)
            {
                await DelayAsync(idle, stopping);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }

            idle = QueueSettings.MinPollingInterval;
            foreach (var message in batch)
            {
                inFlight.Add(ProcessAsync(message, abort));
            }
        }

        await Task.WhenAll(inFlight);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken abort)
    {
        using var activity = TriggerTracing.Start(function.Name, TriggerTracing.QueueMessage, message.MessageId, message.DequeueCount);
        try
        {
            if (message.DequeueCount > settings.MaxDequeueCount)
            {
                await MoveToPoisonAsync(message);
                activity.Ended(InvocationOutcome.Failed);
                return;
            }

            var info = new QueueMessageInfo(message.MessageId, message.PopReceipt, message.Body.ToString(), message.DequeueCount, message.InsertedOn, message.ExpiresOn, message.NextVisibleOn);
            var outcome = await invoker.InvokeAsync(function.Name, HostPayloads.Queue(function.Name, function.BindingName, info, time.GetUtcNow()), abort);
            activity.Ended(outcome);
            switch (outcome)
            {
                case InvocationOutcome.Succeeded:
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
                    break;
                case InvocationOutcome.Failed when message.DequeueCount >= settings.MaxDequeueCount:
                    await MoveToPoisonAsync(message);
                    break;
                case InvocationOutcome.Failed:
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: CancellationToken.None);
                    break;
                default:
                    // Shutdown or timeout: the outcome is unknown, so offer the message again now.
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
                    LogReleased(logger, function.Name, message.MessageId);
                    break;
            }
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
        {
            // Nothing is lost: the message becomes visible again when its processing visibility ends.
            LogSettleFailed(logger, function.Name, message.MessageId, (e as RequestFailedException)?.Status);
        }
    }

    private async Task MoveToPoisonAsync(QueueMessage message)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        await poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        LogPoisoned(logger, function.Name, message.MessageId, poison.Name, message.DequeueCount);
    }

    // A message that is not valid base64 can never be read: the host moves it to poison as it is.
    private async Task OnUndecodableAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not { } message)
        {
            return;
        }

        // Raised inside the (untraced) receive: this message's handling is traced like any other's.
        using var traced = SuppressInstrumentationScope.Begin(false);
        using var activity = TriggerTracing.Start(function.Name, TriggerTracing.QueueMessage, message.MessageId, message.DequeueCount);
        activity.Ended(InvocationOutcome.Failed);
        await rawPoison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        await rawPoison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
        await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        LogUndecodable(logger, function.Name, message.MessageId, rawPoison.Name);
    }

    private async Task<bool> EnsureQueueAsync(CancellationToken stopping)
    {
        for (var attempt = 1; !stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stopping);
                return true;
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
            {
                LogNotReady(logger, function.Name, QueueName, attempt);
                await DelayAsync(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
        }

        return false;
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: cannot receive from queue {Queue} (status {Status}); retrying")]
    private static partial void LogReceiveFailed(ILogger logger, string function, string queue, int? status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: cannot complete message {MessageId} (status {Status}); it becomes visible again later")]
    private static partial void LogSettleFailed(ILogger logger, string function, string messageId, int? status);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: message {MessageId} released unprocessed; it is visible again")]
    private static partial void LogReleased(ILogger logger, string function, string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: message {MessageId} moved to {PoisonQueue} after {DequeueCount} attempts")]
    private static partial void LogPoisoned(ILogger logger, string function, string messageId, string poisonQueue, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: message {MessageId} is not valid base64; moved to {PoisonQueue} as it is")]
    private static partial void LogUndecodable(ILogger logger, string function, string messageId, string poisonQueue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: queue {Queue} is not reachable yet (attempt {Attempt}); retrying")]
    private static partial void LogNotReady(ILogger logger, string function, string queue, int attempt);
}
