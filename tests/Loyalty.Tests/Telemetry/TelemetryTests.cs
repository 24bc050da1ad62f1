using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Loyalty.Tests.Telemetry;

public sealed class TelemetryTests(Azurite azurite)
{
    [Fact]
    public async Task RecordPurchase_NewThenReplayed_CountsThePurchaseAndItsPointsOnce()
    {
        await using var app = new LoyaltyApp(azurite, new FakeTimeProvider(A.Now));
        var client = await app.StartAsync();
        var meters = app.Service<IMeterFactory>();
        using var purchases = new MetricCollector<long>(meters, LoyaltyMetrics.MeterName, "loyalty.purchases.recorded");
        using var points = new MetricCollector<long>(meters, LedgerMetrics.MeterName, LedgerMetrics.PointsIssued);
        var memberId = A.Id("m");
        using (var enrolled = await client.PutJsonAsync($"/api/members/{memberId}", A.Member().ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        var purchase = A.Purchase(memberId).WithAmount(42m).ToJson();
        using var first = await client.PostJsonAsync("/api/purchases", purchase);
        using var replay = await client.PostJsonAsync("/api/purchases", purchase);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        var earned = (await first.ReadAsync<PurchaseResult>()).PointsEarned;
        Assert.True(earned > 0);
        Assert.Equal(1, purchases.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(earned, points.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.All(points.GetMeasurementSnapshot(), m => Assert.Equal("purchase", m.Tags["source"]));
    }

    [Fact]
    public async Task RecordPurchase_Rejected_CountsNothing()
    {
        await using var app = new LoyaltyApp(azurite, new FakeTimeProvider(A.Now));
        var client = await app.StartAsync();
        using var purchases = new MetricCollector<long>(app.Service<IMeterFactory>(), LoyaltyMetrics.MeterName, "loyalty.purchases.recorded");

        using var unknownMember = await client.PostJsonAsync("/api/purchases", A.Purchase(A.Id("nobody")).ToJson());

        Assert.False(unknownMember.IsSuccessStatusCode);
        Assert.Empty(purchases.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task TriggerCalls_AreCountedPerFunctionAndOutcome_OtherRequestsAreNot()
    {
        await using var app = await MiddlewareAppAsync();
        using var invocations = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), LoyaltyMetrics.MeterName, "loyalty.function.invocations");
        using var durations = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), LoyaltyMetrics.MeterName, "loyalty.function.duration");
        var client = app.GetTestClient();

        (await client.PostAsync("/SendOutreach", null)).Dispose();
        (await client.PostAsync("/SendOutreach", null)).Dispose();
        (await client.PostAsync("/ExpirePoints", null)).Dispose();
        (await client.PostAsync("/api/purchases", null)).Dispose();
        (await client.PostAsync("/NotAFunction", null)).Dispose();
        (await client.GetAsync("/SendOutreach")).Dispose();

        var measured = invocations.GetMeasurementSnapshot();
        Assert.Equal(3, measured.Count);
        Assert.Equal(2, measured.Count(m => m.MatchesTags(("function", "SendOutreach"), ("outcome", "success"))));
        Assert.Equal(1, measured.Count(m => m.MatchesTags(("function", "ExpirePoints"), ("outcome", "failure"))));
        Assert.Equal(3, durations.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task ConnectionString_TurnsOnTracingAndMetricExport()
    {
        var settings = new Dictionary<string, string?>
        {
            // Nothing listens on port 9 of loopback: the exporter's sends fail quietly.
            [TelemetrySetup.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/",
        };
        await using var withAzureMonitor = new LoyaltyApp(azurite, settings: settings);
        await using var without = new LoyaltyApp(azurite);

        var client = await withAzureMonitor.StartAsync();
        await without.StartAsync();

        using var probe = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.NotNull(withAzureMonitor.Services.GetService<TracerProvider>());
        Assert.NotNull(withAzureMonitor.Services.GetService<MeterProvider>());
        Assert.Null(without.Services.GetService<TracerProvider>());
        Assert.Null(without.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task ConnectionString_DependencyTelemetry_CarriesNoPartitionOrRowKeys()
    {
        var memberId = A.Id("m");
        var urls = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("System.Net.Http", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                // Listeners are process-wide: keep only the storage calls made while serving this test's requests.
                var root = activity;
                while (root.Parent is not null)
                {
                    root = root.Parent;
                }

                if (root.GetTagItem("url.path") is string path && path.Contains(memberId, StringComparison.Ordinal)
                    && activity.GetTagItem("url.full") is string url)
                {
                    urls.Add(url);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var settings = new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/",
        };
        await using var app = new LoyaltyApp(azurite, new FakeTimeProvider(A.Now), settings);
        var client = await app.StartAsync();

        using var enrolled = await client.PutJsonAsync($"/api/members/{memberId}", A.Member().ToJson());
        using var member = await client.GetAsync($"/api/members/{memberId}");

        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        Assert.NotEmpty(urls);
        Assert.All(urls, url =>
        {
            Assert.DoesNotContain(memberId, url, StringComparison.Ordinal);
            Assert.DoesNotContain("(", url, StringComparison.Ordinal);
            Assert.DoesNotContain("?", url, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("https://acct.table.core.windows.net/phones(PartitionKey='%2B14255550123',RowKey='')", "https://acct.table.core.windows.net/phones")]
    [InlineData("https://acct.table.core.windows.net/members()?$filter=PartitionKey%20eq%20'm-1'", "https://acct.table.core.windows.net/members")]
    [InlineData("https://acct.queue.core.windows.net/outreach/messages?visibilitytimeout=30", "https://acct.queue.core.windows.net/outreach")]
    [InlineData("https://res.communication.azure.com/sms?api-version=2021-03-07", "https://res.communication.azure.com/sms")]
    [InlineData("http://127.0.0.1:10002/devstoreaccount1/members(PartitionKey='m-1',RowKey='x')", "http://127.0.0.1:10002/devstoreaccount1")]
    public void RedactedUrl_KeepsHostAndFirstSegment_DropsKeysAndQuery(string url, string expected) =>
        Assert.Equal(expected, TelemetrySetup.RedactedUrl(new Uri(url)));

    // A bare pipeline with the telemetry middleware in front of a few trigger-style routes.
    private static async Task<WebApplication> MiddlewareAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(A.Now));
        builder.AddLoyaltyTelemetry();
        var app = builder.Build();
        app.UseLoyaltyTelemetry();
        app.MapPost("/SendOutreach", () => TypedResults.Ok());
        app.MapPost("/ExpirePoints", () => TypedResults.StatusCode(StatusCodes.Status500InternalServerError));
        app.MapPost("/api/purchases", () => TypedResults.Ok());
        app.MapGet("/SendOutreach", () => TypedResults.Ok());
        await app.StartAsync();
        return app;
    }
}

internal static class CollectedMeasurementExtensions
{
    public static bool MatchesTags<T>(this CollectedMeasurement<T> measurement, params (string Key, string Value)[] tags)
        where T : struct =>
        tags.All(t => measurement.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value));
}
