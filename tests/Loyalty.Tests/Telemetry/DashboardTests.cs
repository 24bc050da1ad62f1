using System.Net;
using System.Text.RegularExpressions;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Deployment;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary>The workbook and alert queries (infra/workbook, infra/alerts) ask only for metrics and dimensions the app
/// sends: the app runs against a fake ingestion endpoint, and every name a query uses must be among what arrived.</summary>
[Collection(typeof(RunsAlone))]
public sealed partial class DashboardTests(Azurite azurite)
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

    /// <summary>The failing-job alert names the timer functions: exactly those the app defines, so that a new nightly
    /// job is not left out of it.</summary>
    [Fact]
    public void NightlyJobAlert_NamesEveryTimerFunction()
    {
        var text = File.ReadAllText(Path.Combine(Infra, "alerts", "failing-nightly-jobs.kql"));
        var named = Quoted().Matches(FunctionList().Match(text).Groups[1].Value).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        var timers = FunctionDefinitions.FromSource().Where(f => f.Trigger?.Type == "timerTrigger").Select(f => f.Name).Order(StringComparer.Ordinal);
        Assert.Equal(timers, named);
    }

    // Runs what moves every metric (a purchase that reaches a tier, a redemption, a nightly job, an unknown member, the
    // outreach counters), flushes, and returns each metric name that arrived with the dimension names it carried.
    private async Task<Dictionary<string, HashSet<string>>> SentMetricsAsync()
    {
        await using var ingestion = await FakeIngestion.StartAsync();
        var clock = new FakeTimeProvider(A.Now);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = ingestion.ConnectionString,
            ["AzureMonitorExporter:DisableOfflineStorage"] = "true",
            ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.rules.json"),
        });
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        using (var bought = await client.PostJsonAsync("/api/purchases", A.Purchase(member).WithAmount(600m).ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        }

        using (var redeemed = await client.PostJsonAsync($"/api/members/{member}/redemptions", $$"""{"redemptionId":"{{A.Id("r")}}","rewardId":"coffee"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, redeemed.StatusCode);
        }

        using (var unknown = await client.GetAsync($"/api/members/{A.Id("nobody")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // Thirteen months on, what is left of the purchase's points expires.
        clock.Advance(TimeSpan.FromDays(400));
        using (var run = await client.PostJsonAsync("/ExpirePoints", Fixtures.Load("Functions/timer.json").ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        }

        var outreach = app.Service<LoyaltyMetrics>();
        outreach.OutreachPlanned("birthday");
        outreach.OutreachSent("birthday");
        outreach.OutreachSkipped("birthday", "opted-out");
        outreach.OutreachFailed("birthday");
        TelemetryLoad.Flush(app.Services);

        var sent = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (metric, _, dimensions) in ingestion.Of("Metric").SelectMany(m => m.Metrics))
        {
            var keys = sent.TryGetValue(metric, out var known) ? known : sent[metric] = new HashSet<string>(StringComparer.Ordinal);
            keys.UnionWith(dimensions.Select(d => d.Key));
        }

        return sent;
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
