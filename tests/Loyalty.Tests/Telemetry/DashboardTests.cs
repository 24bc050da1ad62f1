using System.Net;
using System.Text.RegularExpressions;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Deployment;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary>The workbook and alert queries (infra/workbook, infra/alerts) ask only for metrics and dimensions the app
/// sends: the app runs against a fake ingestion endpoint, and every name a query uses must be among what arrived.</summary>
[Collection(typeof(RunsAlone))]
public sealed partial class DashboardTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    private static readonly string Infra = Path.Combine(RepoRoot.Path, "infra");

    [Fact]
    public async Task Queries_UseOnlyMetricsAndDimensionsTheAppSends()
    {
        var sent = await SentMetricsAsync();
        var queries = Directory.GetFiles(Path.Combine(Infra, "workbook"), "*.kql").Concat(Directory.GetFiles(Path.Combine(Infra, "alerts"), "*.kql")).ToList();
        Assert.True(queries.Count >= 10, $"{queries.Count} query files");
        foreach (var file in queries)
        {
            var text = File.ReadAllText(file);
            var metrics = MetricFilter().Matches(text).SelectMany(m => Quoted().Matches(m.Groups[1].Value)).Select(q => q.Groups[1].Value).Distinct().ToList();
            var dimensions = Dimension().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
            var name = Path.GetRelativePath(Infra, file);
            Assert.True(metrics.Count > 0 || text.Contains("traces", StringComparison.Ordinal), $"{name} reads no metric");
            foreach (var metric in metrics)
            {
                Assert.True(sent.ContainsKey(metric), $"{name} reads {metric}, which the app does not send (it sends {string.Join(", ", sent.Keys.Order())})");
            }

            foreach (var dimension in dimensions)
            {
                Assert.True(metrics.Any(m => sent[m].Contains(dimension)), $"{name} reads the dimension {dimension}, which none of {string.Join(", ", metrics)} has");
            }
        }
    }

    [Fact]
    public void Template_LoadsEveryQueryFile()
    {
        var template = File.ReadAllText(Path.Combine(Infra, "main.bicep"));
        var loaded = LoadText().Matches(template).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();
        var files = Directory.GetFiles(Path.Combine(Infra, "workbook"), "*.kql").Concat(Directory.GetFiles(Path.Combine(Infra, "alerts"), "*.kql"))
            .Select(f => Path.GetRelativePath(Infra, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, loaded);
    }

    /// <summary>The failing-job alert names the timer functions: exactly those the app defines, so that a new scheduled
    /// job is not left out of it.</summary>
    [Fact]
    public void ScheduledJobAlert_NamesEveryTimerFunction()
    {
        var text = File.ReadAllText(Path.Combine(Infra, "alerts", "failing-scheduled-jobs.kql"));
        var named = Quoted().Matches(FunctionList().Match(text).Groups[1].Value).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        var timers = FunctionDefinitions.FromSource().Where(f => f.Trigger?.Type == "timerTrigger").Select(f => f.Name).Order(StringComparer.Ordinal);
        Assert.Equal(timers, named);
    }

    /// <summary>Every metric the workbook, the alerts and the README name arrives at ingestion with its dimensions, with
    /// the values the scenario moved.</summary>
    [Fact]
    public async Task EveryMetric_ArrivesWithItsDimensions()
    {
        var metrics = await RunAsync();

        foreach (var (name, dimensions) in new[]
        {
            (LedgerMetrics.PointsMoved, new[] { "kind", "direction", "source", "rule" }),
            (LedgerMetrics.PointsIssued, ["source"]),
            (LedgerMetrics.PointsRedeemed, ["source"]),
            (LedgerMetrics.PointsExpired, ["source"]),
            (LedgerMetrics.PointsHeld, ["status", "source"]),
            (LedgerMetrics.Vouchers, ["status", "reward", "source"]),
            (LedgerMetrics.TierChanges, ["from", "to", "source"]),
            (LedgerMetrics.Operations, ["kind"]),
            ("loyalty.purchases.recorded", []),
            ("loyalty.outreach.messages", ["campaign", "status"]),
            ("loyalty.function.invocations", ["function", "outcome"]),
            ("loyalty.function.duration", ["function", "outcome"]),
        })
        {
            var arrived = metrics.Where(m => m.Metric == name).ToList();
            Assert.True(arrived.Count > 0, $"{name} did not arrive");
            Assert.All(arrived, m => Assert.All(dimensions, d => Assert.True(m.Dimensions.ContainsKey(d), $"{name} without {d}")));
        }

        double Sum(string name, params (string Key, string Value)[] tags) =>
            metrics.Where(m => m.Metric == name && tags.All(t => (string?)m.Dimensions[t.Key] == t.Value)).Sum(m => m.Value);
        Assert.True(Sum(LedgerMetrics.PointsMoved, ("kind", "bonus"), ("rule", "big-order")) > 0);
        Assert.Equal(60, Sum(LedgerMetrics.PointsMoved, ("kind", "burn"), ("source", OperationKinds.Capture)));
        Assert.Equal(60, Sum(LedgerMetrics.PointsHeld, ("status", "captured")));
        Assert.Equal(90, Sum(LedgerMetrics.PointsHeld, ("status", "released")));
        Assert.Equal(30, Sum(LedgerMetrics.PointsHeld, ("status", "lapsed")));
        Assert.Equal(1, Sum(LedgerMetrics.Vouchers, ("status", "used"), ("source", OperationKinds.VoucherUse)));
        Assert.True(Sum(LedgerMetrics.PointsExpired) > 0);
        Assert.Equal(1, Sum("loyalty.outreach.messages", ("status", "skipped"), ("reason", "opted-out")));
        Assert.Equal(1, Sum("loyalty.function.invocations", ("function", "ExpirePoints"), ("outcome", "success")));
    }

    private async Task<Dictionary<string, HashSet<string>>> SentMetricsAsync()
    {
        var sent = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (metric, _, dimensions) in await RunAsync())
        {
            var keys = sent.TryGetValue(metric, out var known) ? known : sent[metric] = new HashSet<string>(StringComparer.Ordinal);
            keys.UnionWith(dimensions.Select(d => d.Key));
        }

        return sent;
    }

    // Runs the points scenario (every movement of points, a nightly job), an unknown member, and the outreach counters
    // (counted as the planners and the send job count them) with telemetry going to a fake ingestion endpoint, flushes,
    // and returns every metric that arrived.
    private async Task<List<(string Metric, double Value, System.Text.Json.Nodes.JsonObject Dimensions)>> RunAsync()
    {
        await using var ingestion = await FakeIngestion.StartAsync();
        var clock = new FakeTimeProvider(PointsScenario.Start);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = ingestion.ConnectionString,
            ["AzureMonitorExporter:DisableOfflineStorage"] = "true",
            ["LOYALTY_PROGRAM_FILE"] = PointsScenario.ProgramFile,
        });
        var client = await app.StartAsync();
        await PointsScenario.RunAsync(client, clock);
        using (var unknown = await client.GetAsync($"/api/members/{A.Id("nobody")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        var outreach = app.Service<LoyaltyMetrics>();
        outreach.OutreachPlanned("birthday");
        outreach.OutreachSent("birthday");
        outreach.OutreachSkipped("birthday", "opted-out");
        outreach.OutreachFailed("birthday");
        outreach.OutreachUnconfirmed("birthday");
        TelemetryLoad.Flush(app.Services);
        return [.. ingestion.Of("Metric").SelectMany(m => m.Metrics)];
    }

    // name == "x" and name in ("x", "y"), at the start of a where clause.
    [GeneratedRegex(@"\|\s*where\s+name\s*(?:==|in)\s*(\([^)]*\)|""[^""]*"")")]
    private static partial Regex MetricFilter();

    [GeneratedRegex(@"""([^""]+)""")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"customDimensions\[""([^""]+)""\]")]
    private static partial Regex Dimension();

    [GeneratedRegex(@"function\s+in\s*\(([^)]*)\)")]
    private static partial Regex FunctionList();

    [GeneratedRegex(@"loadTextContent\('([^']+\.kql)'\)")]
    private static partial Regex LoadText();
}
