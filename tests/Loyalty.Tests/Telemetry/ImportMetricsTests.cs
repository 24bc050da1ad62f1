using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Hosting;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Cli;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary><c>loyalty import</c> commits outside the app; with <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> set, what it
/// commits is counted as the app counts its operations, under the source <c>import</c>, and adds up to the ledger it
/// wrote (here sent to a fake ingestion endpoint).</summary>
[Collection(typeof(RunsAlone))]
public sealed class ImportMetricsTests(Azurite azurite) : IDisposable
{
    private const string Program = "program.integrity.json";

    private readonly string folder = Directory.CreateTempSubdirectory("import-metrics-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task AnImport_IsCountedUnderItsOwnSource_AndAddsUpToTheLedgerItWrote()
    {
        await using var ingestion = await FakeIngestion.StartAsync();
        var clock = new FakeTimeProvider(A.Now);
        var (ana, ben) = (A.Id("ana"), A.Id("ben"));
        var members = Write("members.csv",
            "memberId,firstName,phone,birthday,locale,timeZone,smsOptIn,openingBalance,lots,tier,enrolledAt",
            $"{ana},Ana,,,,,,,2027-03-31=120;never=30,silver,2019-05-01",
            $"{ben},Ben,,,,,,500,,,");
        var purchases = Write("purchases.jsonl",
            $$"""{"purchaseId":"{{A.Id("old")}}","memberId":"{{ben}}","amount":300,"currency":"USD","occurredAt":"2026-08-01T10:00:00Z"}""",
            $$"""{"purchaseId":"{{A.Id("old")}}","memberId":"{{ben}}","amount":40,"currency":"USD","occurredAt":"2026-10-01T10:00:00Z"}""");
        var settings = new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = ingestion.ConnectionString,
            ["AzureMonitorExporter:DisableOfflineStorage"] = "true",
        };

        var run = await Cli.Cli.RunAsync(azurite.ConnectionString, null, new CliOptions(Program, clock, Settings: settings), "import", "--members", members, "--purchases", purchases);

        Assert.True(run.Exit == 0, run.ToString());
        var metrics = ingestion.Of("Metric").SelectMany(m => m.Metrics).ToList();
        var moved = metrics.Where(m => m.Metric == LedgerMetrics.PointsMoved).ToList();
        Assert.NotEmpty(moved);
        Assert.All(metrics.Where(m => m.Metric.StartsWith("loyalty.", StringComparison.Ordinal)), m => Assert.Equal(OperationKinds.Import, (string?)m.Dimensions["source"] ?? (string?)m.Dimensions["kind"]));
        var store = MemberStore.Create(azurite.Tables, ProgramFile.Load(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", Program) })
            .Build()), TestKeys.Phone, clock);
        var ledger = new List<(string Kind, long Points)>();
        foreach (var member in new[] { ana, ben })
        {
            ledger.AddRange((await store.ReadPartitionAsync(MemberId.Parse(member), default))!.Ledger.Select(e => (e.Kind.ToString().ToLowerInvariant(), e.Points.Value)));
        }

        var measured = moved.Select(m => (Kind: (string)m.Dimensions["kind"]!, Points: (long)m.Value * ((string?)m.Dimensions["direction"] == "credit" ? 1 : -1))).ToList();
        foreach (var kind in ledger.Select(e => e.Kind).Union(measured.Select(m => m.Kind)))
        {
            Assert.True(
                ledger.Where(e => e.Kind == kind).Sum(e => e.Points) == measured.Where(m => m.Kind == kind).Sum(m => m.Points),
                string.Create(CultureInfo.InvariantCulture, $"{kind}: ledger {ledger.Where(e => e.Kind == kind).Sum(e => e.Points)}, metrics {measured.Where(m => m.Kind == kind).Sum(m => m.Points)}"));
        }

        Assert.Equal(ledger.Sum(e => e.Points), measured.Sum(m => m.Points));
        Assert.Contains(measured, m => m.Kind == "adjust" && m.Points == -340);
        Assert.Contains(measured, m => m.Kind == "adjust" && m.Points == 650);
        Assert.All(ingestion.Envelopes, e => Assert.DoesNotContain("Ana", e.Text, StringComparison.Ordinal));
    }

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}
