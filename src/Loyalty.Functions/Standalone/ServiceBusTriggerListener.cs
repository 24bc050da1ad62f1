using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Loyalty.Adapters.Messaging;

namespace Loyalty.Functions.Standalone;

/// <summary>Runs one <c>serviceBusTrigger</c> function against a real namespace the way the Functions host's Service Bus
/// listener does: a <see cref="ServiceBusProcessor"/> (peek-lock, concurrent calls, lock renewal while the invocation
/// runs) invokes the function with the host's payload for each message, completes the message when the function
/// answers 2xx and abandons it otherwise, so that the entity's max delivery count dead-letters it, as under the host.
/// Used only when the trigger's connection setting (<c>ServiceBusConnection</c>) is set: without it, the Storage-queue
/// twin serves local runs.</summary>
internal sealed partial class ServiceBusTriggerListener(
    FunctionDefinition function, string queueName, ServiceBusClient client, ServiceBusSettings settings, FunctionInvoker invoker, TimeProvider time, ILogger logger)
{
    public string QueueName => queueName;

    /// <summary>Processes until <paramref name="stopping"/>, then lets the invocations in flight finish; those still
    /// running when <paramref name="abort"/> fires are given up and their messages abandoned.</summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken abort)
    {
        await using var processor = client.CreateProcessor(queueName, new ServiceBusProcessorOptions
        {
            // Settled here, by the function's answer, as the host does with autoCompleteMessages.
            AutoCompleteMessages = false,
            MaxConcurrentCalls = settings.MaxConcurrentCalls,
            PrefetchCount = settings.PrefetchCount,
            MaxAutoLockRenewalDuration = settings.MaxAutoLockRenewalDuration,
        });
        processor.ProcessMessageAsync += args => ProcessAsync(args, abort);
        processor.ProcessErrorAsync += args =>
        {
            LogProcessorError(logger, function.Name, queueName, args.ErrorSource.ToString(), (args.Exception as ServiceBusException)?.Reason.ToString() ?? args.Exception.GetType().Name);
            return Task.CompletedTask;
        };

        try
        {
            await processor.StartProcessingAsync(stopping);
            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        // Waits for the handlers in flight, which the abort token cuts short after the drain timeout.
        await processor.StopProcessingAsync(CancellationToken.None);
    }

    internal async Task ProcessAsync(ProcessMessageEventArgs args, CancellationToken abort)
    {
        var message = args.Message;

        // The Service Bus SDK stamps each message it sends with the sender's trace context in Diagnostic-Id.
        using var activity = TriggerTracing.Start(
            function.Name, TriggerTracing.ServiceBusMessage, message.MessageId, message.DeliveryCount,
            message.ApplicationProperties.TryGetValue("Diagnostic-Id", out var parent) ? parent as string : null);
        var outcome = await invoker.InvokeAsync(function.Name, HostPayloads.ServiceBus(function.Name, function.BindingName, message, time.GetUtcNow()), abort);
        activity.Ended(outcome);
        try
        {
            if (outcome == InvocationOutcome.Succeeded)
            {
                await args.CompleteMessageAsync(message, CancellationToken.None);
                return;
            }

            // Abandoning counts a delivery, as it does under the host; at the entity's max delivery count Service Bus
            // moves the message to the dead-letter queue itself.
            await args.AbandonMessageAsync(message, cancellationToken: CancellationToken.None);
            LogAbandoned(logger, function.Name, message.MessageId, message.DeliveryCount, outcome.ToString());
        }
        catch (ServiceBusException e)
        {
            // The lock was lost (or the link): the message comes back when its lock expires and is delivered again.
            LogSettleFailed(logger, function.Name, message.MessageId, e.Reason.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: message {MessageId} abandoned after delivery {DeliveryCount} ({Outcome}); Service Bus dead-letters it at the queue's max delivery count")]
    private static partial void LogAbandoned(ILogger logger, string function, string messageId, int deliveryCount, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: cannot settle message {MessageId} ({Reason}); it is delivered again when its lock expires")]
    private static partial void LogSettleFailed(ILogger logger, string function, string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: Service Bus queue {Queue}: {Source} failed ({Reason}); the processor retries")]
    private static partial void LogProcessorError(ILogger logger, string function, string queue, string source, string reason);
}

/// <summary>The Service Bus trigger's settings the runner takes from <c>host.json</c> (<c>extensions.serviceBus</c>),
/// with the extension's defaults.</summary>
public sealed record ServiceBusSettings(int MaxConcurrentCalls, int PrefetchCount, TimeSpan MaxAutoLockRenewalDuration)
{
    public static ServiceBusSettings Default { get; } = new(checked(16 * Environment.ProcessorCount), 0, TimeSpan.FromMinutes(5));

    /// <summary>Reads <c>extensions.serviceBus</c> from the app's host.json, if it has one.</summary>
    public static ServiceBusSettings Read(string appRoot)
    {
        var file = Path.Combine(appRoot, "host.json");
        if (!File.Exists(file))
        {
            return Default;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!document.RootElement.TryGetProperty("extensions", out var extensions) || !extensions.TryGetProperty("serviceBus", out var serviceBus))
            {
                return Default;
            }

            return new ServiceBusSettings(
                serviceBus.TryGetProperty("maxConcurrentCalls", out var calls) ? Math.Max(calls.GetInt32(), 1) : Default.MaxConcurrentCalls,
                serviceBus.TryGetProperty("prefetchCount", out var prefetch) ? Math.Max(prefetch.GetInt32(), 0) : Default.PrefetchCount,
                serviceBus.TryGetProperty("maxAutoLockRenewalDuration", out var renewal) && HostSettings.ReadSpan(renewal) is { } span ? span : Default.MaxAutoLockRenewalDuration);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{file} cannot be read: extensions.serviceBus: {e.Message}", e);
        }
    }
}

/// <summary>The Service Bus clients of the runner, one per connection setting, made from the app settings the way the
/// Functions host reads a trigger's <c>connection</c>. A client registered in DI under the setting's name (a keyed
/// service) is used instead: that is how the tests put in a namespace of their own.</summary>
public sealed class ServiceBusClients(IConfiguration configuration, IServiceProvider services) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServiceBusClient> created = new(StringComparer.Ordinal);

    /// <summary>The client for <paramref name="setting"/>, or null when that setting is not set.</summary>
    public ServiceBusClient? For(string setting) =>
        services.GetKeyedService<ServiceBusClient>(setting)
        ?? (ServiceBusConnection.IsConfigured(configuration, setting) ? created.GetOrAdd(setting, s => ServiceBusConnection.CreateClient(configuration, s)) : null);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in created.Values)
        {
            await client.DisposeAsync();
        }
    }
}
