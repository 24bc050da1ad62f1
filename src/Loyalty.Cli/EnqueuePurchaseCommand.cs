using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Loyalty.Adapters.Storage;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Cli;

/// <summary><c>loyalty enqueue-purchase</c>: puts a purchase on the Storage queue that <c>RecordPurchaseFromQueue</c>
/// reads, base64-encoded as the Functions queue trigger expects, using the same <c>AzureWebJobsStorage</c> setting
/// as the app (default: Azurite on its standard ports). It does not validate the purchase: the function does, so
/// that a bad purchase can be sent on purpose to watch it end in the poison queue.</summary>
public static class EnqueuePurchaseCommand
{
    public const string Name = "enqueue-purchase";
    public const string DefaultQueue = "purchases";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly string Help = $"""
        Usage: loyalty {Name} --member <id> --amount <amount> [options]
               loyalty {Name} --json '<purchase JSON>' [--queue <name>]

        Puts a purchase on the Storage queue read by RecordPurchaseFromQueue.

          --member <id>          the member's id (required without --json)
          --amount <amount>      the amount, e.g. 12.50 (required without --json)
          --currency <code>      ISO 4217 code (default USD)
          --purchase-id <id>     the idempotency key (default: a new id)
          --occurred-at <time>   ISO 8601 with offset (default: now)
          --store-id <id>        the store
          --json <text>          send this text as the message instead, as it is
          --queue <name>         the queue (default {DefaultQueue})

        Storage: the AzureWebJobsStorage environment variable (default UseDevelopmentStorage=true).
        """;

    /// <summary>Runs the command; returns the process exit code (0 done, 1 storage failure, 2 usage error).</summary>
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args, IConfiguration configuration, TimeProvider time, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (!TryParse(args, out var options, out var problem))
        {
            await error.WriteLineAsync(problem);
            await error.WriteLineAsync();
            await error.WriteLineAsync(Help);
            return 2;
        }

        if (options.ContainsKey("help"))
        {
            await output.WriteLineAsync(Help);
            return 0;
        }

        string message, description;
        if (options.TryGetValue("json", out var json))
        {
            (message, description) = (json, "the message");
        }
        else
        {
            if (!options.TryGetValue("member", out var member) || !options.TryGetValue("amount", out var amountText))
            {
                await error.WriteLineAsync("--member and --amount are required (or --json).");
                return 2;
            }

            if (!decimal.TryParse(amountText, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
            {
                await error.WriteLineAsync($"--amount '{amountText}' is not a number such as 12.50.");
                return 2;
            }

            var purchase = new PurchaseMessage(
                options.GetValueOrDefault("purchase-id") ?? $"p-{Guid.NewGuid():N}"[..18],
                member,
                amount,
                options.GetValueOrDefault("currency") ?? "USD",
                options.GetValueOrDefault("occurred-at") ?? time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                options.GetValueOrDefault("store-id"));
            message = JsonSerializer.Serialize(purchase, Json);
            description = $"purchase {purchase.PurchaseId} for member {purchase.MemberId}";
        }

        var queueName = options.GetValueOrDefault("queue") ?? DefaultQueue;
        try
        {
            var account = configuration[StorageAccount.SettingName] is { Length: > 0 } || configuration.GetSection(StorageAccount.SettingName).GetChildren().Any()
                ? StorageAccount.FromConfiguration(configuration)
                : StorageAccount.FromConnectionString("UseDevelopmentStorage=true");
            var queue = account.CreateQueueServiceClient().GetQueueClient(queueName);
            await queue.CreateIfNotExistsAsync(cancellationToken: ct);
            var receipt = await queue.SendMessageAsync(message, ct);
            await output.WriteLineAsync($"Enqueued {description} on queue '{queueName}' (message {receipt.Value.MessageId}).");
            return 0;
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or HttpRequestException or InvalidOperationException)
        {
            await error.WriteLineAsync($"Cannot enqueue on '{queueName}': {(e as RequestFailedException)?.ErrorCode ?? e.GetType().Name}. Is storage running (bash eng/run.sh starts Azurite)?");
            return 1;
        }
    }

    private static bool TryParse(IReadOnlyList<string> args, out Dictionary<string, string> options, out string problem)
    {
        string[] known = ["member", "amount", "currency", "purchase-id", "occurred-at", "store-id", "json", "queue"];
        options = [];
        problem = "";
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is "help" or "h")
            {
                options["help"] = "";
                continue;
            }

            if (name is null || !known.Contains(name))
            {
                problem = $"Unknown argument '{args[i]}'.";
                return false;
            }

            if (i + 1 >= args.Count)
            {
                problem = $"--{name} needs a value.";
                return false;
            }

            options[name] = args[++i];
        }

        return true;
    }

    private sealed record PurchaseMessage(string PurchaseId, string MemberId, decimal Amount, string Currency, string OccurredAt, string? StoreId);
}
