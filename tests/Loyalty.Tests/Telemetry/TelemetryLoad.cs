using System.Diagnostics;
using System.Globalization;
using System.Net;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Loyalty.Tests.Telemetry;

/// <summary>What a run of <see cref="TelemetryLoad"/> sent and what arrived at the fake ingestion endpoint.</summary>
public sealed record LoadFigures(
    int Requests,
    int RequestsArrived,
    int FailedRequests,
    int FailedRequestsArrived,
    long Invocations,
    int InvocationsArrived,
    long FailedInvocations,
    int FailedInvocationsArrived,
    int BrokenTraces,
    int RootDependencies,
    int Dependencies)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"requests: {RequestsArrived} of {Requests} arrived ({FailedRequestsArrived} of {FailedRequests} failed ones); " +
        $"invocations: {InvocationsArrived} of {Invocations} arrived ({FailedInvocationsArrived} of {FailedInvocations} failed ones); " +
        $"dependencies whose parent did not arrive: {BrokenTraces}; dependencies with no parent (outside any request or message): {RootDependencies} of {Dependencies}");
}

/// <summary>A bounded load on the standalone app with telemetry going to a <see cref="FakeIngestion"/>: HTTP requests at a
/// steady rate (reads, purchases, and failures: an unknown member, an invalid body), purchases and malformed messages on
/// the purchase queue (which fail until they are poisoned), and nightly jobs run through the admin endpoint. At the end
/// the app's providers are flushed, not waited for.</summary>
public sealed class TelemetryLoad(Azurite azurite, FakeIngestion ingestion)
{
    public const string QueueFunction = "RecordPurchaseFromQueue";
    public const string TimerFunction = "ExpirePoints";

    /// <summary>The personal data of the member the load uses: none of it may reach telemetry.</summary>
    public const string Birthday = "1987-06-05";

    public async Task<LoadFigures> RunAsync(
        double requestsPerSecond, TimeSpan duration, int messages, int malformed, int timerRuns, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var (queue, poison) = await TestQueues.CreateAsync(azurite);
        using var folder = FunctionAppFolder.Create(q => q["maxDequeueCount"] = 2).WithPurchaseQueue(queue.Name).WithFunction(TimerFunction);
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ingestion.ConnectionString,
            ["AzureMonitorExporter:DisableOfflineStorage"] = "true",
        };
        await using var app = new StandaloneApp(azurite, folder, settings: all);
        var client = await app.StartAsync();
        if (all.GetValueOrDefault("LOYALTY_API_KEY") is { } key)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        var member = A.Id("m");
        using (var enrolled = await client.PutJsonAsync($"/api/members/{member}", A.Member().WithBirthday(Birthday).ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        for (var i = 0; i < messages; i++)
        {
            await queue.SendMessageAsync(A.Purchase(member).ToJson());
        }

        for (var i = 0; i < malformed; i++)
        {
            await queue.SendMessageAsync($$"""{"purchaseId":"{{A.Id("bad")}}","memberId":"{{member}}","amount":"x"}""");
        }

        for (var i = 0; i < timerRuns; i++)
        {
            using var run = await client.PostJsonAsync($"/admin/functions/{TimerFunction}", "{}");
            Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        }

        var (sent, failed) = (0, 0);
        var clock = Stopwatch.StartNew();
        var total = (int)(requestsPerSecond * duration.TotalSeconds);
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / requestsPerSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            using var response = (i % 6) switch
            {
                0 => await client.GetAsync($"/api/members/{A.Id("nobody")}"),
                1 => await client.PostJsonAsync("/api/purchases", """{"purchaseId":"p","amount":-1}"""),
                2 or 3 => await client.PostJsonAsync("/api/purchases", A.Purchase(member).ToJson()),
                _ => await client.GetAsync($"/api/members/{member}"),
            };
            sent++;
            failed += response.IsSuccessStatusCode ? 0 : 1;
        }

        await Eventually.TrueAsync(
            async () => await queue.CountAsync() == 0 && await poison.CountAsync() == malformed,
            "every message is completed or poisoned",
            TimeSpan.FromSeconds(60));
        Flush(app.Services);

        // Kept for a look after the run: the envelopes as they arrived.
        var saved = System.IO.Path.Combine(RepoRoot.Path, "artifacts", "telemetry-envelopes.ndjson");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(saved)!);
        await File.WriteAllLinesAsync(saved, ingestion.Envelopes.Select(e => e.Text));
        return Figures(sent, failed);
    }

    /// <summary>Flushes the app's telemetry providers: what they hold is sent now.</summary>
    public static void Flush(IServiceProvider services)
    {
        services.GetService<TracerProvider>()?.ForceFlush(10_000);
        services.GetService<LoggerProvider>()?.ForceFlush(10_000);
        services.GetService<MeterProvider>()?.ForceFlush(10_000);
    }

    private static string Path(Envelope request) => Uri.TryCreate(request.Url, UriKind.Absolute, out var url) ? url.AbsolutePath : "";

    private LoadFigures Figures(int sent, int failed)
    {
        var requests = ingestion.Of("Request");
        var api = requests.Where(r => Path(r).StartsWith("/api/", StringComparison.Ordinal) && Path(r) != "/api/health").ToList();
        var invocations = requests.Where(r => Path(r) is "/" + QueueFunction or "/" + TimerFunction).ToList();
        var counted = ingestion.Of("Metric").SelectMany(m => m.Metrics).Where(m => m.Metric == "loyalty.function.invocations").ToList();
        // A dependency whose parent (a request or another dependency) did not arrive: a trace sampled in part.
        var dependencies = ingestion.Of("RemoteDependency");
        var ids = requests.Concat(dependencies).Select(e => (string?)e.BaseData["id"]).ToHashSet();
        var broken = dependencies.Count(d => d.ParentId is { } parent && !ids.Contains(parent));
        var roots = dependencies.Count(d => d.ParentId is null);
        return new LoadFigures(
            // The enrolment before the load is one more request.
            sent + 1,
            api.Count,
            failed,
            api.Count(r => r.Success == false),
            (long)counted.Where(m => (string?)m.Dimensions["function"] is QueueFunction or TimerFunction).Sum(m => m.Value),
            invocations.Count,
            (long)counted.Where(m => (string?)m.Dimensions["function"] is QueueFunction or TimerFunction && (string?)m.Dimensions["outcome"] == "failure").Sum(m => m.Value),
            invocations.Count(r => r.Success == false),
            broken,
            roots,
            dependencies.Count);
    }
}
