using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Infrastructure;

/// <summary>A Functions app folder for one test: the app's real host.json and chosen function folders, copied from
/// the build output, with the changes the test makes (its own queue names, fast retry timings, test-only
/// functions). The runner reads it exactly as it reads the real one, so the function code is not involved.</summary>
public sealed class FunctionAppFolder : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private FunctionAppFolder(string path) => Path = path;

    public string Path { get; }

    /// <summary>A folder with the real host.json, whose queue settings are made fast for tests (1 s before a failed
    /// message is retried, polling at most every 200 ms) unless <paramref name="queues"/> changes them further.</summary>
    public static FunctionAppFolder Create(Action<JsonObject>? queues = null)
    {
        var folder = new FunctionAppFolder(Directory.CreateTempSubdirectory("loyalty-app-").FullName);
        var host = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "host.json")))!.AsObject();
        var settings = host["extensions"]!["queues"]!.AsObject();
        settings["visibilityTimeout"] = "00:00:01";
        settings["maxPollingInterval"] = "00:00:00.2";
        queues?.Invoke(settings);
        File.WriteAllText(System.IO.Path.Combine(folder.Path, "host.json"), host.ToJsonString(Indented));
        return folder;
    }

    /// <summary>Copies the app's own function folder, letting the test change its trigger binding.</summary>
    public FunctionAppFolder WithFunction(string name, Action<JsonObject>? trigger = null)
    {
        var definition = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, name, "function.json")))!.AsObject();
        trigger?.Invoke(definition["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!.AsObject());
        return Write(name, definition);
    }

    /// <summary>Adds the app's queue-triggered purchase function, reading from <paramref name="queueName"/>.</summary>
    public FunctionAppFolder WithPurchaseQueue(string queueName) =>
        WithFunction("RecordPurchaseFromQueue", t => t["queueName"] = queueName);

    /// <summary>Adds a test-only queue function (served by <see cref="ProbeFunction"/>), binding name <c>message</c>.</summary>
    public FunctionAppFolder WithQueueProbe(string name, string queueName) => Write(name, new JsonObject
    {
        ["bindings"] = new JsonArray(new JsonObject
        {
            ["type"] = "queueTrigger",
            ["direction"] = "in",
            ["name"] = "message",
            ["queueName"] = queueName,
            ["connection"] = "AzureWebJobsStorage",
        }),
    });

    /// <summary>Adds a test-only timer function (served by <see cref="ProbeFunction"/>).</summary>
    public FunctionAppFolder WithTimer(string name, string schedule, bool runOnStartup = false) => Write(name, new JsonObject
    {
        ["bindings"] = new JsonArray(new JsonObject
        {
            ["type"] = "timerTrigger",
            ["direction"] = "in",
            ["name"] = "myTimer",
            ["schedule"] = schedule,
            ["runOnStartup"] = runOnStartup,
        }),
    });

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private FunctionAppFolder Write(string name, JsonObject definition)
    {
        var folder = Directory.CreateDirectory(System.IO.Path.Combine(Path, name));
        File.WriteAllText(System.IO.Path.Combine(folder.FullName, "function.json"), definition.ToJsonString(Indented));
        return this;
    }
}
