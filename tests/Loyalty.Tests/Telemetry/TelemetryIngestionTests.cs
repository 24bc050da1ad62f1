using System.Net;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Telemetry;

/// <summary>The app against a local stand-in for Application Insights ingestion: what arrives, and what never may.</summary>
[Collection(typeof(RunsAlone))]
public sealed class TelemetryIngestionTests(Azurite azurite)
{
    private static readonly string[] PersonalData = ["Alice", "+14255550123", "4255550123", TelemetryLoad.Birthday, "06-05", TestKeys.PhoneSecret, ApiKey];

    private const string ApiKey = "test-api-key-0123456789abcdef";

    /// <summary>The measurement: about 3 requests per second for 28 seconds, with queue messages and nightly jobs,
    /// under the default sampling. Long, so it runs only when <c>LOYALTY_TELEMETRY_LOAD</c> is set; it prints its figures.</summary>
    [Fact]
    public async Task Load_ThreeRequestsPerSecond_Figures()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("LOYALTY_TELEMETRY_LOAD") is { Length: > 0 }, "set LOYALTY_TELEMETRY_LOAD=1 to measure");
        await using var ingestion = await FakeIngestion.StartAsync();

        var figures = await new TelemetryLoad(azurite, ingestion).RunAsync(3, TimeSpan.FromSeconds(28), messages: 12, malformed: 3, timerRuns: 3);

        TestContext.Current.TestOutputHelper?.WriteLine(figures.ToString());
        Directory.CreateDirectory(Path.Combine(RepoRoot.Path, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(RepoRoot.Path, "artifacts", "telemetry-load.txt"), figures + Environment.NewLine, TestContext.Current.CancellationToken);
        Assert.Equal(figures.FailedRequests, figures.FailedRequestsArrived);
        Assert.Equal(figures.FailedInvocations, figures.FailedInvocationsArrived);
        Assert.Equal(0, figures.BrokenTraces);
    }

    [Fact]
    public async Task Load_AboveTheSamplingRate_KeepsEveryFailureOneWholeTracePerMessageAndNoPersonalData()
    {
        await using var ingestion = await FakeIngestion.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            [TraceSampling.SamplerSetting] = TraceSampling.RateLimited,
            [TraceSampling.ArgumentSetting] = "1",
            ["LOYALTY_API_KEY"] = ApiKey,
        };

        var figures = await new TelemetryLoad(azurite, ingestion).RunAsync(10, TimeSpan.FromSeconds(3), messages: 3, malformed: 2, timerRuns: 1, settings);

        // Ten requests a second against one trace a second: successes are sampled, failures all arrive, with their traces.
        Assert.True(figures.RequestsArrived < figures.Requests, figures.ToString());
        Assert.True(figures.FailedRequests >= 10, figures.ToString());
        Assert.Equal(figures.FailedRequests, figures.FailedRequestsArrived);
        Assert.True(figures.FailedInvocations >= 4, figures.ToString());
        Assert.Equal(figures.FailedInvocations, figures.FailedInvocationsArrived);
        Assert.Equal(0, figures.BrokenTraces);
        var requests = ingestion.Of("Request");
        // The share of such traces kept travels with each span (a failure counts once). Exporter 1.10 does not lift it
        // into the envelope's sampleRate: it arrives as a custom dimension.
        Assert.All(requests.Where(r => r.Success == false), r => Assert.Equal(100, KeptPercentage(r)));
        Assert.All(requests.Where(r => r.Success == true), r => Assert.InRange(KeptPercentage(r), double.Epsilon, 100));

        // One trace per delivery of a queue message: the runner's root (named), the invocation it made, and the storage
        // calls that settled the message.
        var roots = requests.Where(r => r.BaseData["name"]?.ToString() == $"{TelemetryLoad.QueueFunction} queue message").ToList();
        var invocations = requests.Where(r => r.Url.EndsWith("/" + TelemetryLoad.QueueFunction, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(invocations);
        Assert.All(invocations, invocation =>
        {
            var root = Assert.Single(roots, r => r.OperationId == invocation.OperationId);
            Assert.Equal($"{TelemetryLoad.QueueFunction} queue message", root.OperationName);
            var call = Assert.Single(ingestion.Of("RemoteDependency"), d => (string?)d.BaseData["id"] == invocation.ParentId);
            Assert.Equal((string?)root.BaseData["id"], call.ParentId);
            Assert.Contains(ingestion.Of("RemoteDependency"), d => d.OperationId == root.OperationId && d.ParentId == (string?)root.BaseData["id"] && d.Url.Contains("127.0.0.1", StringComparison.Ordinal) && d != call);
        });

        // The runner's warnings and the poison error carry the operation id of the message's trace; the function's own
        // lines carry the invocation id too. (Log lines arrive as their message templates, with the values as properties.)
        var messages = ingestion.Of("Message");
        var failedCalls = messages.Where(m => ((string?)m.BaseData["message"])?.Contains("failed with status {Status}", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(failedCalls);
        Assert.All(failedCalls, m => Assert.Contains(roots, r => r.OperationId == m.OperationId));
        var poisoned = messages.Where(m => ((string?)m.BaseData["message"])?.Contains("moved to {PoisonQueue} after", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, poisoned.Count);
        Assert.All(poisoned, m => Assert.Contains(roots, r => r.OperationId == m.OperationId));
        var rejected = messages.Where(m => ((string?)m.BaseData["message"])?.Contains("cannot record message", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, m =>
        {
            Assert.False(string.IsNullOrEmpty(m.Property("InvocationId")));
            Assert.Contains(invocations, i => i.OperationId == m.OperationId);
        });

        // An expected absence (the unknown member's point read) is not a failed dependency.
        var reads = ingestion.Of("RemoteDependency").Where(d => d.Property(TailSampler.PointReadTag) is not null && d.ResponseCode == "404").ToList();
        Assert.NotEmpty(reads);
        Assert.All(reads, d => Assert.True(d.Success));
        // Nor is the "table exists" answer to the start-up's table creation.
        Assert.All(ingestion.Of("RemoteDependency").Where(d => d.Property(TailSampler.TableCreateTag) is not null), d => Assert.True(d.Success, d.Text));

        Assert.All(ingestion.Envelopes, e => Assert.All(PersonalData, p => Assert.DoesNotContain(p, e.Text, StringComparison.OrdinalIgnoreCase)));
    }

    private static double KeptPercentage(Envelope e) =>
        double.Parse(e.Property(TailSampler.SampleRateTag) ?? "NaN", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task UnderTheHost_AnInvocationContinuesTheHostsTrace_AndItsLinesCarryTheInvocationId()
    {
        await using var ingestion = await FakeIngestion.StartAsync();
        await using var app = new LoyaltyApp(azurite, new FakeTimeProvider(A.Now), new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = ingestion.ConnectionString,
            ["AzureMonitorExporter:DisableOfflineStorage"] = "true",
        });
        var client = await app.StartAsync();
        var (traceId, spanId, invocationId) = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", Guid.NewGuid().ToString());

        // What the host sends: its invocation id, and the trace context its HttpClient adds from the host's activity.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/RecordPurchaseFromQueue")
        {
            Content = new StringContent("""{"Data":{"purchase":"{\"purchaseId\":\"x\"}"},"Metadata":{"Id":"m-1","DequeueCount":1}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Azure-Functions-InvocationId", invocationId);
        request.Headers.Add("traceparent", $"00-{traceId}-{spanId}-00");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        TelemetryLoad.Flush(app.Services);

        var invocation = Assert.Single(ingestion.Of("Request"), r => r.OperationId == traceId);
        Assert.Equal(spanId, invocation.ParentId);
        Assert.Equal(invocationId, invocation.Property("faas.invocation_id"));
        var lines = ingestion.Of("Message").Where(m => m.OperationId == traceId).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, m => Assert.Equal(invocationId, m.Property("InvocationId")));
    }
}
