using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Azure.Messaging.ServiceBus;

namespace Loyalty.Cli.Purchases;

/// <summary><c>loyalty purchases publish</c>: puts purchases on the queue that <c>RecordPurchaseFromQueue</c> (a Storage
/// queue, base64 as the Functions queue trigger reads it) or <c>RecordPurchaseFromServiceBus</c> (<c>--service-bus</c>,
/// with the message id set to the purchase id, so that the queue's duplicate detection drops a second send) reads.
/// It does not validate purchases (the function does, so that a bad one can be sent on purpose to watch it end in the
/// poison queue); it only checks that each line of a file is a JSON object with a <c>purchaseId</c>.</summary>
internal static partial class PurchaseCommands
{
    public const string DefaultQueue = "purchases";

    /// <summary>Storage queues take at most 64 KiB encoded; base64 turns 48 KiB into 64.</summary>
    public const int MaxMessageBytes = 48 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // A queue message is not HTML: write "+00:00", not "\u002B00:00".
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create(CliContext context)
    {
        var publish = new Command("publish", """
            Send purchases to the queue the app reads: one, described by options, or --json as it is, or every line of a
            JSON-lines --file (each line the body of POST /api/purchases). Storage queue by default; --service-bus sends
            to Service Bus with the message id set to the purchase id, so duplicate detection drops a repeated send.
            """);
        var options = new PublishOptions(publish, serviceBus: true);
        publish.SetAction(context, (result, ct) => PublishAsync(context, options.Read(result), ct));
        return new Command("purchases", "Purchases sent on a queue instead of POST /api/purchases.") { publish };
    }

    /// <summary>The command's name before <c>purchases publish</c> existed, kept for scripts that use it.</summary>
    public static Command CreateEnqueueAlias(CliContext context)
    {
        var command = new Command("enqueue-purchase", "Old name of 'purchases publish' (Storage queue only).") { Hidden = true };
        var options = new PublishOptions(command, serviceBus: false);
        command.SetAction(context, async (result, ct) =>
        {
            await context.Error.WriteLineAsync("Note: 'enqueue-purchase' is now 'loyalty purchases publish'; the old name will be removed.");
            return await PublishAsync(context, options.Read(result), ct);
        });
        return command;
    }

    private static async Task<int> PublishAsync(CliContext context, PublishRequest request, CancellationToken ct)
    {
        var (messages, problems) = await ReadMessagesAsync(context, request, ct);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await context.Error.WriteLineAsync(problem);
            }

            await context.Error.WriteLineAsync($"Nothing was published: fix {request.File} and run the command again.");
            return ExitCodes.Usage;
        }

        var target = request.ServiceBus ? $"Service Bus queue '{request.Queue}'" : $"Storage queue '{request.Queue}'";
        var receipt = request.ServiceBus
            ? await SendToServiceBusAsync(context, request.Queue, messages, ct)
            : await SendToStorageAsync(context, request.Queue, messages, ct);
        if (request.File is not null)
        {
            await context.Out.WriteLineAsync($"Published {messages.Count} purchases from {request.File} to {target}.");
        }
        else
        {
            var message = messages[0];
            await context.Out.WriteLineAsync($"Published {message.Description} to {target} (message {receipt ?? message.PurchaseId}).");
        }

        return ExitCodes.Ok;
    }

    private static async Task<(List<OutgoingPurchase> Messages, List<string> Problems)> ReadMessagesAsync(CliContext context, PublishRequest request, CancellationToken ct)
    {
        if (request.Json is { } json)
        {
            var id = PurchaseIdOf(json, out _);
            return ([new OutgoingPurchase(json, id, id is null ? "the message" : $"purchase {id}")], []);
        }

        if (request.File is { } file)
        {
            var messages = new List<OutgoingPurchase>();
            var problems = new List<string>();
            var number = 0;
            foreach (var line in await File.ReadAllLinesAsync(file, ct))
            {
                number++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                if (PurchaseIdOf(line, out var fault) is { } id && System.Text.Encoding.UTF8.GetByteCount(line) <= MaxMessageBytes)
                {
                    messages.Add(new OutgoingPurchase(line, id, $"purchase {id}"));
                }
                else
                {
                    problems.Add($"{file}:{number}: {fault ?? $"longer than {MaxMessageBytes / 1024} KiB, the most a queue message holds"}");
                }
            }

            if (messages.Count == 0 && problems.Count == 0)
            {
                problems.Add($"{file}: no purchases (the file is empty).");
            }

            return (messages, problems);
        }

        var purchase = new PurchaseMessage(
            request.PurchaseId ?? $"p-{Guid.NewGuid():N}"[..18],
            request.Member!,
            request.Amount!.Value,
            request.Currency,
            (request.OccurredAt ?? context.Time.GetUtcNow()).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
            request.StoreId);
        return ([new OutgoingPurchase(JsonSerializer.Serialize(purchase, Json), purchase.PurchaseId, $"purchase {purchase.PurchaseId} for member {purchase.MemberId}")], []);
    }

    // The purchase id of a message, or why a line of a file is not a purchase.
    private static string? PurchaseIdOf(string text, out string? fault)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                fault = "not a JSON object";
                return null;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("purchaseId") || property.Name.Equals("purchaseId", StringComparison.OrdinalIgnoreCase))
                {
                    fault = property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } ? null : "purchaseId is not a non-empty string";
                    return fault is null ? property.Value.GetString() : null;
                }
            }

            fault = "no purchaseId";
            return null;
        }
        catch (JsonException)
        {
            fault = "not valid JSON";
            return null;
        }
    }

    private static async Task<string?> SendToStorageAsync(CliContext context, string queueName, IReadOnlyList<OutgoingPurchase> messages, CancellationToken ct)
    {
        var queue = context.Queues().GetQueueClient(queueName);
        await queue.CreateIfNotExistsAsync(cancellationToken: ct);
        if (messages.Count == 1)
        {
            return (await queue.SendMessageAsync(messages[0].Text, ct)).Value.MessageId;
        }

        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (message, token) =>
            await queue.SendMessageAsync(message.Text, token));
        return null;
    }

    private static async Task<string?> SendToServiceBusAsync(CliContext context, string queueName, IReadOnlyList<OutgoingPurchase> messages, CancellationToken ct)
    {
        await using var client = context.ServiceBus();
        await using var sender = client.CreateSender(queueName);
        var pending = new Queue<OutgoingPurchase>(messages);
        while (pending.Count > 0)
        {
            using var batch = await sender.CreateMessageBatchAsync(ct);
            while (pending.Count > 0 && batch.TryAddMessage(ToServiceBus(pending.Peek())))
            {
                pending.Dequeue();
            }

            if (batch.Count == 0)
            {
                throw new InvalidOperationException($"purchase {pending.Peek().PurchaseId} is larger than a Service Bus message may be.");
            }

            await sender.SendMessagesAsync(batch, ct);
        }

        return messages.Count == 1 ? messages[0].PurchaseId : null;
    }

    private static ServiceBusMessage ToServiceBus(OutgoingPurchase purchase) => new(BinaryData.FromString(purchase.Text))
    {
        // Duplicate detection on the queue drops a second message with the same id within its window.
        MessageId = purchase.PurchaseId,
        ContentType = "application/json",
        Subject = "purchase",
    };

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")]
    internal static partial Regex StorageQueueName();

    private sealed record PurchaseMessage(string PurchaseId, string MemberId, decimal Amount, string Currency, string OccurredAt, string? StoreId);

    private sealed record OutgoingPurchase(string Text, string? PurchaseId, string Description);

    internal sealed record PublishRequest(
        string? Member, decimal? Amount, string Currency, string? PurchaseId, DateTimeOffset? OccurredAt, string? StoreId,
        string? Json, string? File, string Queue, bool ServiceBus);

    /// <summary>The options of <c>purchases publish</c> (and of its old name), with the rules that tie them together.</summary>
    private sealed class PublishOptions
    {
        private readonly Option<string> member = new("--member") { Description = "The member's id.", HelpName = "id" };
        private readonly Option<decimal?> amount = new("--amount")
        {
            Description = "The amount, e.g. 12.50.",
            HelpName = "amount",
            CustomParser = r => decimal.TryParse(r.Tokens[0].Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : Fail<decimal?>(r, $"--amount '{r.Tokens[0].Value}' is not a number such as 12.50."),
        };
        private readonly Option<string> currency = new("--currency") { Description = "ISO 4217 code.", HelpName = "code", DefaultValueFactory = _ => "USD" };
        private readonly Option<string> purchaseId = new("--purchase-id") { Description = "The idempotency key (default: a new id).", HelpName = "id" };
        private readonly Option<DateTimeOffset?> occurredAt = new("--occurred-at")
        {
            Description = "ISO 8601 with an offset (default: now).",
            HelpName = "time",
            CustomParser = r => HasOffset(r.Tokens[0].Value, out var value)
                ? value
                : Fail<DateTimeOffset?>(r, $"--occurred-at '{r.Tokens[0].Value}' is not an ISO 8601 time with an offset, such as 2026-11-24T10:00:00Z."),
        };
        private readonly Option<string> storeId = new("--store-id") { Description = "The store.", HelpName = "id" };
        private readonly Option<string> json = new("--json") { Description = "Send this text as the message, as it is (e.g. a broken purchase).", HelpName = "text" };
        private readonly Option<FileInfo> file = new("--file") { Description = "Send every line of this JSON-lines file.", HelpName = "path" };
        private readonly Option<string> queue = new("--queue") { Description = "The queue.", HelpName = "name", DefaultValueFactory = _ => DefaultQueue };
        private readonly Option<bool> serviceBus = new("--service-bus") { Description = "Send to Service Bus (ServiceBusConnection) instead of the Storage queue." };
        private readonly bool withServiceBus;

        public PublishOptions(Command command, bool serviceBus)
        {
            withServiceBus = serviceBus;
            file.AcceptExistingOnly();
            foreach (var option in new Option[] { member, amount, currency, purchaseId, occurredAt, storeId, json, file, queue })
            {
                command.Options.Add(option);
            }

            if (serviceBus)
            {
                command.Options.Add(this.serviceBus);
            }

            command.Validators.Add(Validate);
        }

        // The offset must be written (Z or ±hh:mm): a time without one would be read in this machine's zone.
        private static bool HasOffset(string text, out DateTimeOffset value) =>
            DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out value)
            && (text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10);

        private static T? Fail<T>(ArgumentResult result, string error)
        {
            result.AddError(error);
            return default;
        }

        public PublishRequest Read(ParseResult result) => new(
            result.GetValue(member), result.GetValue(amount), result.GetValue(currency)!, result.GetValue(purchaseId), result.GetValue(occurredAt),
            result.GetValue(storeId), result.GetValue(json), result.GetValue(file)?.ToString(),
            result.GetValue(queue)!, withServiceBus && result.GetValue(serviceBus));

        private void Validate(CommandResult result)
        {
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            var single = new Option[] { member, amount, currency, purchaseId, occurredAt, storeId }.Where(Given).Select(o => o.Name).ToList();
            if (Given(json) && Given(file))
            {
                result.AddError("--json and --file cannot be used together.");
            }
            else if ((Given(json) || Given(file)) && single.Count > 0)
            {
                result.AddError($"{string.Join(", ", single)} describe one purchase; they cannot be combined with {(Given(json) ? "--json" : "--file")}.");
            }
            else if (!Given(json) && !Given(file) && !(Given(member) && Given(amount)))
            {
                result.AddError("--member and --amount are required (or --json, or --file).");
            }

            if (!(withServiceBus && result.GetValue(serviceBus)) && result.GetValue(queue) is { } name && !StorageQueueName().IsMatch(name))
            {
                result.AddError($"--queue '{name}' is not a Storage queue name (3-63 lowercase letters, digits and single hyphens).");
            }
        }
    }
}
