using System.Globalization;
using System.Text.Json;

namespace Loyalty.Functions.Standalone;

/// <summary>One function of the app, as its <c>&lt;Name&gt;/function.json</c> declares it: the name is the folder's,
/// the trigger is the binding whose type ends in <c>Trigger</c>.</summary>
public sealed record FunctionDefinition(string Name, string TriggerType, string BindingName, IReadOnlyDictionary<string, JsonElement> Trigger, bool DisabledInFile)
{
    public const string QueueTrigger = "queueTrigger";
    public const string TimerTrigger = "timerTrigger";
    public const string ServiceBusTrigger = "serviceBusTrigger";
    public const string HttpTrigger = "httpTrigger";

    public bool Is(string triggerType) => TriggerType.Equals(triggerType, StringComparison.OrdinalIgnoreCase);

    /// <summary>A string property of the trigger binding (<c>queueName</c>, <c>schedule</c>, <c>connection</c>, …).</summary>
    public string? Setting(string property) =>
        Trigger.TryGetValue(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public bool Flag(string property) =>
        Trigger.TryGetValue(property, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>Whether <c>AzureWebJobs.&lt;Name&gt;.Disabled</c> (or <c>AzureWebJobs__&lt;Name&gt;__Disabled</c>, or the
    /// file's own <c>disabled</c>) turns the function off, as it does for the Functions host.</summary>
    public bool IsDisabled(IConfiguration configuration) =>
        DisabledInFile || IsTrue(configuration[$"AzureWebJobs.{Name}.Disabled"]) || IsTrue(configuration[$"AzureWebJobs:{Name}:Disabled"]);

    private static bool IsTrue(string? value) =>
        value is not null && (value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) || value.Trim() == "1");
}

/// <summary>The function definitions of the app, read from the same files the Functions host reads: the function
/// folders and <c>host.json</c> in the app root (the build or publish output).</summary>
public sealed class FunctionCatalog
{
    private static readonly JsonDocumentOptions FileOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private FunctionCatalog(string appRoot, IReadOnlyList<FunctionDefinition> functions, HostSettings host) =>
        (AppRoot, Functions, Host) = (appRoot, functions, host);

    public string AppRoot { get; }

    public IReadOnlyList<FunctionDefinition> Functions { get; }

    public HostSettings Host { get; }

    /// <summary>The function of that name (names are case-insensitive, as in the Functions host).</summary>
    public FunctionDefinition? Find(string name) =>
        Functions.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads every <c>*/function.json</c> under <paramref name="appRoot"/> and its <c>host.json</c>; a file
    /// that cannot be read stops the app with its path and the fault.</summary>
    public static FunctionCatalog Load(string appRoot)
    {
        var functions = new List<FunctionDefinition>();
        if (Directory.Exists(appRoot))
        {
            foreach (var folder in Directory.EnumerateDirectories(appRoot).Order(StringComparer.Ordinal))
            {
                var file = Path.Combine(folder, "function.json");
                if (File.Exists(file))
                {
                    functions.Add(ReadFunction(Path.GetFileName(folder), file));
                }
            }
        }

        var hostFile = Path.Combine(appRoot, "host.json");
        return new FunctionCatalog(appRoot, functions, File.Exists(hostFile) ? HostSettings.Read(hostFile) : HostSettings.Default);
    }

    private static FunctionDefinition ReadFunction(string name, string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file), FileOptions);
            var root = document.RootElement;
            var disabled = root.TryGetProperty("disabled", out var d) && d.ValueKind == JsonValueKind.True;
            foreach (var binding in root.GetProperty("bindings").EnumerateArray())
            {
                var properties = binding.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.OrdinalIgnoreCase);
                var type = properties.TryGetValue("type", out var t) ? t.GetString() : null;
                if (type is not null && type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase))
                {
                    var bindingName = properties.TryGetValue("name", out var n) ? n.GetString() : null;
                    return new FunctionDefinition(name, type, bindingName ?? throw new InvalidDataException("the trigger binding has no name"), properties, disabled);
                }
            }

            throw new InvalidDataException("no binding is a trigger");
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidOperationException($"The function definition {file} cannot be read: {e.Message}", e);
        }
    }
}

/// <summary>What the runner takes from <c>host.json</c>: <c>functionTimeout</c> and <c>extensions.queues</c>, with the
/// Functions host's defaults.</summary>
/// <param name="FunctionTimeout">How long one invocation may take.</param>
/// <param name="Queues">Storage queue trigger settings.</param>
public sealed record HostSettings(TimeSpan FunctionTimeout, QueueSettings Queues)
{
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(5);

    public static HostSettings Default { get; } = new(DefaultFunctionTimeout, QueueSettings.Default);

    public static HostSettings Read(string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            var timeout = root.TryGetProperty("functionTimeout", out var t) && ReadSpan(t) is { } span && span > TimeSpan.Zero ? span : DefaultFunctionTimeout;
            var queues = root.TryGetProperty("extensions", out var e) && e.TryGetProperty("queues", out var q) ? QueueSettings.Read(q) : QueueSettings.Default;
            return new HostSettings(timeout, queues);
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{file} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A time span as host.json writes it: "hh:mm:ss" (or "d.hh:mm:ss"), or a number of milliseconds.</summary>
    internal static TimeSpan? ReadSpan(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when TimeSpan.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var span) => span,
        JsonValueKind.Number => TimeSpan.FromMilliseconds(value.GetDouble()),
        JsonValueKind.String => throw new FormatException($"'{value.GetString()}' is not a time span (hh:mm:ss)"),
        _ => null,
    };
}

/// <summary>The Storage queue trigger's settings (<c>extensions.queues</c>), defaults as in the Functions host.</summary>
public sealed record QueueSettings(int BatchSize, int NewBatchThreshold, TimeSpan MaxPollingInterval, TimeSpan VisibilityTimeout, int MaxDequeueCount, bool Base64)
{
    public const int MaxBatchSize = 32;

    /// <summary>The shortest wait between polls of an empty queue (the host starts its back-off here).</summary>
    public static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    public static QueueSettings Default { get; } = Create(null, null, null, null, null, null);

    public static QueueSettings Read(JsonElement queues)
    {
        int? Int(string name) => queues.TryGetProperty(name, out var v) ? v.GetInt32() : null;
        TimeSpan? Span(string name) => queues.TryGetProperty(name, out var v) ? HostSettings.ReadSpan(v) : null;
        var encoding = queues.TryGetProperty("messageEncoding", out var e) ? e.GetString() : null;
        if (encoding is not null && !encoding.Equals("base64", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"extensions.queues.messageEncoding '{encoding}' is not base64 or none");
        }

        return Create(Int("batchSize"), Int("newBatchThreshold"), Span("maxPollingInterval"), Span("visibilityTimeout"), Int("maxDequeueCount"), encoding);
    }

    private static QueueSettings Create(int? batchSize, int? newBatchThreshold, TimeSpan? maxPolling, TimeSpan? visibility, int? maxDequeueCount, string? encoding)
    {
        var batch = Math.Clamp(batchSize ?? 16, 1, MaxBatchSize);
        var threshold = newBatchThreshold ?? checked(batch / 2 * Environment.ProcessorCount);
        var polling = maxPolling ?? TimeSpan.FromMinutes(1);
        return new QueueSettings(
            batch,
            Math.Max(threshold, 0),
            polling < MinPollingInterval ? MinPollingInterval : polling,
            visibility is { } v && v > TimeSpan.Zero ? v : TimeSpan.Zero,
            Math.Max(maxDequeueCount ?? 5, 1),
            encoding is null || encoding.Equals("base64", StringComparison.OrdinalIgnoreCase));
    }
}
