using System.CommandLine;
using System.Globalization;
using Azure.Messaging.ServiceBus;
using Loyalty.Adapters.Messaging;

namespace Loyalty.Cli.ServiceBus;

/// <summary><c>loyalty servicebus deadletters list|show|resubmit</c>: the dead-letter sub-queue of the Service Bus
/// <c>purchases</c> queue, where a message goes after the queue's max delivery count (or on expiry). Resubmit sends a
/// copy of the message to the queue and then completes the dead-lettered one.</summary>
internal static class DeadLetterCommands
{
    /// <summary>The application property a resubmitted copy carries: the message id it was copied from.</summary>
    public const string ResubmittedFrom = "ResubmittedFrom";

    private const int PageSize = 100;

    private static readonly string[] DeadLetterProperties = ["DeadLetterReason", "DeadLetterErrorDescription"];

    public static Command Create(CliContext context)
    {
        var list = new Command("list", "List dead-lettered messages (peeked: nothing changes) with the reason Service Bus gave.");
        var listQueue = QueueOption(list);
        var max = new Option<int>("--max") { Description = "List at most this many.", HelpName = "n", DefaultValueFactory = _ => PageSize };
        max.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--max must be at least 1.");
            }
        });
        list.Options.Add(max);
        list.SetAction(context, (r, ct) => ListAsync(context, r.GetValue(listQueue)!, r.GetValue(max), ct));

        var showId = new Argument<string>("MESSAGE-ID") { Description = "The message id (for a published purchase, its purchase id)." };
        var show = new Command("show", "Show dead-lettered messages with this id in full: properties, dead-letter reason and body.") { showId };
        var showQueue = QueueOption(show);
        show.SetAction(context, (r, ct) => ShowAsync(context, r.GetValue(showQueue)!, r.GetValue(showId)!, ct));

        var resubmitId = new Argument<string>("MESSAGE-ID") { Description = "The message to resubmit.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Resubmit every message that is dead-lettered now." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be resubmitted; change nothing." };
        var resubmit = new Command("resubmit", "Send a copy of dead-lettered messages to the queue, then complete them in the dead-letter queue.")
        {
            resubmitId, all, dryRun,
        };
        var resubmitQueue = QueueOption(resubmit);
        resubmit.Validators.Add(r =>
        {
            if ((r.GetResult(resubmitId) is { Tokens.Count: > 0 }) == r.GetValue(all))
            {
                r.AddError("Name one MESSAGE-ID, or --all (not both).");
            }
        });
        resubmit.SetAction(context, (r, ct) => ResubmitAsync(context, r.GetValue(resubmitQueue)!, r.GetValue(resubmitId), r.GetValue(dryRun), ct));

        var deadLetters = new Command("deadletters", "Messages Service Bus dead-lettered (<queue>/$DeadLetterQueue).") { list, show, resubmit };
        return new Command("servicebus", "Service Bus, from ServiceBusConnection (a connection string) or ServiceBusConnection__fullyQualifiedNamespace (your Azure identity).")
        {
            deadLetters,
        };
    }

    private static Option<string> QueueOption(Command command)
    {
        var queue = new Option<string>("--queue") { Description = "The queue.", HelpName = "name", DefaultValueFactory = _ => ServiceBusConnection.PurchasesQueue };
        command.Options.Add(queue);
        return queue;
    }

    private static async Task<int> ListAsync(CliContext context, string queue, int max, CancellationToken ct)
    {
        await using var client = context.ServiceBus();
        await using var receiver = DeadLetterReceiver(client, queue);
        var messages = await PeekAsync(receiver, max, ct);
        await context.Out.WriteLineAsync($"{receiver.EntityPath}: {messages.Count} message{(messages.Count == 1 ? "" : "s")}{(messages.Count == max ? " shown (--max)" : "")}");
        if (messages.Count > 0)
        {
            await context.Out.WriteLineAsync($"{"SEQ",5}  {"MESSAGE ID",-28}  {"ENQUEUED (UTC)",-19}  {"DELIVERIES",10}  REASON: DESCRIPTION");
        }

        foreach (var m in messages)
        {
            var description = $"{m.DeadLetterReason}: {m.DeadLetterErrorDescription}";
            await context.Out.WriteLineAsync(
                $"{m.SequenceNumber,5}  {m.MessageId,-28}  {m.EnqueuedTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-19}  {m.DeliveryCount,10}  {(description.Length > 100 ? description[..97] + "..." : description)}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CliContext context, string queue, string id, CancellationToken ct)
    {
        await using var client = context.ServiceBus();
        await using var receiver = DeadLetterReceiver(client, queue);
        var found = (await PeekAsync(receiver, int.MaxValue, ct)).Where(m => m.MessageId == id).ToList();
        if (found.Count == 0)
        {
            await context.Error.WriteLineAsync($"{receiver.EntityPath} has no message {id}.");
            return ExitCodes.Failure;
        }

        foreach (var m in found)
        {
            await context.Out.WriteLineAsync($"message      {m.MessageId} (sequence {m.SequenceNumber})");
            await context.Out.WriteLineAsync($"reason       {m.DeadLetterReason}");
            await context.Out.WriteLineAsync($"description  {m.DeadLetterErrorDescription}");
            await context.Out.WriteLineAsync($"enqueued     {m.EnqueuedTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}, delivered {m.DeliveryCount} times");
            foreach (var (key, value) in m.ApplicationProperties.Where(p => !DeadLetterProperties.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                await context.Out.WriteLineAsync($"property     {key} = {value}");
            }

            await context.Out.WriteLineAsync($"body ({m.ContentType ?? "no content type"}):");
            await context.Out.WriteLineAsync(m.Body.ToString());
            await context.Out.WriteLineAsync();
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ResubmitAsync(CliContext context, string queue, string? id, bool dryRun, CancellationToken ct)
    {
        await using var client = context.ServiceBus();
        await using var receiver = DeadLetterReceiver(client, queue);

        // Only what is dead-lettered now: a copy that fails again is dead-lettered with a later sequence number.
        var present = (await PeekAsync(receiver, int.MaxValue, ct)).Where(m => id is null || m.MessageId == id).ToList();
        if (dryRun || present.Count == 0)
        {
            foreach (var m in present)
            {
                await context.Out.WriteLineAsync($"Would resubmit {m.MessageId} (sequence {m.SequenceNumber}, {m.DeadLetterReason}) to {queue}.");
            }

            await context.Out.WriteLineAsync(present.Count == 0
                ? $"{receiver.EntityPath} has no {(id is null ? "messages" : $"message {id}")}: nothing to resubmit."
                : "Dry run: nothing was changed.");
            return present.Count == 0 && id is not null ? ExitCodes.Failure : ExitCodes.Ok;
        }

        var wanted = present.Select(m => m.SequenceNumber).ToHashSet();
        await using var sender = client.CreateSender(queue);
        var held = new List<ServiceBusReceivedMessage>();
        var resubmitted = 0;
        try
        {
            while (wanted.Count > 0)
            {
                var batch = await receiver.ReceiveMessagesAsync(PageSize, TimeSpan.FromSeconds(5), ct);
                if (batch.Count == 0)
                {
                    break;
                }

                foreach (var message in batch)
                {
                    if (!wanted.Remove(message.SequenceNumber))
                    {
                        held.Add(message);
                        continue;
                    }

                    // Send first, complete second: at least once, never lost.
                    await sender.SendMessageAsync(Copy(message), ct);
                    await receiver.CompleteMessageAsync(message, ct);
                    resubmitted++;
                    await context.Out.WriteLineAsync($"Resubmitted {message.MessageId} (sequence {message.SequenceNumber}) to {queue}.");
                }
            }
        }
        finally
        {
            foreach (var message in held)
            {
                await receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None);
            }
        }

        await context.Out.WriteLineAsync($"Resubmitted {resubmitted} message{(resubmitted == 1 ? "" : "s")} to {queue}.");
        if (wanted.Count > 0)
        {
            await context.Error.WriteLineAsync($"{wanted.Count} message(s) peeked at the start could not be received (locked by another receiver, or gone).");
            return ExitCodes.Failure;
        }

        return ExitCodes.Ok;
    }

    /// <summary>The copy keeps the body and properties but gets its own message id, derived from the dead-lettered
    /// message's sequence number: the original id is still in the queue's duplicate-detection history within its
    /// window, where a resend would be dropped silently; the derived id is stable, so resubmitting the same message
    /// twice (a crash between send and complete) is dropped by duplicate detection instead.</summary>
    internal static ServiceBusMessage Copy(ServiceBusReceivedMessage message)
    {
        var copy = new ServiceBusMessage(message);
        foreach (var key in DeadLetterProperties)
        {
            copy.ApplicationProperties.Remove(key);
        }

        var original = message.MessageId ?? "";
        copy.MessageId = $"{(original.Length > 100 ? original[..100] : original)}/dlq-{message.SequenceNumber.ToString(CultureInfo.InvariantCulture)}";
        copy.ApplicationProperties[ResubmittedFrom] = original;
        return copy;
    }

    private static ServiceBusReceiver DeadLetterReceiver(ServiceBusClient client, string queue) =>
        client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter, ReceiveMode = ServiceBusReceiveMode.PeekLock });

    private static async Task<List<ServiceBusReceivedMessage>> PeekAsync(ServiceBusReceiver receiver, int max, CancellationToken ct)
    {
        var messages = new List<ServiceBusReceivedMessage>();
        long? from = null;
        while (messages.Count < max)
        {
            var page = await receiver.PeekMessagesAsync(Math.Min(PageSize, max - messages.Count), from, ct);
            if (page.Count == 0)
            {
                break;
            }

            messages.AddRange(page);
            from = page[^1].SequenceNumber + 1;
        }

        return messages;
    }
}
