using System.CommandLine;
using System.Globalization;
using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Loyalty.Cli.Queues;

/// <summary><c>loyalty queues poison list|show|replay QUEUE</c>: the Storage poison queues (<c>purchases-poison</c>,
/// <c>outreach-poison</c>) where the queue trigger puts a message after its last failed attempt. Replay puts a message
/// back on the original queue exactly as it is (it is already in the trigger's base64 form), then deletes it from the
/// poison queue: a crash in between leaves a copy in both, which is harmless because every function that reads these
/// queues is idempotent.</summary>
internal static class PoisonCommands
{
    private const string Suffix = "-poison";

    /// <summary>How many messages Peek Messages returns at most, and Get Messages receives at most.</summary>
    private const int PageSize = 32;

    /// <summary>How long a message received while looking for another, or while it is being replayed, stays hidden.</summary>
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(5);

    public static Command Create(CliContext context)
    {
        var queue = QueueArgument();
        var max = new Option<int>("--max") { Description = $"List at most this many (1-{PageSize}; Storage peeks at the first {PageSize} only).", HelpName = "n", DefaultValueFactory = _ => PageSize };
        max.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > PageSize)
            {
                r.AddError($"--max must be between 1 and {PageSize}.");
            }
        });
        var list = new Command("list", "List the messages of a poison queue: id, when it was first queued, size and the start of the body.") { queue, max };
        list.SetAction(context, (r, ct) => ListAsync(context, r.GetValue(queue)!, r.GetValue(max), ct));

        var showQueue = QueueArgument();
        var showId = new Argument<string>("MESSAGE-ID") { Description = "The message to show (default: all of the first 32).", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "Show messages of a poison queue in full, the body decoded from base64 as the queue trigger reads it.") { showQueue, showId };
        show.SetAction(context, (r, ct) => ShowAsync(context, r.GetValue(showQueue)!, r.GetValue(showId), ct));

        var replayQueue = QueueArgument();
        var replayId = new Argument<string>("MESSAGE-ID") { Description = "The message to replay.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Replay every message that is in the poison queue now." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be replayed; change nothing." };
        var replay = new Command("replay", "Put messages back on the original queue (QUEUE without -poison) and delete them from the poison queue.")
        {
            replayQueue, replayId, all, dryRun,
        };
        replay.Validators.Add(r =>
        {
            var hasId = r.GetResult(replayId) is { Tokens.Count: > 0 };
            if (hasId == r.GetValue(all))
            {
                r.AddError("Name one MESSAGE-ID, or --all (not both).");
            }
        });
        replay.SetAction(context, (r, ct) => ReplayAsync(context, r.GetValue(replayQueue)!, r.GetValue(replayId), r.GetValue(dryRun), ct));

        var poison = new Command("poison", "Messages that failed their last attempt (<queue>-poison).") { list, show, replay };
        return new Command("queues", "Storage queues.") { poison };
    }

    private static Argument<string> QueueArgument()
    {
        var queue = new Argument<string>("QUEUE") { Description = "The poison queue, e.g. purchases-poison or outreach-poison." };
        queue.Validators.Add(r =>
        {
            var name = r.GetValueOrDefault<string>();
            if (!name.EndsWith(Suffix, StringComparison.Ordinal) || name.Length == Suffix.Length || !Purchases.PurchaseCommands.StorageQueueName().IsMatch(name))
            {
                r.AddError($"QUEUE '{name}' is not a poison queue: name one such as purchases-poison or outreach-poison.");
            }
        });
        return queue;
    }

    private static async Task<int> ListAsync(CliContext context, string name, int max, CancellationToken ct)
    {
        var (poison, _) = Clients(context, name);
        if (await CountAsync(poison, ct) is not { } count)
        {
            return await NoSuchQueueAsync(context, name);
        }

        var messages = (await poison.PeekMessagesAsync(max, ct)).Value;
        await context.Out.WriteLineAsync($"{name}: {LoyaltyCli.Plural(count, "message")}{(count > messages.Length ? $", the first {messages.Length} shown" : "")}");
        if (messages.Length > 0)
        {
            await context.Out.WriteLineAsync($"{"ID",-36}  {"INSERTED (UTC)",-19}  {"BYTES",5}  BODY");
        }

        foreach (var message in messages)
        {
            var text = Readable(message.Body).Text;
            var preview = text.Length > 60 ? text[..57] + "..." : text;
            await context.Out.WriteLineAsync(
                $"{message.MessageId,-36}  {message.InsertedOn?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-19}  {message.Body.ToMemory().Length,5}  {preview.ReplaceLineEndings(" ")}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CliContext context, string name, string? id, CancellationToken ct)
    {
        var (poison, _) = Clients(context, name);
        if (await CountAsync(poison, ct) is null)
        {
            return await NoSuchQueueAsync(context, name);
        }

        var peeked = (await poison.PeekMessagesAsync(PageSize, ct)).Value;
        var shown = id is null ? [.. peeked.Select(m => (m.MessageId, m.InsertedOn, m.DequeueCount, m.Body))] : peeked.Where(m => m.MessageId == id).Select(m => (m.MessageId, m.InsertedOn, m.DequeueCount, m.Body)).ToList();
        if (id is not null && shown.Count == 0 && await FindAsync(poison, id, release: true, ct) is { } found)
        {
            shown.Add((found.MessageId, found.InsertedOn, found.DequeueCount, found.Body));
        }

        if (id is not null && shown.Count == 0)
        {
            await context.Error.WriteLineAsync($"{name} has no message {id}.");
            return ExitCodes.Failure;
        }

        foreach (var (messageId, insertedOn, dequeueCount, body) in shown)
        {
            var (text, decoded) = Readable(body);
            await context.Out.WriteLineAsync($"message  {messageId}");
            await context.Out.WriteLineAsync($"queued   {insertedOn?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
            await context.Out.WriteLineAsync($"dequeued {dequeueCount} times in {name}");
            await context.Out.WriteLineAsync($"body     ({(decoded ? "decoded from base64" : "as stored: not base64, so the queue trigger cannot read it")}):");
            await context.Out.WriteLineAsync(text);
            await context.Out.WriteLineAsync();
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ReplayAsync(CliContext context, string name, string? id, bool dryRun, CancellationToken ct)
    {
        var (poison, target) = Clients(context, name);
        if (await CountAsync(poison, ct) is not { } count)
        {
            return await NoSuchQueueAsync(context, name);
        }

        if (dryRun)
        {
            return await DryRunAsync(context, poison, target.Name, id, count, ct);
        }

        await target.CreateIfNotExistsAsync(cancellationToken: ct);
        if (id is not null)
        {
            if (await FindAsync(poison, id, release: false, ct) is not { } message)
            {
                await context.Error.WriteLineAsync($"{name} has no message {id}.");
                return ExitCodes.Failure;
            }

            await MoveAsync(context, poison, target, message, ct);
            return ExitCodes.Ok;
        }

        // Only what is there now: a replayed message that fails again and comes back is not replayed a second time.
        var replayed = 0;
        while (replayed < count)
        {
            var batch = (await poison.ReceiveMessagesAsync(Math.Min(PageSize, count - replayed), Hold, ct)).Value;
            if (batch.Length == 0)
            {
                break;
            }

            foreach (var message in batch)
            {
                await MoveAsync(context, poison, target, message, ct);
                replayed++;
            }
        }

        await context.Out.WriteLineAsync($"Replayed {LoyaltyCli.Plural(replayed, "message")} from {name} to {target.Name}.");
        return ExitCodes.Ok;
    }

    private static async Task<int> DryRunAsync(CliContext context, QueueClient poison, string target, string? id, int count, CancellationToken ct)
    {
        var peeked = (await poison.PeekMessagesAsync(PageSize, ct)).Value;
        var chosen = id is null ? peeked : [.. peeked.Where(m => m.MessageId == id)];
        foreach (var message in chosen)
        {
            await context.Out.WriteLineAsync($"Would replay {message.MessageId} from {poison.Name} to {target}.");
        }

        if (id is not null && chosen.Length == 0)
        {
            await context.Out.WriteLineAsync(count > PageSize
                ? $"{id} is not among the first {PageSize} messages of {poison.Name} (a dry run only peeks; a replay looks through them all)."
                : $"{poison.Name} has no message {id}: nothing would be replayed.");
        }
        else if (id is null)
        {
            await context.Out.WriteLineAsync($"Would replay {LoyaltyCli.Plural(count, "message")} from {poison.Name} to {target}{(count > chosen.Length ? $" ({chosen.Length} listed)" : "")}.");
        }

        await context.Out.WriteLineAsync("Dry run: nothing was changed.");
        return ExitCodes.Ok;
    }

    // Send first, delete second: at least once, never lost.
    private static async Task MoveAsync(CliContext context, QueueClient poison, QueueClient target, QueueMessage message, CancellationToken ct)
    {
        await target.SendMessageAsync(message.Body.ToString(), ct);
        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
        await context.Out.WriteLineAsync($"Replayed {message.MessageId} from {poison.Name} to {target.Name}.");
    }

    /// <summary>Receives until the message with <paramref name="id"/> turns up (Storage cannot fetch one message by id),
    /// then makes every other message it held visible again at once; with <paramref name="release"/> the found one too.</summary>
    private static async Task<QueueMessage?> FindAsync(QueueClient poison, string id, bool release, CancellationToken ct)
    {
        var held = new List<QueueMessage>();
        QueueMessage? found = null;
        try
        {
            while (found is null)
            {
                var batch = (await poison.ReceiveMessagesAsync(PageSize, Hold, ct)).Value;
                if (batch.Length == 0)
                {
                    break;
                }

                found = batch.FirstOrDefault(m => m.MessageId == id);
                held.AddRange(batch.Where(m => m.MessageId != id || release));
            }
        }
        finally
        {
            foreach (var message in held)
            {
                await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
            }
        }

        return found;
    }

    // Both raw (no decoding): a message is copied byte for byte, in whatever form the trigger left it.
    private static (QueueClient Poison, QueueClient Target) Clients(CliContext context, string name)
    {
        var service = context.Queues(QueueMessageEncoding.None);
        return (service.GetQueueClient(name), service.GetQueueClient(name[..^Suffix.Length]));
    }

    private static async Task<int?> CountAsync(QueueClient queue, CancellationToken ct)
    {
        var exists = await queue.ExistsAsync(ct);
        return exists.Value ? (await queue.GetPropertiesAsync(ct)).Value.ApproximateMessagesCount : null;
    }

    private static async Task<int> NoSuchQueueAsync(CliContext context, string name)
    {
        await context.Error.WriteLineAsync($"There is no queue {name}: nothing has failed on {name[..^Suffix.Length]} yet (or it is another storage account).");
        return ExitCodes.Failure;
    }

    // The trigger's text: base64 of UTF-8, as host.json's messageEncoding says; anything else as it is.
    private static (string Text, bool Decoded) Readable(BinaryData body)
    {
        var raw = body.ToString();
        var bytes = new byte[raw.Length];
        if (Convert.TryFromBase64String(raw, bytes, out var length))
        {
            try
            {
                return (new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, length), true);
            }
            catch (DecoderFallbackException)
            {
            }
        }

        return (raw, false);
    }

}
